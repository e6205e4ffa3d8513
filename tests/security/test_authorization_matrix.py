"""Authorization as a matrix: every role against the routes of this stage, in its own and
another district. Expected codes follow spec/api.md."""

import pytest

from tests.factories import add_roster, application_body, make_program, new_uscc

ROLES = [
    ("district_system", "650102"), ("district_industry", "650102"), ("district_stats", "650102"),
    ("city_industry", None), ("city_stats", None), ("finance", None), ("evaluator", None),
    ("auditor", None), ("admin", None),
]
READERS = {"district_system", "district_industry", "district_stats", "city_industry", "city_stats", "finance",
           "evaluator", "auditor", "admin"}
FOLLOW_UP_KEEPERS = {"city_industry", "district_industry"}


@pytest.fixture
def world(client, session, token_for):
    make_program(session)
    own = client.post("/api/v1/programs/T-2023/applications", json=application_body(),
                      headers=token_for("district_system", "650102", name="own")).json()
    other = client.post("/api/v1/programs/T-2023/applications", json=application_body(district="650103"),
                        headers=token_for("district_system", "650103", name="other")).json()
    uscc = new_uscc()
    add_roster(session, uscc)
    return {"own": own["id"], "other": other["id"], "uscc": uscc,
            "own_uscc": own["enterprise"]["uscc"], "other_uscc": other["enterprise"]["uscc"]}


@pytest.mark.parametrize("role,district", ROLES)
def test_read_routes(client, token_for, world, role, district):
    h = token_for(role, district)
    district_bound = district is not None
    expect = {
        "/api/v1/districts": 200,
        "/api/v1/programs": 200,
        "/api/v1/programs/T-2023": 200,
        "/api/v1/programs/T-2023/indicators": 200,
        "/api/v1/applications": 200 if role in READERS else 403,
        f"/api/v1/applications/{world['own']}": 200,
        f"/api/v1/applications/{world['other']}": 404 if district_bound else 200,
        f"/api/v1/roster/{world['uscc']}": 403 if role == "district_system" else 200,
        "/api/v1/audit-events": 200 if role in ("auditor", "admin") else 403,
        "/api/v1/programs/T-2023/retention": 403 if role in ("district_system", "admin") else 200,
        "/api/v1/enterprises": 403 if role == "admin" else 200,
        f"/api/v1/enterprises/{world['own_uscc']}": 403 if role == "admin" else 200,
        f"/api/v1/enterprises/{world['other_uscc']}": 403 if role == "admin" else 404 if district_bound else 200,
        f"/api/v1/enterprises/{world['own_uscc']}/follow-ups": 200 if role in FOLLOW_UP_KEEPERS else 403,
        f"/api/v1/enterprises/{world['other_uscc']}/follow-ups":
            (404 if district_bound else 200) if role in FOLLOW_UP_KEEPERS else 403,
        "/api/v1/follow-ups": 200 if role in FOLLOW_UP_KEEPERS else 403,
    }
    got = {path: client.get(path, headers=h).status_code for path in expect}
    assert got == expect


@pytest.mark.parametrize("role,district", ROLES)
def test_submit_route(client, token_for, world, role, district):
    h = token_for(role, district)
    own = client.post("/api/v1/programs/T-2023/applications", json=application_body(), headers=h)
    other = client.post("/api/v1/programs/T-2023/applications", json=application_body(district="650103"), headers=h)
    if role in ("district_system", "district_industry"):
        assert (own.status_code, other.status_code) == (201, 403)
    else:
        assert (own.status_code, other.status_code) == (403, 403)


@pytest.mark.parametrize("role,district", ROLES)
def test_create_program_route(client, token_for, world, role, district):
    body = {"code": f"M-{role[:12].replace('_', '-')}", "title": "矩阵测试项目", "cohort_year": 2024, "budget_year": 2025,
            "revenue_threshold": "20000000.00", "awards": [{"level": "city", "amount": "100000.00"}],
            "city_budget": "1000000.00", "target_enterprise_count": 10, "application_opens_on": "2025-03-01",
            "application_closes_on": "2025-04-30", "payment_deadline": "2025-09-30"}
    r = client.post("/api/v1/programs", json=body, headers=token_for(role, district))
    assert r.status_code == (201 if role in ("admin", "city_industry") else 403), r.text


def test_no_credentials_everywhere(client, world):
    for path in ("/api/v1/districts", "/api/v1/programs", "/api/v1/applications", f"/api/v1/applications/{world['own']}",
                 f"/api/v1/roster/{world['uscc']}", "/api/v1/audit-events", "/api/v1/enterprises",
                 f"/api/v1/enterprises/{world['own_uscc']}", f"/api/v1/enterprises/{world['own_uscc']}/follow-ups",
                 "/api/v1/follow-ups", "/api/v1/programs/T-2023/retention"):
        r = client.get(path)
        assert r.status_code == 401 and r.headers["content-type"].startswith("application/problem+json"), path


def test_revoked_token_is_401(client, session, token_for):
    from sqlmodel import select

    from app.users.models import ApiToken
    from app.users.service import revoke_token

    h = token_for("auditor")
    assert client.get("/api/v1/districts", headers=h).status_code == 200
    token = session.exec(select(ApiToken).where(ApiToken.name == "auditor-city")).one()
    revoke_token(session, token.id)
    assert client.get("/api/v1/districts", headers=h).status_code == 401


def test_audit_events_api_filters(client, token_for, world):
    h = token_for("auditor")
    r = client.get(f"/api/v1/audit-events?entity_type=application&entity_id={world['own']}", headers=h)
    items = r.json()["items"]
    assert [e["action"] for e in items] == ["application.submit"]
    assert items[0]["actor"] == "own" and len(items[0]["hash"]) == 64
    page = client.get("/api/v1/audit-events?limit=1", headers=h).json()
    assert len(page["items"]) == 1 and page["next_cursor"]
    nxt = client.get(f"/api/v1/audit-events?limit=1&cursor={page['next_cursor']}", headers=h).json()
    assert nxt["items"][0]["id"] > page["items"][0]["id"]
