"""The evaluation API on constructed data: rows that cannot be computed say why, the
evaluators' scores obey the tiers, finalising is refused until every row is ready, and a
snapshot never changes afterwards."""

import hashlib
from itertools import count

import pytest
from sqlmodel import func, select

from app.audit.models import AuditEvent
from app.evaluation.models import EvaluationCache, EvaluationSnapshot, IndicatorAssessment
from app.programs.models import Program
from app.funds.models import Payment
from tests.factories import add_roster, award_applications, make_program

PROBLEM = "application/problem+json"
_codes = count(1)
QUALITATIVE = ["basis_sufficiency", "approval_procedure", "target_reasonableness", "indicator_clarity", "budget_soundness",
               "allocation_reasonableness", "funds_use_compliance", "management_soundness", "execution_effectiveness"]


@pytest.fixture
def program(session) -> str:
    code = f"EV-{next(_codes):03d}"
    make_program(session, code, target=2, indicators=True)
    return code


@pytest.fixture
def heads(token_for) -> dict:
    return {"evaluator": token_for("evaluator", name="ev"), "auditor": token_for("auditor", name="au"),
            "finance": token_for("finance", name="fin"), "ts": token_for("district_system", "650102", name="ts-sys"),
            "d_ind": token_for("district_industry", "650102", name="ts-ind")}


def _evaluation(client, program, heads, scope=None):
    r = client.get(f"/api/v1/programs/{program}/evaluation", params={"scope": scope} if scope else None,
                   headers=heads["auditor"])
    assert r.status_code == 200, r.text
    return r.json(), {row["key"]: row for row in r.json()["indicators"]}


def _score_all(client, program, heads, keys=QUALITATIVE):
    _ev, rows = _evaluation(client, program, heads)
    for key in keys:
        r = client.put(f"/api/v1/programs/{program}/evaluation/indicators/{key}", headers=heads["evaluator"],
                       json={"tier": "achieved", "score": rows[key]["weight"], "justification": "依据充分"})
        assert r.status_code == 200, r.text


def test_rows_without_a_denominator_are_not_computable_and_say_why(client, session, program, heads):
    ev, rows = _evaluation(client, program, heads)
    assert ev["status"] == "provisional" and set(ev["unscored"]) == set(QUALITATIVE) | {"above_scale_growth"}
    assert rows["funds_arrival_rate"]["state"] == "scored" and rows["funds_arrival_rate"]["actual"] == 0.0  # 0 ÷ 410万
    for key in ("budget_execution_rate", "awarded_enterprise_revenue", "funds_compliance_rate",
                "disbursement_timeliness_rate", "award_per_enterprise", "beneficiary_satisfaction"):
        assert rows[key]["state"] == "not_computable" and rows[key]["score"] == 0.0, key
        assert "无法计算" in rows[key]["inputs"]["reason"], key
    assert rows["awarded_enterprise_count"]["actual"] == 0 and rows["awarded_enterprise_count"]["score"] == 0.0
    # no roster for 2022/2023: the growth row is judged by the evaluator instead
    growth = rows["above_scale_growth"]
    assert (growth["kind"], growth["state"]) == ("qualitative", "unscored") and "定性评分" in growth["inputs"]["reason"]
    assert ev["total"] == 0.0 and ev["grade"] == "差"
    assert any("无法计算" in f for f in ev["findings"])


def test_quantitative_rows_from_payments_roster_and_surveys(client, session, program, heads):
    ids = award_applications(session, program, ["650102", "650103"])  # 2 × 10万 city, paid 2024-08-08
    for n in range(10):
        add_roster(session, f"ROSTER22-{n}", year=2022)
    for n in range(12):
        add_roster(session, f"ROSTER23-{n}", year=2023, district="650104")
    session.commit()
    ev, rows = _evaluation(client, program, heads)
    assert (rows["awarded_enterprise_count"]["actual"], rows["awarded_enterprise_count"]["score"]) == (2, 10.0)
    assert rows["award_per_enterprise"]["actual"] == 10.0 and rows["award_per_enterprise"]["score"] == 10.0
    assert rows["awarded_enterprise_revenue"]["actual"] == 3520.0  # declared 35,200,000.00 元, no roster row for them
    assert rows["awarded_enterprise_revenue"]["inputs"]["from_declaration"] == 2
    assert rows["awarded_enterprise_revenue"]["completion_rate"] == 176.0
    assert rows["awarded_enterprise_revenue"]["deviation_required"] is True
    # no receipts and no appropriation in this data: paid, but not compliant
    compliance = rows["funds_compliance_rate"]
    assert (compliance["actual"], compliance["score"]) == (0.0, 0.0)
    assert compliance["inputs"]["failing"]["receipt_attached"] == 2
    assert compliance["inputs"]["failing"]["paid_after_appropriation"] == 2
    assert compliance["inputs"]["failing"]["passed_notice"] == 0
    assert rows["disbursement_timeliness_rate"]["actual"] == 100.0  # 2024-08-08 ≤ 2024-09-30
    assert rows["budget_execution_rate"]["state"] == "not_computable"  # nothing arrived
    growth = rows["above_scale_growth"]  # 12 ÷ 10 × 100
    assert (growth["kind"], growth["actual"], growth["score"]) == ("quantitative", 120.0, 5.0)
    assert rows["beneficiary_satisfaction"]["state"] == "not_computable"
    # one district's fund: district tranches were never paid here
    _ev, district = _evaluation(client, program, heads, scope="district:650102")
    count_row = district["awarded_enterprise_count"]  # against the district's own approved applications
    assert (count_row["actual"], count_row["target"]["value"], count_row["score"]) == (0, 1, 0.0)
    assert district["award_per_enterprise"]["target"]["value"] == 10  # the district tranche
    _ev, both = _evaluation(client, program, heads, scope="all")
    assert both["award_per_enterprise"]["target"]["value"] == 20  # city + district tranche per enterprise
    assert both["award_per_enterprise"]["actual"] == 10.0  # only the city tranche was paid
    assert len(ids) == 2


def test_live_evaluation_is_served_from_cache_until_a_change_is_committed(client, session, program, heads):
    first, _rows = _evaluation(client, program, heads)
    again, _rows = _evaluation(client, program, heads)
    assert again == first  # computed_at included: the stored result, not a second computation
    program_id = session.scalar(select(Program.id).where(Program.code == program))
    last_seq = session.scalar(select(func.max(AuditEvent.seq)))
    cached = session.scalar(select(EvaluationCache).where(EvaluationCache.program_id == program_id))
    assert (cached.scope, cached.data_version) == ("city", last_seq)

    # Any audited change moves the data version: the next read computes again and sees it.
    r = client.put(f"/api/v1/programs/{program}/evaluation/indicators/basis_sufficiency", headers=heads["evaluator"],
                   json={"tier": "achieved", "score": 4})
    assert r.status_code == 200, r.text
    after, rows = _evaluation(client, program, heads)
    assert rows["basis_sufficiency"]["score"] == 4.0 and after["total"] == first["total"] + 4
    assert after["computed_at"] != first["computed_at"]
    session.expire_all()
    assert session.scalar(select(EvaluationCache.data_version).where(EvaluationCache.program_id == program_id)) > last_seq


def test_finalise_is_refused_until_every_row_is_ready_then_frozen(client, session, program, heads):
    award_applications(session, program, ["650102", "650103"])
    url = f"/api/v1/programs/{program}/evaluation/finalize"
    r = client.post(url, headers=heads["evaluator"])
    assert r.status_code == 409 and r.headers["content-type"].startswith(PROBLEM)
    assert "尚未评分的定性指标" in r.json()["detail"] and "立项依据充分性" in r.json()["detail"]
    _score_all(client, program, heads, [*QUALITATIVE, "above_scale_growth"])
    r = client.post(url, headers=heads["evaluator"])
    assert r.status_code == 409 and "偏差原因" in r.json()["detail"] and "“小升规”企业年营业收入" in r.json()["detail"]
    assert session.exec(select(EvaluationSnapshot)).all() == []
    note = client.put(f"/api/v1/programs/{program}/evaluation/indicators/awarded_enterprise_revenue",
                      headers=heads["evaluator"], json={"deviation_note": "目标取统计法规上标准，未设上限。"})
    assert note.status_code == 200 and note.json()["deviation_note"] == "目标取统计法规上标准，未设上限。"

    r = client.post(url, headers=heads["evaluator"])
    assert r.status_code == 201, r.text
    snap = r.json()
    assert r.headers["location"] == snap["url"] == f"/api/v1/evaluations/{snap['id']}"
    first = client.get(snap["url"], headers=heads["auditor"])
    assert first.status_code == 200 and first.headers["etag"] == f'"{snap["sha256"]}"'
    assert hashlib.sha256(first.content).hexdigest() == snap["sha256"]
    assert client.post(url, headers=heads["evaluator"]).status_code == 409  # once per scope

    # the data changes — money comes back — the live evaluation moves, the snapshot does not
    payment = session.exec(select(Payment)).first()
    r = client.post(f"/api/v1/payments/{payment.id}/return", json={"returned_on": "2024-09-01", "reason": "企业注销"},
                    headers=heads["finance"])
    assert r.status_code == 200, r.text
    _ev, rows = _evaluation(client, program, heads)
    assert rows["awarded_enterprise_count"]["actual"] == 1
    again = client.get(snap["url"], headers=heads["auditor"])
    assert again.content == first.content
    assert client.get(snap["url"], headers={**heads["auditor"], "If-None-Match": f'"{snap["sha256"]}"'}).status_code == 304
    # and the judgement is frozen too
    r = client.put(f"/api/v1/programs/{program}/evaluation/indicators/basis_sufficiency", headers=heads["evaluator"],
                   json={"tier": "partial", "score": 3, "justification": "改"})
    assert r.status_code == 409 and "已定稿" in r.json()["detail"]


def test_scores_must_sit_inside_their_tier_and_fit_the_row(client, session, program, heads):
    base = f"/api/v1/programs/{program}/evaluation/indicators"
    cases = [
        ("basis_sufficiency", {"tier": "achieved", "score": 3.19, "justification": "x"}, "档的得分应在"),  # 0.8 × 4 = 3.2
        ("basis_sufficiency", {"tier": "partial", "score": 3.2, "justification": "x"}, "档的得分应在"),
        ("basis_sufficiency", {"tier": "not_achieved", "score": 2.4, "justification": "x"}, "档的得分应在"),
        ("basis_sufficiency", {"tier": "achieved", "score": 3.5}, "评分理由"),
        ("basis_sufficiency", {"tier": "achieved"}, "score"),
        ("basis_sufficiency", {"tier": "achieved", "score": 4, "deviation_note": "x"}, "定性指标"),
        ("funds_arrival_rate", {"tier": "achieved", "score": 5}, "定量指标"),
        ("funds_arrival_rate", {}, "deviation_note"),
    ]
    for key, body, words in cases:
        r = client.put(f"{base}/{key}", headers=heads["evaluator"], json=body)
        assert r.status_code == 422, (key, body, r.text)
        assert r.headers["content-type"].startswith(PROBLEM) and words in r.json()["detail"], (key, body, r.json())
    assert session.exec(select(IndicatorAssessment)).all() == []
    ok = client.put(f"{base}/basis_sufficiency", headers=heads["evaluator"],
                    json={"tier": "partial", "score": 2.4, "justification": "立项依据部分欠缺"})
    assert ok.status_code == 200 and (ok.json()["state"], ok.json()["score"], ok.json()["tier"]) == ("scored", 2.4, "partial")
    assert client.put(f"{base}/no_such_row", headers=heads["evaluator"], json={"deviation_note": "x"}).status_code == 404
    assert client.put(f"{base}/basis_sufficiency", headers=heads["auditor"],
                      json={"tier": "achieved", "score": 4}).status_code == 403


def test_who_may_read_and_which_scope(client, program, heads):
    url = f"/api/v1/programs/{program}/evaluation"
    assert client.get(url).status_code == 401
    assert client.get(url, headers=heads["ts"]).status_code == 403
    assert client.get(url, headers=heads["finance"]).status_code == 200
    bad = client.get(url, params={"scope": "district:999999"}, headers=heads["auditor"])
    assert bad.status_code == 422 and "scope" in bad.json()["detail"]
    own = client.get(url, headers=heads["d_ind"])  # a district official reads the district's fund
    assert own.status_code == 200 and own.json()["scope"] == "district:650102"
    assert client.get(url, params={"scope": "city"}, headers=heads["d_ind"]).status_code == 403
    assert client.get(url, params={"scope": "all"}, headers=heads["auditor"]).json()["scope"] == "all"
    assert client.get("/api/v1/programs/NOPE/evaluation", headers=heads["auditor"]).status_code == 404
    assert client.get("/api/v1/evaluations/999999", headers=heads["auditor"]).status_code == 404
