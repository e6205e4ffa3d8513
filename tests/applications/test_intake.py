from sqlmodel import func, select

from app.applications.models import Application
from app.audit.models import AuditEvent
from tests.factories import application_body, make_program


def _submit(client, headers, body, code="T-2023", **extra_headers):
    return client.post(f"/api/v1/programs/{code}/applications", json=body, headers={**headers, **extra_headers})


def test_submit_returns_201_with_eligibility_and_etag(client, session, token_for):
    make_program(session)
    headers = token_for("district_system", "650102")
    body = application_body()
    r = _submit(client, headers, body)
    assert r.status_code == 201, r.text
    data = r.json()
    assert data["status"] == "submitted" and data["version"] == 1
    assert r.headers["etag"] == '"1"'
    assert data["declared_revenue"] == "35200000.00"
    assert data["enterprise"]["bank_account"] == "************5678"
    rules = [c["rule"] for c in data["eligibility"]]
    assert rules == ["uscc_valid", "district_in_city", "industrial", "revenue_threshold",
                     "first_time_above_scale", "documents_complete", "not_awarded_before", "no_duplicate"]
    row = session.get(Application, data["id"])
    assert row.declared_revenue_fen == 3_520_000_000
    events = session.exec(select(AuditEvent).where(AuditEvent.entity_type == "application", AuditEvent.entity_id == str(data["id"]))).all()
    assert [e.action for e in events] == ["application.submit"]
    assert data["history"][0]["action"] == "application.submit"


def test_identical_resend_returns_200_same_id_and_conflicting_body_409(client, session, token_for):
    make_program(session)
    headers = token_for("district_system", "650102")
    body = application_body()
    first = _submit(client, headers, body)
    again = _submit(client, headers, body)
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    changed = {**body, "declared_revenue": "40000000.00"}
    conflict = _submit(client, headers, changed)
    assert conflict.status_code == 409
    assert conflict.headers["content-type"].startswith("application/problem+json")
    assert "external_ref" in conflict.json()["detail"]
    assert session.exec(select(func.count()).select_from(Application)).one() == 1


def test_idempotency_key_replays_and_refuses_other_body(client, session, token_for):
    make_program(session)
    headers = token_for("district_system", "650102")
    body = application_body()
    first = _submit(client, headers, body, **{"Idempotency-Key": "k-1"})
    replay = _submit(client, headers, body, **{"Idempotency-Key": "k-1"})
    assert first.status_code == 201 and replay.status_code == 201
    assert replay.json() == first.json()
    other = _submit(client, headers, application_body(), **{"Idempotency-Key": "k-1"})
    assert other.status_code == 422
    assert "Idempotency-Key" in other.json()["detail"]
    assert session.exec(select(func.count()).select_from(Application)).one() == 1


def test_second_live_application_of_same_enterprise_is_409(client, session, token_for):
    make_program(session)
    headers = token_for("district_system", "650102")
    body = application_body()
    assert _submit(client, headers, body).status_code == 201
    dup = _submit(client, headers, {**body, "external_ref": "OTHER-REF"})
    assert dup.status_code == 409
    assert "重复申报" in dup.json()["detail"]


def test_invalid_uscc_is_422_in_chinese(client, session, token_for):
    make_program(session)
    body = application_body()
    body["enterprise"]["uscc"] = "916501005605186766"  # one character changed
    r = _submit(client, token_for("district_system", "650102"), body)
    assert r.status_code == 422
    err = r.json()["errors"][0]
    assert err["loc"] == ["body", "enterprise", "uscc"] and "校验位" in err["msg"]
    assert session.exec(select(func.count()).select_from(Application)).one() == 0


def test_other_district_enterprise_is_403(client, session, token_for):
    make_program(session)
    r = _submit(client, token_for("district_system", "650102"), application_body(district="650103"))
    assert r.status_code == 403 and "本区县" in r.json()["detail"]


def test_wrong_roles_and_no_credentials(client, session, token_for):
    make_program(session)
    assert _submit(client, {}, application_body()).status_code == 401
    assert _submit(client, {"Authorization": "Bearer nope"}, application_body()).status_code == 401
    for role, district in [("district_stats", "650102"), ("city_industry", None), ("auditor", None), ("finance", None)]:
        r = _submit(client, token_for(role, district), application_body())
        assert r.status_code == 403, role
        assert r.json()["status"] == 403


def test_unknown_program_is_404(client, session, token_for):
    r = _submit(client, token_for("district_system", "650102"), application_body(), code="NOPE")
    assert r.status_code == 404 and "NOPE" in r.json()["detail"]


def test_outside_application_window_is_409(client, session, token_for):
    from datetime import date

    make_program(session, opens=date(2024, 3, 1), closes=date(2024, 4, 30))
    r = _submit(client, token_for("district_system", "650102"), application_body())
    assert r.status_code == 409 and "申报期" in r.json()["detail"]


def test_district_isolation_on_reads_and_writes(client, session, token_for):
    make_program(session)
    ts = token_for("district_system", "650102")
    sb = token_for("district_system", "650103", name="sb")
    a = _submit(client, ts, application_body()).json()
    _submit(client, sb, application_body(district="650103"))
    assert client.get(f"/api/v1/applications/{a['id']}", headers=sb).status_code == 404
    assert client.post(f"/api/v1/applications/{a['id']}/withdraw", json={"reason": "测试撤回"},
                       headers={**sb, "If-Match": '"1"'}).status_code == 404
    listed = client.get("/api/v1/applications", headers=sb).json()["items"]
    assert {i["district_code"] for i in listed} == {"650103"}
    # a city official sees both
    city = client.get("/api/v1/applications", headers=token_for("city_industry")).json()["items"]
    assert {i["district_code"] for i in city} == {"650102", "650103"}


def test_list_filters_and_keyset_cursor(client, session, token_for):
    make_program(session)
    ts = token_for("district_system", "650102")
    ids = [_submit(client, ts, application_body(name=f"天山区第{i}号机械厂")).json()["id"] for i in range(5)]
    auditor = token_for("auditor")
    page1 = client.get("/api/v1/applications?limit=2", headers=auditor).json()
    assert [i["id"] for i in page1["items"]] == sorted(ids, reverse=True)[:2]
    page2 = client.get(f"/api/v1/applications?limit=2&cursor={page1['next_cursor']}", headers=auditor).json()
    assert [i["id"] for i in page2["items"]] == sorted(ids, reverse=True)[2:4]
    found = client.get("/api/v1/applications", params={"q": "第3号"}, headers=auditor).json()["items"]
    assert [i["enterprise_name"] for i in found] == ["天山区第3号机械厂"]
    assert client.get("/api/v1/applications?status=bogus", headers=auditor).status_code == 422
    assert client.get("/api/v1/applications?cursor=%%%", headers=auditor).status_code == 422
    assert client.get("/api/v1/applications?status=submitted&program=T-2023", headers=auditor).json()["items"]


def test_withdraw_needs_if_match_and_current_version(client, session, token_for):
    make_program(session)
    ts = token_for("district_system", "650102")
    a = _submit(client, ts, application_body()).json()
    url = f"/api/v1/applications/{a['id']}/withdraw"
    missing = client.post(url, json={"reason": "企业主动放弃"}, headers=ts)
    assert missing.status_code == 428 and missing.headers["content-type"].startswith("application/problem+json")
    stale = client.post(url, json={"reason": "企业主动放弃"}, headers={**ts, "If-Match": '"9"'})
    assert stale.status_code == 412
    ok = client.post(url, json={"reason": "企业主动放弃"}, headers={**ts, "If-Match": '"1"'})
    assert ok.status_code == 200 and ok.json()["status"] == "withdrawn" and ok.json()["version"] == 2
    again = client.post(url, json={"reason": "企业主动放弃"}, headers={**ts, "If-Match": '"2"'})
    assert again.status_code == 409
    # the enterprise may apply again once its application is withdrawn
    body = application_body(a["enterprise"]["uscc"], ref="NEW-REF")
    assert _submit(client, ts, body).status_code == 201


def test_resubmit_only_when_returned(client, session, token_for):
    make_program(session)
    ts = token_for("district_system", "650102")
    body = application_body()
    a = _submit(client, ts, body).json()
    r = client.put(f"/api/v1/applications/{a['id']}", json=body, headers={**ts, "If-Match": '"1"'})
    assert r.status_code == 409 and "已提交" in r.json()["detail"]
    # put it into 'returned' as a reviewer's return would, then resubmit
    row = session.get(Application, a["id"])
    row.status = "returned"
    session.add(row)
    session.flush()
    changed = {**body, "declared_revenue": "36000000.00"}
    r = client.put(f"/api/v1/applications/{a['id']}", json=changed, headers={**ts, "If-Match": '"1"'})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "submitted" and r.json()["declared_revenue"] == "36000000.00"
    assert r.json()["submission_no"] == 2 and r.headers["etag"] == '"2"'
