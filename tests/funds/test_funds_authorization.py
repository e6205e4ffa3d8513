"""Who may read and write funds: every role, city-wide and district-bound, against the funds
routes (spec/api.md: finance writes; finance, officials and audit read; a district sees its
own district only)."""

import pytest

from tests.funds.conftest import pay_body

ROLES = [
    ("district_system", "650102"), ("district_industry", "650102"), ("district_stats", "650102"),
    ("district_industry", "650103"), ("city_industry", None), ("city_stats", None), ("finance", None),
    ("finance", "650102"), ("finance", "650103"), ("evaluator", None), ("auditor", None), ("admin", None),
]
FUNDS_READERS = {"district_industry", "district_stats", "city_industry", "city_stats", "finance", "evaluator", "auditor"}


@pytest.mark.parametrize("role,district", ROLES)
def test_read_routes(client, token_for, heads, approved, program, role, district):
    [app_id] = approved("650102")
    payment = client.post(f"/api/v1/applications/{app_id}/payments", json=pay_body(), headers=heads["finance"]).json()
    h = token_for(role, district, name=f"m-{role}-{district}")
    reader = role in FUNDS_READERS
    sees_650102 = district in (None, "650102")
    got = {path: client.get(path, headers=h).status_code for path in (
        f"/api/v1/programs/{program}/payments", f"/api/v1/programs/{program}/funds",
        f"/api/v1/programs/{program}/appropriations", f"/api/v1/payments/{payment['id']}")}
    assert got == {
        f"/api/v1/programs/{program}/payments": 200 if reader else 403,
        f"/api/v1/programs/{program}/funds": 200 if reader else 403,
        f"/api/v1/programs/{program}/appropriations": 200 if reader else 403,
        f"/api/v1/payments/{payment['id']}": (200 if sees_650102 else 404) if reader or role == "district_system" else 403,
    }
    if reader:
        items = client.get(f"/api/v1/programs/{program}/payments", headers=h).json()["items"]
        assert [p["id"] for p in items] == ([payment["id"]] if sees_650102 else [])


@pytest.mark.parametrize("role,district", ROLES)
def test_write_routes(client, session, token_for, approved, program, role, district):
    """Only finance writes: the city's the city level, a district's its own district level."""
    [ts_app] = approved("650102")
    h = token_for(role, district, name=f"w-{role}-{district}")
    city = client.post(f"/api/v1/applications/{ts_app}/payments", json=pay_body("city"), headers=h).status_code
    local = client.post(f"/api/v1/applications/{ts_app}/payments", json=pay_body("district"), headers=h).status_code
    appropriation = client.post(f"/api/v1/programs/{program}/appropriations", headers=h, json={
        "level": "district" if district else "city", "district_code": district, "amount": "100000.00",
        "document_no": "矩阵〔2024〕1号", "approved_on": "2024-06-26"}).status_code
    if role != "finance":
        assert (city, local, appropriation) == (403, 403, 403)
    elif district is None:
        assert (city, local, appropriation) == (201, 403, 201)
    elif district == "650102":
        assert (city, local, appropriation) == (403, 201, 201)
    else:
        assert (city, local, appropriation) == (404, 404, 201)
