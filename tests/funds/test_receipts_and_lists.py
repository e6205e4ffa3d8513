"""Bank e-receipts per payment (finance or the enterprise's district system, the documents'
file rules), the payment list with its filters, and the funds summary's figures."""

from sqlmodel import col, select

from app.audit.models import AuditEvent
from app.documents.models import Document
from tests.factories import PDF_BYTES, PNG_BYTES
from tests.funds.conftest import pay_body


def _upload(client, payment_id: int, headers: dict, content: bytes = PDF_BYTES, name: str = "回单.pdf"):
    return client.post(f"/api/v1/payments/{payment_id}/receipt", files={"file": (name, content, "application/pdf")},
                       headers=headers)


def test_receipts_by_finance_and_the_district_system(client, session, heads, approved, program):
    [app_id] = approved("650102")
    city = client.post(f"/api/v1/applications/{app_id}/payments", json=pay_body(), headers=heads["finance"]).json()
    r = _upload(client, city["id"], heads["finance"])
    assert r.status_code == 201, r.text
    first = r.json()
    assert first["kind"] == "bank_receipt" and first["filename"] == "回单.pdf" and first["content_type"] == "application/pdf"
    assert r.headers["location"] == f"/api/v1/documents/{first['id']}/content"
    row = session.get(Document, first["id"])
    assert row.payment_id == city["id"] and row.application_id is None and row.uploaded_by == "city-finance"

    # the district system sends the enterprise's receipt too: several are kept, the latest shown
    second = _upload(client, city["id"], heads["ts"], PNG_BYTES, "回单.png")
    assert second.status_code == 201 and second.json()["content_type"] == "image/png"
    shown = client.get(f"/api/v1/payments/{city['id']}", headers=heads["finance"]).json()
    assert shown["receipt"]["id"] == second.json()["id"] and shown["receipt_count"] == 2
    # readers of the application download it; another district does not even see it
    assert client.get(f"/api/v1/documents/{first['id']}/content", headers=heads["d_ind"]).content == PDF_BYTES
    assert client.get(f"/api/v1/documents/{first['id']}/content", headers=heads["sb"]).status_code == 404
    # the application's own documents stay the three it was submitted with
    assert {d["kind"] for d in client.get(f"/api/v1/applications/{app_id}", headers=heads["finance"]).json()["documents"]} \
        == {"application_report", "business_license", "financial_statement"}
    events = session.exec(select(AuditEvent).where(AuditEvent.action == "payment.receipt").order_by(col(AuditEvent.id))).all()
    assert [(e.entity_id, e.after["document_id"], e.actor) for e in events] == [
        (str(city["id"]), first["id"], "city-finance"), (str(city["id"]), second.json()["id"], "ts-system")]


def test_receipt_scope_and_file_rules(client, session, heads, approved):
    [app_id] = approved("650102")
    city = client.post(f"/api/v1/applications/{app_id}/payments", json=pay_body(), headers=heads["finance"]).json()
    assert _upload(client, city["id"], heads["sb"]).status_code == 404  # another district's system
    assert _upload(client, city["id"], heads["fin_sb"]).status_code == 404
    assert _upload(client, city["id"], heads["fin_ts"]).status_code == 403  # the city's payment, not the district's
    for who in ("c_ind", "d_ind", "auditor", "admin"):
        assert _upload(client, city["id"], heads[who]).status_code == 403, who
    assert _upload(client, 2_147_483_647, heads["finance"]).status_code == 404
    r = _upload(client, city["id"], heads["finance"], b"MZ\x90\x00 not a receipt", "回单.pdf")
    assert r.status_code == 415 and r.headers["content-type"].startswith("application/problem+json")
    r = client.post(f"/api/v1/payments/{city['id']}/receipt", headers=heads["finance"])
    assert r.status_code == 422
    assert session.exec(select(Document).where(Document.payment_id == city["id"])).all() == []


def test_payment_list_filters_and_pages(client, session, heads, approved, program):
    ts_a, ts_b, sb = approved("650102", "650102", "650103")
    p1 = client.post(f"/api/v1/applications/{ts_a}/payments", json=pay_body(), headers=heads["finance"]).json()
    p2 = client.post(f"/api/v1/applications/{ts_b}/payments", json=pay_body(), headers=heads["finance"]).json()
    p3 = client.post(f"/api/v1/applications/{sb}/payments", json=pay_body(), headers=heads["finance"]).json()
    p4 = client.post(f"/api/v1/applications/{ts_a}/payments", json=pay_body("district"), headers=heads["fin_ts"]).json()
    client.post(f"/api/v1/payments/{p2['id']}/return", json={"returned_on": "2024-09-01", "reason": "账户有误"},
                headers=heads["finance"])
    _upload(client, p1["id"], heads["finance"])

    def ids(query: str = "", who: str = "finance") -> list[int]:
        r = client.get(f"/api/v1/programs/{program}/payments{query}", headers=heads[who])
        assert r.status_code == 200, r.text
        return [p["id"] for p in r.json()["items"]]

    assert ids() == [p4["id"], p3["id"], p2["id"], p1["id"]]  # newest first
    assert ids("?district=650103") == [p3["id"]]
    assert ids("?level=district") == [p4["id"]]
    assert ids("?status=returned") == [p2["id"]]
    assert ids("?missing_receipt=true") == [p4["id"], p3["id"], p2["id"]]
    assert ids("?missing_receipt=false") == [p1["id"]]
    assert ids("?level=city&status=paid&missing_receipt=true") == [p3["id"]]
    # district-bound readers see their district's payments only, whatever they ask for
    assert ids(who="d_ind") == [p4["id"], p2["id"], p1["id"]]
    assert ids("?district=650103", who="fin_ts") == []
    # keyset pages
    page = client.get(f"/api/v1/programs/{program}/payments?limit=3", headers=heads["auditor"]).json()
    rest = client.get(f"/api/v1/programs/{program}/payments?limit=3&cursor={page['next_cursor']}",
                      headers=heads["auditor"]).json()
    assert [p["id"] for p in page["items"] + rest["items"]] == [p4["id"], p3["id"], p2["id"], p1["id"]]
    assert rest["next_cursor"] is None
    listed = {p["id"]: p for p in page["items"] + rest["items"]}
    assert listed[p1["id"]]["receipt"]["kind"] == "bank_receipt" and listed[p2["id"]]["receipt"] is None
    assert listed[p2["id"]]["status"] == "returned" and listed[p4["id"]]["enterprise_uscc"]
    for bad in ("?level=province", "?status=lost", "?cursor=xyz", "?district=65", "?limit=501"):
        r = client.get(f"/api/v1/programs/{program}/payments{bad}", headers=heads["finance"])
        assert r.status_code == 422, bad
    assert client.get("/api/v1/programs/NOPE/payments", headers=heads["finance"]).status_code == 404
    for who in ("ts", "admin"):
        assert client.get(f"/api/v1/programs/{program}/payments", headers=heads[who]).status_code == 403


def test_funds_summary_counts_returns_and_what_is_still_to_pay(client, session, heads, approved, program):
    ts_a, ts_b, sb = approved("650102", "650102", "650103")
    client.post(f"/api/v1/programs/{program}/appropriations", headers=heads["fin_ts"], json={
        "level": "district", "district_code": "650102", "amount": "200000.00", "document_no": "天财建〔2024〕31号",
        "approved_on": "2024-07-02", "arrived_amount": "150000.00", "arrived_on": "2024-07-09"})
    client.post(f"/api/v1/programs/{program}/appropriations", headers=heads["finance"], json={
        "level": "city", "amount": "4100000.00", "document_no": "乌财建〔2024〕169号", "approved_on": "2024-06-26"})
    p = client.post(f"/api/v1/applications/{ts_a}/payments", json=pay_body("district"), headers=heads["fin_ts"]).json()
    client.post(f"/api/v1/applications/{ts_b}/payments", json=pay_body("district"), headers=heads["fin_ts"])
    client.post(f"/api/v1/payments/{p['id']}/return", json={"returned_on": "2024-09-01", "reason": "账户有误"},
                headers=heads["fin_ts"])
    client.post(f"/api/v1/applications/{sb}/payments", json=pay_body(), headers=heads["finance"])

    r = client.get(f"/api/v1/programs/{program}/funds", headers=heads["finance"])
    assert r.status_code == 200, r.text
    funds = r.json()
    figures = ("budget", "appropriated", "arrived", "paid", "returned", "still_to_pay", "paid_count", "returned_count",
               "due_count")
    levels = {row["level"]: {k: row[k] for k in figures} for row in funds["levels"]}
    assert levels == {
        "city": {"budget": "4100000.00", "appropriated": "4100000.00", "arrived": "0.00", "paid": "100000.00",
                 "returned": "0.00", "still_to_pay": "200000.00", "paid_count": 1, "returned_count": 0, "due_count": 2},
        "district": {"budget": "300000.00", "appropriated": "200000.00", "arrived": "150000.00", "paid": "100000.00",
                     "returned": "100000.00", "still_to_pay": "200000.00", "paid_count": 1, "returned_count": 1,
                     "due_count": 2},
    }
    districts = {row["district_code"]: {k: row[k] for k in figures} for row in funds["districts"]}
    assert districts["650102"] == {"budget": "200000.00", "appropriated": "200000.00", "arrived": "150000.00",
                                   "paid": "100000.00", "returned": "100000.00", "still_to_pay": "100000.00",
                                   "paid_count": 1, "returned_count": 1, "due_count": 1}
    assert districts["650103"]["budget"] == "100000.00" and districts["650103"]["still_to_pay"] == "100000.00"
    assert districts["650104"]["budget"] == "0.00" and len(districts) == 8

    # a district sees its own district-level money only
    mine = client.get(f"/api/v1/programs/{program}/funds", headers=heads["d_ind"]).json()
    assert [(row["level"], row["district_code"]) for row in mine["levels"]] == [("district", "650102")]
    assert [row["district_code"] for row in mine["districts"]] == ["650102"]
    assert {k: mine["levels"][0][k] for k in figures} == districts["650102"]
    assert client.get(f"/api/v1/programs/{program}/funds", headers=heads["ts"]).status_code == 403
    assert client.get("/api/v1/programs/NOPE/funds", headers=heads["finance"]).status_code == 404
