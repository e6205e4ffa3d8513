def test_healthz_and_readyz(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    r = client.get("/readyz")
    assert r.status_code == 200 and r.json()["database"] == "ok"


def test_districts_need_credentials(client):
    r = client.get("/api/v1/districts")
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["status"] == 401 and "登录" in body["detail"]


def test_districts_seeded_by_migration(client, token_for):
    r = client.get("/api/v1/districts", headers=token_for("auditor"))
    assert r.status_code == 200
    assert {"code": "650102", "name": "天山区"} in r.json()
    assert len(r.json()) == 8


def test_security_headers(client):
    r = client.get("/healthz")
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert "unsafe-inline" not in r.headers["content-security-policy"]
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "HX-Request" in r.headers["vary"]
