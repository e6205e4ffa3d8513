"""payments.xlsx: the programme's payments as a spreadsheet, opened back with openpyxl."""

import io
import zipfile
from datetime import date, datetime
from decimal import Decimal
from urllib.parse import quote

import pytest
from openpyxl import load_workbook

from app.applications.models import Application
from app.documents.models import Document
from app.enterprises.models import Enterprise
from app.funds import exports
from app.funds.models import Payment
from tests.factories import make_program, new_uscc

HEADERS = ["序号", "申报编号", "企业名称", "统一社会信用代码", "区县", "级次", "金额（元）", "凭证号", "支付日期",
           "收款银行", "收款账号", "状态", "回单"]
FIRST_DATA_ROW = 4  # title, summary line, header


def add_paid(session, program, n: int, *, district: str, level: str = "city", amount_fen: int = 100_000_00,
             status: str = "paid") -> Payment:
    uscc = new_uscc(district)
    account = f"62170000{n:08d}"
    enterprise = Enterprise(uscc=uscc, name=f"新疆导出测试有限公司{n:03d}", district_code=district, industry_code="3421",
                            bank_name="中国银行乌鲁木齐分行", bank_account=account)
    session.add(enterprise)
    session.flush()
    application = Application(program_id=program.id, enterprise_id=enterprise.id, live_enterprise_id=enterprise.id,
                              district_code=district, external_ref=f"REF-{uscc[-8:]}", submitted_by="test",
                              declared_revenue_fen=35_200_000_00, first_above_scale_period="2023-06", status="paid",
                              body_sha256="0" * 64)
    session.add(application)
    session.flush()
    payment = Payment(application_id=application.id, level=level, live_level=level if status == "paid" else None,
                      amount_fen=amount_fen, voucher_no=f"GK20240808{n:05d}", paid_on=date(2024, 8, 8),
                      payee_bank_name="中国银行乌鲁木齐分行", payee_account=account, status=status,
                      returned_on=date(2024, 8, 20) if status == "returned" else None, recorded_by="test")
    session.add(payment)
    session.flush()
    return payment


@pytest.fixture
def xsg(session):
    """XSG-2023 as the seed paid it: 41 enterprises × 100,000.00 (30 in 天山区, 11 in 沙依巴克区),
    plus one odd amount and one returned payment, and a receipt for the first payment."""
    program = make_program(session, "XSG-2023")
    payments = [add_paid(session, program, n, district="650102" if n < 30 else "650103") for n in range(41)]
    payments.append(add_paid(session, program, 41, district="650102", level="district", amount_fen=12_345_67))
    payments.append(add_paid(session, program, 42, district="650103", status="returned"))
    session.add(Document(payment_id=payments[0].id, kind="bank_receipt", filename="回单.pdf", content_type="application/pdf",
                         size=10, sha256="0" * 64, storage_key="receipt-test-0001", uploaded_by="test"))
    other = make_program(session, "XSG-2022", cohort_year=2022)
    add_paid(session, other, 99, district="650102")  # another programme's payment is never exported
    session.flush()
    return program, payments


def download(client, headers: dict, code: str = "XSG-2023"):
    return client.get(f"/api/v1/programs/{code}/payments.xlsx", headers=headers)


def sheet_rows(response) -> tuple[list[tuple], list[tuple], tuple]:
    """(head rows, data rows, total row) of the downloaded workbook."""
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    book.close()
    return rows[:FIRST_DATA_ROW - 1], rows[FIRST_DATA_ROW - 1:-1], rows[-1]


def money(value) -> Decimal:  # noqa: ANN001
    return Decimal(str(value))


def test_finance_gets_every_payment_with_full_accounts_and_exact_amounts(client, token_for, xsg):
    _program, payments = xsg
    r = download(client, token_for("finance"))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == exports.XLSX_MEDIA_TYPE
    disposition = r.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=UTF-8''{quote('XSG-2023-拨付明细.xlsx', safe='')}" in disposition
    assert 'filename="XSG-2023-payments.xlsx"' in disposition
    assert r.headers["cache-control"] == "no-store"
    assert int(r.headers["content-length"]) == len(r.content)

    head, data, total = sheet_rows(r)
    assert "拨付明细" in head[0][0]
    assert "共 43 笔" in head[1][0] and "已支付 42 笔" in head[1][0]
    assert list(head[2]) == HEADERS
    assert len(data) == len(payments) == 43
    assert [row[0] for row in data] == list(range(1, 44))

    by_voucher = {p.voucher_no: p for p in payments}
    assert {row[7] for row in data} == set(by_voucher)
    for row in data:
        payment = by_voucher[row[7]]
        assert row[1] == payment.application_id
        assert money(row[6]) == Decimal(payment.amount_fen) / 100
        assert row[10] == payment.payee_account  # in full for finance
        assert row[8] == datetime(2024, 8, 8)
        assert row[12] == ("已上传" if payment.id == payments[0].id else "缺")
    assert sum(money(row[6]) for row in data) == Decimal(sum(p.amount_fen for p in payments)) / 100
    # The 41 city awards of 100,000.00 sum to exactly 4,100,000.00.
    city = [money(row[6]) for row in data if row[5] == "市级" and row[11] == "已支付"]
    assert len(city) == 41 and sum(city) == Decimal("4100000.00")
    returned = [row for row in data if row[11].startswith("已退回")]
    assert len(returned) == 1 and returned[0][11] == "已退回（2024-08-20）"
    # The total row counts the paid payments only.
    assert total[0] == "合计（已支付）" and total[2] == "42 笔"
    assert money(total[6]) == Decimal("4100000.00") + Decimal("12345.67")


def test_money_cells_are_numbers_with_two_decimals(client, token_for, xsg):
    r = download(client, token_for("finance"))
    book = load_workbook(io.BytesIO(r.content))
    sheet = book.worksheets[0]
    cell = sheet.cell(row=FIRST_DATA_ROW, column=7)
    assert cell.data_type == "n" and cell.number_format == "#,##0.00"
    assert sheet.cell(row=FIRST_DATA_ROW, column=9).is_date
    assert "A1:M1" in {str(r) for r in sheet.merged_cells.ranges}


@pytest.mark.parametrize("role", ["city_industry", "auditor", "evaluator", "city_stats"])
def test_other_readers_see_masked_accounts(client, token_for, xsg, role):
    _program, payments = xsg
    r = download(client, token_for(role))
    assert r.status_code == 200, r.text
    _head, data, _total = sheet_rows(r)
    assert len(data) == 43
    accounts = {p.payee_account for p in payments}
    for row in data:
        assert row[10] not in accounts
        assert row[10] == "*" * 12 + row[10][-4:]
        assert any(a.endswith(row[10][-4:]) for a in accounts)
    with zipfile.ZipFile(io.BytesIO(r.content)) as archive:
        xml = "".join(archive.read(name).decode("utf-8", "replace") for name in archive.namelist())
    assert not any(a in xml for a in accounts)  # nowhere in the file, not only not in the cells


def test_district_official_sees_only_its_district(client, token_for, xsg):
    _program, payments = xsg
    r = download(client, token_for("district_industry", "650103"))
    assert r.status_code == 200, r.text
    assert quote("XSG-2023-沙依巴克区-拨付明细.xlsx", safe="") in r.headers["content-disposition"]
    head, data, total = sheet_rows(r)
    assert "沙依巴克区" in head[0][0]
    assert len(data) == 12  # 11 paid and 1 returned
    assert {row[4] for row in data} == {"沙依巴克区"}
    assert all(row[10].startswith("*") for row in data)
    assert money(total[6]) == Decimal("1100000.00")


def test_district_finance_sees_its_district_in_full(client, token_for, xsg):
    _program, payments = xsg
    r = download(client, token_for("finance", "650102"))
    _head, data, total = sheet_rows(r)
    assert len(data) == 31
    assert {row[4] for row in data} == {"天山区"}
    assert {row[10] for row in data} == {p.payee_account for p in payments[:30]} | {payments[41].payee_account}
    assert money(total[6]) == Decimal("3000000.00") + Decimal("12345.67")


@pytest.mark.parametrize("role,district", [("district_system", "650102"), ("admin", None)])
def test_roles_outside_finance_officials_and_auditor_are_403(client, token_for, xsg, role, district):
    r = download(client, token_for(role, district))
    assert r.status_code == 403
    assert r.headers["content-type"].startswith("application/problem+json")


def test_anonymous_401_and_unknown_programme_404(client, token_for, xsg):
    assert download(client, {}).status_code == 401
    r = download(client, token_for("finance"), code="NOPE")
    assert r.status_code == 404 and r.headers["content-type"].startswith("application/problem+json")


def test_programme_without_payments_is_a_sheet_with_only_the_total(client, session, token_for):
    make_program(session, "XSG-2024", cohort_year=2024)
    _head, data, total = sheet_rows(download(client, token_for("finance"), code="XSG-2024"))
    assert data == [] and total[0] == "合计（已支付）" and money(total[6]) == 0


def test_export_reads_rows_in_batches_and_leaves_no_temporary_file(session, token_for, xsg, monkeypatch, tmp_path):
    """The rows come through yield_per (a server-side cursor on PostgreSQL), and the workbook's
    temporary file is gone from the directory before the first byte is sent."""
    import tempfile

    from app.users.auth import Principal
    from app.users.models import Role

    program, _payments = xsg
    seen = {}
    real_execute = session.execute

    def spy(statement, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003
        options = getattr(statement, "_execution_options", {})
        if "yield_per" in options:
            seen["yield_per"] = options["yield_per"]
        return real_execute(statement, *args, **kwargs)

    monkeypatch.setattr(session, "execute", spy)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    export = exports.payments_xlsx(session, program, Principal(name="f", role=Role.finance, district_code=None, via="token"))
    assert seen["yield_per"] == 1000
    assert list(tmp_path.iterdir()) == []
    content = b"".join(export.chunks())
    assert len(content) == export.size and content.startswith(b"PK\x03\x04")
    assert export.file.closed


def test_control_characters_in_stored_text_do_not_break_the_sheet(client, session, token_for):
    """The application API refuses NUL but not other control characters in an enterprise
    name; XML 1.0 cannot hold them, so the export drops them instead of failing."""
    program = make_program(session, "XSG-2023")
    payment = add_paid(session, program, 1, district="650102")
    application = session.get(Application, payment.application_id)
    session.get(Enterprise, application.enterprise_id).name = "新疆\x01控制\x1f字符有限公司"
    session.flush()
    r = download(client, token_for("city_industry"))
    assert r.status_code == 200, r.text
    _head, [row], _total = sheet_rows(r)
    assert row[2] == "新疆控制字符有限公司"
