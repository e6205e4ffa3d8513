"""Each of the eight eligibility rules, passing and failing, as reviewers see them on the
application."""

import io
from datetime import date

import pytest
from sqlmodel import delete

from app.applications import eligibility
from app.applications.models import Application
from app.documents.models import Document
from app.enterprises.models import Enterprise
from app.funds.models import Payment
from app.programs.models import ProgramDistrict
from app.roster import service as roster
from app.users.auth import Principal
from app.users.models import Role
from tests.factories import add_roster, application_body, make_program, new_uscc


@pytest.fixture
def ts(session, token_for):
    return token_for("district_system", "650102")


def _submit(client, headers, body, code="T-2023"):
    r = client.post(f"/api/v1/programs/{code}/applications", json=body, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


def _rules(app_json) -> dict:
    return {c["rule"]: (c["outcome"], c["message"]) for c in app_json["eligibility"]}


def _reload(client, headers, app_id) -> dict:
    return _rules(client.get(f"/api/v1/applications/{app_id}", headers=headers).json())


def test_all_rules_pass_with_roster_and_documents(client, session, ts):
    make_program(session)
    uscc = new_uscc()
    add_roster(session, uscc, revenue_fen=35_200_000_00)
    a = _submit(client, ts, application_body(uscc))
    for kind in eligibility.REQUIRED_DOCUMENTS:
        session.add(Document(application_id=a["id"], kind=kind, filename=f"{kind}.pdf", content_type="application/pdf",
                             size=10, sha256="0" * 64, storage_key=f"k-{a['id']}-{kind}", uploaded_by="t"))
    eligibility.recompute(session, session.get(Application, a["id"]))
    rules = _reload(client, ts, a["id"])
    assert {r: o for r, (o, _m) in rules.items()} == {r: "pass" for r in eligibility.RULES}
    assert rules["revenue_threshold"][1] == "统计名录 2023 年主营业务收入 3,520.00 万元达到门槛 2,000.00 万元"


def test_uscc_valid_fails_for_a_stored_bad_code(client, session, ts):
    make_program(session)
    a = _submit(client, ts, application_body())
    ent = session.get(Enterprise, session.get(Application, a["id"]).enterprise_id)
    ent.uscc = ent.uscc[:17] + ("0" if ent.uscc[17] != "0" else "1")
    session.add(ent)
    outcomes = {o.rule: o for o in eligibility.evaluate(session, session.get(Application, a["id"]))}
    assert outcomes["uscc_valid"].outcome == "fail" and "校验位" in outcomes["uscc_valid"].message


def test_district_in_city(client, session, ts, token_for):
    program = make_program(session)
    session.exec(delete(ProgramDistrict).where(ProgramDistrict.program_id == program.id, ProgramDistrict.district_code == "650103"))
    ok = _submit(client, ts, application_body())
    out = _submit(client, token_for("district_system", "650103", name="sb"), application_body(district="650103"))
    assert _rules(ok)["district_in_city"][0] == "pass"
    assert _rules(out)["district_in_city"] == ("fail", "企业所在区县 650103 不在本项目范围内")


def test_industrial(client, session, ts):
    make_program(session)
    assert _rules(_submit(client, ts, application_body(industry="3421")))["industrial"][0] == "pass"
    assert _rules(_submit(client, ts, application_body(industry="0610")))["industrial"][0] == "pass"  # mining
    retail = _rules(_submit(client, ts, application_body(industry="5211")))["industrial"]
    assert retail[0] == "fail" and "5211" in retail[1]


def test_revenue_threshold_roster_and_declared(client, session, ts):
    make_program(session)
    low, high = new_uscc(), new_uscc()
    add_roster(session, low, revenue_fen=19_999_999_99)
    add_roster(session, high, revenue_fen=20_000_000_00)
    assert _rules(_submit(client, ts, application_body(low)))["revenue_threshold"][0] == "fail"
    assert _rules(_submit(client, ts, application_body(high, revenue="1.00")))["revenue_threshold"][0] == "pass"  # roster wins
    declared_ok = _rules(_submit(client, ts, application_body(revenue="25000000.00")))["revenue_threshold"]
    assert declared_ok[0] == "warn" and "申报收入" in declared_ok[1]
    declared_low = _rules(_submit(client, ts, application_body(revenue="1500000.00")))["revenue_threshold"]
    assert declared_low[0] == "fail"


def test_first_time_above_scale(client, session, ts):
    make_program(session)
    no_roster = _rules(_submit(client, ts, application_body()))["first_time_above_scale"]
    assert no_roster[0] == "warn" and "尚未导入" in no_roster[1]
    first, veteran, late, absent = new_uscc(), new_uscc(), new_uscc(), new_uscc()
    add_roster(session, first, first_included="2023-04")
    add_roster(session, veteran, year=2021, first_included="2021-02")
    add_roster(session, veteran, year=2023, first_included="2021-02")
    add_roster(session, late, first_included="2022-11")
    assert _rules(_submit(client, ts, application_body(first)))["first_time_above_scale"][0] == "pass"
    v = _rules(_submit(client, ts, application_body(veteran)))["first_time_above_scale"]
    assert v[0] == "fail" and "2021" in v[1]
    assert _rules(_submit(client, ts, application_body(late)))["first_time_above_scale"][0] == "fail"
    missing = _rules(_submit(client, ts, application_body(absent)))["first_time_above_scale"]
    assert missing[0] == "fail" and "不在 2023 年" in missing[1]


def test_roster_import_recomputes_live_applications(client, session, ts):
    make_program(session)
    uscc = new_uscc()
    a = _submit(client, ts, application_body(uscc))
    assert _rules(a)["first_time_above_scale"][0] == "warn"
    csv_text = ("uscc,name,district_code,industry_code,year,first_included,main_revenue\n"
                f"{uscc},名录企业,650102,3421,2023,2023-05,36000000\n")
    stats = Principal(name="city_stats", role=Role.city_stats, district_code=None, via="token")
    roster.import_roster(session, filename="r.csv", fileobj=io.BytesIO(csv_text.encode()), principal=stats)
    rules = _reload(client, ts, a["id"])
    assert rules["first_time_above_scale"][0] == "pass" and rules["revenue_threshold"][0] == "pass"


def _import(session, rows: list[str]) -> None:
    csv_text = "uscc,name,district_code,industry_code,year,first_included,main_revenue\n" + "".join(r + "\n" for r in rows)
    stats = Principal(name="city_stats", role=Role.city_stats, district_code=None, via="token")
    roster.import_roster(session, filename="r.csv", fileobj=io.BytesIO(csv_text.encode()), principal=stats)


def test_first_roster_of_the_cohort_year_rechecks_enterprises_not_on_it(client, session, ts):
    make_program(session)
    absent = _submit(client, ts, application_body())
    assert _rules(absent)["first_time_above_scale"][0] == "warn"
    _import(session, [f"{new_uscc()},别的企业,650102,3421,2023,2023-05,36000000"])
    rule = _reload(client, ts, absent["id"])["first_time_above_scale"]
    assert rule == ("fail", "企业不在 2023 年规上工业企业名录中")


def test_an_earlier_years_roster_rechecks_a_later_cohort(client, session, ts):
    make_program(session)
    uscc = new_uscc()
    _import(session, [f"{uscc},名录企业,650102,3421,2023,2023-05,36000000"])
    a = _submit(client, ts, application_body(uscc))
    assert _rules(a)["first_time_above_scale"][0] == "pass"
    # Next year's roster bears on no 2023 rule; last year's does.
    _import(session, [f"{uscc},名录企业,650102,3421,2024,2023-05,10000000"])
    assert _reload(client, ts, a["id"])["revenue_threshold"][0] == "pass"
    _import(session, [f"{uscc},名录企业,650102,3421,2022,2022-05,21000000"])
    rule = _reload(client, ts, a["id"])["first_time_above_scale"]
    assert rule == ("fail", "企业已在 2022 年规上名录中，不属于首次升规")


def test_documents_complete_warns_until_uploaded(client, session, ts):
    make_program(session)
    a = _submit(client, ts, application_body())
    rule = _rules(a)["documents_complete"]
    assert rule[0] == "warn" and "申请报告" in rule[1] and "财务报表" in rule[1]


def test_not_awarded_before(client, session, ts):
    earlier = make_program(session, code="T-2022", cohort_year=2022)
    make_program(session)
    uscc = new_uscc()
    old = _submit(client, ts, application_body(uscc), code="T-2022")
    session.add(Payment(application_id=old["id"], level="city", live_level="city", amount_fen=100_000_00, voucher_no="V1",
                        paid_on=date(2023, 8, 8), recorded_by="finance"))
    session.flush()
    rule = _rules(_submit(client, ts, application_body(uscc, ref="NEW-1")))["not_awarded_before"]
    assert rule[0] == "fail" and earlier.code in rule[1]
    assert _rules(_submit(client, ts, application_body()))["not_awarded_before"][0] == "pass"


def test_no_duplicate(client, session, ts):
    make_program(session)
    body = application_body()
    a = _submit(client, ts, body)
    assert _rules(a)["no_duplicate"][0] == "pass"
    # a second live application would fail the rule; the API refuses it outright (409)
    r = client.post("/api/v1/programs/T-2023/applications", json={**body, "external_ref": "DUP-2"}, headers=ts)
    assert r.status_code == 409
    twin = Application(program_id=session.get(Application, a["id"]).program_id, enterprise_id=session.get(Application, a["id"]).enterprise_id,
                       district_code="650102", external_ref="TWIN", submitted_by="t", declared_revenue_fen=1,
                       first_above_scale_period="2023-06", status="submitted", body_sha256="x")
    session.add(twin)
    session.flush()
    outcomes = {o.rule: o.outcome for o in eligibility.evaluate(session, twin)}
    assert outcomes["no_duplicate"] == "fail"
