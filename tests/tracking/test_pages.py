"""The 保规跟踪 page without a browser: signed in as an official, the rate, the per-district
table and a dropout with its revenue trend in 万元; the API route's HTMX face is the same
template's block."""

import re

from tests.factories import make_program

TS, SB = "650102", "650103"
HX = {"HX-Request": "true"}


def _sign_in(client, user_for, role: str, district: str | None = None) -> None:
    username, password = user_for(role, district)
    r = client.post("/login", data={"username": username, "password": password, "next": "/"}, follow_redirects=False)
    assert r.status_code == 303


def _csp_clean(html: str) -> bool:
    return " style=" not in html and not re.search(r"\son[a-z]+=", html) and not re.search(
        r"<script(?![^>]*\bsrc=)[^>]*>", html)


def _cohort(awarded, roster) -> dict:
    """7 awarded over two districts, 5 of them in the 2024 roster (71.43 %)."""
    ts = awarded(TS, TS, TS)
    [gone] = awarded(TS, name="新疆甲机械制造有限公司", revenue="41000000.00")
    sb = awarded(SB, SB)
    [sb_gone] = awarded(SB)
    roster(2022, {gone: TS}, revenue_fen=18_000_000_00)
    roster(2023, {gone: TS}, revenue_fen=40_500_000_00)
    roster(2024, {u: TS for u in ts} | {u: SB for u in sb})
    return {"gone": gone, "sb_gone": sb_gone}


def test_page_shows_rate_districts_and_dropout_trend(client, user_for, program, awarded, roster):
    cohort = _cohort(awarded, roster)
    _sign_in(client, user_for, "city_industry")
    r = client.get(f"/programs/{program}/retention")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "HX-Request" in r.headers["vary"]
    html = r.text
    assert f"保规跟踪 · {program}" in html
    assert "2024 年规上工业企业名录" in html
    assert '<span class="rate-value">71.43%</span>' in html
    # per district: 天山区 3 of 4, 沙依巴克区 2 of 3
    ts_row = html.split(f'<tr data-district="{TS}">', 1)[1].split("</tr>", 1)[0]
    assert "天山区" in ts_row and "75.00%" in ts_row
    sb_row = html.split(f'<tr data-district="{SB}">', 1)[1].split("</tr>", 1)[0]
    assert "沙依巴克区" in sb_row and "66.67%" in sb_row
    # the dropout, its declared revenue and its roster revenue by year in 万元, rising into 2023
    row = html.split(f'<tr data-uscc="{cohort["gone"]}">', 1)[1].split("</tr>", 1)[0]
    assert "新疆甲机械制造有限公司" in row and "4,100.00" in row
    assert re.search(r"2022年</span>\s*1,800.00</li>", row)
    assert re.search(r"2023年</span>\s*4,050.00<span class=\"arrow\" title=\"较上年增加\">↑</span>", row)
    assert "2024年</span> 未在名录" in row
    assert f'<tr data-uscc="{cohort["sb_gone"]}">' in html
    assert '<form id="retention-filter"' in html  # a city-level official may pick a district
    assert _csp_clean(html)


def test_district_official_page_is_own_district_only(client, user_for, program, awarded, roster):
    cohort = _cohort(awarded, roster)
    _sign_in(client, user_for, "district_stats", SB)
    html = client.get(f"/programs/{program}/retention?district={TS}").text  # the address cannot widen it
    assert '<span class="rate-value">66.67%</span>' in html
    assert f'<tr data-uscc="{cohort["sb_gone"]}">' in html
    assert "新疆甲机械制造有限公司" not in html and f'data-district="{TS}"' not in html
    assert 'id="retention-filter"' not in html


def test_pending_district_and_no_later_year_are_said_in_chinese(client, session, user_for, program, awarded, roster):
    [ts] = awarded(TS)
    awarded(SB)
    roster(2024, {ts: TS})
    _sign_in(client, user_for, "auditor")
    html = client.get(f"/programs/{program}/retention").text
    assert "待导入 · 沙依巴克区" in html and "尚未导入 2024 年规上工业企业名录" in html
    assert '<span class="rate-value">100.00%</span>' in html

    make_program(session, "TR-2024", cohort_year=2024)  # the roster goes up to 2024 only
    session.commit()
    html = client.get("/programs/TR-2024/retention").text
    assert "暂无以后年度的名录" in html and "尚未导入 2025 年及以后年度" in html


def test_filter_form_gets_the_fragment_and_keeps_the_page_address(client, user_for, program, awarded, roster):
    _cohort(awarded, roster)
    _sign_in(client, user_for, "city_stats")
    r = client.get(f"/api/v1/programs/{program}/retention", params={"district": SB},
                   headers={**HX, "HX-Trigger": "retention-filter"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "<html" not in r.text and '<span class="rate-value">66.67%</span>' in r.text
    assert "新疆甲机械制造有限公司" not in r.text
    assert r.headers["HX-Push-Url"] == f"/programs/{program}/retention?district={SB}"
    assert "HX-Request" in r.headers["vary"]
    # the same route without HTMX: JSON
    r = client.get(f"/api/v1/programs/{program}/retention", params={"district": SB})
    assert r.headers["content-type"].startswith("application/json") and r.json()["years"][0]["rate"] == 66.67


def test_retention_index_goes_to_the_newest_programme(client, session, user_for, program):
    make_program(session, "TR-NEWEST")
    session.commit()
    assert client.get("/retention", follow_redirects=False).headers["location"].startswith("/login?next=")
    _sign_in(client, user_for, "evaluator")
    r = client.get("/retention", follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, "/programs/TR-NEWEST/retention")


def test_page_refuses_other_roles_and_unknown_programmes(client, user_for, program):
    r = client.get(f"/programs/{program}/retention", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    _sign_in(client, user_for, "admin")
    r = client.get(f"/programs/{program}/retention")
    assert r.status_code == 403 and "当前角色无权查看保规跟踪" in r.text
    client.cookies.clear()
    _sign_in(client, user_for, "city_industry")
    r = client.get("/programs/NO-SUCH/retention")
    assert r.status_code == 404 and "项目不存在：NO-SUCH" in r.text
