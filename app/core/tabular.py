"""Reading the first sheet of an uploaded XLSX row by row (roster imports, bank statements)."""

import zipfile
from collections.abc import Iterator
from typing import IO, Any

from app.core.errors import Invalid

XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the legacy .xls container


def _invalid(detail: str) -> Invalid:
    return Invalid(detail, errors=[{"loc": ["body", "file"], "msg": "无法读取 XLSX", "code": "xlsx_invalid"}])


def xlsx_rows(fileobj: IO[bytes]) -> Iterator[tuple[Any, ...]]:
    """Values of the first sheet's rows, streamed (openpyxl read-only). A broken workbook is
    a 422, never a 500."""
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(fileobj, read_only=True, data_only=True)
    except Exception:  # openpyxl raises zipfile, KeyError, XML and its own errors for broken files
        raise _invalid("XLSX 文件已损坏或不是有效的 Excel 工作簿。") from None
    try:
        if not workbook.worksheets:
            return
        sheet = workbook.worksheets[0]
        if hasattr(sheet, "reset_dimensions"):
            sheet.reset_dimensions()  # some software writes a wrong <dimension>: read every row there is
        try:
            yield from sheet.iter_rows(values_only=True)
        except (zipfile.BadZipFile, KeyError, ValueError, TypeError, OSError) as exc:
            raise _invalid(f"XLSX 文件内容无法读取：{type(exc).__name__}。") from None
    finally:
        workbook.close()


def cell_text(value: Any) -> str:
    """A spreadsheet or CSV cell as text: blanks empty, 1234.0 (how XLSX stores 1234) as "1234"."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()
