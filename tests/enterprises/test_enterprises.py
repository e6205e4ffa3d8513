"""The enterprise list and one enterprise's whole history: scoping (a district sees its own
enterprises, another district's is 404), search, keyset pages, and every part of the
history — applications, review decisions, payments, roster years, surveys, follow-ups."""

from datetime import date

from sqlmodel import select

from app.applications.models import Application
from app.programs.models import Program
from app.surveys.models import SurveyResponse
from tests.enterprises.conftest import enterprise_of
from tests.factories import add_roster, application_body, award_applications, new_uscc


def _submit(client, headers, code, district="650102", **enterprise) -> dict:
    r = client.post(f"/api/v1/programs/{code}/applications",
                    json=application_body(new_uscc(district), district=district, **enterprise), headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


def _names(client, headers, query: str = "") -> list[str]:
    r = client.get(f"/api/v1/enterprises{query}", headers=headers)
    assert r.status_code == 200, r.text
    return [item["name"] for item in r.json()["items"]]


def test_list_is_scoped_to_the_district_and_searches(client, heads, program):
    ts = _submit(client, heads["ts"], program, name="天山精密机械有限公司")
    _submit(client, heads["ts"], program, name="红山食品加工有限公司")
    sb = _submit(client, heads["sb"], program, "650103", name="沙区精密铸造有限公司")

    assert _names(client, heads["ts"]) == ["红山食品加工有限公司", "天山精密机械有限公司"]  # newest first
    assert _names(client, heads["d_ind"]) == ["红山食品加工有限公司", "天山精密机械有限公司"]
    assert _names(client, heads["sb"]) == ["沙区精密铸造有限公司"]
    city = _names(client, heads["c_ind"])
    assert city[:3] == ["沙区精密铸造有限公司", "红山食品加工有限公司", "天山精密机械有限公司"]
    # A district system asking for another district gets nothing of it.
    assert _names(client, heads["ts"], "?district=650103") == []
    assert _names(client, heads["auditor"], "?district=650103")[0] == "沙区精密铸造有限公司"

    # q: a substring of the name, or the beginning of the credit code (any case).
    assert _names(client, heads["c_ind"], "?q=精密")[:2] == ["沙区精密铸造有限公司", "天山精密机械有限公司"]
    assert _names(client, heads["ts"], "?q=精密") == ["天山精密机械有限公司"]
    uscc = ts["enterprise"]["uscc"]
    assert _names(client, heads["c_ind"], f"?q={uscc[:17].lower()}") == ["天山精密机械有限公司"]
    assert _names(client, heads["c_ind"], f"?q={uscc[3:10]}") == []  # the middle of a code is not a prefix
    assert _names(client, heads["c_ind"], "?q=%25") == []  # LIKE wildcards are literal text

    item = client.get(f"/api/v1/enterprises?q={sb['enterprise']['uscc']}", headers=heads["c_ind"]).json()["items"][0]
    assert item == {"uscc": sb["enterprise"]["uscc"], "name": "沙区精密铸造有限公司", "district_code": "650103",
                    "district_name": "沙依巴克区", "industry_code": "3421", "application_count": 1, "awarded_programs": []}


def test_list_pages_with_an_opaque_cursor(client, heads, program):
    made = [_submit(client, heads["ts"], program, name=f"分页测试企业{n}有限公司")["enterprise"]["uscc"] for n in range(3)]
    first = client.get("/api/v1/enterprises?limit=2&q=分页测试企业", headers=heads["ts"]).json()
    assert [i["uscc"] for i in first["items"]] == [made[2], made[1]] and first["next_cursor"]
    second = client.get(f"/api/v1/enterprises?limit=2&q=分页测试企业&cursor={first['next_cursor']}", headers=heads["ts"]).json()
    assert [i["uscc"] for i in second["items"]] == [made[0]] and second["next_cursor"] is None

    for bad in ("not-a-cursor", "WzIxNDc0ODM2NDhd"):  # garbage, and [2147483648]
        r = client.get(f"/api/v1/enterprises?cursor={bad}", headers=heads["ts"])
        assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    assert client.get("/api/v1/enterprises?limit=501", headers=heads["ts"]).status_code == 422
    assert client.get("/api/v1/enterprises?district=6501", headers=heads["ts"]).status_code == 422


def test_list_counts_applications_and_awarded_programmes(client, session, heads, program):
    [awarded_id] = award_applications(session, program, ["650102"], name="天山奖补企业有限公司")
    uscc = enterprise_of(session, awarded_id).uscc
    item = client.get(f"/api/v1/enterprises?q={uscc}", headers=heads["finance"]).json()["items"][0]
    assert item["application_count"] == 1 and item["awarded_programs"] == [program]


def test_roles_on_the_list_and_the_detail(client, heads, program):
    uscc = _submit(client, heads["ts"], program)["enterprise"]["uscc"]
    for who in ("ts", "d_ind", "d_sta", "c_ind", "c_sta", "finance", "evaluator", "auditor"):
        assert client.get("/api/v1/enterprises", headers=heads[who]).status_code == 200, who
        assert client.get(f"/api/v1/enterprises/{uscc}", headers=heads[who]).status_code == 200, who
    r = client.get("/api/v1/enterprises", headers=heads["admin"])
    assert r.status_code == 403 and r.headers["content-type"].startswith("application/problem+json")
    assert client.get(f"/api/v1/enterprises/{uscc}", headers=heads["admin"]).status_code == 403
    assert client.get("/api/v1/enterprises").status_code == 401


def test_another_districts_enterprise_is_not_found_and_a_bad_code_is_422(client, heads, program):
    uscc = _submit(client, heads["ts"], program)["enterprise"]["uscc"]
    for who in ("sb", "sb_ind"):
        r = client.get(f"/api/v1/enterprises/{uscc}", headers=heads[who])
        assert r.status_code == 404, who
        assert r.headers["content-type"].startswith("application/problem+json")
        assert uscc in r.json()["detail"]  # the same answer as for a code nobody knows
    unknown = new_uscc("650102")
    r = client.get(f"/api/v1/enterprises/{unknown}", headers=heads["c_ind"])
    assert r.status_code == 404 and r.json()["detail"] == f"企业不存在或无权查看：{unknown}。"

    r = client.get(f"/api/v1/enterprises/{uscc[:17]}X", headers=heads["c_ind"])  # wrong check character
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["status"] == 422 and "校验位" in body["detail"]
    assert body["errors"] == [{"loc": ["path", "uscc"], "msg": body["detail"], "code": "uscc_invalid"}]
    assert "18 位" in client.get("/api/v1/enterprises/12345", headers=heads["c_ind"]).json()["detail"]
    # Lower case is the same code.
    assert client.get(f"/api/v1/enterprises/{uscc.lower()}", headers=heads["c_ind"]).json()["uscc"] == uscc


def test_detail_has_the_whole_history(client, session, heads, program):
    [app_id] = award_applications(session, program, ["650102"], name="天山历史企业有限公司")
    enterprise = enterprise_of(session, app_id)
    uscc = enterprise.uscc
    add_roster(session, uscc, year=2023, revenue_fen=25_000_000_00)
    add_roster(session, uscc, year=2024, revenue_fen=30_000_000_00)
    program_id = session.exec(select(Program.id).where(Program.code == program)).one()
    session.add(SurveyResponse(program_id=program_id, enterprise_id=enterprise.id, overall="very_satisfied",
                               answers={"policy_awareness": 5, "payment_timeliness": 4}, comment="拨付很及时",
                               channel="paper", collected_on=date(2024, 10, 15), entered_by="city-ind"))
    session.commit()
    r = client.post(f"/api/v1/enterprises/{uscc}/follow-ups", headers=heads["d_ind"], json={
        "occurred_on": "2024-11-05", "kind": "financing", "needs": "扩产需要流动资金贷款", "program_code": program})
    assert r.status_code == 201, r.text

    r = client.get(f"/api/v1/enterprises/{uscc}", headers=heads["c_ind"])
    assert r.status_code == 200, r.text
    e = r.json()
    assert (e["uscc"], e["name"], e["district_code"], e["district_name"]) == (uscc, "天山历史企业有限公司", "650102", "天山区")
    assert e["bank_account"] == "************5678"  # masked outside finance
    assert e["awarded_programs"] == [program]

    [application] = e["applications"]
    assert application["id"] == app_id and application["program_code"] == program
    assert (application["status"], application["status_name"]) == ("approved", "已审定")  # the district tranche is still due
    assert application["declared_revenue"] == "35200000.00" and application["created_at"].endswith("Z")

    assert [(d["stage"], d["department"], d["decision"]) for d in e["decisions"]] == [
        ("district", "industry", "approve"), ("district", "stats", "approve"),
        ("city", "industry", "approve"), ("city", "stats", "approve")]
    assert all(d["application_id"] == app_id and d["program_code"] == program and d["opinion"] == "同意"
               for d in e["decisions"])
    assert e["decisions"][0]["reviewer"] == "district_industry-650102"

    [payment] = e["payments"]
    assert payment["application_id"] == app_id and payment["program_code"] == program
    assert (payment["level"], payment["amount"], payment["paid_on"], payment["status"], payment["returned_on"]) == (
        "city", "100000.00", "2024-08-08", "paid", None)
    assert payment["voucher_no"].startswith("GKZF-T-")

    assert e["roster"] == [
        {"year": 2023, "name": "名录企业", "district_code": "650102", "industry_code": "3421", "first_included": "2023-06",
         "main_revenue": "25000000.00", "change_pct": None},
        {"year": 2024, "name": "名录企业", "district_code": "650102", "industry_code": "3421", "first_included": "2023-06",
         "main_revenue": "30000000.00", "change_pct": 20.0},
    ]
    assert e["surveys"] == [{"program_code": program, "overall": "very_satisfied", "overall_name": "非常满意",
                             "answers": {"policy_awareness": 5, "payment_timeliness": 4}, "comment": "拨付很及时",
                             "channel": "paper", "collected_on": "2024-10-15"}]
    [follow_up] = e["follow_ups"]
    assert (follow_up["kind"], follow_up["kind_name"], follow_up["needs"], follow_up["status"], follow_up["program_code"]) == (
        "financing", "融资服务", "扩产需要流动资金贷款", "open", program)

    # Finance sees the whole account; the district of the enterprise sees it all too.
    assert client.get(f"/api/v1/enterprises/{uscc}", headers=heads["finance"]).json()["bank_account"] == "6217000012345678"
    assert client.get(f"/api/v1/enterprises/{uscc}", headers=heads["ts"]).json()["applications"][0]["id"] == app_id


def test_a_returned_payment_no_longer_counts_as_awarded(client, session, heads, program):
    [app_id] = award_applications(session, program, ["650103"])
    uscc = enterprise_of(session, app_id).uscc
    payment_id = client.get(f"/api/v1/enterprises/{uscc}", headers=heads["finance"]).json()["payments"][0]["id"]
    r = client.post(f"/api/v1/payments/{payment_id}/return", json={"returned_on": "2024-09-01", "reason": "账户有误"},
                    headers=heads["finance"])
    assert r.status_code == 200, r.text
    e = client.get(f"/api/v1/enterprises/{uscc}", headers=heads["auditor"]).json()
    assert e["awarded_programs"] == []
    assert (e["payments"][0]["status"], e["payments"][0]["returned_on"]) == ("returned", "2024-09-01")
    assert client.get(f"/api/v1/enterprises?q={uscc}", headers=heads["auditor"]).json()["items"][0]["awarded_programs"] == []


def test_an_enterprise_that_moved_district_shows_each_district_only_its_own_applications(client, session, heads, program):
    """A district-bound reader sees the applications its district submitted, as the
    application API does; the city sees both."""
    uscc = new_uscc("650103")
    first = client.post(f"/api/v1/programs/{program}/applications", headers=heads["sb"],
                        json=application_body(uscc, district="650103", ref="MOVE-1"))
    assert first.status_code == 201, first.text
    client.post(f"/api/v1/applications/{first.json()['id']}/withdraw", json={"reason": "企业迁址"},
                headers={**heads["sb"], "If-Match": '"1"'})
    second = client.post(f"/api/v1/programs/{program}/applications", headers=heads["ts"],
                         json=application_body(uscc, district="650102", ref="MOVE-2"))
    assert second.status_code == 201, second.text
    assert [a["id"] for a in client.get(f"/api/v1/enterprises/{uscc}", headers=heads["ts"]).json()["applications"]] == [
        second.json()["id"]]
    assert client.get(f"/api/v1/enterprises/{uscc}", headers=heads["sb"]).status_code == 404  # it is 天山区's now
    city = client.get(f"/api/v1/enterprises/{uscc}", headers=heads["c_ind"]).json()
    assert [a["id"] for a in city["applications"]] == [first.json()["id"], second.json()["id"]]
    assert session.get(Application, first.json()["id"]).status == "withdrawn"
