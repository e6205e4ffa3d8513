"""Racing payments against a real server on a committed database: however many identical
requests arrive at once, one payment stands and no request gets a 5xx."""

import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlmodel import select

from app.applications.models import Application
from app.funds.models import Payment
from app.users.service import create_token
from tests.factories import make_program
from tests.funds.conftest import approve_applications, pay_body

pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def race(live_server):
    code = f"FR-{uuid.uuid4().hex[:6].upper()}"
    with live_server.session() as s:
        make_program(s, code)
        _t, city = create_token(s, name=f"{code}-finance", role="finance")
        _t, district = create_token(s, name=f"{code}-ts-finance", role="finance", district_code="650102")
        s.commit()
    heads = {"city": {"Authorization": f"Bearer {city}"}, "district": {"Authorization": f"Bearer {district}"}}

    def new_approved(n: int = 1) -> list[int]:
        with live_server.session() as s:
            return approve_applications(s, code, ["650102"] * n)

    return code, heads, new_approved


def _fire(url: str, n: int, **kwargs) -> list[httpx.Response]:
    def one(_):
        with httpx.Client(timeout=120) as c:
            return c.post(url, **kwargs)

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(one, range(n)))


def _payments(live_server, app_id: int) -> list[Payment]:
    with live_server.session() as s:
        return list(s.exec(select(Payment).where(Payment.application_id == app_id)).all())


def test_30_identical_payments_without_a_key_leave_one(live_server, race):
    _code, heads, new_approved = race
    [app_id] = new_approved()
    responses = _fire(f"{live_server.url}/api/v1/applications/{app_id}/payments", 30, json=pay_body(), headers=heads["city"])
    codes = sorted(r.status_code for r in responses)
    assert codes.count(201) == 1 and set(codes) <= {201, 409}, codes
    assert all("已拨付" in r.json()["detail"] for r in responses if r.status_code == 409)
    [payment] = _payments(live_server, app_id)
    assert payment.live_level == "city" and payment.amount_fen == 100_000_00
    with live_server.session() as s:
        assert s.get(Application, app_id).version == 8  # one pay, not thirty


def test_30_identical_payments_with_one_key_all_answer_the_first(live_server, race):
    _code, heads, new_approved = race
    [app_id] = new_approved()
    headers = {**heads["district"], "Idempotency-Key": f"race-{app_id}"}
    responses = _fire(f"{live_server.url}/api/v1/applications/{app_id}/payments", 30, json=pay_body("district"),
                      headers=headers)
    assert {r.status_code for r in responses} == {201}, [r.text for r in responses if r.status_code != 201]
    assert len({r.text for r in responses}) == 1
    assert len(_payments(live_server, app_id)) == 1


def test_two_racing_batches_over_the_same_applications(live_server, race):
    code, heads, new_approved = race
    ids = new_approved(3)
    body = {"level": "city", "paid_on": "2024-08-08", "voucher_no": "乌财库〔2024〕0808号", "application_ids": ids}
    reversed_body = {**body, "application_ids": ids[::-1]}
    with ThreadPoolExecutor(max_workers=2) as pool:
        responses = list(pool.map(lambda b: httpx.post(f"{live_server.url}/api/v1/programs/{code}/payment-batches",
                                                       json=b, headers=heads["city"], timeout=120), [body, reversed_body]))
    assert sorted(r.status_code for r in responses) == [201, 422], [r.text for r in responses]
    assert all(len(_payments(live_server, app_id)) == 1 for app_id in ids)
