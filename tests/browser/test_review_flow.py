"""The joint district review in a real headless Chromium: the district industry official finds
the application in 待我审核 and approves it, the district statistics official approves it too,
and the city industry official finds it in their own queue and on the dashboard under 初审通过.
Screenshots go to tests/artifacts/ (gitignored)."""

import uuid

import httpx
import pytest

from app.users.service import create_token, create_user
from tests.browser.conftest import csp_problems as _csp_problems, shot as _shot, sign_in
from tests.factories import add_roster, application_body, complete_documents, make_program, new_uscc

pytestmark = [pytest.mark.browser, pytest.mark.live]

playwright_sync = pytest.importorskip("playwright.sync_api")
expect = playwright_sync.expect

PASSWORD = "Review-2025!"


@pytest.fixture(scope="module")
def world(live_server):
    """A programme, three officials, and two applications submitted by 天山区's system through
    the real API: one with its documents (and roster rows), one still missing them."""
    tag = uuid.uuid4().hex[:6].upper()
    code = f"RV-{tag}"
    users = {
        "d_ind": (f"ts-ind-{tag.lower()}", "district_industry", "650102", "李建国"),
        "d_sta": (f"ts-sta-{tag.lower()}", "district_stats", "650102", "赵敏"),
        "c_ind": (f"city-ind-{tag.lower()}", "city_industry", None, "周海涛"),
    }
    with live_server.session() as s:
        make_program(s, code)
        for username, role, district, name in users.values():
            create_user(s, username=username, role=role, password=PASSWORD, district_code=district, display_name=name)
        _tok, raw = create_token(s, name=f"ts-system-{tag}", role="district_system", district_code="650102")
        s.commit()
    names = ["新疆天山重工机械制造有限公司", "乌鲁木齐博远包装材料有限公司"]
    apps = []
    with httpx.Client(base_url=live_server.url, headers={"Authorization": f"Bearer {raw}"}, timeout=10) as api:
        for i, name in enumerate(names):
            body = application_body(new_uscc("650102"), ref=f"TS-{tag}-{i + 1:03d}", name=name,
                                    revenue=f"{41_250_000 + i * 2_000_000}.00")
            r = api.post(f"/api/v1/programs/{code}/applications", json=body)
            assert r.status_code == 201, r.text
            apps.append(r.json())
    with live_server.session() as s:
        add_roster(s, apps[0]["enterprise"]["uscc"], year=2023, revenue_fen=41_870_000_00)
        add_roster(s, apps[0]["enterprise"]["uscc"], year=2024, revenue_fen=53_460_000_00, first_included="2023-06")
        s.commit()
        complete_documents(s, apps[0]["id"])  # recomputes eligibility with the roster, and commits
    return {"code": code, "users": users, "apps": apps, "names": names}


def _sign_in(pg, live_server, username: str) -> None:
    sign_in(pg, live_server, username, PASSWORD)


def _sign_out(pg, live_server) -> None:
    pg.get_by_role("button", name="退出").click()
    expect(pg).to_have_url(live_server.url + "/login")


def _open_from_queue(pg, live_server, code: str, name: str) -> None:
    pg.get_by_role("navigation", name="主导航").get_by_role("link", name="待我审核").click()
    expect(pg).to_have_url(live_server.url + "/queue")
    pg.locator(f'.chips a[data-program="{code}"]').click()
    expect(pg).to_have_url(live_server.url + f"/queue?program={code}")
    pg.locator("#results").get_by_role("link", name=name).click()
    expect(pg.get_by_role("heading", level=1)).to_have_text(name)


def test_district_reviews_then_the_city_queue(live_server, backend, world, page):
    pg = page
    code, apps, names, users = world["code"], world["apps"], world["names"], world["users"]
    progress = pg.locator("#review-progress")
    district_stage = progress.locator('[data-stage="district"]')
    flash = pg.locator("#flash")

    # ---- 区县工信部门: the dashboard points to 待我审核, which lists both applications.
    _sign_in(pg, live_server, users["d_ind"][0])
    expect(pg.locator(".who")).to_contain_text("李建国")
    card = pg.locator(f"#program-{code}")
    expect(card.locator('.step[data-status="submitted"] .step-count')).to_have_text("2")
    expect(card.locator('tr[data-district="650102"] td[data-status="submitted"]')).to_have_text("2")
    expect(pg.locator("#queue-callout")).to_be_visible()
    expect(pg.locator(".mainnav .nav-count")).to_be_visible()
    _shot(pg, backend, "10-dashboard-district")

    pg.get_by_role("navigation", name="主导航").get_by_role("link", name="待我审核").click()
    chip = pg.locator(f'.chips a[data-program="{code}"]')
    expect(chip.locator(".chip-count")).to_have_text("2")
    chip.click()
    rows = pg.locator("#results tbody tr")
    expect(rows).to_have_count(2)
    expect(pg.locator("#results")).to_contain_text(names[0])
    _shot(pg, backend, "11-queue-district-industry")

    # The application still missing documents: 同意 is disabled with the reason beside it.
    pg.locator("#results").get_by_role("link", name=names[1]).click()
    expect(pg.get_by_role("heading", level=1)).to_have_text(names[1])
    expect(pg.get_by_role("button", name="同意", exact=True)).to_be_disabled()
    expect(pg.locator("#approve-blocked")).to_contain_text("申报材料尚不齐全")
    expect(pg.get_by_role("button", name="退回补正")).to_be_enabled()
    _shot(pg, backend, "12-detail-documents-missing")

    # The complete one: eligibility, roster rows and documents beside the form.
    _open_from_queue(pg, live_server, code, names[0])
    expect(pg.locator("#eligibility")).to_contain_text("申报材料齐全")
    roster = pg.locator("#roster")
    expect(roster.locator("tbody tr")).to_have_count(2)
    expect(roster.locator("tbody tr").first).to_contain_text("4,187.00")
    expect(roster.locator("tbody tr").first).to_contain_text("2023-06")
    expect(roster.locator("tbody tr").first).to_contain_text("天山区")
    expect(pg.locator("#documents tbody tr")).to_have_count(3)
    expect(district_stage.locator('[data-department="industry"]')).to_contain_text("待审核")
    expect(district_stage.locator('[data-department="industry"]')).to_contain_text("本部门")
    expect(pg.locator("#review")).to_contain_text("工信部门 · 区县初审")
    _shot(pg, backend, "13-detail-review-form")

    # 退回补正 without an opinion, scrolled down to the documents: the server's Chinese 422 in
    # #flash, which stays in view above the form; nothing changes.
    pg.locator("#documents").scroll_into_view_if_needed()
    pg.get_by_role("button", name="退回补正").click()
    expect(flash).to_contain_text("不同意或退回补正时须填写审核意见")
    expect(flash).to_be_in_viewport()
    expect(pg.locator("#detail .badge.big")).to_have_text("已提交")
    pg.screenshot(path=str(_shot(pg, backend, "14-opinion-required")).replace(".png", "-viewport.png"))

    waiting = int(pg.locator(".mainnav .nav-count").inner_text())

    pg.get_by_role("textbox", name="填写审核意见").fill("申报材料齐全，经核实企业2023年首次纳入规上名录，同意推荐。")
    pg.get_by_role("button", name="同意", exact=True).click()
    expect(flash).to_contain_text("已记录您的审核意见：同意")
    expect(district_stage.locator('[data-department="industry"]')).to_contain_text("✓ 同意")
    expect(district_stage.locator('[data-department="stats"]')).to_contain_text("待审核")
    expect(pg.locator("#review-form")).to_have_count(0)
    expect(pg.locator("#seat-note")).to_contain_text("工信部门已于")
    expect(pg.locator("#reviews")).to_contain_text("同意推荐")
    expect(pg.locator("#detail .badge.big")).to_have_text("已提交")  # waiting for statistics
    expect(pg.locator(".mainnav .nav-count")).to_have_text(str(waiting - 1))  # the badge follows
    expect(flash.locator(".problem")).to_have_count(0)
    _shot(pg, backend, "15-after-industry-approval")
    assert _csp_problems(pg) == []
    _sign_out(pg, live_server)

    # ---- 区县统计局: the same application is in their queue; approving completes 初审.
    _sign_in(pg, live_server, users["d_sta"][0])
    _open_from_queue(pg, live_server, code, names[0])
    expect(district_stage.locator('[data-department="industry"]')).to_contain_text("✓ 同意")
    expect(pg.locator("#review")).to_contain_text("统计部门 · 区县初审")
    pg.get_by_role("textbox", name="填写审核意见").fill("统计名录核实：2023-06 入库，主营业务收入 4,187 万元，同意。")
    pg.get_by_role("button", name="同意", exact=True).click()
    expect(flash).to_contain_text("已记录您的审核意见：同意")
    expect(pg.locator("#detail .badge.big")).to_have_text("初审通过")
    expect(district_stage.locator(".stage-state")).to_have_text("已通过")
    expect(progress.locator('[data-stage="city"] .stage-state')).to_have_text("审核中")
    _shot(pg, backend, "16-district-approved")
    assert _csp_problems(pg) == []
    _sign_out(pg, live_server)

    # ---- 市工信局: the dashboard shows it under 初审通过; 待我审核 lists it; the form is theirs now.
    _sign_in(pg, live_server, users["c_ind"][0])
    card = pg.locator(f"#program-{code}")
    step = card.locator('.step[data-status="district_approved"]')
    expect(step.locator(".step-count")).to_have_text("1")
    expect(step.locator("a")).to_have_attribute("href", f"/applications?program={code}&status=district_approved")
    expect(card.locator('tr[data-district="650102"] td[data-status="district_approved"]')).to_have_text("1")
    expect(card.locator('.step[data-status="submitted"] .step-count')).to_have_text("1")
    _shot(pg, backend, "17-dashboard-city")

    pg.get_by_role("navigation", name="主导航").get_by_role("link", name="待我审核").click()
    pg.locator(f'.chips a[data-program="{code}"]').click()
    rows = pg.locator("#results tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(names[0])
    expect(rows.first.locator(".badge")).to_have_text("初审通过")
    _shot(pg, backend, "18-queue-city-industry")

    # The dashboard number leads to the filtered list.
    pg.get_by_role("link", name="工作台").click()
    pg.locator(f"#program-{code}").locator('.step[data-status="district_approved"] a').click()
    expect(pg).to_have_url(live_server.url + f"/applications?program={code}&status=district_approved")
    expect(pg.locator("#results tbody tr")).to_have_count(1)

    pg.get_by_role("link", name=names[0]).click()
    expect(pg.locator("#review")).to_contain_text("工信部门 · 市级复审")
    expect(pg.locator("#review-form")).to_be_visible()
    _shot(pg, backend, "19-detail-city-review")
    assert _csp_problems(pg) == []
