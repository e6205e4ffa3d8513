"""payments.xlsx: a programme's payments as a spreadsheet, in constant memory.

Rows come from one SELECT read through a server-side cursor (yield_per) and go straight
into an openpyxl write-only worksheet, which writes each row to its temporary XML file as
it is appended; the finished workbook is a temporary file streamed to the client in chunks.
Nothing holds all rows at once, whatever the size of the programme."""

import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import IO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter as sheet_column
from sqlalchemy import exists, func, select, text
from sqlmodel import Session, col

from app.applications.models import Application
from app.applications.service import mask_account
from app.core.db import is_postgres, utcnow
from app.core.errors import Forbidden
from app.core.money import fen_to_yuan
from app.districts.models import District
from app.documents.models import Document
from app.enterprises.models import Enterprise
from app.funds.models import Payment
from app.programs.models import Program
from app.users.auth import OFFICIALS, Principal
from app.users.models import Role

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADERS = ["序号", "申报编号", "企业名称", "统一社会信用代码", "区县", "级次", "金额（元）", "凭证号", "支付日期",
           "收款银行", "收款账号", "状态", "回单"]
WIDTHS = [7, 10, 40, 22, 12, 8, 16, 22, 12, 28, 26, 8, 8]
LEVEL_NAMES = {"city": "市级", "district": "区县级"}
STATUS_NAMES = {"paid": "已支付", "returned": "已退回"}
MONEY_FORMAT = "#,##0.00"
DATE_FORMAT = "yyyy-mm-dd"
EXPORT_ROLES = frozenset({*OFFICIALS, Role.auditor})
CHUNK = 64 * 1024


@dataclass
class XlsxExport:
    """The finished workbook: an open temporary file, already unlinked, so that it disappears
    when closed whether or not the download completes."""

    file: IO[bytes]
    size: int
    filename: str  # the Chinese download name
    ascii_filename: str

    def chunks(self) -> Iterator[bytes]:
        try:
            self.file.seek(0)
            while chunk := self.file.read(CHUNK):
                yield chunk
        finally:
            self.file.close()


def cell_text(value: str | None) -> str | None:
    """Text as a worksheet may hold it: the control characters XML 1.0 forbids (which the
    application API does not refuse in, say, an enterprise name) are dropped, not a 500."""
    if not value:
        return None
    return ILLEGAL_CHARACTERS_RE.sub("", value)


def fen_to_decimal(fen: int) -> Decimal:
    """Fen → yuan as an exact Decimal with two places (written as a number, never a float)."""
    return Decimal(fen).scaleb(-2)


def plan_for_whole_result(session: Session) -> None:
    """yield_per reads through a server-side cursor on PostgreSQL, which the planner optimises
    for the first 10 % of the rows (cursor_tuple_fraction) — with stale statistics that can be
    a nested loop over every payment. We read every row: plan for the whole result, as for a
    plain query (SET LOCAL: this transaction only)."""
    if is_postgres(session):
        session.execute(text("SET LOCAL cursor_tuple_fraction = 1.0"))


def _scope_filter(stmt, program: Program, principal: Principal):  # noqa: ANN001, ANN202
    stmt = stmt.where(col(Application.program_id) == program.id)
    if principal.district_code is not None:
        stmt = stmt.where(col(Application.district_code) == principal.district_code)
    return stmt


def _rows_statement(program: Program, principal: Principal):  # noqa: ANN202
    # A document attached to a payment is its bank e-receipt (回单).
    has_receipt = exists().where(col(Document.payment_id) == col(Payment.id))
    stmt = (
        select(
            col(Application.id), col(Enterprise.name), col(Enterprise.uscc), col(Application.district_code),
            col(District.name), col(Payment.level), col(Payment.amount_fen), col(Payment.voucher_no),
            col(Payment.paid_on), col(Payment.payee_bank_name), col(Payment.payee_account), col(Payment.status),
            col(Payment.returned_on), has_receipt.label("has_receipt"),
        )
        .select_from(Payment)
        .join(Application, col(Application.id) == col(Payment.application_id))
        .join(Enterprise, col(Enterprise.id) == col(Application.enterprise_id))
        .outerjoin(District, col(District.code) == col(Application.district_code))
    )
    stmt = _scope_filter(stmt, program, principal)
    return stmt.order_by(col(Application.district_code), col(Application.id), col(Payment.id)).execution_options(
        yield_per=1000
    )


def _totals(session: Session, program: Program, principal: Principal) -> tuple[int, int, int]:
    """(payments, paid_count, paid_fen) by one aggregate query."""
    paid = col(Payment.status) == "paid"
    stmt = select(
        func.count(),
        func.count().filter(paid),
        func.coalesce(func.sum(col(Payment.amount_fen)).filter(paid), 0),
    ).select_from(Payment).join(Application, col(Application.id) == col(Payment.application_id))
    total, paid_count, paid_fen = session.execute(_scope_filter(stmt, program, principal)).one()
    return int(total), int(paid_count), int(paid_fen)


def export_filename(program: Program, district_name: str | None) -> tuple[str, str]:
    """(Chinese name, ASCII fallback): XSG-2023-拨付明细.xlsx, or with the district's name."""
    middle = f"-{district_name}" if district_name else ""
    ascii_code = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_") else "_" for ch in program.code)
    return f"{program.code}{middle}-拨付明细.xlsx", f"{ascii_code}-payments.xlsx"


def payments_xlsx(session: Session, program: Program, principal: Principal) -> XlsxExport:
    """Write the programme's payments (the caller's district only, for a district-bound
    caller) to a temporary XLSX file. Bank accounts in full for finance, masked otherwise."""
    if principal.role not in EXPORT_ROLES:
        raise Forbidden("当前角色无权导出拨付明细。")
    full_accounts = principal.role == Role.finance
    district_name = None
    if principal.district_code is not None:
        district = session.get(District, principal.district_code)
        district_name = district.name if district else principal.district_code
    count, paid_count, paid_fen = _totals(session, program, principal)

    book = Workbook(write_only=True)
    sheet = book.create_sheet("拨付明细")
    for index, width in enumerate(WIDTHS, start=1):
        sheet.column_dimensions[sheet_column(index)].width = width
    sheet.freeze_panes = "A4"
    sheet.merged_cells.add(f"A1:{sheet_column(len(HEADERS))}1")
    sheet.merged_cells.add(f"A2:{sheet_column(len(HEADERS))}2")

    title = WriteOnlyCell(sheet, value=cell_text(f"{program.title} 拨付明细" + (f"（{district_name}）" if district_name else "")))
    title.font = Font(bold=True, size=14)
    title.alignment = Alignment(horizontal="center", vertical="center")
    sheet.append([title])
    sheet.append([
        f"项目编号 {program.code}；共 {count} 笔，其中已支付 {paid_count} 笔、合计 {fen_to_yuan(paid_fen)} 元；"
        f"导出时间 {utcnow().strftime('%Y-%m-%d %H:%M')} UTC"
    ])
    header_cells = []
    for header in HEADERS:
        cell = WriteOnlyCell(sheet, value=header)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center")
        header_cells.append(cell)
    sheet.append(header_cells)

    def money(fen: int) -> WriteOnlyCell:
        cell = WriteOnlyCell(sheet, value=fen_to_decimal(fen))
        cell.number_format = MONEY_FORMAT
        return cell

    def day(value: date) -> WriteOnlyCell:
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = DATE_FORMAT
        return cell

    number = 0
    plan_for_whole_result(session)
    for (application_id, name, uscc, district_code, district, level, amount_fen, voucher_no, paid_on, bank_name,
         account, status, returned_on, has_receipt) in session.execute(_rows_statement(program, principal)):
        number += 1
        status_text = STATUS_NAMES.get(status, status)
        if status == "returned" and returned_on is not None:
            status_text += f"（{returned_on.isoformat()}）"
        sheet.append([
            number, application_id, cell_text(name), cell_text(uscc), cell_text(district or district_code),
            LEVEL_NAMES.get(level, level), money(amount_fen), cell_text(voucher_no), day(paid_on), cell_text(bank_name),
            cell_text(account if full_accounts else mask_account(account or "")),
            status_text, "已上传" if has_receipt else "缺",
        ])
    total_label = WriteOnlyCell(sheet, value="合计（已支付）")
    total_label.font = Font(bold=True)
    total = money(paid_fen)
    total.font = Font(bold=True)
    sheet.append([total_label, None, f"{paid_count} 笔", None, None, None, total])

    handle = tempfile.NamedTemporaryFile(prefix="scaleup-payments-", suffix=".xlsx", delete=False)  # noqa: SIM115
    try:
        book.save(handle)  # write-only: the rows are already on disk; this zips them
        handle.flush()
        size = os.fstat(handle.fileno()).st_size
    except BaseException:
        handle.close()
        os.unlink(handle.name)
        raise
    os.unlink(handle.name)  # the open handle keeps the data until it is closed
    filename, ascii_filename = export_filename(program, district_name)
    return XlsxExport(file=handle, size=size, filename=filename, ascii_filename=ascii_filename)
