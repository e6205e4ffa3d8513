"""Joint reviews: both departments of a stage, in either order; reject, return, resubmit;
the version guard; who may act where."""

import pytest
from sqlmodel import select

from app.applications.models import Application
from app.audit.models import AuditEvent
from app.reviews.models import ReviewDecision
from tests.factories import application_body, complete_documents, make_program

DISTRICT = {"district_industry": "650102", "district_stats": "650102"}


@pytest.fixture
def world(client, session, token_for):
    make_program(session)
    heads = {
        "ts": token_for("district_system", "650102"),
        "d_ind": token_for("district_industry", "650102"),
        "d_sta": token_for("district_stats", "650102"),
        "c_ind": token_for("city_industry"),
        "c_sta": token_for("city_stats"),
        "sb_ind": token_for("district_industry", "650103", name="sb-ind"),
    }

    def new_app(docs: bool = True) -> dict:
        r = client.post("/api/v1/programs/T-2023/applications", json=application_body(), headers=heads["ts"])
        assert r.status_code == 201
        if docs:
            complete_documents(session, r.json()["id"])
        return client.get(f"/api/v1/applications/{r.json()['id']}", headers=heads["ts"]).json()

    return heads, new_app


def review(client, headers, app_id, decision, version, opinion="同意"):
    return client.post(f"/api/v1/applications/{app_id}/reviews", json={"decision": decision, "opinion": opinion},
                       headers={**headers, "If-Match": f'"{version}"'})


@pytest.mark.parametrize("first,second", [("d_ind", "d_sta"), ("d_sta", "d_ind")])
def test_district_then_city_both_orders(client, world, first, second):
    h, new_app = world
    a = new_app()
    r1 = review(client, h[first], a["id"], "approve", 1)
    assert r1.status_code == 201 and r1.json()["status"] == "submitted" and r1.headers["etag"] == '"2"'
    r2 = review(client, h[second], a["id"], "approve", 2)
    assert r2.json()["status"] == "district_approved"
    r3 = review(client, h["c_sta" if first == "d_ind" else "c_ind"], a["id"], "approve", 3)
    assert r3.json()["status"] == "district_approved"
    r4 = review(client, h["c_ind" if first == "d_ind" else "c_sta"], a["id"], "approve", 4)
    assert r4.status_code == 201 and r4.json()["status"] == "city_approved"
    reviews = r4.json()["reviews"]
    assert [(x["stage"], x["decision"]) for x in reviews] == [("district", "approve")] * 2 + [("city", "approve")] * 2


def test_reject_ends_the_application(client, session, world):
    h, new_app = world
    a = new_app()
    assert review(client, h["d_ind"], a["id"], "approve", 1).status_code == 201
    r = review(client, h["d_sta"], a["id"], "reject", 2, opinion="统计名录核查：收入未达标")
    assert r.status_code == 201 and r.json()["status"] == "rejected"
    assert session.get(Application, a["id"]).live_enterprise_id is None
    assert review(client, h["c_ind"], a["id"], "approve", 3).status_code == 409


def test_return_and_resubmit_clears_the_stage(client, session, world):
    h, new_app = world
    a = new_app()
    review(client, h["d_ind"], a["id"], "approve", 1)
    review(client, h["d_sta"], a["id"], "approve", 2)
    r = review(client, h["c_sta"], a["id"], "return", 3, opinion="请补充 2023 年度审计报告")
    assert r.json()["status"] == "returned"
    body = application_body(a["enterprise"]["uscc"], ref=a["external_ref"], name=a["enterprise"]["name"])
    again = client.put(f"/api/v1/applications/{a['id']}", json=body, headers={**h["ts"], "If-Match": '"4"'})
    assert again.status_code == 200 and again.json()["status"] == "submitted" and again.json()["submission_no"] == 2
    # the new submission starts without decisions: the industry department decides again
    r = review(client, h["d_ind"], a["id"], "approve", 5)
    assert r.status_code == 201 and r.json()["status"] == "submitted"
    rows = session.exec(select(ReviewDecision).where(ReviewDecision.application_id == a["id"])).all()
    assert sorted((x.submission_no, x.stage, x.department) for x in rows) == [
        (1, "city", "stats"), (1, "district", "industry"), (1, "district", "stats"), (2, "district", "industry")]


def test_opinion_required_for_reject_and_return(client, world):
    h, new_app = world
    a = new_app()
    for decision in ("reject", "return"):
        r = review(client, h["d_ind"], a["id"], decision, 1, opinion="")
        assert r.status_code == 422 and "审核意见" in r.json()["detail"]


def test_one_decision_per_department_per_submission(client, world):
    h, new_app = world
    a = new_app()
    assert review(client, h["d_ind"], a["id"], "approve", 1).status_code == 201
    again = review(client, h["d_ind"], a["id"], "reject", 2, opinion="改变主意")
    assert again.status_code == 409 and "只能审核一次" in again.json()["detail"]


def test_no_approval_while_documents_incomplete(client, world):
    h, new_app = world
    a = new_app(docs=False)
    r = review(client, h["d_ind"], a["id"], "approve", 1)
    assert r.status_code == 409 and "材料" in r.json()["detail"]
    assert review(client, h["d_ind"], a["id"], "return", 1, opinion="请上传营业执照副本").json()["status"] == "returned"


def test_if_match_missing_and_stale(client, world):
    h, new_app = world
    a = new_app()
    missing = client.post(f"/api/v1/applications/{a['id']}/reviews", json={"decision": "approve"}, headers=h["d_ind"])
    assert missing.status_code == 428
    stale = review(client, h["d_ind"], a["id"], "approve", 7)
    assert stale.status_code == 412 and stale.headers["content-type"].startswith("application/problem+json")


def test_district_official_cannot_act_elsewhere_or_at_city_stage(client, world):
    h, new_app = world
    a = new_app()
    assert review(client, h["sb_ind"], a["id"], "approve", 1).status_code == 404
    review(client, h["d_ind"], a["id"], "approve", 1)
    review(client, h["d_sta"], a["id"], "approve", 2)
    city_stage = review(client, h["d_ind"], a["id"], "approve", 3)
    assert city_stage.status_code == 403


# Every state × every reviewer × every decision: allowed only at the reviewer's own stage.
STATES = ["submitted", "returned", "district_approved", "city_approved", "in_notice", "approved", "paid", "rejected", "withdrawn"]
REVIEWERS = [("district_industry", "650102"), ("district_stats", "650102"), ("city_industry", None), ("city_stats", None)]


@pytest.mark.parametrize("state", STATES)
def test_transition_matrix(client, session, token_for, world, state):
    _h, new_app = world
    for role, district in REVIEWERS:
        headers = token_for(role, district, name=f"{role}-{state}")
        for decision in ("approve", "reject", "return"):
            a = new_app()
            row = session.get(Application, a["id"])
            row.status = state
            session.add(row)
            session.commit()
            r = review(client, headers, a["id"], decision, 1, opinion="矩阵测试意见")
            own_stage = (state == "submitted" and district) or (state == "district_approved" and not district)
            other_stage = state in ("submitted", "district_approved") and not own_stage
            expected = 201 if own_stage else 403 if other_stage else 409
            assert r.status_code == expected, (state, role, decision, r.text)
            if expected == 201:
                want = {"approve": state, "reject": "rejected", "return": "returned"}[decision]
                assert r.json()["status"] == want


def test_other_roles_cannot_review(client, token_for, world):
    _h, new_app = world
    a = new_app()
    for role, district in [("district_system", "650102"), ("finance", None), ("evaluator", None), ("auditor", None), ("admin", None)]:
        assert review(client, token_for(role, district), a["id"], "approve", 1).status_code == 403


def test_every_transition_is_audited(client, session, world):
    h, new_app = world
    a = new_app()
    for i, who in enumerate(["d_ind", "d_sta", "c_ind", "c_sta"], start=1):
        review(client, h[who], a["id"], "approve", i)
    events = session.exec(select(AuditEvent).where(AuditEvent.entity_type == "application", AuditEvent.entity_id == str(a["id"]))
                          .order_by(AuditEvent.id)).all()
    approvals = [e for e in events if e.action == "application.approve"]
    assert [(e.before["status"], e.after["status"]) for e in approvals] == [
        ("submitted", "submitted"), ("submitted", "district_approved"),
        ("district_approved", "district_approved"), ("district_approved", "city_approved")]
    assert all(e.after["opinion"] == "同意" for e in approvals)


def test_reviews_list_filters(client, token_for, world):
    h, new_app = world
    a = new_app()
    review(client, h["d_ind"], a["id"], "approve", 1)
    review(client, h["d_sta"], a["id"], "return", 2, opinion="请补正")
    items = client.get("/api/v1/reviews?decision=return", headers=token_for("auditor")).json()["items"]
    assert [(i["application_id"], i["department"]) for i in items] == [(a["id"], "stats")]
    assert client.get("/api/v1/reviews?stage=bogus", headers=token_for("auditor")).status_code == 422
    other = client.get("/api/v1/reviews", headers=h["sb_ind"]).json()["items"]
    assert other == []


def test_awaiting_me_queue(client, world):
    h, new_app = world
    a, b = new_app(), new_app()
    review(client, h["d_ind"], a["id"], "approve", 1)
    mine = client.get("/api/v1/applications?awaiting_me=true", headers=h["d_ind"]).json()["items"]
    assert [i["id"] for i in mine] == [b["id"]]
    theirs = client.get("/api/v1/applications?awaiting_me=true", headers=h["d_sta"]).json()["items"]
    assert {i["id"] for i in theirs} == {a["id"], b["id"]}
    assert client.get("/api/v1/applications?awaiting_me=true", headers=h["c_ind"]).json()["items"] == []
    # a non-reviewer's queue is simply the unfiltered list
    assert len(client.get("/api/v1/applications?awaiting_me=true", headers=h["ts"]).json()["items"]) == 2
