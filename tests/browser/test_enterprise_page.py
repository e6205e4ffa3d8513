"""The enterprise page (企业档案) in a real headless Chromium: a city industry official opens
an awarded enterprise, reads its history section by section, adds a follow-up service
record through the htmx form (posted form-encoded to the API route, CSRF header from
<body>), sees it listed, and marks it resolved. Screenshots go to tests/artifacts/."""

import re
import uuid

import pytest
from sqlmodel import select

from app.applications.models import Application
from app.enterprises.models import Enterprise
from app.users.service import create_user
from tests.browser.conftest import csp_problems, shot, sign_in
from tests.factories import add_roster, award_applications, make_program

pytestmark = [pytest.mark.browser, pytest.mark.live]

playwright_sync = pytest.importorskip("playwright.sync_api")
expect = playwright_sync.expect

PASSWORD = "Industry-2025!"
NEEDS = "新建生产线需要办理环评手续，希望协调生态环境部门提前介入"


@pytest.fixture(scope="module")
def world(live_server):
    tag = uuid.uuid4().hex[:6].upper()
    code = f"EP-{tag}"
    username = f"city-ind-{tag.lower()}"
    with live_server.session() as s:
        make_program(s, code)
        create_user(s, username=username, role="city_industry", password=PASSWORD, display_name="马建新")
        s.commit()
        [app_id] = award_applications(s, code, ["650102"], name=f"乌鲁木齐天山机械制造有限公司{tag}")
        enterprise = s.exec(select(Enterprise).join(Application, Application.enterprise_id == Enterprise.id)
                            .where(Application.id == app_id)).one()
        add_roster(s, enterprise.uscc, year=2023, revenue_fen=26_500_000_00)
        add_roster(s, enterprise.uscc, year=2024, revenue_fen=31_200_000_00)
        s.commit()
    return {"code": code, "username": username, "uscc": enterprise.uscc, "name": enterprise.name, "app_id": app_id}


def test_city_industry_adds_a_follow_up_on_the_enterprise_page(live_server, backend, world, page):
    pg = page
    sign_in(pg, live_server, world["username"], PASSWORD)
    pg.get_by_role("navigation", name="主导航").get_by_role("link", name="企业").click()
    expect(pg.get_by_role("heading", level=1)).to_have_text("企业档案")
    search = pg.get_by_label("搜索")
    search.fill(world["name"][-10:])  # as an input method commits it: the value changes, then a key is released
    search.press("End")
    expect(pg.locator("#rows tr")).to_have_count(1)
    link = pg.locator("#results").get_by_role("link", name=world["name"])
    expect(link).to_have_count(1)
    expect(pg).to_have_url(re.compile(r"/enterprises\?q="))  # the search is a shareable address
    shot(pg, backend, "enterprise-00-list")
    link.click()

    expect(pg).to_have_url(live_server.url + f"/enterprises/{world['uscc']}")
    expect(pg.get_by_role("heading", level=1)).to_have_text(world["name"])
    for heading in ("基本信息", "申报记录", "审核意见", "拨付记录", "统计名录", "满意度问卷", "跟踪服务"):
        expect(pg.get_by_role("heading", level=2, name=heading)).to_be_visible()
    expect(pg.locator("#applications").get_by_role("link", name=f"#{world['app_id']}")).to_be_visible()
    expect(pg.locator("#payments")).to_contain_text("10.00")
    expect(pg.locator("#roster")).to_contain_text("+17.7%")
    expect(pg.locator("#roster svg rect.chart-bar")).to_have_count(2)
    expect(pg.locator("#followups")).to_contain_text("暂无跟踪服务记录")
    expect(pg.locator("#open-follow-ups")).to_have_text("0")

    form = pg.locator("#followup-form")
    form.get_by_label("服务日期").fill("2024-11-05")
    form.get_by_label("服务方式").select_option(label="政策咨询")
    form.get_by_label("关联项目").select_option(value=world["code"])
    form.get_by_label("需求和问题").fill(NEEDS)
    form.get_by_label("服务情况（可选）").fill("已转市生态环境局，约定下周现场对接")
    form.get_by_role("button", name="登记").click()

    expect(pg.locator("#flash")).to_contain_text("已登记跟踪服务记录（政策咨询，2024-11-05）")
    records = pg.locator("#followups li.followup")
    expect(records).to_have_count(1)
    expect(records.first).to_contain_text(NEEDS)
    expect(records.first).to_contain_text("待办结")
    expect(records.first).to_contain_text(world["code"])
    expect(pg.locator("#open-follow-ups")).to_have_text("1")
    expect(pg.locator("#flash .problem")).to_have_count(0)
    shot(pg, backend, "enterprise-01-follow-up-added")

    records.first.get_by_role("button", name="将 2024-11-05 的政策咨询记录标记为已办结").click()
    expect(pg.locator("#flash")).to_contain_text("已办结")
    expect(records.first).to_contain_text("已办结")
    expect(records.first.get_by_role("button")).to_have_count(0)
    expect(pg.locator("#open-follow-ups")).to_have_text("0")
    shot(pg, backend, "enterprise-02-follow-up-resolved")
    assert csp_problems(pg) == []

    pg.reload()  # committed: the page shows the same
    expect(pg.locator("#followups li.followup-resolved")).to_have_count(1)
    expect(pg.locator("#followups")).to_contain_text(NEEDS)

    # The city's list of needs: resolved ones under 已办结.
    pg.goto(live_server.url + "/follow-ups?status=resolved")
    row = pg.locator("#rows tr", has=pg.get_by_role("link", name=world["name"]))
    expect(row).to_contain_text(NEEDS)
    expect(row).to_contain_text("已办结")
    shot(pg, backend, "enterprise-03-follow-ups-page")
    assert csp_problems(pg) == []
