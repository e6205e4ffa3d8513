"""The officials' pages in a real headless Chromium (Debian's, never a downloaded one)
against a real uvicorn on a committed database: sign in, filter the list live, open an
application, sign out. Screenshots go to tests/artifacts/ (gitignored)."""

import uuid

import httpx
import pytest

from app.users.service import create_token, create_user
from tests.browser.conftest import csp_problems as _csp_problems, shot as _shot
from tests.factories import application_body, make_program, new_uscc

pytestmark = [pytest.mark.browser, pytest.mark.live]

playwright_sync = pytest.importorskip("playwright.sync_api")
expect = playwright_sync.expect

PASSWORD = "Tianshan-2025!"

@pytest.fixture(scope="module")
def seeded(live_server):
    """A programme, a 天山区 official, and three applications submitted through the real API
    by the district's system; one of them withdrawn. Codes are unique: the live database is
    shared by the whole test session."""
    tag = uuid.uuid4().hex[:6].upper()
    code = f"BR-{tag}"
    username = f"tianshan-{tag.lower()}"
    with live_server.session() as s:
        make_program(s, code)
        create_user(s, username=username, role="district_industry", password=PASSWORD, district_code="650102",
                    display_name="王建华")
        _tok, raw = create_token(s, name=f"tianshan-system-{tag}", role="district_system", district_code="650102")
        s.commit()
    names = ["新疆天润乳品加工有限公司", "乌鲁木齐众和精密机械有限公司", "天山区博远新材料科技有限公司"]
    apps = []
    with httpx.Client(base_url=live_server.url, headers={"Authorization": f"Bearer {raw}"}, timeout=10) as api:
        for i, name in enumerate(names):
            body = application_body(new_uscc("650102"), ref=f"TS-{tag}-{i + 1:03d}", name=name,
                                    revenue=f"{28_500_000 + i * 3_210_000}.00")
            r = api.post(f"/api/v1/programs/{code}/applications", json=body)
            assert r.status_code == 201, r.text
            apps.append(r.json())
        withdrawn = apps[2]
        r = api.post(f"/api/v1/applications/{withdrawn['id']}/withdraw", json={"reason": "企业主动撤回，材料需重新整理"},
                     headers={"If-Match": f'"{withdrawn["version"]}"'})
        assert r.status_code == 200, r.text
    return {"code": code, "username": username, "apps": apps, "names": names}


def _sign_in(pg, live_server, username: str, password: str = PASSWORD) -> None:
    pg.goto(live_server.url + "/applications")
    expect(pg).to_have_url(live_server.url + "/login?next=%2Fapplications")
    expect(pg.get_by_role("heading", name="官员登录")).to_be_visible()
    pg.get_by_label("用户名").fill(username)
    pg.get_by_label("密码").fill(password)
    pg.get_by_role("button", name="登录").click()


def test_official_signs_in_filters_the_list_and_opens_an_application(live_server, backend, seeded, page):
    pg = page
    apps, names, code = seeded["apps"], seeded["names"], seeded["code"]
    rows = pg.locator("#results tbody tr")

    # A wrong password keeps the official on the form with a Chinese message.
    _sign_in(pg, live_server, seeded["username"], "wrong-password")
    expect(pg.get_by_role("alert").filter(has_text="用户名或密码错误")).to_be_visible()
    _shot(pg, backend, "00-login-error")

    _sign_in(pg, live_server, seeded["username"])
    expect(pg).to_have_url(live_server.url + "/applications")
    expect(pg.locator(".who")).to_contain_text("王建华")
    expect(pg.locator(".who")).to_contain_text("区县工信部门 · 天山区")
    for name in names:
        expect(pg.locator("#results")).to_contain_text(name)
    expect(pg.get_by_role("link", name=names[0])).to_have_attribute("href", f"/applications/{apps[0]['id']}")
    _shot(pg, backend, "01-list")

    # Narrow to this programme (other tests share the live database): the address follows.
    pg.get_by_label("项目").select_option(code)
    expect(pg).to_have_url(live_server.url + f"/applications?program={code}")
    expect(rows).to_have_count(3)

    # Typing a credit code filters live, without pressing anything.
    search = pg.get_by_label("搜索")
    search.press_sequentially(apps[1]["enterprise"]["uscc"], delay=20)
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(names[1])
    expect(rows.first).to_contain_text("已提交")
    assert f"q={apps[1]['enterprise']['uscc']}" in pg.url

    # Part of a Chinese name, as an input method commits it (the value changes, then a key is released).
    search.fill("天润")
    search.press("End")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(names[0])
    expect(rows.first).to_contain_text("2,850.00")  # 28500000.00 元 = 2,850.00 万元
    _shot(pg, backend, "02-search")

    search.fill("")
    search.press("End")
    expect(rows).to_have_count(3)

    # The status filter.
    pg.get_by_label("状态").select_option(label="已撤回")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(names[2])
    expect(rows.first.locator(".badge")).to_have_text("已撤回")
    assert "status=withdrawn" in pg.url
    pg.get_by_label("状态").select_option(label="已提交")
    expect(rows).to_have_count(2)
    pg.get_by_label("状态").select_option(label="公示中")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("没有符合筛选条件的申报")

    # Back restores the previous filter from the server (no history cache is kept).
    pg.go_back()
    expect(pg).to_have_url(live_server.url + f"/applications?program={code}&status=submitted")
    expect(rows).to_have_count(2)
    expect(pg.get_by_label("状态")).to_have_value("submitted")

    # The pushed address is shareable: loading it renders the same filtered list.
    pg.goto(live_server.url + f"/applications?program={code}&status=submitted")
    expect(rows).to_have_count(2)
    expect(pg.get_by_label("状态")).to_have_value("submitted")

    # Open an application.
    pg.get_by_role("link", name=names[1]).click()
    expect(pg).to_have_url(live_server.url + f"/applications/{apps[1]['id']}")
    expect(pg.get_by_role("heading", level=1)).to_have_text(names[1])
    eligibility = pg.locator("#eligibility")
    expect(eligibility.get_by_role("heading", name="资格审查")).to_be_visible()
    expect(eligibility).to_contain_text("统一社会信用代码有效")
    expect(eligibility.locator("tr", has_text="统一社会信用代码有效").locator(".outcome")).to_have_text("通过")
    assert set(eligibility.locator("tbody .outcome").all_inner_texts()) <= {"通过", "未通过", "待核实"}
    expect(eligibility.locator("tbody tr")).to_have_count(8)
    expect(pg.locator("#sec-enterprise + .kv")).to_contain_text(apps[1]["enterprise"]["uscc"])
    expect(pg.locator("#sec-enterprise + .kv")).to_contain_text("************5678")
    expect(pg.locator("#reviews")).to_contain_text("暂无审核意见")
    expect(pg.locator("#history")).to_contain_text("提交申报")
    _shot(pg, backend, "03-detail")
    pg.emulate_media(media="print")  # the print style drops the bar, filters and buttons
    expect(pg.locator(".who .logout")).to_be_hidden()
    _shot(pg, backend, "03-detail-print")
    pg.emulate_media(media="screen")

    # Another district's or a missing application: a Chinese 404 page.
    response = pg.goto(live_server.url + "/applications/987654321")
    assert response is not None and response.status == 404
    expect(pg.get_by_role("heading", level=1)).to_have_text("未找到")
    expect(pg.locator("main")).to_contain_text("申报不存在")
    _shot(pg, backend, "04-not-found")

    assert _csp_problems(pg) == []

    # Sign out (an htmx POST carrying the CSRF token from <body hx-headers>).
    pg.get_by_role("button", name="退出").click()
    expect(pg).to_have_url(live_server.url + "/login")
    expect(pg.get_by_role("heading", name="官员登录")).to_be_visible()
    pg.goto(live_server.url + "/applications")
    expect(pg).to_have_url(live_server.url + "/login?next=%2Fapplications")

    assert _csp_problems(pg) == []


def test_load_more_appends_the_next_page(live_server, backend, seeded, page):
    pg = page
    _sign_in(pg, live_server, seeded["username"])
    expect(pg).to_have_url(live_server.url + "/applications")
    # Two per page through the API's own `limit`: the button carries the filters and the cursor.
    pg.goto(live_server.url + f"/applications?program={seeded['code']}")
    rows = pg.locator("#results tbody tr:not(.more)")
    expect(rows).to_have_count(3)
    pg.evaluate("""() => {
        // Rebuild the first page with limit=2 through htmx itself, as a district with many rows sees it.
        htmx.ajax('GET', '/api/v1/applications?program=""" + seeded["code"] + """&limit=2', {target: '#results'});
    }""")
    expect(rows).to_have_count(2)
    more = pg.get_by_role("button", name="加载更多")
    expect(more).to_be_visible()
    more.click()
    expect(rows).to_have_count(3)
    expect(pg.get_by_role("button", name="加载更多")).to_have_count(0)
    assert [r.split()[0] for r in rows.all_inner_texts()] == [f"#{a['id']}" for a in reversed(seeded["apps"])]
    assert _csp_problems(pg) == []
