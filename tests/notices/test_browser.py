"""The notice pages in a real headless Chromium against a real uvicorn on a committed
database: the public objects on the public page without signing in; the city industry
bureau resolves it on the management page; the list prints without the bar and forms.
Screenshots go to tests/artifacts/ (gitignored)."""

import uuid
from datetime import date

import httpx
import pytest

from app.audit.service import verify_chain
from app.notices.models import WorkdayOverride
from app.notices.service import beijing_today
from app.notices.workdays import calendar_knows
from app.users.service import create_token, create_user
from tests.browser.conftest import csp_problems as _csp_problems, shot as _shot
from tests.factories import application_body, complete_documents, make_program, new_uscc

pytestmark = [pytest.mark.browser, pytest.mark.live]

playwright_sync = pytest.importorskip("playwright.sync_api")
expect = playwright_sync.expect

PASSWORD = "Gongxin-2026!"
NAMES = ["新疆昆仑精细化工有限公司", "乌鲁木齐西域钢结构有限公司"]


@pytest.fixture(scope="module")
def seeded(live_server):
    tag = uuid.uuid4().hex[:6].upper()
    code = f"NB-{tag}"
    username = f"gongxin-{tag.lower()}"
    raw = {}
    today = beijing_today()
    with live_server.session() as s:
        make_program(s, code)
        create_user(s, username=username, role="city_industry", password=PASSWORD, display_name="李建国")
        for role, district in (("district_system", "650102"), ("district_industry", "650102"), ("district_stats", "650102"),
                               ("city_industry", None), ("city_stats", None)):
            _tok, raw[role] = create_token(s, name=f"nb-{role}-{tag}", role=role, district_code=district)
        for year in (today.year, today.year + 1):  # a notice starting today must be computable
            if not calendar_knows(year) and s.get(WorkdayOverride, date(year, 1, 1)) is None:
                s.add(WorkdayOverride(day=date(year, 1, 1), is_workday=False, name="元旦", entered_by="test"))
        s.commit()

    def api(role):
        return httpx.Client(base_url=live_server.url, headers={"Authorization": f"Bearer {raw[role]}"}, timeout=10)

    apps = []
    for i, name in enumerate(NAMES):
        r = api("district_system").post(f"/api/v1/programs/{code}/applications",
                                        json=application_body(new_uscc(), ref=f"NB-{tag}-{i}", name=name))
        assert r.status_code == 201, r.text
        apps.append(r.json())
        with live_server.session() as s:
            complete_documents(s, r.json()["id"])
        for version, role in enumerate(("district_industry", "district_stats", "city_industry", "city_stats"), start=1):
            r = api(role).post(f"/api/v1/applications/{apps[-1]['id']}/reviews", json={"decision": "approve", "opinion": "同意"},
                               headers={"If-Match": f'"{version}"'})
            assert r.status_code == 201, r.text
    r = api("city_industry").post(f"/api/v1/programs/{code}/notices",
                                  json={"title": "2023年度“小升规”奖补拟奖补企业名单公示", "starts_on": today.isoformat(),
                                        "channels": ["本系统公示页面", "政务公开栏"]})
    assert r.status_code == 201, r.text
    return {"code": code, "username": username, "apps": apps, "notice": r.json()}


def test_public_objects_and_the_bureau_resolves(live_server, backend, seeded, page):
    pg = page
    notice, apps = seeded["notice"], seeded["apps"]

    # The public page: no sign-in, name, district and amount only.
    pg.goto(live_server.url + f"/notices/{notice['id']}")
    expect(pg.get_by_role("heading", level=1)).to_have_text(notice["title"])
    table = pg.locator("table.notice-list")
    for name in NAMES:
        expect(table).to_contain_text(name)
    expect(table.locator("tbody tr")).to_have_count(2)
    expect(table.locator("tbody tr").first).to_contain_text("20.00")
    content = pg.content()
    assert all(app["enterprise"]["uscc"] not in content for app in apps)
    assert "6217000012345678" not in content
    _shot(pg, backend, "notice-01-public")

    # An objection through the htmx form.
    pg.get_by_label("异议企业").select_option(label=f"2. {NAMES[1]}（天山区）")
    pg.get_by_label("姓名或单位").fill("张某")
    pg.get_by_label("联系电话或电子邮箱").fill("13800001111")
    pg.get_by_label("异议内容及事实依据").fill("该企业主要生产经营地不在本市。")
    pg.get_by_role("button", name="提交异议").click()
    expect(pg.locator(".notice-done")).to_contain_text("您的异议已提交")
    _shot(pg, backend, "notice-02-objection-sent")
    pg.emulate_media(media="print")
    expect(pg.locator("#objection")).to_be_hidden()
    _shot(pg, backend, "notice-03-public-print")
    pg.emulate_media(media="screen")
    assert _csp_problems(pg) == []

    # The city industry bureau signs in and resolves it on the management page.
    pg.goto(live_server.url + f"/notices/{notice['id']}/manage")
    pg.get_by_label("用户名").fill(seeded["username"])
    pg.get_by_label("密码").fill(PASSWORD)
    pg.get_by_role("button", name="登录").click()
    expect(pg).to_have_url(live_server.url + f"/notices/{notice['id']}/manage")
    objection = pg.locator(".objection").first
    expect(objection).to_contain_text("该企业主要生产经营地不在本市。")
    expect(objection.locator(".badge")).to_have_text("待处理")
    expect(pg.locator("#close")).to_contain_text(f"公示期至 {notice['ends_on']} 结束")
    objection.get_by_label("异议不成立").check()
    objection.get_by_label("核查处理意见").fill("经核查，该企业注册地及生产地均在天山区，异议不成立。")
    objection.get_by_role("button", name="提交处理意见").click()
    expect(pg.locator(".objection").first.locator(".badge")).to_have_text("异议不成立")
    expect(pg.locator(".objection").first).to_contain_text("注册地及生产地均在天山区")
    _shot(pg, backend, "notice-04-manage")

    # The print button prints (window.print stubbed: headless Chromium has no dialog).
    pg.evaluate("window.print = () => { window.__printed = true; }")
    pg.get_by_role("button", name="打印名单").click()
    assert pg.evaluate("window.__printed === true")
    pg.emulate_media(media="print")
    expect(pg.locator(".topbar")).to_be_hidden()
    expect(pg.locator(".toolbar")).to_be_hidden()
    expect(pg.locator("#objections")).to_be_hidden()
    expect(pg.locator("table.notice-list th", has_text="统一社会信用代码")).to_be_hidden()
    expect(pg.locator(".notice-footnote")).to_be_visible()
    # the table fits the A4 page width (210 mm less 2 × 15 mm margins ≈ 680 CSS px)
    pg.set_viewport_size({"width": 680, "height": 900})
    width = pg.evaluate("document.querySelector('table.notice-list').getBoundingClientRect().width")
    assert width <= 680
    _shot(pg, backend, "notice-05-manage-print")
    pg.emulate_media(media="screen")
    assert _csp_problems(pg) == []

    with live_server.session() as s:
        report = verify_chain(s)
    assert report.ok, report
