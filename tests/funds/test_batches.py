"""Batch entry (批量录入): one treasury batch voucher for many approved applications, recorded
in one transaction — all of them, or none and a list of the rows that cannot be paid."""

from sqlmodel import col, func, select

from app.applications.models import Application
from app.audit.models import AuditEvent
from app.funds.models import Payment
from tests.factories import application_body
from tests.funds.conftest import pay_body

DISTRICTS = ["650102", "650103", "650104", "650105", "650106", "650107", "650109", "650121"]


def _count(session, model) -> int:
    session.expire_all()
    return session.exec(select(func.count()).select_from(model)).one()


def _batch(level: str, ids: list[int], voucher: str = "乌财库〔2024〕0808号", paid_on: str = "2024-08-08") -> dict:
    return {"level": level, "paid_on": paid_on, "voucher_no": voucher, "application_ids": ids}


def test_41_enterprises_at_100000_sum_to_exactly_4100000(client, session, heads, approved, program, token_for):
    """The seed: 41 enterprises, 100,000.00 yuan each from the city, 4,100,000.00 in all,
    appropriated under 乌财建〔2024〕169号, arrived in full and paid on 2024-08-08."""
    ids = approved(*[DISTRICTS[i % len(DISTRICTS)] for i in range(41)])
    r = client.post(f"/api/v1/programs/{program}/appropriations", headers=heads["finance"], json={
        "level": "city", "amount": "4100000.00", "document_no": "乌财建〔2024〕169号", "approved_on": "2024-06-26",
        "arrived_amount": "4100000.00", "arrived_on": "2024-07-15"})
    assert r.status_code == 201, r.text

    r = client.post(f"/api/v1/programs/{program}/payment-batches", json=_batch("city", ids), headers=heads["finance"])
    assert r.status_code == 201, r.text
    batch = r.json()
    assert batch["count"] == 41 and batch["total"] == "4100000.00" and batch["level"] == "city"
    assert [p["application_id"] for p in batch["payments"]] == ids
    assert {p["voucher_no"] for p in batch["payments"]} == {"乌财库〔2024〕0808号"}
    assert {p["application_status"] for p in batch["payments"]} == {"approved"}  # the district tranches are still due

    funds = client.get(f"/api/v1/programs/{program}/funds", headers=heads["auditor"]).json()
    city = next(row for row in funds["levels"] if row["level"] == "city")
    assert {k: city[k] for k in ("budget", "appropriated", "arrived", "paid", "returned", "still_to_pay", "paid_count",
                                 "due_count")} == {
        "budget": "4100000.00", "appropriated": "4100000.00", "arrived": "4100000.00", "paid": "4100000.00",
        "returned": "0.00", "still_to_pay": "0.00", "paid_count": 41, "due_count": 0}
    district = next(row for row in funds["levels"] if row["level"] == "district")
    assert district["budget"] == "4100000.00" and district["still_to_pay"] == "4100000.00" and district["paid"] == "0.00"

    # each district's finance pays its own enterprises' district tranche in a batch of its own
    by_district: dict[str, list[int]] = {}
    for app_id, code in zip(ids, [DISTRICTS[i % len(DISTRICTS)] for i in range(41)], strict=True):
        by_district.setdefault(code, []).append(app_id)
    for code, app_ids in by_district.items():
        r = client.post(f"/api/v1/programs/{program}/payment-batches", headers=token_for("finance", code, name=f"fin-{code}"),
                        json=_batch("district", app_ids, voucher=f"{code}-2024-0812", paid_on="2024-08-12"))
        assert r.status_code == 201, r.text
        assert {p["application_status"] for p in r.json()["payments"]} == {"paid"}
    funds = client.get(f"/api/v1/programs/{program}/funds", headers=heads["c_ind"]).json()
    district = next(row for row in funds["levels"] if row["level"] == "district")
    assert district["paid"] == "4100000.00" and district["still_to_pay"] == "0.00" and district["paid_count"] == 41
    assert sum(row["paid_count"] for row in funds["districts"]) == 41
    ts = next(row for row in funds["districts"] if row["district_code"] == "650102")
    assert ts["paid"] == "600000.00" and ts["budget"] == "600000.00" and ts["district_name"] == "天山区"
    assert session.exec(select(func.count()).select_from(Application)
                        .where(col(Application.id).in_(ids), Application.status == "paid")).one() == 41


def test_one_bad_row_and_nothing_is_written(client, session, heads, approved, program):
    good = approved("650102", "650102", "650102")
    other_district = approved("650103")[0]
    already = good[2]
    assert client.post(f"/api/v1/applications/{already}/payments", json=pay_body("district"),
                       headers=heads["fin_ts"]).status_code == 201
    submitted = client.post(f"/api/v1/programs/{program}/applications", json=application_body(),
                            headers=heads["ts"]).json()["id"]
    payments, events = _count(session, Payment), _count(session, AuditEvent)
    versions = {i: session.get(Application, i).version for i in good}

    ids = [good[0], submitted, good[1], already, good[0], other_district, 2_147_483_647]
    r = client.post(f"/api/v1/programs/{program}/payment-batches", json=_batch("district", ids), headers=heads["fin_ts"])
    assert r.status_code == 422, r.text
    problem = r.json()
    assert "整批未登记" in problem["detail"] and "7 条中有 5 条" in problem["detail"]
    assert [(e["loc"], e["code"]) for e in problem["errors"]] == [
        (["body", "application_ids", 1], "not_approved"),
        (["body", "application_ids", 3], "already_paid"),
        (["body", "application_ids", 4], "duplicate"),
        (["body", "application_ids", 5], "not_found"),  # another district's: not even its existence
        (["body", "application_ids", 6], "not_found"),
    ]
    assert "已提交" in problem["errors"][0]["msg"] and "凭证号" in problem["errors"][1]["msg"]
    assert _count(session, Payment) == payments and _count(session, AuditEvent) == events
    assert {i: session.get(Application, i).version for i in good} == versions

    # the good rows alone go through
    r = client.post(f"/api/v1/programs/{program}/payment-batches", json=_batch("district", good[:2]), headers=heads["fin_ts"])
    assert r.status_code == 201 and r.json()["count"] == 2 and r.json()["total"] == "200000.00"
    assert _count(session, Payment) == payments + 2
    batch_event = session.exec(select(AuditEvent).where(AuditEvent.action == "payment.batch")).one()
    assert batch_event.entity_id == program and batch_event.after["count"] == 2
    assert batch_event.after["payment_ids"] == [p["id"] for p in r.json()["payments"]]
    # one payment event and one lifecycle event per row, plus the batch's
    assert _count(session, AuditEvent) == events + 2 * 2 + 1


def test_a_batch_of_another_programme_or_scope(client, session, heads, approved, program, token_for):
    from tests.factories import make_program

    [app_id] = approved("650102")
    make_program(session, "FD-OTHER")
    session.commit()
    r = client.post("/api/v1/programs/FD-OTHER/payment-batches", json=_batch("city", [app_id]), headers=heads["finance"])
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "other_program"
    r = client.post(f"/api/v1/programs/{program}/payment-batches", json=_batch("city", [app_id]), headers=heads["fin_ts"])
    assert r.status_code == 403
    r = client.post(f"/api/v1/programs/{program}/payment-batches", json=_batch("city", [app_id]), headers=heads["c_ind"])
    assert r.status_code == 403
    for bad in (_batch("city", []), _batch("city", [0]), _batch("city", list(range(1, 502))), _batch("city", [app_id], voucher="")):
        assert client.post(f"/api/v1/programs/{program}/payment-batches", json=bad,
                           headers=heads["finance"]).status_code == 422
    assert client.post("/api/v1/programs/NOPE/payment-batches", json=_batch("city", [app_id]),
                       headers=heads["finance"]).status_code == 404
    assert _count(session, Payment) == 0


def test_batch_idempotency_key(client, session, heads, approved, program):
    ids = approved("650102", "650102")
    headers = {**heads["finance"], "Idempotency-Key": "batch-0808"}
    first = client.post(f"/api/v1/programs/{program}/payment-batches", json=_batch("city", ids), headers=headers)
    again = client.post(f"/api/v1/programs/{program}/payment-batches", json=_batch("city", ids), headers=headers)
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    other = client.post(f"/api/v1/programs/{program}/payment-batches", json=_batch("city", ids[:1]), headers=headers)
    assert other.status_code == 422
    assert _count(session, Payment) == 2
