"""Programmes and their indicator tables, as a client sees them: status, body, rows."""

import copy
from collections import defaultdict
from decimal import Decimal

import pytest
from sqlmodel import col, select

from app.audit.models import AuditEvent
from app.evaluation.models import EvaluationSnapshot
from app.programs.models import AwardTranche, Indicator, PolicyDocument, Program, ProgramDistrict

PROBLEM = "application/problem+json"
URUMQI = ["650102", "650103", "650104", "650105", "650106", "650107", "650109", "650121"]

SEED_BODY = {
    "code": "XSG-2023",
    "title": "2023年度“小升规”专项奖补资金",
    "cohort_year": 2023,
    "budget_year": 2024,
    "revenue_threshold": "20000000.00",
    "awards": [{"level": "city", "amount": "100000.00"}, {"level": "district", "amount": "100000.00"}],
    "city_budget": "4100000.00",
    "target_enterprise_count": 41,
    "application_opens_on": "2024-03-01",
    "application_closes_on": "2024-04-30",
    "notice_working_days": 5,
    "payment_deadline": "2024-09-30",
    "template": "xsg-default",
}


def body(**changes) -> dict:
    data = copy.deepcopy(SEED_BODY)
    data.update(changes)
    return data


@pytest.fixture
def city(token_for):
    return token_for("city_industry")


@pytest.fixture
def seed_program(client, city) -> dict:
    r = client.post("/api/v1/programs", json=SEED_BODY, headers=city)
    assert r.status_code == 201, r.text
    return r.json()


def is_problem(r, status: int) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    problem = r.json()
    assert problem["status"] == status
    assert any("\u4e00" <= ch <= "\u9fff" for ch in problem["detail"]), problem["detail"]
    return problem


def indicators_body(table: dict) -> dict:
    """A GET table turned into a PUT body."""
    return {"indicators": copy.deepcopy(table["indicators"])}


# ---------------------------------------------------------------- creating


def test_create_seed_programme(client, city, session):
    r = client.post("/api/v1/programs", json=SEED_BODY, headers=city)
    assert r.status_code == 201, r.text
    assert r.headers["etag"] == '"1"'
    assert r.headers["location"] == "/api/v1/programs/XSG-2023"
    p = r.json()
    assert p["code"] == "XSG-2023"
    assert p["title"] == "2023年度“小升规”专项奖补资金"
    assert (p["cohort_year"], p["budget_year"]) == (2023, 2024)
    assert p["revenue_threshold"] == "20000000.00"
    assert p["city_budget"] == "4100000.00"
    assert p["awards"] == [
        {"level": "city", "amount": "100000.00", "required_roster_year": None},
        {"level": "district", "amount": "100000.00", "required_roster_year": None},
    ]
    assert p["target_enterprise_count"] == 41
    assert p["application_opens_on"] == "2024-03-01" and p["application_closes_on"] == "2024-04-30"
    assert p["notice_working_days"] == 5 and p["payment_deadline"] == "2024-09-30"
    assert p["template"] == "xsg-default" and p["status"] == "open" and p["version"] == 1
    assert p["district_codes"] == URUMQI  # default: every district of the city
    assert p["policy_documents"] == []
    assert p["grade_bands"] == [
        {"grade": "优", "min_score": 90},
        {"grade": "良", "min_score": 80},
        {"grade": "中", "min_score": 70},
        {"grade": "差", "min_score": 0},
    ]
    assert p["created_at"].endswith("Z")

    program = session.exec(select(Program).where(Program.code == "XSG-2023")).one()
    assert program.revenue_threshold_fen == 2_000_000_000 and program.city_budget_fen == 410_000_000
    assert program.grade_bands == [["优", 90], ["良", 80], ["中", 70], ["差", 0]]
    tranches = session.exec(select(AwardTranche).where(AwardTranche.program_id == program.id)).all()
    assert sorted((t.level, t.amount_fen) for t in tranches) == [("city", 10_000_000), ("district", 10_000_000)]
    districts = session.exec(select(ProgramDistrict.district_code).where(ProgramDistrict.program_id == program.id)).all()
    assert sorted(districts) == URUMQI

    event = session.exec(select(AuditEvent).where(AuditEvent.action == "program.create")).one()
    assert event.entity_type == "program" and event.entity_id == "XSG-2023"
    assert event.actor == "city_industry-city" and event.role == "city_industry"
    assert event.after["revenue_threshold"] == "20000000.00"


def test_create_with_districts_tranche_year_and_policy_documents(client, token_for, session):
    data = body(
        code="XSG-2024",
        awards=[{"level": "city", "amount": "50000.00"}, {"level": "district", "amount": "50000.00", "required_roster_year": 2025}],
        district_codes=["650104", "650102"],
        policy_documents=[
            {"document_no": "乌工信运行〔2024〕10号", "title": "乌鲁木齐市工业企业“小升规”专项资金管理办法", "issued_on": "2024-03-15"}
        ],
    )
    r = client.post("/api/v1/programs", json=data, headers=token_for("admin"))
    assert r.status_code == 201, r.text
    p = r.json()
    assert p["district_codes"] == ["650102", "650104"]
    assert p["awards"][1] == {"level": "district", "amount": "50000.00", "required_roster_year": 2025}
    assert p["policy_documents"] == [
        {"document_no": "乌工信运行〔2024〕10号", "title": "乌鲁木齐市工业企业“小升规”专项资金管理办法", "issued_on": "2024-03-15"}
    ]
    program = session.exec(select(Program).where(Program.code == "XSG-2024")).one()
    assert session.exec(select(PolicyDocument).where(PolicyDocument.program_id == program.id)).one().document_no == "乌工信运行〔2024〕10号"
    award = session.exec(select(Indicator).where(Indicator.program_id == program.id, Indicator.key == "award_per_enterprise")).one()
    assert award.target_value == Decimal(5)  # 50000 yuan = 5 万元


def test_duplicate_code_is_409(client, city, seed_program, session):
    r = client.post("/api/v1/programs", json=body(title="另一个"), headers=city)
    problem = is_problem(r, 409)
    assert "XSG-2023" in problem["detail"]
    assert len(session.exec(select(Program).where(Program.code == "XSG-2023")).all()) == 1


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"revenue_threshold": "10万"}, "revenue_threshold", "金额"),
        ({"city_budget": 4100000}, "city_budget", "金额"),
        ({"awards": []}, "awards", "至少需要设置一个奖补档次"),
        ({"awards": [{"level": "city", "amount": "1.00"}, {"level": "city", "amount": "2.00"}]}, "awards", "不能重复"),
        ({"awards": [{"level": "province", "amount": "1.00"}]}, "level", None),
        ({"awards": [{"level": "city", "amount": "0.00"}]}, "amount", "大于 0"),
        ({"application_opens_on": "2024-05-01"}, "application_closes_on", "不能晚于"),
        ({"payment_deadline": "2024-04-01"}, "payment_deadline", "不能早于"),
        ({"budget_year": 2022}, "budget_year", "不能早于"),
        ({"template": "unknown"}, "template", "未知的指标表模板"),
        ({"code": "XSG 2023!"}, "code", "项目编号"),
        ({"code": "X" * 33}, "code", "项目编号"),
        ({"target_enterprise_count": 0}, "target_enterprise_count", None),
        ({"notice_working_days": 61}, "notice_working_days", None),
        ({"application_closes_on": "2024-13-01"}, "application_closes_on", None),
        ({"district_codes": ["65010X"]}, "district_codes", "6 位数字"),
        ({"surprise": 1}, "surprise", None),
    ],
)
def test_bad_bodies_are_422_in_chinese(client, city, session, changes, field, words):
    r = client.post("/api/v1/programs", json=body(**changes), headers=city)
    problem = is_problem(r, 422)
    assert problem["errors"], problem
    assert any(field in [str(x) for x in e["loc"]] for e in problem["errors"]), problem["errors"]
    for e in problem["errors"]:
        assert any("\u4e00" <= ch <= "\u9fff" for ch in e["msg"]), e
    if words:
        assert any(words in e["msg"] for e in problem["errors"]), problem["errors"]
    assert session.exec(select(Program)).all() == []


def test_missing_field_and_bad_json(client, city):
    data = body()
    del data["title"]
    problem = is_problem(client.post("/api/v1/programs", json=data, headers=city), 422)
    assert problem["errors"][0]["loc"] == ["body", "title"] and problem["errors"][0]["msg"] == "缺少必填字段"
    r = client.post("/api/v1/programs", content=b"{not json", headers={**city, "Content-Type": "application/json"})
    is_problem(r, 422)


def test_unknown_district_is_422(client, city, session):
    problem = is_problem(client.post("/api/v1/programs", json=body(district_codes=["650102", "659999"]), headers=city), 422)
    assert "659999" in problem["detail"]
    assert session.exec(select(Program)).all() == []


@pytest.mark.parametrize(("role", "district"), [("district_system", "650102"), ("auditor", None), ("evaluator", None), ("finance", None)])
def test_other_roles_cannot_create(client, token_for, session, role, district):
    r = client.post("/api/v1/programs", json=SEED_BODY, headers=token_for(role, district))
    is_problem(r, 403)
    assert session.exec(select(Program)).all() == []


def test_unauthenticated_is_401(client):
    r = client.post("/api/v1/programs", json=SEED_BODY)
    assert is_problem(r, 401)
    assert r.headers["www-authenticate"].startswith("Bearer")
    is_problem(client.get("/api/v1/programs"), 401)
    is_problem(client.get("/api/v1/programs/XSG-2023/indicators"), 401)


# ---------------------------------------------------------------- reading


def test_get_and_list(client, token_for, seed_program):
    reader = token_for("district_system", "650103")
    r = client.get("/api/v1/programs/XSG-2023", headers=reader)
    assert r.status_code == 200 and r.json() == seed_program
    assert r.headers["etag"] == '"1"'

    second = client.post("/api/v1/programs", json=body(code="XSG-2024", cohort_year=2024, budget_year=2025), headers=token_for("admin"))
    assert second.status_code == 201
    r = client.get("/api/v1/programs", headers=reader)
    assert r.status_code == 200
    assert [p["code"] for p in r.json()["items"]] == ["XSG-2024", "XSG-2023"]
    assert r.json()["next_cursor"] is None

    first_page = client.get("/api/v1/programs?limit=1", headers=reader).json()
    assert [p["code"] for p in first_page["items"]] == ["XSG-2024"] and first_page["next_cursor"]
    next_page = client.get(f"/api/v1/programs?limit=1&cursor={first_page['next_cursor']}", headers=reader).json()
    assert [p["code"] for p in next_page["items"]] == ["XSG-2023"] and next_page["next_cursor"] is None


def test_unknown_code_is_404(client, token_for):
    problem = is_problem(client.get("/api/v1/programs/NOPE-1", headers=token_for("auditor")), 404)
    assert "NOPE-1" in problem["detail"]
    is_problem(client.get("/api/v1/programs/NOPE-1/indicators", headers=token_for("evaluator")), 404)


# ---------------------------------------------------------------- indicator table


def test_copied_indicator_table(client, token_for, seed_program, session):
    r = client.get("/api/v1/programs/XSG-2023/indicators", headers=token_for("evaluator"))
    assert r.status_code == 200
    table = r.json()
    assert table["program_code"] == "XSG-2023" and table["version"] == 1 and table["template"] == "xsg-default"
    rows = table["indicators"]
    assert len(rows) == 18
    assert len({row["key"] for row in rows}) == 18
    assert sum(row["weight"] for row in rows) == 100
    subtotal: dict[str, int] = defaultdict(int)
    for row in rows:
        subtotal[row["level1"]] += row["weight"]
    assert dict(subtotal) == {"决策": 20, "过程": 20, "产出": 50, "效益": 5, "满意度": 5}
    assert [row["level1"] for row in rows][:1] == ["决策"] and rows[-1]["key"] == "beneficiary_satisfaction"

    by_key = {row["key"]: row for row in rows}
    assert by_key["awarded_enterprise_count"]["target"] == {"op": "=", "value": 41, "unit": "家"}
    assert by_key["awarded_enterprise_revenue"]["target"] == {"op": ">=", "value": 2000, "unit": "万元/家"}
    assert by_key["award_per_enterprise"]["target"] == {"op": "=", "value": 10, "unit": "万元/家"}
    assert by_key["funds_arrival_rate"]["target"] == {"op": ">=", "value": 100, "unit": "%"}
    assert by_key["budget_execution_rate"]["target"] == {"op": ">=", "value": 100, "unit": "%"}
    assert by_key["funds_compliance_rate"]["target"] == {"op": "=", "value": 100, "unit": "%"}
    assert by_key["disbursement_timeliness_rate"]["target"] == {"op": "=", "value": 100, "unit": "%"}
    assert by_key["above_scale_growth"]["target"] == {"op": ">=", "value": 100, "unit": "%"}
    assert by_key["above_scale_growth"]["kind"] == "quantitative"
    assert by_key["beneficiary_satisfaction"]["target"] == {"op": ">=", "value": 90, "unit": "%"}
    assert by_key["awarded_enterprise_count"]["name"] == "“小升规”专项奖补企业数量"
    assert by_key["awarded_enterprise_count"]["level2"] == "数量指标"

    qualitative = [row for row in rows if row["kind"] == "qualitative"]
    assert [row["key"] for row in qualitative] == [
        "basis_sufficiency", "approval_procedure", "target_reasonableness", "indicator_clarity",
        "budget_soundness", "allocation_reasonableness", "funds_use_compliance",
        "management_soundness", "execution_effectiveness",
    ]
    for row in qualitative:
        assert row["target"] is None
        assert row["checkpoints"].startswith(("①", "（")) and row["explanation"], row
    for row in rows:
        assert row["explanation"] and row["checkpoints"], row["key"]
    assert "⑤项目是否与相关部门同类项目或部门内部相关项目重复。" in by_key["basis_sufficiency"]["checkpoints"]
    assert by_key["funds_arrival_rate"]["checkpoints"].startswith("资金到位率=（实际到位资金/预算资金）×100%。")
    assert "2023年度首次升规的41家企业" in by_key["beneficiary_satisfaction"]["checkpoints"]

    program = session.exec(select(Program).where(Program.code == "XSG-2023")).one()
    stored = session.exec(select(Indicator).where(Indicator.program_id == program.id).order_by(col(Indicator.position))).all()
    assert [i.position for i in stored] == list(range(1, 19))
    assert [i.key for i in stored] == [row["key"] for row in rows]


def test_national_template_grades(client, city):
    r = client.post("/api/v1/programs", json=body(code="XSG-N", template="national-2020"), headers=city)
    assert r.status_code == 201, r.text
    bands = {b["grade"]: b["min_score"] for b in r.json()["grade_bands"]}
    assert bands == {"优": 90, "良": 80, "中": 60, "差": 0}
    table = client.get("/api/v1/programs/XSG-N/indicators", headers=city).json()
    assert table["template"] == "national-2020" and len(table["indicators"]) == 18
    assert table["grade_bands"][2] == {"grade": "中", "min_score": 60}


def test_put_weights_not_100_is_refused_and_nothing_changes(client, token_for, seed_program, session):
    evaluator = token_for("evaluator")
    before = client.get("/api/v1/programs/XSG-2023/indicators", headers=evaluator).json()
    data = indicators_body(before)
    data["indicators"][0]["weight"] -= 1  # 99 in all
    data["indicators"][11]["target"]["value"] = 40
    problem = is_problem(client.put("/api/v1/programs/XSG-2023/indicators", json=data, headers=evaluator), 422)
    assert "100" in problem["detail"] or any("当前为 99" in e["msg"] for e in problem["errors"])
    assert any("当前为 99" in e["msg"] for e in problem["errors"])

    assert client.get("/api/v1/programs/XSG-2023/indicators", headers=evaluator).json() == before
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "program.indicators.replace")).all() == []


@pytest.mark.parametrize(
    ("mutate", "words"),
    [
        (lambda rows: rows[1].update(key=rows[0]["key"]), "重复"),
        (lambda rows: rows[0].update(weight=-1), None),
        (lambda rows: rows[0].update(weight=4.5), None),
        (lambda rows: rows[0].update(kind="fuzzy"), None),
        (lambda rows: rows[11]["target"].update(op=">"), None),
        (lambda rows: rows[11].update(target=None), "须设定目标值"),
        (lambda rows: rows[0].update(target={"op": ">=", "value": 1, "unit": "%"}), "不设目标值"),
        (lambda rows: rows[0].update(key="Bad Key"), "key"),
    ],
)
def test_put_bad_tables_are_422(client, token_for, seed_program, mutate, words):
    city = token_for("city_industry")
    data = indicators_body(client.get("/api/v1/programs/XSG-2023/indicators", headers=city).json())
    mutate(data["indicators"])
    problem = is_problem(client.put("/api/v1/programs/XSG-2023/indicators", json=data, headers=city), 422)
    if words:
        assert any(words in e["msg"] for e in problem["errors"]), problem["errors"]


def test_valid_put_changes_target_and_is_audited(client, token_for, seed_program, session):
    evaluator = token_for("evaluator", name="评价组-张")
    table = client.get("/api/v1/programs/XSG-2023/indicators", headers=evaluator).json()
    data = indicators_body(table)
    rows = {row["key"]: row for row in data["indicators"]}
    rows["awarded_enterprise_count"]["target"]["value"] = 40
    rows["beneficiary_satisfaction"]["target"]["value"] = 92.5
    # Move 1 point from 制度执行有效性 to 资金使用合规性: still 100 in all.
    rows["execution_effectiveness"]["weight"] = 3
    rows["funds_use_compliance"]["weight"] = 4

    r = client.put("/api/v1/programs/XSG-2023/indicators", json=data, headers={**evaluator, "If-Match": '"1"'})
    assert r.status_code == 200, r.text
    assert r.headers["etag"] == '"2"'
    new = r.json()
    assert new["version"] == 2
    by_key = {row["key"]: row for row in new["indicators"]}
    assert by_key["awarded_enterprise_count"]["target"] == {"op": "=", "value": 40, "unit": "家"}
    assert by_key["beneficiary_satisfaction"]["target"] == {"op": ">=", "value": 92.5, "unit": "%"}
    assert by_key["funds_use_compliance"]["weight"] == 4
    assert client.get("/api/v1/programs/XSG-2023/indicators", headers=evaluator).json() == new
    assert client.get("/api/v1/programs/XSG-2023", headers=evaluator).json()["version"] == 2

    program = session.exec(select(Program).where(Program.code == "XSG-2023")).one()
    stored = session.exec(select(Indicator).where(Indicator.program_id == program.id, Indicator.key == "awarded_enterprise_count")).one()
    assert stored.target_value == Decimal(40)

    event = session.exec(select(AuditEvent).where(AuditEvent.action == "program.indicators.replace")).one()
    assert event.actor == "评价组-张" and event.role == "evaluator"
    assert event.entity_type == "program" and event.entity_id == "XSG-2023"
    assert event.before["version"] == 1 and event.after["version"] == 2
    changed = {row["key"]: row for row in event.after["rows"]}
    assert set(changed) == {"awarded_enterprise_count", "beneficiary_satisfaction", "execution_effectiveness", "funds_use_compliance"}
    assert changed["awarded_enterprise_count"]["target"]["value"] == 40
    assert {row["key"]: row for row in event.before["rows"]}["awarded_enterprise_count"]["target"]["value"] == 41

    # The same table again changes nothing: no new version, no new event.
    again = client.put("/api/v1/programs/XSG-2023/indicators", json=indicators_body(new), headers=evaluator)
    assert again.status_code == 200 and again.json()["version"] == 2
    assert len(session.exec(select(AuditEvent).where(AuditEvent.action == "program.indicators.replace")).all()) == 1


def test_put_can_add_remove_and_reorder_rows(client, city, seed_program, session):
    data = indicators_body(client.get("/api/v1/programs/XSG-2023/indicators", headers=city).json())
    rows = data["indicators"]
    removed = rows.pop(0)  # basis_sufficiency, 4 points
    rows.insert(0, {
        "key": "policy_awareness", "level1": "决策", "level2": "项目立项", "name": "政策知晓度", "weight": removed["weight"],
        "kind": "qualitative", "target": None, "checkpoints": "①企业是否知晓政策。", "explanation": "企业对奖补政策的知晓程度。",
    })
    rows[0], rows[1] = rows[1], rows[0]
    r = client.put("/api/v1/programs/XSG-2023/indicators", json=data, headers=city)
    assert r.status_code == 200, r.text
    keys = [row["key"] for row in r.json()["indicators"]]
    assert keys[:2] == ["approval_procedure", "policy_awareness"] and "basis_sufficiency" not in keys
    program = session.exec(select(Program).where(Program.code == "XSG-2023")).one()
    stored = session.exec(select(Indicator).where(Indicator.program_id == program.id).order_by(col(Indicator.position))).all()
    assert [i.key for i in stored] == keys and [i.position for i in stored] == list(range(1, 19))


def test_put_with_stale_if_match_is_412(client, city, seed_program):
    data = indicators_body(client.get("/api/v1/programs/XSG-2023/indicators", headers=city).json())
    data["indicators"][11]["target"]["value"] = 40
    problem = is_problem(client.put("/api/v1/programs/XSG-2023/indicators", json=data, headers={**city, "If-Match": '"7"'}), 412)
    assert "版本" in problem["detail"]


@pytest.mark.parametrize(("role", "district"), [("auditor", None), ("district_industry", "650102"), ("city_stats", None), ("admin", None)])
def test_put_needs_city_industry_or_evaluator(client, token_for, seed_program, role, district):
    headers = token_for(role, district)
    data = indicators_body(client.get("/api/v1/programs/XSG-2023/indicators", headers=headers).json())
    is_problem(client.put("/api/v1/programs/XSG-2023/indicators", json=data, headers=headers), 403)


def test_put_after_finalisation_is_409(client, token_for, seed_program, session):
    program = session.exec(select(Program).where(Program.code == "XSG-2023")).one()
    session.add(EvaluationSnapshot(program_id=program.id, scope="city", rule_version="1", body="{}", sha256="0" * 64, finalized_by="评价组"))
    session.flush()
    evaluator = token_for("evaluator")
    table = client.get("/api/v1/programs/XSG-2023/indicators", headers=evaluator).json()
    data = indicators_body(table)
    data["indicators"][11]["target"]["value"] = 40
    problem = is_problem(client.put("/api/v1/programs/XSG-2023/indicators", json=data, headers=evaluator), 409)
    assert "定稿" in problem["detail"]
    assert client.get("/api/v1/programs/XSG-2023/indicators", headers=evaluator).json() == table
