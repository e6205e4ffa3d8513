"""Treasury payments: one tranche at a time, only for approved applications, at the award's
exact amount, once per live tranche; the application becomes paid when every due tranche is
paid and returns to approved when money comes back."""

from sqlmodel import col, func, select

from app.applications.models import Application
from app.audit.models import AuditEvent
from app.funds.models import Payment
from tests.funds.conftest import pay_body

PROBLEM = "application/problem+json"


def _payments(session, app_id: int) -> list[Payment]:
    session.expire_all()
    return list(session.exec(select(Payment).where(Payment.application_id == app_id).order_by(col(Payment.id))).all())


def _app(session, app_id: int) -> Application:
    session.expire_all()
    return session.get(Application, app_id)


def test_city_finance_pays_the_city_tranche(client, session, heads, approved):
    [app_id] = approved("650102")
    r = client.post(f"/api/v1/applications/{app_id}/payments", json=pay_body(), headers=heads["finance"])
    assert r.status_code == 201, r.text
    body = r.json()
    assert r.headers["location"] == f"/api/v1/payments/{body['id']}"
    assert body["application_id"] == app_id and body["level"] == "city" and body["amount"] == "100000.00"
    assert body["voucher_no"] == "乌财库〔2024〕0808-001" and body["paid_on"] == "2024-08-08"
    assert body["status"] == "paid" and body["returned_on"] is None and body["receipt"] is None
    assert body["payee_bank_name"] == "中国银行乌鲁木齐分行" and body["payee_account"] == "6217000012345678"
    # the district tranche is still due: approved, but the version moved and the history says so
    assert body["application_status"] == "approved"
    application = _app(session, app_id)
    assert application.status == "approved" and application.version == 8  # submit 1, four reviews, publish, confirm, pay
    [row] = _payments(session, app_id)
    assert row.live_level == "city" and row.amount_fen == 100_000_00 and row.recorded_by == "city-finance"
    detail = client.get(f"/api/v1/applications/{app_id}", headers=heads["finance"]).json()
    assert detail["payments"] == [{"id": row.id, "level": "city", "amount": "100000.00",
                                   "voucher_no": "乌财库〔2024〕0808-001", "paid_on": "2024-08-08", "status": "paid"}]
    assert detail["history"][-1]["action"] == "application.pay"
    assert detail["history"][-1]["summary"]["status"] == "approved"
    assert detail["history"][-1]["summary"]["payment_id"] == row.id


def test_paid_only_when_both_tranches_are_paid_and_approved_again_on_a_return(client, session, heads, approved):
    [app_id] = approved("650102")
    city = client.post(f"/api/v1/applications/{app_id}/payments", json=pay_body("city"), headers=heads["finance"])
    assert city.status_code == 201 and city.json()["application_status"] == "approved"
    district = client.post(f"/api/v1/applications/{app_id}/payments",
                           json=pay_body("district", voucher="天财库〔2024〕0812-007", paid_on="2024-08-12"),
                           headers=heads["fin_ts"])
    assert district.status_code == 201, district.text
    assert district.json()["application_status"] == "paid" and district.json()["recorded_by"] == "ts-finance"
    assert _app(session, app_id).status == "paid"

    # the district's money comes back: the application is approved again and the tranche open
    r = client.post(f"/api/v1/payments/{district.json()['id']}/return",
                    json={"returned_on": "2024-09-02", "reason": "企业账户已销户，资金退回国库"}, headers=heads["fin_ts"])
    assert r.status_code == 200, r.text
    returned = r.json()
    assert returned["status"] == "returned" and returned["returned_on"] == "2024-09-02"
    assert returned["return_reason"] == "企业账户已销户，资金退回国库" and returned["application_status"] == "approved"
    application = _app(session, app_id)
    assert application.status == "approved" and application.version == 10
    assert [(p.level, p.status, p.live_level) for p in _payments(session, app_id)] == [
        ("city", "paid", "city"), ("district", "returned", None)]
    history = client.get(f"/api/v1/applications/{app_id}", headers=heads["auditor"]).json()["history"]
    assert [h["action"] for h in history[-3:]] == ["application.pay", "application.pay", "application.return_payment"]

    # returned once is returned: a second return is refused
    again = client.post(f"/api/v1/payments/{district.json()['id']}/return",
                        json={"returned_on": "2024-09-03", "reason": "重复登记"}, headers=heads["fin_ts"])
    assert again.status_code == 409 and "不能重复退回" in again.json()["detail"]

    # a new payment of that tranche is allowed, and the application is paid again
    repaid = client.post(f"/api/v1/applications/{app_id}/payments",
                         json=pay_body("district", voucher="天财库〔2024〕0915-001", paid_on="2024-09-15"),
                         headers=heads["fin_ts"])
    assert repaid.status_code == 201, repaid.text
    assert repaid.json()["application_status"] == "paid"
    assert [(p.level, p.status) for p in _payments(session, app_id)] == [
        ("city", "paid"), ("district", "returned"), ("district", "paid")]


def test_return_of_a_partly_paid_application_keeps_it_approved(client, session, heads, approved):
    [app_id] = approved("650102")
    paid = client.post(f"/api/v1/applications/{app_id}/payments", json=pay_body(), headers=heads["finance"]).json()
    early = client.post(f"/api/v1/payments/{paid['id']}/return", json={"returned_on": "2024-08-01", "reason": "日期早于支付"},
                        headers=heads["finance"])
    assert early.status_code == 422 and early.json()["errors"][0]["loc"] == ["body", "returned_on"]
    r = client.post(f"/api/v1/payments/{paid['id']}/return", json={"returned_on": "2024-08-20", "reason": "账户信息有误"},
                    headers=heads["finance"])
    assert r.status_code == 200 and r.json()["application_status"] == "approved"
    # a lifecycle step all the same: the return shows in the application's own history
    assert _app(session, app_id).version == 9
    history = session.exec(select(AuditEvent).where(AuditEvent.entity_type == "application",
                                                    AuditEvent.entity_id == str(app_id)).order_by(col(AuditEvent.id))).all()
    assert history[-1].action == "application.return_payment" and history[-1].after["status"] == "approved"
    events = session.exec(select(AuditEvent).where(AuditEvent.entity_type == "payment",
                                                   AuditEvent.entity_id == str(paid["id"])).order_by(col(AuditEvent.id))).all()
    assert [e.action for e in events] == ["payment.record", "payment.return"]
    assert events[1].after["reason"] == "账户信息有误" and events[1].actor == "city-finance"


def test_wrong_amount_is_422_naming_both_amounts(client, session, heads, approved):
    [app_id] = approved("650102")
    r = client.post(f"/api/v1/applications/{app_id}/payments", json=pay_body(amount="99999.99"), headers=heads["finance"])
    assert r.status_code == 422 and r.headers["content-type"].startswith(PROBLEM)
    problem = r.json()
    assert "99999.99" in problem["detail"] and "100000.00" in problem["detail"]
    assert problem["errors"] == [{"loc": ["body", "amount"], "msg": "金额须为 100000.00 元", "code": "amount_mismatch"}]
    assert _payments(session, app_id) == [] and _app(session, app_id).version == 7


def test_only_approved_applications_are_paid(client, session, heads, program, token_for):
    from tests.factories import application_body

    submitted = client.post(f"/api/v1/programs/{program}/applications", json=application_body(), headers=heads["ts"]).json()
    r = client.post(f"/api/v1/applications/{submitted['id']}/payments", json=pay_body(), headers=heads["finance"])
    assert r.status_code == 409 and r.headers["content-type"].startswith(PROBLEM)
    assert "已提交" in r.json()["detail"] and "已审定" in r.json()["detail"]
    assert _payments(session, submitted["id"]) == []


def test_second_live_payment_of_a_tranche_is_409_with_its_voucher(client, session, heads, approved):
    [app_id] = approved("650102")
    assert client.post(f"/api/v1/applications/{app_id}/payments", json=pay_body(), headers=heads["finance"]).status_code == 201
    r = client.post(f"/api/v1/applications/{app_id}/payments", json=pay_body(voucher="另一凭证"), headers=heads["finance"])
    assert r.status_code == 409
    assert r.json()["detail"].startswith("该申报的市级奖补已拨付（凭证号 乌财库〔2024〕0808-001）")
    assert len(_payments(session, app_id)) == 1


def test_the_constraint_answers_409_when_the_check_is_raced(client, session, heads, approved, monkeypatch):
    """Two requests that both pass the check: the UNIQUE(application_id, live_level) refuses
    the second inside its savepoint, answered like the check (no 5xx, nothing written)."""
    from app.funds import service

    [app_id] = approved("650102")
    first = client.post(f"/api/v1/applications/{app_id}/payments", json=pay_body(), headers=heads["finance"]).json()
    events = session.exec(select(func.count()).select_from(AuditEvent)).one()
    real = service._live_payment
    calls = {"n": 0}

    def blind_first_time(session_, application_id, level):
        calls["n"] += 1
        return None if calls["n"] == 1 else real(session_, application_id, level)

    monkeypatch.setattr(service, "_live_payment", blind_first_time)
    r = client.post(f"/api/v1/applications/{app_id}/payments", json=pay_body(voucher="竞争凭证"), headers=heads["finance"])
    assert r.status_code == 409, r.text
    assert r.json()["detail"].startswith("该申报的市级奖补已拨付（凭证号 乌财库〔2024〕0808-001）")
    assert r.json()["payment_id"] == first["id"]
    assert [p.voucher_no for p in _payments(session, app_id)] == ["乌财库〔2024〕0808-001"]
    assert session.exec(select(func.count()).select_from(AuditEvent)).one() == events


def test_idempotency_key_replays_the_first_response_and_refuses_another_body(client, session, heads, approved):
    [app_id] = approved("650102")
    headers = {**heads["finance"], "Idempotency-Key": "pay-0808-001"}
    first = client.post(f"/api/v1/applications/{app_id}/payments", json=pay_body(), headers=headers)
    assert first.status_code == 201
    replay = client.post(f"/api/v1/applications/{app_id}/payments", json=pay_body(), headers=headers)
    assert replay.status_code == 201 and replay.json() == first.json()
    assert replay.headers["location"] == first.headers["location"]
    other = client.post(f"/api/v1/applications/{app_id}/payments", json=pay_body(voucher="乌财库〔2024〕0808-002"),
                        headers=headers)
    assert other.status_code == 422 and other.json()["errors"][0]["code"] == "idempotency_key_reused"
    assert len(_payments(session, app_id)) == 1
    # without the key the same body is a second payment attempt: 409
    assert client.post(f"/api/v1/applications/{app_id}/payments", json=pay_body(),
                       headers=heads["finance"]).status_code == 409


def test_finance_scope_by_level_and_district(client, session, heads, approved):
    ts_app, sb_app = approved("650102", "650103")
    # a district's finance pays neither the city tranche nor another district's
    r = client.post(f"/api/v1/applications/{ts_app}/payments", json=pay_body("city"), headers=heads["fin_ts"])
    assert r.status_code == 403 and "市级奖补资金由市财政办理" in r.json()["detail"]
    r = client.post(f"/api/v1/applications/{sb_app}/payments", json=pay_body("district"), headers=heads["fin_ts"])
    assert r.status_code == 404
    # the city's finance does not pay district tranches
    r = client.post(f"/api/v1/applications/{ts_app}/payments", json=pay_body("district"), headers=heads["finance"])
    assert r.status_code == 403 and "区级奖补资金由企业所在区（县）财政办理" in r.json()["detail"]
    # other roles do not pay at all
    for who in ("c_ind", "auditor", "ts", "admin"):
        assert client.post(f"/api/v1/applications/{ts_app}/payments", json=pay_body(),
                           headers=heads[who]).status_code == 403, who
    assert client.post(f"/api/v1/applications/{ts_app}/payments", json=pay_body()).status_code == 401
    assert _payments(session, ts_app) == [] and _payments(session, sb_app) == []
    # the right finance of each: 201
    assert client.post(f"/api/v1/applications/{sb_app}/payments", json=pay_body("district"),
                       headers=heads["fin_sb"]).status_code == 201


def test_return_scope(client, session, heads, approved):
    [app_id] = approved("650102")
    city = client.post(f"/api/v1/applications/{app_id}/payments", json=pay_body(), headers=heads["finance"]).json()
    body = {"returned_on": "2024-09-01", "reason": "资金退回"}
    assert client.post(f"/api/v1/payments/{city['id']}/return", json=body, headers=heads["fin_ts"]).status_code == 403
    assert client.post(f"/api/v1/payments/{city['id']}/return", json=body, headers=heads["fin_sb"]).status_code == 404
    assert client.post(f"/api/v1/payments/{city['id']}/return", json=body, headers=heads["c_ind"]).status_code == 403
    assert client.post("/api/v1/payments/2147483647/return", json=body, headers=heads["finance"]).status_code == 404
    assert client.post("/api/v1/payments/2147483648/return", json=body, headers=heads["finance"]).status_code == 422


def test_bad_bodies_are_422(client, session, heads, approved):
    [app_id] = approved("650102")
    url = f"/api/v1/applications/{app_id}/payments"
    cases = {
        "voucher_no": pay_body(voucher="   "),
        "level": {**pay_body(), "level": "province"},
        "amount": {**pay_body(), "amount": 100000},
        "paid_on": {**pay_body(), "paid_on": "2024-13-01"},
    }
    for field, body in cases.items():
        r = client.post(url, json=body, headers=heads["finance"])
        assert r.status_code == 422, (field, r.text)
        assert any(e["loc"][:2] == ["body", field] for e in r.json()["errors"]), (field, r.json())
    missing = {k: v for k, v in pay_body().items() if k != "voucher_no"}
    r = client.post(url, json=missing, headers=heads["finance"])
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["body", "voucher_no"]
    assert _payments(session, app_id) == []


def test_a_programme_without_the_tranche_and_a_conditional_tranche(client, session, heads, approved, program):
    """A tranche that requires a later roster year is not due until the roster lists the
    enterprise: the application is paid without it, and it cannot be paid before."""
    from app.programs.models import AwardTranche, Program

    program_id = session.exec(select(Program.id).where(Program.code == program)).one()
    district = session.exec(select(AwardTranche).where(AwardTranche.program_id == program_id,
                                                       AwardTranche.level == "district")).one()
    district.required_roster_year = 2024
    session.add(district)
    session.commit()
    [app_id] = approved("650102")
    r = client.post(f"/api/v1/applications/{app_id}/payments", json=pay_body("district"), headers=heads["fin_ts"])
    assert r.status_code == 409 and "2024 年规上工业企业名录" in r.json()["detail"]
    r = client.post(f"/api/v1/applications/{app_id}/payments", json=pay_body("city"), headers=heads["finance"])
    assert r.status_code == 201 and r.json()["application_status"] == "paid"

    session.delete(district)
    session.commit()
    [other] = approved("650102")
    r = client.post(f"/api/v1/applications/{other}/payments", json=pay_body("district"), headers=heads["fin_ts"])
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "unknown_tranche"


def test_no_payee_account_no_payment(client, session, heads, approved):
    [app_id] = approved("650102", bank_account="")
    r = client.post(f"/api/v1/applications/{app_id}/payments", json=pay_body(), headers=heads["finance"])
    assert r.status_code == 409 and "未登记开户银行账号" in r.json()["detail"]


def test_bank_accounts_in_full_for_finance_only(client, session, heads, approved, program):
    [app_id] = approved("650102")
    paid = client.post(f"/api/v1/applications/{app_id}/payments", json=pay_body(), headers=heads["finance"]).json()
    assert paid["payee_account"] == "6217000012345678"
    for who, expected in (("finance", "6217000012345678"), ("fin_ts", "6217000012345678"),
                          ("c_ind", "************5678"), ("auditor", "************5678"), ("d_ind", "************5678")):
        listed = client.get(f"/api/v1/programs/{program}/payments", headers=heads[who])
        assert listed.status_code == 200, (who, listed.text)
        assert [p["payee_account"] for p in listed.json()["items"]] == [expected], who
        one = client.get(f"/api/v1/payments/{paid['id']}", headers=heads[who])
        assert one.json()["payee_account"] == expected, who
    assert client.get(f"/api/v1/payments/{paid['id']}", headers=heads["ts"]).json()["payee_account"] == "************5678"
    assert client.get(f"/api/v1/payments/{paid['id']}", headers=heads["sb"]).status_code == 404
    assert client.get(f"/api/v1/programs/{program}/payments", headers=heads["ts"]).status_code == 403
    # the audit trail keeps the account masked too
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "payment.record",
                                                  AuditEvent.entity_id == str(paid["id"]))).one()
    assert event.after["payee_account"] == "************5678" and event.after["amount"] == "100000.00"
