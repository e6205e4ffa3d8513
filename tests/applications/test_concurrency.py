"""Concurrent retries against a real server on a committed database."""

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlmodel import func, select

from app.applications.models import Application
from app.enterprises.models import Enterprise
from app.users.service import create_token
from tests.factories import application_body, make_program, new_uscc

pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def live_program(live_server):
    with live_server.session() as s:
        make_program(s, code="LIVE-CONC")
        _tok, raw = create_token(s, name="ts-live", role="district_system", district_code="650102")
        s.commit()
    return {"Authorization": f"Bearer {raw}"}


def _fire(url: str, headers: dict, body: dict, n: int) -> list[httpx.Response]:
    def one(_):
        with httpx.Client(timeout=60) as c:
            return c.post(url, json=body, headers=headers)

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(one, range(n)))


def _count(live_server, uscc: str) -> int:
    with live_server.session() as s:
        return s.exec(
            select(func.count()).select_from(Application).join(Enterprise, Enterprise.id == Application.enterprise_id)
            .where(Enterprise.uscc == uscc)
        ).one()


def test_20_concurrent_identical_submissions_create_one(live_server, live_program):
    body = application_body(new_uscc())
    responses = _fire(f"{live_server.url}/api/v1/programs/LIVE-CONC/applications", live_program, body, 20)
    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(201) == 1 and set(statuses) <= {200, 201}, statuses
    assert len({r.json()["id"] for r in responses}) == 1
    assert _count(live_server, body["enterprise"]["uscc"]) == 1


def test_20_concurrent_same_idempotency_key_create_one(live_server, live_program):
    body = application_body(new_uscc())
    headers = {**live_program, "Idempotency-Key": f"key-{body['external_ref']}"}
    responses = _fire(f"{live_server.url}/api/v1/programs/LIVE-CONC/applications", headers, body, 20)
    assert all(r.status_code in (200, 201) for r in responses), [r.text for r in responses if r.status_code >= 300]
    assert len({r.json()["id"] for r in responses}) == 1
    assert _count(live_server, body["enterprise"]["uscc"]) == 1
