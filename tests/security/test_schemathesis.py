"""Schemathesis over /openapi.json against a real server (spec/quality.md: bad input gets a
clear problem+json 4xx, never a 500, and no response breaks the schema).

The schema is loaded from the live server, every request carries the Bearer token of a
powerful role (run once as `admin`, once as `district_system` of 650102), and the database
is seeded first so that generated ids and codes can hit real rows. A second test pins the
path parameters to the seeded rows, so request bodies reach the code behind the lookups."""

import uuid

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from app.users.service import create_token
from tests.factories import PDF_BYTES, add_roster, application_body, make_program, new_uscc

pytestmark = pytest.mark.live

ROLES = {"admin": None, "district_system": "650102"}
# The HTML pages, static files and sign-in are not part of the JSON API (and not in the
# schema, but excluded here too in case a page route is ever documented).
NON_API = r"^/(?!api/v1/|healthz$|readyz$)"


@pytest.fixture(scope="module")
def seeded(live_server) -> dict:
    tag = uuid.uuid4().hex[:6].upper()
    code = f"ST-{tag}"
    uscc = new_uscc("650102")
    tokens = {}
    with live_server.session() as s:
        make_program(s, code)
        add_roster(s, uscc)
        for role, district in ROLES.items():
            _tok, raw = create_token(s, name=f"schemathesis-{role}-{tag}", role=role, district_code=district)
            tokens[role] = raw
        s.commit()
    with httpx.Client(base_url=live_server.url, timeout=30,
                      headers={"Authorization": f"Bearer {tokens['district_system']}"}) as client:
        r = client.post(f"/api/v1/programs/{code}/applications", json=application_body(uscc, ref=f"ST-{tag}"))
        assert r.status_code == 201, r.text
        application_id = r.json()["id"]
        r = client.post(f"/api/v1/applications/{application_id}/documents", data={"kind": "application_report"},
                        files={"file": ("申请报告.pdf", PDF_BYTES, "application/pdf")})
        assert r.status_code == 201, r.text
        document_id = r.json()["id"]
    return {"code": code, "uscc": uscc, "tokens": tokens, "application_id": application_id, "document_id": document_id}


def _schema(live_server, seeded, role: str, pinned: bool):
    schema = schemathesis.openapi.from_url(f"{live_server.url}/openapi.json")
    schema.config.update(headers={"Authorization": f"Bearer {seeded['tokens'][role]}"})
    if pinned:
        schema.config.update(parameters={
            "path.code": seeded["code"], "path.application_id": seeded["application_id"],
            "path.document_id": seeded["document_id"], "path.uscc": seeded["uscc"],
        })
    return schema


@pytest.fixture(params=list(ROLES))
def api_schema(request, live_server, seeded):
    return _schema(live_server, seeded, request.param, pinned=False)


@pytest.fixture(params=list(ROLES))
def pinned_schema(request, live_server, seeded):
    return _schema(live_server, seeded, request.param, pinned=True)


def problem_json_errors(ctx, response, case):
    """Every 4xx is RFC 9457 problem+json with type, title, status (= the code) and detail."""
    if not 400 <= response.status_code < 500:
        return None
    ctype = (response.headers.get("content-type") or [""])[0]
    assert ctype.startswith("application/problem+json"), (
        f"{response.status_code} answered with Content-Type {ctype!r}, not application/problem+json")
    body = response.json()
    assert isinstance(body, dict), f"problem body is not an object: {body!r}"
    missing = [k for k in ("type", "title", "status", "detail") if not body.get(k)]
    assert not missing, f"problem+json lacks {missing}: {body!r}"
    assert body["status"] == response.status_code, f"problem status {body['status']} != {response.status_code}"
    return None


CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance, problem_json_errors]
SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])

api = schemathesis.pytest.from_fixture("api_schema").exclude(path_regex=NON_API)
pinned = schemathesis.pytest.from_fixture("pinned_schema").exclude(path_regex=NON_API).include(path_regex=r"\{")


@SETTINGS
@api.parametrize()
def test_api(case):
    case.call_and_validate(checks=CHECKS)


@SETTINGS
@pinned.parametrize()
def test_api_on_seeded_rows(case):
    case.call_and_validate(checks=CHECKS)
