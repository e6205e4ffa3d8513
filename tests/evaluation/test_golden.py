"""The golden case of spec/evaluation.md: the demo (the seed's programme, scored by the
evaluation team with the seed's reasoning) evaluates to the seed's table, row by row."""

import hashlib
import json

import pytest


GOLDEN = {  # key: (actual, completion, score) — spec/evaluation.md, "Golden case"
    "funds_arrival_rate": (100.00, 100.00, 5),
    "budget_execution_rate": (100.00, 100.00, 5),
    "awarded_enterprise_count": (41, 100.00, 10),
    "awarded_enterprise_revenue": (57111.00, 2855.55, 10),
    "funds_compliance_rate": (100.00, 100.00, 10),
    "disbursement_timeliness_rate": (100.00, 100.00, 10),
    "award_per_enterprise": (10.00, 100.00, 10),
    "beneficiary_satisfaction": (100.00, 111.11, 5),
}
QUALITATIVE = {"basis_sufficiency": 4, "approval_procedure": 4, "target_reasonableness": 3, "indicator_clarity": 3,
               "budget_soundness": 3, "allocation_reasonableness": 3, "funds_use_compliance": 3,
               "management_soundness": 3, "execution_effectiveness": 4}


@pytest.fixture
def engine(demo_engine):
    """These tests read the demo: its database, loaded once per backend (tests/conftest.py)."""
    return demo_engine


def test_the_demo_evaluates_to_the_seed_table(session, client, token_for):
    r = client.get("/api/v1/programs/XSG-2023/evaluation", headers=token_for("auditor", name="golden-auditor"))
    assert r.status_code == 200, r.text
    ev = r.json()
    rows = {row["key"]: row for row in ev["indicators"]}
    assert len(rows) == 18 and sum(row["weight"] for row in rows.values()) == 100
    for key, (actual, completion, score) in GOLDEN.items():
        row = rows[key]
        assert (row["state"], row["actual"], row["completion_rate"], row["score"]) == ("scored", actual, completion, score), key
    revenue = rows["awarded_enterprise_revenue"]
    assert revenue["deviation_required"] and "87%" in revenue["deviation_note"]
    assert revenue["target"] == {"op": ">=", "value": 2000, "unit": "万元/家"}
    assert revenue["inputs"]["enterprises"] == 41 and revenue["inputs"]["from_roster"] == 41
    for key, score in QUALITATIVE.items():
        assert (rows[key]["kind"], rows[key]["state"], rows[key]["tier"], rows[key]["score"]) == (
            "qualitative", "scored", "achieved", score), key
        assert rows[key]["justification"]
    growth = rows["above_scale_growth"]  # the roster covers 2022 and 2023: computed
    assert growth["kind"] == "quantitative" and growth["score"] == 5
    assert (growth["inputs"]["count"], growth["inputs"]["previous_count"], growth["actual"]) == (409, 380, 107.63)
    assert [(s["level1"], s["weight"], s["score"]) for s in ev["subtotals"]] == [
        ("决策", 20, 20.0), ("过程", 20, 20.0), ("产出", 50, 50.0), ("效益", 5, 5.0), ("满意度", 5, 5.0)]
    assert (ev["total"], ev["grade"], ev["status"]) == (100.0, "优", "complete")

    # the analysis finds what the seed says by hand: two firms ≈ 87 % lift the mean
    revenue_analysis = ev["analysis"]["revenue"]
    assert revenue_analysis["mean_wan"] == 57111.0 and revenue_analysis["top_two_share"] == 87.0
    assert revenue_analysis["median_wan"] < revenue_analysis["mean_wan"] / 2
    assert any("高度集中" in f and "87.00%" in f for f in ev["findings"])
    assert ev["analysis"]["retention"]["years"][0]["rate"] == 92.68  # 38 of 41 still 规上 in 2024
    assert ev["analysis"]["survey"]["response_rate"] == 100.0

    # and it was finalised: the snapshot holds the same table, byte for byte behind its sha256
    [snap] = client.get("/api/v1/programs/XSG-2023/evaluations", headers=token_for("evaluator", name="golden-ev")).json()
    assert (snap["scope"], snap["total"], snap["grade"]) == ("city", 100.0, "优")
    raw = client.get(snap["url"], headers=token_for("auditor", name="golden-auditor-2"))
    assert raw.status_code == 200 and hashlib.sha256(raw.content).hexdigest() == snap["sha256"]
    frozen = json.loads(raw.content)
    assert frozen["status"] == "final" and frozen["total"] == 100.0
    assert {r["key"]: (r["actual"], r["completion_rate"], r["score"]) for r in frozen["indicators"]
            if r["key"] in GOLDEN} == GOLDEN
