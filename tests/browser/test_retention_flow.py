"""保规跟踪 in a real headless Chromium against a real uvicorn on a committed database: the
city industry bureau reads the 2024 rate, narrows it to one district with the filter
(htmx swaps the body and keeps the page's address), and nothing breaks the CSP.
Screenshots go to tests/artifacts/ (gitignored)."""

import uuid

import pytest

from app.users.service import create_user
from tests.browser.conftest import csp_problems, shot, sign_in
from tests.factories import add_roster, award_applications, make_program
from tests.tracking.conftest import usccs

pytestmark = [pytest.mark.browser, pytest.mark.live]

playwright_sync = pytest.importorskip("playwright.sync_api")
expect = playwright_sync.expect

PASSWORD = "Gongxin-2026!"


@pytest.fixture(scope="module")
def world(live_server):
    tag = uuid.uuid4().hex[:6].upper()
    code = f"BR-{tag}"
    username = f"city-ind-{tag.lower()}"
    with live_server.session() as s:
        make_program(s, code)
        create_user(s, username=username, role="city_industry", password=PASSWORD, display_name="李明")
        s.commit()
        ts = usccs(s, award_applications(s, code, ["650102", "650102", "650102"]))
        [gone] = usccs(s, award_applications(s, code, ["650103"], name="新疆戊建材有限公司"))
        [sb] = usccs(s, award_applications(s, code, ["650103"]))
        add_roster(s, gone, year=2023, district="650103", revenue_fen=26_000_000_00)
        for uscc in ts:
            add_roster(s, uscc, year=2024, district="650102")
        add_roster(s, sb, year=2024, district="650103")
        s.commit()
    return {"code": code, "username": username}


def test_official_reads_the_rate_and_filters_a_district(live_server, backend, world, page):
    pg = page
    code = world["code"]
    sign_in(pg, live_server, world["username"], PASSWORD)
    pg.goto(live_server.url + "/retention")
    # /retention goes to the newest programme, which may be another test's: go to ours.
    pg.goto(live_server.url + f"/programs/{code}/retention")
    expect(pg.get_by_role("heading", level=1)).to_have_text(f"保规跟踪 · {code}")
    year = pg.locator("#year-2024")
    expect(year.locator(".rate-value")).to_have_text("80.00%")
    expect(year.locator(".retention-dropouts tbody tr")).to_have_count(1)
    expect(year.locator(".retention-dropouts")).to_contain_text("新疆戊建材有限公司")
    expect(year.locator(".retention-dropouts")).to_contain_text("未在名录")
    shot(pg, backend, "tracking-01-retention")

    pg.locator("#retention-filter select[name=district]").select_option("650102")  # htmx: change → the API's fragment
    expect(pg.locator("#year-2024 .rate-value")).to_have_text("100.00%")
    expect(pg.locator(".retention-scope")).to_contain_text("天山区")
    expect(pg).to_have_url(live_server.url + f"/programs/{code}/retention?district=650102")
    expect(pg.locator("#year-2024")).to_contain_text("没有退出规上的获奖补企业")
    shot(pg, backend, "tracking-02-district")
    assert csp_problems(pg) == []
