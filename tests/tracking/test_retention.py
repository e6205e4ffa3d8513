"""保规率 over constructed rosters: which awarded enterprises are still in later years' 规上
roster, per year and per district, the dropouts with their revenue, pending districts, and
who may read it (GET /api/v1/programs/{code}/retention)."""

import pytest
from sqlalchemy import event

from app.programs.service import get_program
from app.core.numbers import percent as rate
from app.tracking.service import retention
from tests.factories import approve_applications
from tests.tracking.conftest import payment_of, usccs

TS, SB, XS = "650102", "650103", "650104"  # 天山区, 沙依巴克区, 新市区


def _get(client, headers, code: str, **params):
    return client.get(f"/api/v1/programs/{code}/retention", headers=headers, params=params)


def test_rate_is_half_up_to_two_places():
    assert rate(38, 41) == 92.68
    assert rate(5, 7) == 71.43
    assert rate(2, 3) == 66.67
    assert rate(1, 800) == 0.13  # 0.125: half-up, not half-to-even
    assert rate(41, 41) == 100.0
    assert rate(0, 3) == 0.0
    assert rate(0, 0) is None


def test_rate_per_year_and_district_with_dropouts_and_their_revenue(client, token_for, program, awarded, roster):
    ts = awarded(TS, TS, TS)
    [ts_gone] = awarded(TS, name="新疆甲机械制造有限公司", revenue="41000000.00")
    sb = awarded(SB, SB)
    [sb_gone] = awarded(SB, name="乌鲁木齐乙食品有限公司")
    roster(2022, {ts_gone: TS}, revenue_fen=18_000_000_00)  # before the cohort year: in the trend, not a year
    roster(2023, {u: TS for u in ts} | {u: SB for u in sb} | {sb_gone: SB}, revenue_fen=25_000_000_00)
    roster(2023, {ts_gone: TS}, revenue_fen=40_500_000_00)
    roster(2024, {u: TS for u in ts} | {u: SB for u in sb})

    r = _get(client, token_for("city_industry"), program)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["program"] == {"code": program, "title": f"{program} 测试项目", "cohort_year": 2023}
    assert body["district"] is None and body["awarded"] == 7
    assert [y["year"] for y in body["years"]] == [2024]
    [year] = body["years"]
    assert {k: year[k] for k in ("awarded", "retained", "dropped", "rate", "rate_note", "pending_districts")} == {
        "awarded": 7, "retained": 5, "dropped": 2, "rate": 71.43, "rate_note": None, "pending_districts": []}
    assert year["districts"] == [
        {"code": TS, "name": "天山区", "awarded": 4, "retained": 3, "dropped": 1, "rate": 75.0, "rate_note": None},
        {"code": SB, "name": "沙依巴克区", "awarded": 3, "retained": 2, "dropped": 1, "rate": 66.67, "rate_note": None},
    ]
    assert year["dropouts"] == [
        {"uscc": ts_gone, "name": "新疆甲机械制造有限公司", "district_code": TS, "district_name": "天山区",
         "declared_revenue": "41000000.00",
         "revenues": [{"year": 2022, "main_revenue": "18000000.00"}, {"year": 2023, "main_revenue": "40500000.00"}]},
        {"uscc": sb_gone, "name": "乌鲁木齐乙食品有限公司", "district_code": SB, "district_name": "沙依巴克区",
         "declared_revenue": "35200000.00", "revenues": [{"year": 2023, "main_revenue": "25000000.00"}]},
    ]
    assert "保规率" in body["note"]
    assert '"rate":71.43' in r.text  # a JSON number, not a string


def test_returned_payment_and_unpaid_approval_are_not_awarded(client, session, token_for, program, awarded, roster):
    kept, gone, returned = awarded(TS, TS, TS)
    [unpaid] = usccs(session, approve_applications(session, program, [TS]))
    payment = payment_of(session, returned)
    r = client.post(f"/api/v1/payments/{payment.id}/return", json={"returned_on": "2024-08-20", "reason": "账户信息有误"},
                    headers=token_for("finance"))
    assert r.status_code == 200, r.text
    # Both would be "retained" if they were wrongly counted as awarded.
    roster(2024, {kept: TS, returned: TS, unpaid: TS})

    body = _get(client, token_for("auditor"), program).json()
    assert body["awarded"] == 2
    [year] = body["years"]
    assert (year["awarded"], year["retained"], year["dropped"], year["rate"]) == (2, 1, 1, 50.0)
    assert [d["uscc"] for d in year["dropouts"]] == [gone]


def test_district_without_rows_in_the_year_is_pending_not_dropped(client, token_for, program, awarded, roster):
    ts_kept, ts_gone = awarded(TS, TS)
    sb = awarded(SB, SB, SB)
    roster(2023, {ts_kept: TS, ts_gone: TS} | {u: SB for u in sb})
    roster(2024, {ts_kept: TS})  # 沙依巴克区 has not imported 2024 at all

    [year] = _get(client, token_for("city_stats"), program).json()["years"]
    assert (year["awarded"], year["retained"], year["dropped"], year["rate"]) == (2, 1, 1, 50.0)
    assert [d["code"] for d in year["districts"]] == [TS]
    [pending] = year["pending_districts"]
    assert (pending["code"], pending["name"], pending["awarded"]) == (SB, "沙依巴克区", 3)
    assert "沙依巴克区" in pending["note"] and "尚未导入 2024 年" in pending["note"] and "不计为退出" in pending["note"]
    assert [d["uscc"] for d in year["dropouts"]] == [ts_gone]


def test_one_row_of_a_district_makes_it_imported(client, token_for, program, awarded, roster):
    """The district has imported the year (an enterprise that is not awarded): its awarded
    enterprises missing from the year are dropouts now."""
    [ts] = awarded(TS)
    sb = awarded(SB, SB)
    stranger = "91650103MA00000001"
    roster(2024, {ts: TS, stranger: SB})

    [year] = _get(client, token_for("city_stats"), program).json()["years"]
    assert year["pending_districts"] == []
    assert (year["awarded"], year["retained"], year["rate"]) == (3, 1, 33.33)
    assert sorted(d["uscc"] for d in year["dropouts"]) == sorted(sb)


def test_every_district_pending_gives_no_rate_but_a_reason(client, token_for, program, awarded, roster):
    awarded(TS)
    roster(2024, {"91650104MA00000002": XS})  # only 新市区, where nothing was awarded, imported 2024

    [year] = _get(client, token_for("evaluator"), program).json()["years"]
    assert (year["awarded"], year["retained"], year["dropped"], year["rate"]) == (0, 0, 0, None)
    assert "尚未导入 2024 年" in year["rate_note"]
    assert [p["code"] for p in year["pending_districts"]] == [TS]
    assert year["districts"] == [] and year["dropouts"] == []


def test_no_later_roster_year_gives_no_years_and_a_note(client, token_for, program, awarded, roster):
    [ts] = awarded(TS)
    roster(2022, {"91650102MA00000003": TS})
    roster(2023, {ts: TS})

    body = _get(client, token_for("finance"), program).json()
    assert body["awarded"] == 1 and body["years"] == []
    assert "尚未导入 2024 年及以后年度的规上工业企业名录" in body["note"]


def test_no_awarded_enterprise_gives_null_rate_with_reason(client, session, token_for, program, roster):
    approve_applications(session, program, [TS])  # approved, never paid
    roster(2024, {"91650102MA00000004": TS})

    body = _get(client, token_for("city_industry"), program).json()
    assert body["awarded"] == 0 and "尚无获奖补企业" in body["note"]
    [year] = body["years"]
    assert (year["awarded"], year["rate"]) == (0, None)
    assert "尚无获奖补企业" in year["rate_note"]


def test_several_later_years_each_computed(client, token_for, program, awarded, roster):
    a, b, c, d = awarded(TS, TS, TS, TS)
    roster(2023, {a: TS, b: TS, c: TS, d: TS}, revenue_fen=30_000_000_00)
    roster(2024, {a: TS, b: TS, c: TS}, revenue_fen=26_000_000_00)  # d gone in 2024
    roster(2025, {a: TS, b: TS, d: TS}, revenue_fen=19_000_000_00)  # c gone in 2025, d back

    years = _get(client, token_for("district_stats", TS), program).json()["years"]
    assert [(y["year"], y["awarded"], y["retained"], y["dropped"], y["rate"]) for y in years] == [
        (2024, 4, 3, 1, 75.0), (2025, 4, 3, 1, 75.0)]
    assert [dr["uscc"] for dr in years[0]["dropouts"]] == [d]
    assert [dr["uscc"] for dr in years[1]["dropouts"]] == [c]
    assert years[1]["dropouts"][0]["revenues"] == [{"year": 2023, "main_revenue": "30000000.00"},
                                                   {"year": 2024, "main_revenue": "26000000.00"}]
    # d's trend shows its return in 2025 too: every roster year of the enterprise.
    assert [p["year"] for p in years[0]["dropouts"][0]["revenues"]] == [2023, 2025]


def test_district_bound_official_sees_only_own_district(client, token_for, program, awarded, roster):
    ts_kept, ts_gone = awarded(TS, TS)
    sb_kept, sb_gone, sb_gone2 = awarded(SB, SB, SB)
    roster(2024, {ts_kept: TS, sb_kept: SB})

    own = _get(client, token_for("district_industry", TS), program)
    assert own.status_code == 200
    body = own.json()
    assert body["district"] == {"code": TS, "name": "天山区"} and body["awarded"] == 2
    [year] = body["years"]
    assert (year["awarded"], year["retained"], year["rate"]) == (2, 1, 50.0)
    assert [d["code"] for d in year["districts"]] == [TS]
    assert [d["uscc"] for d in year["dropouts"]] == [ts_gone]

    other = _get(client, token_for("district_industry", TS), program, district=SB)
    assert other.status_code == 403 and other.headers["content-type"].startswith("application/problem+json")
    assert "本区县" in other.json()["detail"]

    # A city-level official may ask for one district; the totals are that district's.
    city = _get(client, token_for("city_industry"), program, district=SB).json()
    assert city["district"] == {"code": SB, "name": "沙依巴克区"} and city["awarded"] == 3
    assert (city["years"][0]["retained"], city["years"][0]["rate"]) == (1, 33.33)
    assert sorted(d["uscc"] for d in city["years"][0]["dropouts"]) == sorted([sb_gone, sb_gone2])
    whole = _get(client, token_for("city_industry"), program).json()
    assert (whole["awarded"], whole["years"][0]["rate"]) == (5, 40.0)


def test_unknown_district_filter_is_422(client, token_for, program):
    r = _get(client, token_for("city_industry"), program, district="650199")
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["errors"][0]["loc"] == ["query", "district"]
    assert _get(client, token_for("city_industry"), program, district="abc").status_code == 422


ROLES = [("district_system", TS), ("district_industry", TS), ("district_stats", TS), ("city_industry", None),
         ("city_stats", None), ("finance", None), ("finance", TS), ("evaluator", None), ("auditor", None),
         ("admin", None)]
READERS = {"district_industry", "district_stats", "city_industry", "city_stats", "finance", "evaluator", "auditor"}


@pytest.mark.parametrize("role,district", ROLES)
def test_who_may_read(client, token_for, program, awarded, roster, role, district):
    [ts] = awarded(TS)
    [sb] = awarded(SB)
    roster(2024, {ts: TS, sb: SB})
    r = _get(client, token_for(role, district), program)
    if role not in READERS:
        assert r.status_code == 403 and r.headers["content-type"].startswith("application/problem+json")
        return
    assert r.status_code == 200, r.text
    assert r.json()["awarded"] == (1 if district else 2)


def test_no_credentials_is_401(client, program):
    r = client.get(f"/api/v1/programs/{program}/retention")
    assert r.status_code == 401 and r.headers["content-type"].startswith("application/problem+json")


def test_unknown_programme_is_404_problem(client, token_for):
    r = _get(client, token_for("auditor"), "NO-SUCH")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")
    problem = r.json()
    assert problem["status"] == 404 and "NO-SUCH" in problem["detail"]


def test_documented_in_openapi(client):
    operation = client.get("/openapi.json").json()["paths"]["/api/v1/programs/{code}/retention"]["get"]
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/Retention"}
    for status in ("401", "403", "404", "422"):
        assert "application/problem+json" in operation["responses"][status]["content"], status
    assert [p["name"] for p in operation["parameters"]] == ["code", "district"]


def test_statement_count_does_not_grow_with_the_cohort(session, program, awarded, roster):
    """No query per enterprise or per year: counts come from GROUP BY,
    only the dropouts are fetched as rows (and their revenue in one query)."""
    statements: list[str] = []

    def count(*args) -> None:
        statements.append(args[2])

    small = awarded(TS, SB)
    roster(2024, {small[0]: TS, small[1]: SB})
    engine = session.get_bind().engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        program_row = get_program(session, program)
        session.expire_all()
        assert program_row.cohort_year == 2023  # reloaded (and the savepoint begun) before counting
        before = len(statements)
        retention(session, program_row)
        few = len(statements) - before
        many = awarded(*[TS] * 6, *[SB] * 6)
        roster(2024, {u: TS for u in many[:3]} | {u: SB for u in many[6:9]})
        roster(2025, {u: TS for u in many[:6]} | {u: SB for u in many[6:]})
        session.expire_all()
        assert program_row.cohort_year == 2023  # reloaded (and the savepoint begun) before counting
        before = len(statements)
        result = retention(session, program_row)
        more = len(statements) - before
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert [(y["year"], y["awarded"], y["retained"]) for y in result["years"]] == [(2024, 14, 8), (2025, 14, 12)]
    assert more <= few + 1  # + the dropouts' revenue query, which the first cohort (no dropouts) did not need
    assert not any(s.lstrip().upper().startswith("SELECT ENTERPRISE.") for s in statements[-more:])
