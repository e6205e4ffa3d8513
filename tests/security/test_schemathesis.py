"""Schemathesis over /openapi.json against a real server (spec/quality.md: bad input gets a
clear problem+json 4xx, never a 500, and no response breaks the schema).

The schema is loaded from the live server; every request carries the Bearer token of one
powerful role (a run each as `admin`, `city_industry` and `district_system` of 650102, so
that every write route is reached past its role check). The database is seeded first (a
programme, a roster row, an application submitted through the API and its document) and
a second test pins the path parameters to those rows, so that generated bodies reach the
code behind the lookups instead of stopping at 404.

Bounded for CI: 25 examples per operation and role (SCALEUP_SCHEMATHESIS_EXAMPLES to dig
deeper); an operation the role may not call gets one request, whose 403 is checked, and is
reported as a skipped subtest."""

import os
import re
import uuid

import _pytest.nodes
import httpx
import pytest
import schemathesis
from _pytest.nodeid import NodeId
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app.core.pagination import encode_cursor
from app.users.service import create_token
from tests.factories import PDF_BYTES, add_roster, application_body, make_program, new_uscc

pytestmark = pytest.mark.live

# schemathesis 4.32.5's fixture loader (schemathesis/pytest/lazy.py) reads and writes
# `request.node._nodeid`, which pytest 9.2 replaced by a structured `_id`. Give it back as
# a property over `_id` until schemathesis catches up; inert where `_nodeid` exists.
if not hasattr(_pytest.nodes.Node, "_nodeid"):
    _pytest.nodes.Node._nodeid = property(
        lambda node: str(node._id), lambda node, value: setattr(node, "_id", NodeId.parse(value)))

ROLES = {"admin": None, "city_industry": None, "district_system": "650102"}
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


# Values that well-formed JSON and URLs can carry but a database may not: NUL (PostgreSQL
# refuses it in text), integers past int4/int8, and cursors that decode to such integers.
# Random generation seldom hits them in a few dozen examples, so they are mixed into every
# path and query parameter and every string field of every request body (one draw in five).
HOSTILE_STRINGS = ["\x00", "名称\x00", "2147483648", encode_cursor([2**31]), encode_cursor([-(2**63) - 1])]
HOSTILE_INTEGERS = [2**31, 2**63, -(2**63) - 1]
DICTIONARIES = {"hostile-strings": {"values": HOSTILE_STRINGS}, "hostile-integers": {"values": HOSTILE_INTEGERS}}
HOSTILE = {ty: {"dictionary": f"hostile-{ty}s", "probability": 0.2} for ty in ("string", "integer")}


def _types(node: dict, schemas: dict) -> set[str]:
    ref = node.get("$ref", "")
    if ref.startswith("#/components/schemas/"):
        node = schemas.get(ref.rsplit("/", 1)[-1], {})
    found = {node["type"]} if isinstance(node.get("type"), str) else set()
    for sub in node.get("anyOf", []) + node.get("oneOf", []):
        found |= _types(sub, schemas)
    return found


def _hostile_bindings(raw: dict) -> dict[str, dict]:
    """A dictionary binding for every string or integer path/query parameter (`query.q`) and
    every string leaf of a request body (`body.enterprise.name`, `body.awards[*].amount`)."""
    schemas = raw.get("components", {}).get("schemas", {})
    bindings: dict[str, dict] = {}

    def walk(node, path: str, seen: frozenset) -> None:
        if not isinstance(node, dict):
            return
        ref = node.get("$ref", "")
        if ref.startswith("#/components/schemas/"):
            name = ref.rsplit("/", 1)[-1]
            if name not in seen:
                walk(schemas.get(name), path, seen | {name})
            return
        for sub in node.get("anyOf", []) + node.get("oneOf", []) + node.get("allOf", []):
            walk(sub, path, seen)
        if node.get("type") == "string" and path != "body":
            bindings[path] = HOSTILE["string"]
        for name, sub in node.get("properties", {}).items():
            walk(sub, f"{path}.{name}", seen)
        if "items" in node and path != "body":
            walk(node["items"], f"{path}[*]", seen)

    for operations in raw.get("paths", {}).values():
        for operation in operations.values():
            for param in operation.get("parameters", []):
                if param["in"] in ("path", "query"):
                    for ty in {"string", "integer"} & _types(param.get("schema", {}), schemas):
                        bindings[f"{param['in']}.{param['name']}"] = HOSTILE[ty]
            for media in (operation.get("requestBody") or {}).get("content", {}).values():
                walk(media.get("schema"), "body", frozenset())
    return bindings


def _schema(live_server, seeded, role: str, pinned: bool):
    url = f"{live_server.url}/openapi.json"
    parameters: dict = _hostile_bindings(httpx.get(url, timeout=30).json())
    if pinned:
        parameters.update({"path.code": seeded["code"], "path.application_id": seeded["application_id"],
                           "path.document_id": seeded["document_id"], "path.uscc": seeded["uscc"]})
    config = SchemathesisConfig.from_dict({
        "headers": {"Authorization": f"Bearer {seeded['tokens'][role]}"},
        "parameters": parameters,
        "dictionaries": DICTIONARIES,
        # Not OPTIONS/TRACE/... on every path: Starlette's 405, not this API, and a sixth of the time.
        "phases": {"coverage": {"unexpected-methods": []}},
    })
    return schemathesis.openapi.from_url(url, config=config)


@pytest.fixture(params=list(ROLES))
def role(request) -> str:
    return request.param


@pytest.fixture
def api_schema(live_server, seeded, role):
    return _schema(live_server, seeded, role, pinned=False)


@pytest.fixture
def pinned_schema(live_server, seeded, role):
    return _schema(live_server, seeded, role, pinned=True)


_FORBIDDEN: dict[tuple[str, str], set[str]] = {}


@pytest.fixture
def forbidden(live_server, seeded, role) -> set[str]:
    """The operations this role may not call. The role check runs before any input is read,
    so a bare request (no body, every path parameter "1") that gets 403 finds them."""
    key = (live_server.url, role)
    if key not in _FORBIDDEN:
        spec = httpx.get(f"{live_server.url}/openapi.json", timeout=30).json()
        headers = {"Authorization": f"Bearer {seeded['tokens'][role]}"}
        _FORBIDDEN[key] = {
            f"{method.upper()} {path}"
            for path, operations in spec["paths"].items() if path.startswith("/api/")
            for method in operations
            if httpx.request(method.upper(), live_server.url + re.sub(r"\{[^}]+\}", "1", path), headers=headers,
                             timeout=30).status_code == 403
        }
    return _FORBIDDEN[key]


def problem_json_errors(ctx, response, case):
    """Every 4xx is RFC 9457 problem+json with type, title, status (= the code) and detail,
    whether or not the operation documents that status."""
    if not 400 <= response.status_code < 500:
        return None
    ctype = (response.headers.get("content-type") or [""])[0]
    assert ctype.startswith("application/problem+json"), (
        f"{response.status_code} answered with Content-Type {ctype!r}, not application/problem+json")
    try:
        body = response.json()
    except ValueError:
        raise AssertionError(f"{response.status_code} problem body is not JSON: {response.content[:200]!r}") from None
    assert isinstance(body, dict), f"problem body is not an object: {body!r}"
    missing = [k for k in ("type", "title", "status", "detail") if not body.get(k)]
    assert not missing, f"problem+json lacks {missing}: {body!r}"
    assert body["status"] == response.status_code, f"problem status {body['status']} != {response.status_code}"
    return None


CHECKS = [
    not_a_server_error,  # never a 500, whatever the input
    status_code_conformance,  # every status answered is documented for the operation
    content_type_conformance,  # ... with the documented media type
    response_schema_conformance,  # ... and a body that matches the documented schema
    response_headers_conformance,
    negative_data_rejection,  # input the schema forbids is refused with a 4xx
    problem_json_errors,
]
# Not checked: positive_data_acceptance (a schema-valid request may still break a business
# rule — a USCC check digit, a cursor from another page — and get a 4xx, rightly), and
# the stateful/OPTIONS checks, which are about the ASGI stack rather than this API.
SETTINGS = settings(max_examples=int(os.environ.get("SCALEUP_SCHEMATHESIS_EXAMPLES", "25")), deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large])

api = schemathesis.pytest.from_fixture("api_schema").exclude(path_regex=NON_API)
# Only the operations whose every path parameter is one of the seeded rows gain from pinning.
PINNED_PATHS = r"^[^{]*(\{(code|application_id|document_id|uscc)\}[^{]*)+$"
pinned = schemathesis.pytest.from_fixture("pinned_schema").exclude(path_regex=NON_API).include(path_regex=PINNED_PATHS)


FORBIDDEN_REASON = "operation forbidden to this role: its 403 answer was checked, nothing more to fuzz"


def _call(case, forbidden: set[str]) -> None:
    case.call_and_validate(checks=CHECKS)
    if case.operation.label in forbidden:
        pytest.skip(FORBIDDEN_REASON)


@SETTINGS
@api.parametrize()
def test_api(case, forbidden):
    _call(case, forbidden)


@SETTINGS
@pinned.parametrize()
def test_api_on_seeded_rows(case, forbidden):
    _call(case, forbidden)
