"""Reconciliation of a treasury or bank statement (CSV or XLSX) against recorded payments.

Payments are inserted as rows: recording them has its own service and tests; what is
tested here is the matching of a constructed statement against them."""

import io
from datetime import date, datetime

import pytest
from openpyxl import Workbook
from sqlmodel import col, select

from app.applications.models import Application
from app.audit.models import AuditEvent
from app.enterprises.models import Enterprise
from app.funds.models import Payment
from app.funds.statements import ReconciliationReport
from tests.factories import make_program, new_uscc

ZH_HEADER = ["凭证号", "收款账号", "金额（元）", "日期"]
EN_HEADER = ["voucher_no", "payee_account", "amount", "date"]
PAID_ON = date(2024, 8, 8)
BATCH = "GK2024080800001"  # one treasury voucher for the whole batch


def add_payment(session, program, *, account: str, voucher: str = BATCH, amount_fen: int = 100_000_00,
                paid_on: date = PAID_ON, district: str = "650102", level: str = "city", status: str = "paid",
                application: Application | None = None) -> Payment:
    """An approved-and-paid application of a fresh enterprise, and its payment row."""
    if application is None:
        uscc = new_uscc(district)
        enterprise = Enterprise(uscc=uscc, name=f"新疆对账测试有限公司{uscc[-4:]}", district_code=district,
                                industry_code="3421", bank_name="中国银行乌鲁木齐分行", bank_account=account)
        session.add(enterprise)
        session.flush()
        application = Application(program_id=program.id, enterprise_id=enterprise.id, live_enterprise_id=enterprise.id,
                                  district_code=district, external_ref=f"REF-{uscc[-8:]}", submitted_by="test",
                                  declared_revenue_fen=35_200_000_00, first_above_scale_period="2023-06",
                                  status="paid", body_sha256="0" * 64)
        session.add(application)
        session.flush()
    payment = Payment(application_id=application.id, level=level, live_level=level if status == "paid" else None,
                      amount_fen=amount_fen, voucher_no=voucher, paid_on=paid_on, payee_bank_name="中国银行乌鲁木齐分行",
                      payee_account=account, status=status, returned_on=date(2024, 8, 20) if status == "returned" else None,
                      recorded_by="test")
    session.add(payment)
    session.flush()
    return payment


def csv_bytes(header: list[str], rows: list[list[str]], *, encoding: str = "utf-8", bom: bool = False,
              above: list[str] = ()) -> bytes:
    lines = [*above, ",".join(header), *(",".join(r) for r in rows)]
    return (b"\xef\xbb\xbf" if bom else b"") + ("\r\n".join(lines) + "\r\n").encode(encoding)


def xlsx_bytes(rows: list[list]) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def reconcile(client, headers: dict, content: bytes, *, code: str = "XSG-2023", filename: str = "对账单.csv",
              content_type: str = "text/csv", data: dict | None = None):
    return client.post(f"/api/v1/programs/{code}/reconciliations", headers=headers, data=data or {},
                       files={"file": (filename, content, content_type)})


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["detail"]), body["detail"]
    return body


def reconcile_events(session) -> list[AuditEvent]:
    return list(session.exec(select(AuditEvent).where(AuditEvent.action == "payments.reconcile").order_by(col(AuditEvent.id))).all())


@pytest.fixture
def batch(session):
    """Four paid payments under one batch voucher, a returned one, and a payment of another
    programme under the same voucher (which must never be matched)."""
    program = make_program(session, "XSG-2023")
    pays = {
        "ok": add_payment(session, program, account="6217000000000001"),
        "amount": add_payment(session, program, account="6217000000000002"),
        "date": add_payment(session, program, account="6217 0000 0000 0003"),  # stored with blanks
        "missing": add_payment(session, program, account="6217000000000004"),
        "returned": add_payment(session, program, account="6217000000000005", voucher="GK2024080800002", status="returned"),
    }
    other = make_program(session, "XSG-2022", cohort_year=2022)
    pays["other_program"] = add_payment(session, other, account="6217000000000009")
    session.flush()
    return pays


STATEMENT_ROWS = [
    [BATCH, "6217000000000001", "100000.00", "2024-08-08"],  # row 2: matched
    [BATCH, "6217000000000002", "100001.00", "2024-08-08"],  # row 3: amount differs
    [BATCH, "6217-0000-0000-0003", "\"100,000.00\"", "2024-08-09"],  # row 4: date differs (account written with dashes)
    ["GK2024089999999", "6217000000000099", "50000.00", "2024-08-08"],  # row 5: unknown voucher
    [BATCH, "6217000000000006", "abc", "2024-13-01"],  # row 6: unparseable
]


def expected_report(pays: dict, *, masked: bool = False) -> dict:
    def line(key: str, account: str, row: int | None = None) -> dict:
        p = pays[key]
        entry = {"payment_id": p.id, "application_id": p.application_id, "level": "city", "voucher_no": BATCH,
                 "payee_account": account, "amount": "100000.00", "date": "2024-08-08"}
        return {"row": row, **entry} if row is not None else entry

    return {
        "matched": [line("ok", "6217000000000001", 2)],
        "mismatched": [
            {**line("amount", "6217000000000002", 3),
             "differences": [{"field": "amount", "ours": "100000.00", "theirs": "100001.00"}]},
            {**line("date", "6217 0000 0000 0003", 4),
             "differences": [{"field": "date", "ours": "2024-08-08", "theirs": "2024-08-09"}]},
        ],
        "missing": [line("missing", "6217000000000004")],
        "unknown": [{"row": 5, "voucher_no": "GK2024089999999", "payee_account": "6217000000000099", "amount": "50000.00",
                     "date": "2024-08-08", "reason": "voucher_not_found", "note": "凭证号不在本项目的支付记录中",
                     "payment_id": None}],
    }


def strip_names(entries: list[dict]) -> list[dict]:
    for entry in entries:
        assert entry.pop("enterprise_name", "").startswith("新疆对账测试有限公司")
    return entries


def assert_outcomes(body: dict, pays: dict) -> None:
    expected = expected_report(pays)
    for key in ("matched", "mismatched", "missing", "unknown"):
        got = strip_names(body[key]) if key != "unknown" else body[key]
        assert got == expected[key], key
    [rejected] = body["rejected"]
    assert rejected["row"] == 6
    assert any("金额" in e for e in rejected["errors"]) and any("日期" in e for e in rejected["errors"])
    assert body["counts"] == {"statement_rows": 5, "payments": 4, "matched": 1, "mismatched": 2, "missing": 1,
                              "unknown": 1, "rejected": 1}
    # Statement rows that parsed: 100000.00 + 100001.00 + 100000.00 + 50000.00.
    assert body["totals"] == {"statement": "350001.00", "payments": "400000.00", "matched": "100000.00"}


# ------------------------------------------------------------------ outcomes


def test_csv_statement_every_outcome_exact(client, session, token_for, batch):
    r = reconcile(client, token_for("finance"), csv_bytes(ZH_HEADER, STATEMENT_ROWS, bom=True))
    assert r.status_code == 200, r.text
    body = r.json()
    ReconciliationReport.model_validate(body, strict=True)  # the documented response model
    assert (body["program_code"], body["format"], body["level"], body["district_code"]) == ("XSG-2023", "csv", None, None)
    assert_outcomes(body, batch)

    [event] = reconcile_events(session)
    assert (event.actor, event.role, event.entity_type, event.entity_id) == ("finance-city", "finance", "program", "XSG-2023")
    assert event.after["filename"] == "对账单.csv"
    assert event.after["sha256"] == body["sha256"] and len(body["sha256"]) == 64
    assert {k: event.after[k] for k in body["counts"]} == body["counts"]


def test_xlsx_statement_with_title_row_numeric_and_date_cells(client, session, token_for, batch):
    rows = [
        ["国库集中支付对账单（2024年8月）"],  # a title line above the header
        EN_HEADER,
        [BATCH, "6217000000000001", 100000, datetime(2024, 8, 8)],  # numeric amount, date cell
        [BATCH, "6217000000000002", 100001.0, date(2024, 8, 8)],
        [BATCH, "6217000000000003", "100000.00", "2024-08-09"],
        ["GK2024089999999", "6217000000000099", 50000.0, "2024-08-08"],
        [BATCH, 6217000000000006, "abc", "2024-13-01"],  # the account stored as a number loses precision
    ]
    r = reconcile(client, token_for("finance"), xlsx_bytes(rows), filename="statement.xlsx",
                  content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["format"] == "xlsx"
    # One row further down than the CSV: the title line comes first.
    for key in ("matched", "mismatched", "unknown"):
        for entry in body[key]:
            entry["row"] -= 1
    body["rejected"][0]["row"] -= 1
    assert_outcomes(body, batch)
    assert any("收款账号被存成了数字" in e for e in body["rejected"][0]["errors"])


def test_gbk_csv_with_tabs_and_english_headers_in_another_order(client, token_for, batch):
    header = ["date", "amount", "摘要", "payee_account", "voucher_no"]
    rows = [["2024/08/08", "￥100000.00", "小升规奖补", "6217000000000001", BATCH.lower()]]
    text = "\r\n".join("\t".join(r) for r in [header, *rows]) + "\r\n"
    r = reconcile(client, token_for("finance"), text.encode("gbk"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert [m["payment_id"] for m in body["matched"]] == [batch["ok"].id]
    assert body["counts"]["missing"] == 3


def test_shared_voucher_account_difference_duplicate_and_returned(client, session, token_for):
    program = make_program(session, "XSG-2023")
    a = add_payment(session, program, account="6217000000000001")
    b = add_payment(session, program, account="6217000000000002")
    single = add_payment(session, program, account="6217000000000003", voucher="GK-SINGLE")
    returned = add_payment(session, program, account="6217000000000005", voucher="GK-RET", status="returned")
    # The same enterprise paid both tranches under one voucher: told apart by amount.
    c_city = add_payment(session, program, account="6217000000000007", voucher="GK-BOTH")
    c_district = add_payment(session, program, account="6217000000000007", voucher="GK-BOTH", level="district",
                             amount_fen=50_000_00, application=session.get(Application, c_city.application_id))
    rows = [
        ["GK-BOTH", "6217000000000007", "50000.00", "2024-08-10"],  # row 2: district tranche, date differs
        [BATCH, "6217000000000001", "100000.00", "2024-08-08"],  # row 3: matched
        [BATCH, "6217000000000001", "100000.00", "2024-08-08"],  # row 4: the same payment again
        [BATCH, "6217000000000099", "100000.00", "2024-08-08"],  # row 5: b, paid to another account
        ["GK-SINGLE", "6217000000000098", "100000.00", "2024-08-08"],  # row 6: the voucher's only payment
        ["GK-RET", "6217000000000005", "100000.00", "2024-08-08"],  # row 7: recorded as returned
        ["GK-BOTH", "6217000000000007", "100000.00", "2024-08-08"],  # row 8: city tranche, exact
    ]
    r = reconcile(client, token_for("finance"), csv_bytes(ZH_HEADER, rows))
    assert r.status_code == 200, r.text
    body = r.json()
    ReconciliationReport.model_validate(body, strict=True)
    assert [(m["row"], m["payment_id"]) for m in body["matched"]] == [(3, a.id), (8, c_city.id)]
    assert [(m["row"], m["payment_id"], m["differences"]) for m in body["mismatched"]] == [
        (2, c_district.id, [{"field": "date", "ours": "2024-08-08", "theirs": "2024-08-10"}]),
        (5, b.id, [{"field": "payee_account", "ours": "6217000000000002", "theirs": "6217000000000099"}]),
        (6, single.id, [{"field": "payee_account", "ours": "6217000000000003", "theirs": "6217000000000098"}]),
    ]
    assert [(u["row"], u["reason"], u["payment_id"]) for u in body["unknown"]] == [
        (4, "duplicate", a.id), (7, "returned", returned.id)]
    assert body["missing"] == [] and body["rejected"] == []


def test_two_unknown_accounts_under_a_shared_voucher_are_not_guessed(client, session, token_for):
    program = make_program(session, "XSG-2023")
    p1 = add_payment(session, program, account="6217000000000001")
    p2 = add_payment(session, program, account="6217000000000002")
    rows = [[BATCH, "6217000000000097", "100000.00", "2024-08-08"], [BATCH, "6217000000000098", "100000.00", "2024-08-08"]]
    body = reconcile(client, token_for("finance"), csv_bytes(ZH_HEADER, rows)).json()
    assert [(u["row"], u["reason"]) for u in body["unknown"]] == [(2, "account_not_found"), (3, "account_not_found")]
    assert sorted(m["payment_id"] for m in body["missing"]) == sorted([p1.id, p2.id])


# ------------------------------------------------------------------ who may reconcile what


@pytest.mark.parametrize("role,district", [("city_industry", None), ("auditor", None), ("district_industry", "650102"),
                                           ("district_system", "650102")])
def test_only_finance_may_reconcile(client, session, token_for, batch, role, district):
    assert_problem(reconcile(client, token_for(role, district), csv_bytes(ZH_HEADER, STATEMENT_ROWS)), 403)
    assert reconcile_events(session) == []


def test_anonymous_is_401(client, batch):
    assert_problem(reconcile(client, {}, csv_bytes(ZH_HEADER, STATEMENT_ROWS)), 401)


def test_district_finance_reconciles_its_district_level_payments_only(client, session, token_for):
    program = make_program(session, "XSG-2023")
    own = add_payment(session, program, account="6217000000000001", voucher="QX-650102", level="district")
    add_payment(session, program, account="6217000000000002", voucher="QX-650103", level="district", district="650103")
    add_payment(session, program, account="6217000000000003", voucher="SJ-001", level="city")  # city level, same district
    rows = [["QX-650102", "6217000000000001", "100000.00", "2024-08-08"],
            ["QX-650103", "6217000000000002", "100000.00", "2024-08-08"],
            ["SJ-001", "6217000000000003", "100000.00", "2024-08-08"]]
    headers = token_for("finance", "650102")
    r = reconcile(client, headers, csv_bytes(ZH_HEADER, rows))
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["level"], body["district_code"]) == ("district", "650102")
    assert [m["payment_id"] for m in body["matched"]] == [own.id]
    assert [u["reason"] for u in body["unknown"]] == ["voucher_not_found", "voucher_not_found"]
    assert body["counts"]["payments"] == 1
    assert_problem(reconcile(client, headers, csv_bytes(ZH_HEADER, rows), data={"level": "city"}), 403)


def test_city_finance_may_narrow_to_one_level(client, session, token_for):
    program = make_program(session, "XSG-2023")
    city = add_payment(session, program, account="6217000000000001", voucher="SJ-001")
    add_payment(session, program, account="6217000000000002", voucher="QX-001", level="district")
    rows = [["SJ-001", "6217000000000001", "100000.00", "2024-08-08"]]
    body = reconcile(client, token_for("finance"), csv_bytes(ZH_HEADER, rows), data={"level": "city"}).json()
    assert [m["payment_id"] for m in body["matched"]] == [city.id]
    assert body["missing"] == [] and body["level"] == "city"
    assert reconcile(client, token_for("finance"), csv_bytes(ZH_HEADER, rows), data={"level": "province"}).status_code == 422


# ------------------------------------------------------------------ whole-file errors


def test_unknown_programme_is_404(client, token_for):
    assert_problem(reconcile(client, token_for("finance"), csv_bytes(ZH_HEADER, STATEMENT_ROWS), code="NOPE"), 404)


@pytest.mark.parametrize("content,code", [
    (b"", "empty_file"),
    ("凭证号,收款账号,金额（元）\r\nGK1,6217,1.00\r\n".encode(), "missing_column"),
    ("凭证号,支付凭证号,收款账号,金额,日期\r\n".encode(), "duplicate_column"),
    (b"\xd0\xcf\x11\xe0" + b"\x00" * 100, "unsupported_format"),
    (b"PK\x03\x04not really a zip", "xlsx_invalid"),
    (b"\xff\xfe\x00\x00" * 10 + "凭证号".encode("utf-16"), "encoding_error"),
])
def test_unreadable_files_are_422_and_leave_no_event(client, session, token_for, batch, content, code):
    body = assert_problem(reconcile(client, token_for("finance"), content), 422)
    assert body["errors"][0]["code"] == code
    assert reconcile_events(session) == []


def test_missing_column_names_what_is_missing(client, token_for, batch):
    body = assert_problem(reconcile(client, token_for("finance"), "凭证号,金额\r\nGK1,1.00\r\n".encode()), 422)
    assert "收款账号" in body["detail"] and "日期" in body["detail"]


def test_both_tranches_in_one_voucher_are_two_identical_rows(client, session, token_for):
    """City and district tranche of 100,000.00 each, paid to one account under one voucher
    on one day: the statement's two identical rows match the two payments, a third is a duplicate."""
    program = make_program(session, "XSG-2023")
    voucher = "乌财库〔2024〕0808-001"
    city = add_payment(session, program, account="6217000000000001", voucher=voucher)
    district = add_payment(session, program, account="6217000000000001", voucher=voucher, level="district",
                           application=session.get(Application, city.application_id))
    row = [voucher, "6217000000000001", "100000.00", "2024-08-08"]
    body = reconcile(client, token_for("finance"), csv_bytes(ZH_HEADER, [row, row, row])).json()
    assert [(m["row"], m["payment_id"], m["level"]) for m in body["matched"]] == [(2, city.id, "city"), (3, district.id, "district")]
    assert [(u["row"], u["reason"], u["payment_id"]) for u in body["unknown"]] == [(4, "duplicate", city.id)]
    assert body["missing"] == [] and body["mismatched"] == []


def test_reconciliation_answers_htmx_with_a_readable_fragment(client, session, token_for):
    """The payments page's 对账 form posts the statement to the same route with HX-Request:
    the answer is the report as HTML, in Chinese."""
    from tests.factories import make_program

    make_program(session, code="RC-HX")
    csv = "凭证号,收款账号,金额,日期\nV-NOT-OURS,6217000012345678,100000.00,2024-08-08\n"
    r = client.post("/api/v1/programs/RC-HX/reconciliations", files={"file": ("对账单.csv", csv.encode(), "text/csv")},
                    headers={**token_for("finance"), "HX-Request": "true"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "对账单中多出的行" in r.text and "V-NOT-OURS" in r.text and "相符 0 笔" in r.text
