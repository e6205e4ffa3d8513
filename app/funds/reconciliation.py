"""Reconciliation (对账): a treasury or bank statement against the programme's recorded payments.

The statement is read as a stream — one row at a time from the spooled upload, never the
whole file in memory. The payments side comes from one SQL query and is kept as a compact
index (a programme has at most some 50,000 payments).

Matching. A treasury voucher (支付凭证号) may cover a whole batch of payments, so the
voucher alone does not identify a payment: the key is (voucher_no, payee_account), and the
amount and the date are then compared.

1. Exact: a row whose voucher, account, amount and date equal a payment's is matched.
   This pass runs while streaming, so that an exact row always wins its payment over a
   row that merely resembles it.
2. The rows left over (kept, they are the few problem rows) are paired by
   (voucher_no, payee_account) with a payment not yet matched → mismatched, with the
   differing fields (amount, date). A row for a payment recorded as returned is reported
   as such; a second row for an already matched payment is a duplicate.
3. A row whose voucher is ours but whose account is not: if it is the only such row of
   its voucher and exactly one payment of that voucher is still unmatched, the two are
   paired (a payee_account difference — a wrong account is exactly what reconciliation
   must show); otherwise the row is unknown.
4. Payments never matched are missing.
"""

import codecs
import csv
import hashlib
import io
import re
import shutil
import tempfile
from collections import defaultdict
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from sqlalchemy import select
from sqlmodel import Session, col

from app.applications.models import Application
from app.applications.service import mask_account
from app.audit import service as audit
from app.core.tabular import cell_text as _text, OLE_MAGIC, XLSX_MAGIC, xlsx_rows
from app.core.errors import Forbidden, Invalid
from app.core.money import fen_to_yuan
from app.enterprises.models import Enterprise
from app.funds.exports import plan_for_whole_result
from app.funds.models import Payment
from app.programs.models import Program
from app.users.auth import Principal
from app.users.models import Role

HEADER_SEARCH_ROWS = 10  # bank exports often put a title or an account line above the header
SNIFF_BYTES = 64 * 1024
LEVELS = ("city", "district")

# Canonical field → (name shown in messages, accepted headers). Headers match after _header_key().
COLUMNS: dict[str, tuple[str, tuple[str, ...]]] = {
    "voucher_no": ("凭证号（voucher_no）", ("凭证号", "支付凭证号", "凭证编号", "voucher_no", "voucher")),
    "payee_account": ("收款账号（payee_account）", ("收款账号", "收款帐号", "收款人账号", "收款账户", "payee_account", "account")),
    "amount": ("金额（元）（amount）", ("金额（元）", "金额", "支付金额（元）", "支付金额", "amount")),
    "date": ("日期（date）", ("日期", "支付日期", "交易日期", "date", "paid_on")),
}

UNKNOWN_REASONS = {
    "voucher_not_found": "凭证号不在本项目的支付记录中",
    "account_not_found": "凭证号在支付记录中，但收款账号与该凭证下尚未核对上的支付均不符，无法唯一对应",
    "duplicate": "同一笔支付在对账单中重复出现",
    "returned": "对应的支付已登记为退回",
}


def _header_key(text: object) -> str:
    """Full-width and ASCII parentheses alike, no blanks, English case-insensitive."""
    s = "" if text is None else str(text)
    s = s.replace("\ufeff", "").replace("（", "(").replace("）", ")")
    return "".join(s.split()).lower()


_HEADER_ALIASES = {_header_key(name): fld for fld, (_, names) in COLUMNS.items() for name in names}


def normalize_voucher(text: str) -> str:
    return "".join(text.split()).upper()


def normalize_account(text: str) -> str:
    return "".join(text.split()).replace("-", "")


# ------------------------------------------------------------------ reading the file


def _invalid_file(detail: str, code: str, msg: str) -> Invalid:
    return Invalid(detail, errors=[{"loc": ["body", "file"], "msg": msg, "code": code}])


def _csv_encoding(sample: bytes) -> str:
    """UTF-8 (with or without BOM) when the first bytes are UTF-8, else GB18030 (a superset
    of GBK, what Excel and most Chinese bank systems write)."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            codecs.getincrementaldecoder(encoding)().decode(sample, final=False)
            return encoding
        except UnicodeDecodeError:
            continue
    return "utf-8-sig"  # fails below with a clear message at the first undecodable line


def _csv_rows(fileobj: IO[bytes], sample: bytes) -> Iterator[list[Any]]:
    encoding = _csv_encoding(sample)
    first_line = sample.split(b"\n", 1)[0]
    delimiter = "\t" if b"\t" in first_line and b"," not in first_line else ","
    text = io.TextIOWrapper(fileobj, encoding=encoding, newline="")
    try:
        reader = csv.reader(text, delimiter=delimiter)
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except UnicodeDecodeError:
                raise _invalid_file(
                    f"CSV 文件编码无法识别（约第 {reader.line_num + 1} 行起无法解码）。请使用 UTF-8 或 GBK 编码的 CSV，或直接上传 XLSX。",
                    "encoding_error", "无法解码",
                ) from None
            except csv.Error as exc:
                raise _invalid_file(f"CSV 格式错误（约第 {reader.line_num} 行）：{exc}。", "csv_error", "CSV 格式错误") from None
            yield row
    finally:
        text.detach()  # leave the caller's file open


def _rows(fileobj: IO[bytes], sample: bytes) -> tuple[str, Iterator]:
    """(format, row iterator): the format is told by the content, never by the file name."""
    if sample[:4] == XLSX_MAGIC:
        return "xlsx", xlsx_rows(fileobj)
    if sample[:4] == OLE_MAGIC:
        raise _invalid_file("不支持旧版 Excel（.xls）文件，请另存为 XLSX 或 CSV 后再上传。", "unsupported_format", "不支持的文件格式")
    return "csv", _csv_rows(fileobj, sample)


def _header_columns(cells: list[Any] | tuple[Any, ...]) -> tuple[dict[str, int], list[str]]:
    positions: dict[str, int] = {}
    duplicated: list[str] = []
    for index, cell in enumerate(cells or ()):
        fld = _HEADER_ALIASES.get(_header_key(cell))
        if fld is None:
            continue  # other columns (收款人名称, 摘要, …) are ignored
        if fld in positions:
            duplicated.append(COLUMNS[fld][0])
        positions[fld] = index
    return positions, duplicated


def _find_header(rows: Iterator) -> tuple[int, dict[str, int]]:
    """The header is the first of the first HEADER_SEARCH_ROWS rows naming all four columns."""
    best: dict[str, int] = {}
    for number, cells in enumerate(rows, start=1):
        positions, duplicated = _header_columns(cells)
        if len(positions) == len(COLUMNS):
            if duplicated:
                raise Invalid(
                    f"对账单第 {number} 行表头中的列重复：{'、'.join(duplicated)}。",
                    errors=[{"loc": ["body", "file", "header"], "msg": f"列重复：{d}", "code": "duplicate_column"}
                            for d in duplicated],
                )
            return number, positions
        if len(positions) > len(best):
            best = positions
        if number >= HEADER_SEARCH_ROWS:
            break
    missing = [COLUMNS[f][0] for f in COLUMNS if f not in best]
    raise Invalid(
        f"对账单前 {HEADER_SEARCH_ROWS} 行中没有找到表头：缺少列 {'、'.join(missing)}。"
        "表头须包含 凭证号、收款账号、金额（元）、日期（中文或英文列名均可）。",
        errors=[{"loc": ["body", "file", "header"], "msg": f"缺少列：{m}", "code": "missing_column"} for m in missing],
    )


# ------------------------------------------------------------------ validating a row

_DATE = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T].*)?")
_DATE_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")
_AMOUNT_GROUPED = re.compile(r"\d{1,3}(,\d{3})+(\.\d{1,2})?")
_AMOUNT = re.compile(r"(0|[1-9]\d{0,13})(\.\d{1,2})?")
_MAX_YUAN = Decimal("99999999999999.99")


def _has_control(text: str) -> bool:
    return any(ord(ch) < 32 or ord(ch) == 127 for ch in text)


def _code_cell(value: Any, label: str, errors: list[str]) -> str:
    """A voucher number or an account: text. A numeric spreadsheet cell is accepted only
    while it is exact (Excel keeps 15 significant digits)."""
    if isinstance(value, bool):
        errors.append(f"{label}应为文本")
        return ""
    if isinstance(value, float):
        if not value.is_integer() or abs(value) >= 1e15:
            errors.append(f"{label}被存成了数字，已丢失精度；请将该列设为文本后重新导出")
            return ""
        return str(int(value))
    if isinstance(value, int):
        if abs(value) >= 10**15:
            errors.append(f"{label}被存成了数字，可能已丢失精度；请将该列设为文本后重新导出")
            return ""
        return str(value)
    return _text(value)


def _amount_fen(value: Any) -> int | None:
    """Yuan → integer fen, exactly. A numeric cell goes through Decimal(str(value)), which is
    the decimal the cell shows; money never passes through float arithmetic."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float | Decimal):
        try:
            amount = Decimal(str(value))
        except InvalidOperation:
            return None
        if not amount.is_finite() or amount <= 0 or amount > _MAX_YUAN:
            return None
        if amount != amount.quantize(Decimal("0.01")):
            return None
        return int(amount * 100)
    text = _text(value).lstrip("¥￥").strip()
    if _AMOUNT_GROUPED.fullmatch(text):
        text = text.replace(",", "")
    if not _AMOUNT.fullmatch(text):
        return None
    whole, _, frac = text.partition(".")
    fen = int(whole) * 100 + int((frac + "00")[:2])
    return fen or None


def _date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value)
    found = _DATE.fullmatch(text) or _DATE_COMPACT.fullmatch(text)
    if found is None:
        return None
    try:
        day = date(int(found.group(1)), int(found.group(2)), int(found.group(3)))
    except ValueError:
        return None
    return day if 2000 <= day.year <= 2100 else None


@dataclass(slots=True)
class StatementRow:
    row: int
    voucher_no: str  # as printed (trimmed)
    payee_account: str  # normalised: no blanks or dashes
    amount_fen: int
    paid_on: date

    @property
    def voucher_key(self) -> str:
        return normalize_voucher(self.voucher_no)


def _parse(number: int, cells: list[Any] | tuple[Any, ...], columns: dict[str, int]) -> tuple[StatementRow | None, list[str]]:
    raw = {fld: (cells[i] if i < len(cells) else None) for fld, i in columns.items()}
    errors: list[str] = []

    voucher = _code_cell(raw["voucher_no"], "凭证号", errors)
    if not errors:
        if not voucher:
            errors.append("缺少凭证号")
        elif len(voucher) > 64:
            errors.append(f"凭证号过长（{len(voucher)} 个字符，最多 64 个）")
        elif _has_control(voucher):
            errors.append("凭证号含有不可见的控制字符")

    account_errors: list[str] = []
    account = normalize_account(_code_cell(raw["payee_account"], "收款账号", account_errors))
    if not account_errors:
        if not account:
            account_errors.append("缺少收款账号")
        elif len(account) > 64:
            account_errors.append(f"收款账号过长（{len(account)} 个字符，最多 64 个）")
        elif _has_control(account):
            account_errors.append("收款账号含有不可见的控制字符")
    errors += account_errors

    amount_cell = raw["amount"]
    amount_fen = None
    if _text(amount_cell) == "":
        errors.append("缺少金额")
    else:
        amount_fen = _amount_fen(amount_cell)
        if amount_fen is None:
            errors.append(f"金额应为以元为单位、最多两位小数的正数（如 100000.00），实际为 {_text(amount_cell)[:30]}")

    date_cell = raw["date"]
    paid_on = None
    if _text(date_cell) == "":
        errors.append("缺少日期")
    else:
        paid_on = _date(date_cell)
        if paid_on is None:
            errors.append(f"日期应为 YYYY-MM-DD 格式的有效日期，实际为 {_text(date_cell)[:30]}")

    if errors:
        return None, errors
    return StatementRow(number, voucher, account, amount_fen, paid_on), []


# ------------------------------------------------------------------ our payments


@dataclass(slots=True)
class Ours:
    payment_id: int
    application_id: int
    enterprise_name: str
    level: str
    voucher_no: str
    payee_account: str  # as stored
    account_key: str
    amount_fen: int
    paid_on: date
    status: str


def _payments(session: Session, program: Program, level: str | None, district_code: str | None) -> Iterator[Ours]:
    stmt = (
        select(
            col(Payment.id), col(Payment.application_id), col(Enterprise.name), col(Payment.level),
            col(Payment.voucher_no), col(Payment.payee_account), col(Payment.amount_fen), col(Payment.paid_on),
            col(Payment.status),
        )
        .join(Application, col(Application.id) == col(Payment.application_id))
        .join(Enterprise, col(Enterprise.id) == col(Application.enterprise_id))
        .where(col(Application.program_id) == program.id, col(Payment.status).in_(("paid", "returned")))
        .execution_options(yield_per=1000)
    )
    if level is not None:
        stmt = stmt.where(col(Payment.level) == level)
    if district_code is not None:
        stmt = stmt.where(col(Application.district_code) == district_code)
    plan_for_whole_result(session)
    for pid, aid, name, lvl, voucher, account, amount, paid_on, status in session.execute(stmt):
        yield Ours(pid, aid, name, lvl, voucher, account or "", normalize_account(account or ""), amount, paid_on, status)


# ------------------------------------------------------------------ the report


@dataclass
class Report:
    matched: list[dict] = field(default_factory=list)
    mismatched: list[dict] = field(default_factory=list)
    missing: list[dict] = field(default_factory=list)
    unknown: list[dict] = field(default_factory=list)
    rejected: list[dict] = field(default_factory=list)


def _yuan(fen: int) -> str:
    return fen_to_yuan(fen)


class _Matcher:
    def __init__(self, principal: Principal):
        self.full_accounts = principal.role == Role.finance
        self.paid: dict[int, Ours] = {}
        self.exact: dict[tuple, list[int]] = defaultdict(list)
        self.by_key: dict[tuple[str, str], list[int]] = defaultdict(list)  # (voucher, account) → paid
        self.by_voucher: dict[str, list[int]] = defaultdict(list)
        self.returned_by_key: dict[tuple[str, str], list[Ours]] = defaultdict(list)
        self.returned_vouchers: set[str] = set()
        self.taken: set[int] = set()  # payments (paid or returned) a statement row already stands for
        self.report = Report()
        self.leftover: list[StatementRow] = []
        self.pending: dict[str, list[StatementRow]] = defaultdict(list)
        self.statement_fen = 0
        self.matched_fen = 0

    def account(self, text: str) -> str:
        return text if self.full_accounts else mask_account(text)

    # -- our side

    def add(self, ours: Ours) -> None:
        voucher = normalize_voucher(ours.voucher_no)
        if ours.status == "returned":
            self.returned_by_key[(voucher, ours.account_key)].append(ours)
            self.returned_vouchers.add(voucher)
            return
        self.paid[ours.payment_id] = ours
        self.exact[(voucher, ours.account_key, ours.amount_fen, ours.paid_on)].append(ours.payment_id)
        self.by_key[(voucher, ours.account_key)].append(ours.payment_id)
        self.by_voucher[voucher].append(ours.payment_id)

    # -- the statement, streamed

    def row(self, line: StatementRow) -> None:
        self.statement_fen += line.amount_fen
        candidates = self.exact.get((line.voucher_key, line.payee_account, line.amount_fen, line.paid_on))
        if candidates:
            first = min(candidates)  # identical payments (both tranches in one voucher): the oldest first
            candidates.remove(first)
            self._match(line, self.paid[first], differences=[])
        else:
            self.leftover.append(line)  # a problem row: few of them, kept for the passes below

    # -- the passes after the stream

    def finish(self) -> Report:
        for line in self.leftover:
            self._pair_by_account(line)
        for voucher, lines in self.pending.items():
            free = [pid for pid in self.by_voucher.get(voucher, ()) if pid not in self.taken]
            if len(lines) == 1 and len(free) == 1:
                self._match(lines[0], self.paid[free[0]], differences=self._differences(lines[0], self.paid[free[0]]))
            else:
                for line in lines:
                    self._unknown(line, "account_not_found")
        self.report.missing = [self._entry(self.paid[pid]) for pid in sorted(self.paid) if pid not in self.taken]
        self.report.matched.sort(key=lambda e: e["row"])
        self.report.mismatched.sort(key=lambda e: e["row"])
        self.report.unknown.sort(key=lambda e: e["row"])
        return self.report

    def _pair_by_account(self, line: StatementRow) -> None:
        key = (line.voucher_key, line.payee_account)
        same_account = self.by_key.get(key, ())
        free = [pid for pid in same_account if pid not in self.taken]
        if free:
            # The closest one: same amount first, then same date, then the oldest payment.
            best = min(free, key=lambda pid: (self.paid[pid].amount_fen != line.amount_fen,
                                              self.paid[pid].paid_on != line.paid_on, pid))
            self._match(line, self.paid[best], differences=self._differences(line, self.paid[best]))
            return
        returned = self.returned_by_key.get(key, ())
        free_returned = [o.payment_id for o in returned if o.payment_id not in self.taken]
        if free_returned:
            self.taken.add(min(free_returned))
            self._unknown(line, "returned", payment_id=min(free_returned))
            return
        if same_account or returned:
            self._unknown(line, "duplicate", payment_id=min(same_account) if same_account else min(o.payment_id for o in returned))
            return
        if line.voucher_key in self.by_voucher:
            self.pending[line.voucher_key].append(line)  # our voucher, not our account: decided in finish()
            return
        self._unknown(line, "account_not_found" if line.voucher_key in self.returned_vouchers else "voucher_not_found")

    def _differences(self, line: StatementRow, ours: Ours) -> list[dict]:
        found = []
        if line.amount_fen != ours.amount_fen:
            found.append({"field": "amount", "ours": _yuan(ours.amount_fen), "theirs": _yuan(line.amount_fen)})
        if line.paid_on != ours.paid_on:
            found.append({"field": "date", "ours": ours.paid_on.isoformat(), "theirs": line.paid_on.isoformat()})
        if line.payee_account != ours.account_key:
            found.append({"field": "payee_account", "ours": self.account(ours.payee_account),
                          "theirs": self.account(line.payee_account)})
        return found

    def _entry(self, ours: Ours) -> dict:
        return {
            "payment_id": ours.payment_id,
            "application_id": ours.application_id,
            "enterprise_name": ours.enterprise_name,
            "level": ours.level,
            "voucher_no": ours.voucher_no,
            "payee_account": self.account(ours.payee_account),
            "amount": _yuan(ours.amount_fen),
            "date": ours.paid_on.isoformat(),
        }

    def _match(self, line: StatementRow, ours: Ours, *, differences: list[dict]) -> None:
        self.taken.add(ours.payment_id)
        entry = {"row": line.row, **self._entry(ours)}
        if differences:
            self.report.mismatched.append({**entry, "differences": differences})
        else:
            self.matched_fen += ours.amount_fen
            self.report.matched.append(entry)

    def _unknown(self, line: StatementRow, reason: str, payment_id: int | None = None) -> None:
        self.report.unknown.append({
            "row": line.row,
            "voucher_no": line.voucher_no,
            "payee_account": self.account(line.payee_account),
            "amount": _yuan(line.amount_fen),
            "date": line.paid_on.isoformat(),
            "reason": reason,
            "note": UNKNOWN_REASONS[reason],
            "payment_id": payment_id,
        })


def _scope(principal: Principal, level: str | None) -> tuple[str | None, str | None]:
    """(level, district_code) of the payments this caller reconciles. A district's finance
    bureau reconciles its own district's district-level payments only."""
    if principal.role != Role.finance:
        raise Forbidden("只有财政部门可以进行支付对账。")
    if level is not None and level not in LEVELS:
        raise Invalid("级次 level 应为 city（市级）或 district（区县级）。",
                      errors=[{"loc": ["body", "level"], "msg": "取值不在允许范围内", "code": "literal_error"}])
    if principal.district_code is not None:
        if level == "city":
            raise Forbidden("区县财政只能核对本区县区县级资金的支付。")
        return "district", principal.district_code
    return level, None


def _spool_and_hash(fileobj: IO[bytes], cleanup: ExitStack) -> tuple[IO[bytes], str, bytes]:
    """A seekable file, its sha256 (for the audit trail) and its first bytes, in one pass
    of 1 MB chunks."""
    if not (getattr(fileobj, "seekable", None) and fileobj.seekable()):
        spooled = cleanup.enter_context(tempfile.SpooledTemporaryFile(max_size=1024 * 1024))
        shutil.copyfileobj(fileobj, spooled)
        fileobj = spooled
    fileobj.seek(0)
    digest = hashlib.sha256()
    sample = b""
    while chunk := fileobj.read(1024 * 1024):
        if len(sample) < SNIFF_BYTES:
            sample += chunk[: SNIFF_BYTES - len(sample)]
        digest.update(chunk)
    fileobj.seek(0)
    return fileobj, digest.hexdigest(), sample


def reconcile(
    session: Session,
    *,
    program: Program,
    principal: Principal,
    filename: str | None,
    fileobj: IO[bytes],
    level: str | None = None,
) -> dict:
    """Reconcile a statement file (CSV or XLSX) against the programme's payments in the
    caller's scope, and record one audit event with the counts. Flushes, never commits."""
    level, district_code = _scope(principal, level)
    filename = "".join(ch for ch in (filename or "") if ch.isprintable()).strip()[:255]
    matcher = _Matcher(principal)
    payments_fen = 0
    for ours in _payments(session, program, level, district_code):
        matcher.add(ours)
        if ours.status == "paid":
            payments_fen += ours.amount_fen

    statement_rows = 0
    with ExitStack() as cleanup:
        fileobj, sha256, sample = _spool_and_hash(fileobj, cleanup)
        if not sample:
            raise _invalid_file("对账单文件为空。", "empty_file", "文件为空")
        kind, rows = _rows(fileobj, sample)
        cleanup.callback(rows.close)
        header_row, columns = _find_header(rows)
        for number, cells in enumerate(rows, start=header_row + 1):
            if not any(_text(c) for c in cells):
                continue  # blank line
            statement_rows += 1
            line, errors = _parse(number, cells, columns)
            if errors:
                matcher.report.rejected.append({"row": number, "errors": errors})
                continue
            matcher.row(line)
    report = matcher.finish()

    counts = {
        "statement_rows": statement_rows,
        "payments": len(matcher.paid),
        "matched": len(report.matched),
        "mismatched": len(report.mismatched),
        "missing": len(report.missing),
        "unknown": len(report.unknown),
        "rejected": len(report.rejected),
    }
    totals = {
        "statement": _yuan(matcher.statement_fen),
        "payments": _yuan(payments_fen),
        "matched": _yuan(matcher.matched_fen),
    }
    audit.record(
        session,
        actor=principal.name,
        role=principal.role.value,
        action="payments.reconcile",
        entity_type="program",
        entity_id=program.code,
        after={
            "filename": filename,
            "format": kind,
            "sha256": sha256,
            "level": level,
            "district_code": district_code,
            **counts,
            "totals": totals,
        },
    )
    return {
        "program_code": program.code,
        "level": level,
        "district_code": district_code,
        "filename": filename,
        "format": kind,
        "sha256": sha256,
        "counts": counts,
        "totals": totals,
        "matched": report.matched,
        "mismatched": report.mismatched,
        "missing": report.missing,
        "unknown": report.unknown,
        "rejected": report.rejected,
    }
