"""Every 4xx is RFC 9457 problem+json with a Chinese detail — FastAPI's own errors included."""

import re

import pytest

from tests.factories import make_program

CJK = re.compile(r"[\u4e00-\u9fff]")


def _is_problem(r, status):
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["status"] == status and body["type"] and body["title"]
    assert CJK.search(body["detail"]), body["detail"]
    return body


@pytest.fixture
def ts(session, token_for):
    make_program(session)
    return token_for("district_system", "650102")


def test_malformed_json(client, ts):
    r = client.post("/api/v1/programs/T-2023/applications", content=b'{"external_ref": ', headers={**ts, "Content-Type": "application/json"})
    body = _is_problem(r, 422)
    assert "JSON" in body["detail"]


def test_wrong_types_list_every_field(client, ts):
    r = client.post("/api/v1/programs/T-2023/applications", json={"external_ref": 5, "declared_revenue": 35200000.5}, headers=ts)
    body = _is_problem(r, 422)
    locs = {tuple(e["loc"]) for e in body["errors"]}
    assert ("body", "declared_revenue") in locs and ("body", "enterprise") in locs
    assert all(CJK.search(e["msg"]) for e in body["errors"])


def test_money_as_float_refused(client, ts):
    from tests.factories import application_body

    body = application_body()
    body["declared_revenue"] = 35200000.5
    r = client.post("/api/v1/programs/T-2023/applications", json=body, headers=ts)
    assert "金额" in _is_problem(r, 422)["errors"][0]["msg"]


def test_oversized_json_body(client, ts):
    r = client.post("/api/v1/programs/T-2023/applications", content=b'{"x":"' + b"a" * (2 * 1024 * 1024) + b'"}',
                    headers={**ts, "Content-Type": "application/json"})
    _is_problem(r, 413)


def test_unknown_route_and_wrong_method(client):
    _is_problem(client.get("/api/v1/nothing-here"), 404)
    _is_problem(client.delete("/api/v1/districts"), 405)


def test_bad_path_parameter(client, ts):
    _is_problem(client.get("/api/v1/applications/not-a-number", headers=ts), 422)
    _is_problem(client.get("/api/v1/applications/999999", headers=ts), 404)


def test_oversized_chunked_body_without_length(client, ts):
    def chunks():
        yield b'{"x":"'
        for _ in range(40):
            yield b"a" * 65536
        yield b'"}'

    r = client.post("/api/v1/programs/T-2023/applications", content=chunks(), headers={**ts, "Content-Type": "application/json"})
    _is_problem(r, 413)


def test_browser_gets_an_error_page_not_json(client):
    r = client.get("/no-such-page", headers={"Accept": "text/html,application/xhtml+xml"})
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert "未找到" in r.text
    api = client.get("/api/v1/no-such", headers={"Accept": "text/html"})
    assert api.headers["content-type"].startswith("application/problem+json")


def test_control_characters_in_body_refused(client, ts):
    from tests.factories import application_body

    body = application_body()
    body["enterprise"]["name"] = "新疆\x01测试有限公司"
    r = client.post("/api/v1/programs/T-2023/applications", json=body, headers=ts)
    err = _is_problem(r, 422)["errors"][0]
    assert err["loc"] == ["body", "enterprise", "name"] and "控制字符" in err["msg"]
