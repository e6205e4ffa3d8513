"""Statistics roster (统计部门规上工业企业名录): streaming CSV/XLSX import and lookups.

A roster file can hold the whole country's 规上 enterprises (500,000 rows), so the import
never holds the file in memory: rows are parsed one at a time, validated, and upserted in
batches; only the rejected rows' reasons accumulate."""

import csv
import io
import re
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from sqlalchemy import String, any_, bindparam, select
from sqlalchemy import text as sql_text
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from app.applications import eligibility
from app.audit import service as audit
from app.core.tabular import cell_text as _text, OLE_MAGIC, XLSX_MAGIC, xlsx_rows
from app.core.errors import Forbidden, Invalid, NotFound
from app.core.money import yuan_to_fen
from app.districts.models import District
from app.enterprises.uscc import uscc_problem
from app.roster.models import RosterEntry
from app.users.auth import Principal
from app.users.models import Role

BATCH_SIZE = 1000

# Canonical field → (Chinese header, English header). Headers match after _header_key().
COLUMNS: dict[str, tuple[str, str]] = {
    "uscc": ("统一社会信用代码", "uscc"),
    "name": ("企业名称", "name"),
    "district_code": ("区县代码", "district_code"),
    "industry_code": ("行业代码", "industry_code"),
    "year": ("年份", "year"),
    "first_included": ("入库年月", "first_included"),
    "main_revenue": ("主营业务收入（元）", "main_revenue"),
}


def _header_key(text: object) -> str:
    """Full-width and ASCII parentheses alike, no blanks, English case-insensitive."""
    s = "" if text is None else str(text)
    s = s.replace("\ufeff", "").replace("（", "(").replace("）", ")")
    return "".join(s.split()).lower()


_HEADER_ALIASES = {_header_key(name): fld for fld, names in COLUMNS.items() for name in names}

IMPORT_ROLES = {Role.city_stats, Role.district_stats, Role.admin}


@dataclass
class ImportReport:
    imported: int = 0
    updated: int = 0
    rejected: list[dict] = field(default_factory=list)


# ------------------------------------------------------------------ reading the file


def _csv_rows(fileobj: IO[bytes]) -> Iterator[list[Any]]:
    # TextIOWrapper wants a full io.IOBase; a SpooledTemporaryFile is one from Python 3.11.
    text = io.TextIOWrapper(fileobj, encoding="utf-8-sig", newline="")
    try:
        reader = csv.reader(text)
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except UnicodeDecodeError:
                raise Invalid(
                    f"文件不是 UTF-8 编码的 CSV（约第 {reader.line_num + 1} 行起无法解码）。请在 Excel 中另存为"
                    "“CSV UTF-8（逗号分隔）”或直接上传 XLSX。",
                    errors=[{"loc": ["body", "file"], "msg": "无法按 UTF-8 解码", "code": "encoding_error"}],
                ) from None
            except csv.Error as exc:
                raise Invalid(
                    f"CSV 格式错误（约第 {reader.line_num} 行）：{exc}。",
                    errors=[{"loc": ["body", "file"], "msg": "CSV 格式错误", "code": "csv_error"}],
                ) from None
            yield row
    finally:
        text.detach()  # leave the caller's file open


def _rows(fileobj: IO[bytes]) -> tuple[str, Iterator]:
    """(format, row iterator), the format told by the content, never by the file name."""
    head = fileobj.read(4)
    fileobj.seek(0)
    if head == XLSX_MAGIC:
        return "xlsx", xlsx_rows(fileobj)
    if head == OLE_MAGIC:
        raise Invalid(
            "不支持旧版 Excel（.xls）文件，请另存为 XLSX 或 UTF-8 编码的 CSV 后再导入。",
            errors=[{"loc": ["body", "file"], "msg": "不支持的文件格式", "code": "unsupported_format"}],
        )
    return "csv", _csv_rows(fileobj)


def _column_map(header: list[Any] | tuple[Any, ...] | None) -> dict[str, int]:
    positions: dict[str, int] = {}
    duplicated: list[str] = []
    for index, cell in enumerate(header or ()):
        fld = _HEADER_ALIASES.get(_header_key(cell))
        if fld is None:
            continue  # extra columns are ignored
        if fld in positions:
            duplicated.append(f"{COLUMNS[fld][0]}（{COLUMNS[fld][1]}）")
        positions[fld] = index
    missing = [f"{zh}（{en}）" for fld, (zh, en) in COLUMNS.items() if fld not in positions]
    if missing:
        raise Invalid(
            f"名录文件第 1 行表头缺少列：{'、'.join(missing)}。",
            errors=[{"loc": ["body", "file", "header"], "msg": f"缺少列：{m}", "code": "missing_column"} for m in missing],
        )
    if duplicated:
        raise Invalid(
            f"名录文件表头中的列重复：{'、'.join(duplicated)}。",
            errors=[{"loc": ["body", "file", "header"], "msg": f"列重复：{d}", "code": "duplicate_column"} for d in duplicated],
        )
    return positions


# ------------------------------------------------------------------ validating a row

_DIGITS4 = re.compile(r"\d{4}")
_PERIOD = re.compile(r"(\d{4})-(\d{2})")
_MAX_REVENUE_YUAN = Decimal("99999999999999.99")


def _integer(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    text = _text(value)
    return int(text) if re.fullmatch(r"\d{1,9}", text) else None


def _revenue_fen(value: Any) -> int | None:
    """Yuan → integer fen. A spreadsheet's numeric cell goes through Decimal(str(value)),
    which is exact for the decimal the cell shows; money never passes through float arithmetic."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float | Decimal):
        try:
            amount = Decimal(str(value))
        except InvalidOperation:
            return None
        if not amount.is_finite() or amount < 0 or amount > _MAX_REVENUE_YUAN:
            return None
        if amount.as_tuple().exponent < -2 and amount != amount.quantize(Decimal("0.01")):
            return None
        return int(amount * 100)
    try:
        return yuan_to_fen(_text(value))
    except ValueError:
        return None


def _period(value: Any) -> str:
    if isinstance(value, datetime | date):  # Excel turns "2023-06" into a date
        return f"{value.year:04d}-{value.month:02d}"
    return _text(value)


def _has_control(text: str) -> bool:
    return any(ord(ch) < 32 or ord(ch) == 127 for ch in text)


def _validate(
    cells: list[Any] | tuple[Any, ...],
    columns: dict[str, int],
    districts: set[str],
    principal: Principal,
) -> tuple[dict | None, list[str]]:
    raw = {fld: (cells[i] if i < len(cells) else None) for fld, i in columns.items()}
    errors: list[str] = []

    uscc_cell = raw["uscc"]
    uscc = _text(uscc_cell).upper()
    if not uscc:
        errors.append("缺少统一社会信用代码")
    elif isinstance(uscc_cell, float):
        errors.append("统一社会信用代码被存成了数字，已丢失精度；请将该列设为文本后重新导出")
    elif problem := uscc_problem(uscc):
        errors.append(problem)

    name = _text(raw["name"])
    if not name:
        errors.append("企业名称不能为空")
    elif len(name) > 200:
        errors.append(f"企业名称过长（{len(name)} 字，最多 200 字）")
    elif _has_control(name):
        errors.append("企业名称含有不可见的控制字符")

    district_code = _text(raw["district_code"])
    if not district_code:
        errors.append("缺少区县代码")
    elif district_code not in districts:
        errors.append(f"区县代码 {district_code[:20]} 不存在")
    elif not principal.can_see_district(district_code):
        errors.append(f"只能导入本区县（{principal.district_code}）的名录数据，该行区县代码为 {district_code}")

    industry_cell = raw["industry_code"]
    industry_code = _text(industry_cell)
    if isinstance(industry_cell, int) and not isinstance(industry_cell, bool) and 0 < industry_cell < 10000:
        industry_code = f"{industry_cell:04d}"  # a numeric cell has lost the code's leading zero
    if not industry_code:
        errors.append("缺少行业代码")
    elif not _DIGITS4.fullmatch(industry_code):
        errors.append(f"行业代码应为 4 位数字（GB/T 4754 小类），实际为 {industry_code[:20]}")

    year = _integer(raw["year"])
    if _text(raw["year"]) == "":
        errors.append("缺少年份")
        year = None
    elif year is None or not 2000 <= year <= 2100:
        errors.append(f"年份应为 2000 至 2100 之间的整数，实际为 {_text(raw['year'])[:20]}")
        year = None

    first_included = _period(raw["first_included"])
    period = _PERIOD.fullmatch(first_included)
    if not first_included:
        errors.append("缺少入库年月")
    elif period is None or not 1 <= int(period.group(2)) <= 12:
        errors.append(f"入库年月应为 YYYY-MM 格式（月份 01-12），实际为 {first_included[:20]}")
    elif year is not None and int(period.group(1)) > year:
        errors.append(f"入库年月 {first_included} 晚于名录年份 {year}")

    revenue_cell = raw["main_revenue"]
    revenue_fen = None
    if _text(revenue_cell) == "":
        errors.append("缺少主营业务收入")
    else:
        revenue_fen = _revenue_fen(revenue_cell)
        if revenue_fen is None:
            errors.append(
                f"主营业务收入应为以元为单位、最多两位小数的非负金额（如 35200000.00），实际为 {_text(revenue_cell)[:30]}"
            )

    if errors:
        return None, errors
    return {
        "uscc": uscc,
        "name": name,
        "district_code": district_code,
        "industry_code": industry_code,
        "year": year,
        "first_included": first_included,
        "main_revenue_fen": revenue_fen,
    }, []


# ------------------------------------------------------------------ writing a batch


_UPDATED = ("name", "district_code", "industry_code", "first_included", "main_revenue_fen", "imported_at")
_FIELDS = ("uscc", "year") + _UPDATED

# PostgreSQL: a batch is one statement whatever its size — each column travels as one array
# parameter and unnest() turns them back into rows.
_PG_UPSERT = sql_text(
    f"INSERT INTO roster_entry ({', '.join(_FIELDS)}) "
    "SELECT * FROM unnest(CAST(:uscc AS varchar[]), CAST(:year AS integer[]), CAST(:name AS varchar[]), "
    "CAST(:district_code AS varchar[]), CAST(:industry_code AS varchar[]), CAST(:first_included AS varchar[]), "
    "CAST(:main_revenue_fen AS bigint[]), CAST(:imported_at AS timestamptz[])) "
    "ON CONFLICT (uscc, year) DO UPDATE SET " + ", ".join(f"{c} = EXCLUDED.{c}" for c in _UPDATED)
)


def _upsert(session: Session, rows: list[dict]) -> None:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(_PG_UPSERT, {f: [row[f] for row in rows] for f in _FIELDS})
    elif dialect == "sqlite":
        stmt = sqlite.insert(RosterEntry.__table__)
        stmt = stmt.on_conflict_do_update(index_elements=["uscc", "year"], set_={c: stmt.excluded[c] for c in _UPDATED})
        session.execute(stmt, rows)
    else:  # pragma: no cover - ScaleUp runs on these two
        raise RuntimeError(f"名录导入不支持数据库 {dialect}")


def _write_batch(session: Session, batch: dict[tuple[str, int], dict], stamp: datetime, report: ImportReport) -> None:
    """One SELECT of the keys already there, one batched upsert, then the live applications
    of these enterprises are re-checked against the new roster."""
    if not batch:
        return
    usccs = list({uscc for uscc, _ in batch})
    # Rows carrying this import's stamp were written by an earlier batch of the same file:
    # a later duplicate replaces them but is not counted twice.
    this_import = (col(RosterEntry.imported_at) == stamp).label("this_import")
    if session.get_bind().dialect.name == "postgresql":
        # One array parameter instead of a thousand placeholders.
        in_batch = col(RosterEntry.uscc) == any_(bindparam("usccs", usccs, type_=postgresql.ARRAY(String)))
    else:
        in_batch = col(RosterEntry.uscc).in_(usccs)
    existing = {
        (uscc, year): mine
        for uscc, year, mine in session.execute(select(col(RosterEntry.uscc), col(RosterEntry.year), this_import).where(in_batch))
    }
    for key in batch:
        if key not in existing:
            report.imported += 1
        elif not existing[key]:
            report.updated += 1
    # Key order, so that two imports touching the same rows lock them in the same order.
    rows = [{**batch[key], "imported_at": stamp} for key in sorted(batch)]
    _upsert(session, rows)
    # Core statements bypass the identity map: forget any roster row loaded earlier.
    for obj in list(session.identity_map.values()):
        if isinstance(obj, RosterEntry):
            session.expire(obj)
    eligibility.recompute_for_usccs(session, usccs, year=min(year for _, year in batch))


def _district_codes(session: Session) -> set[str]:
    return set(session.execute(select(col(District.code))).scalars())


# ------------------------------------------------------------------ public


def _import_rows(session: Session, fileobj: IO[bytes], principal: Principal) -> tuple[str, ImportReport]:
    kind, rows = _rows(fileobj)
    report = ImportReport()
    # Microsecond precision, so that no earlier import can carry the same stamp.
    stamp = datetime.now(UTC)
    districts = _district_codes(session)
    try:
        header = next(rows, None)
        if header is None:
            raise Invalid(
                "名录文件为空：第 1 行应为表头。",
                errors=[{"loc": ["body", "file"], "msg": "文件为空", "code": "empty_file"}],
            )
        columns = _column_map(header)
        batch: dict[tuple[str, int], dict] = {}
        years: set[int] = set()
        first_of_year: set[int] = set()  # years this file brings to an empty roster
        for number, cells in enumerate(rows, start=2):
            if not any(_text(c) for c in cells):
                continue  # blank line
            values, errors = _validate(cells, columns, districts, principal)
            if errors:
                report.rejected.append({"row": number, "errors": errors})
                continue
            key = (values["uscc"], values["year"])
            if values["year"] not in years:
                years.add(values["year"])
                if not eligibility.roster_loaded(session, values["year"]):
                    first_of_year.add(values["year"])
            batch.pop(key, None)  # the later row of the same enterprise and year wins
            batch[key] = values
            if len(batch) >= BATCH_SIZE:
                _write_batch(session, batch, stamp, report)
                batch = {}
        _write_batch(session, batch, stamp, report)
        for year in sorted(first_of_year):
            eligibility.recompute_for_cohort(session, year)
    finally:
        rows.close()
    return kind, report


def import_roster(session: Session, *, filename: str | None, fileobj: IO[bytes], principal: Principal) -> ImportReport:
    """Import a statistics roster file (CSV or XLSX). Good rows are upserted by (uscc, year);
    bad rows are reported with their spreadsheet row number (header = row 1) and skipped.
    A district_stats official may only import rows of their own district. Flushes, never commits:
    a whole-file error (422) leaves nothing behind once the caller rolls back."""
    if principal.role not in IMPORT_ROLES:
        raise Forbidden("只有市、区县统计局和系统管理员可以导入统计名录。")
    with ExitStack() as cleanup:
        if not (getattr(fileobj, "seekable", None) and fileobj.seekable()):
            # Telling XLSX from CSV needs a look at the first bytes and a rewind.
            spooled = cleanup.enter_context(tempfile.SpooledTemporaryFile(max_size=1024 * 1024))
            shutil.copyfileobj(fileobj, spooled)
            spooled.seek(0)
            fileobj = spooled
        kind, report = _import_rows(session, fileobj, principal)

    audit.record(
        session,
        actor=principal.name,
        role=principal.role.value,
        action="roster.import",
        entity_type="roster_import",
        entity_id=uuid.uuid4().hex,
        after={
            "filename": (filename or "").strip()[:255],
            "format": kind,
            "district_code": principal.district_code,
            "imported": report.imported,
            "updated": report.updated,
            "rejected": len(report.rejected),
        },
    )
    return report


def normalize_uscc(uscc: str) -> str:
    return uscc.strip().upper()


def roster_for(session: Session, uscc: str) -> list[RosterEntry]:
    """One enterprise's roster rows, oldest year first (served by the (uscc, year) unique index)."""
    return list(
        session.execute(
            select(RosterEntry).where(col(RosterEntry.uscc) == normalize_uscc(uscc)).order_by(col(RosterEntry.year))
        ).scalars()
    )


def enterprise_roster(session: Session, uscc: str) -> list[RosterEntry]:
    """roster_for(), but a malformed code is a 422 and an enterprise never in the roster a 404."""
    code = normalize_uscc(uscc)
    if problem := uscc_problem(code):
        raise Invalid(problem, errors=[{"loc": ["path", "uscc"], "msg": problem, "code": "uscc_invalid"}])
    entries = roster_for(session, code)
    if not entries:
        raise NotFound(f"统计名录中没有统一社会信用代码为 {code} 的企业。")
    return entries
