"""What a file is, from its content alone: magic bytes, and for ZIP packages the names
inside. The client's filename and Content-Type are never consulted."""

import zipfile
import zlib
from pathlib import Path

PDF = "application/pdf"
OFD = "application/ofd"
JPEG = "image/jpeg"
PNG = "image/png"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

# content type → canonical extension (used for stored names and download names)
EXTENSIONS = {PDF: ".pdf", OFD: ".ofd", JPEG: ".jpg", PNG: ".png", XLSX: ".xlsx", DOCX: ".docx"}
# other extensions a client may legitimately use for the same type
ALIASES = {".jpeg": JPEG, ".jpe": JPEG}

ALLOWED_ZH = "仅接受 PDF、OFD、JPEG、PNG、XLSX、DOCX 文件（按文件内容识别）"

_ZIP_MAGIC = b"PK\x03\x04"
# [Content_Types].xml is a few KB; never inflate more than this from a client's archive.
_CONTENT_TYPES_READ_LIMIT = 1024 * 1024


def detect(path: Path) -> tuple[str, str] | None:
    """(content_type, canonical extension) of the file at `path`, or None if it is not one
    of the accepted types."""
    with open(path, "rb") as fh:
        head = fh.read(8)
    if head.startswith(b"%PDF-"):
        return PDF, EXTENSIONS[PDF]
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG, EXTENSIONS[JPEG]
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG, EXTENSIONS[PNG]
    if head.startswith(_ZIP_MAGIC):
        content_type = _zip_package_type(path)
        if content_type is not None:
            return content_type, EXTENSIONS[content_type]
    return None


def _zip_package_type(path: Path) -> str | None:
    """Reads only the central directory (and at most 1 MB of [Content_Types].xml), so a
    ZIP bomb costs nothing."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if any(name.lower().endswith("vbaproject.bin") for name in names):
                return None  # macro-enabled .xlsm/.docm: not an accepted type
            if "[Content_Types].xml" in names:
                with archive.open("[Content_Types].xml") as fh:
                    if b"macroenabled" in fh.read(_CONTENT_TYPES_READ_LIMIT).lower():
                        return None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, NotImplementedError, RuntimeError, EOFError, zlib.error):
        return None
    if any(name.lower() == "ofd.xml" for name in names):
        return OFD
    if "word/document.xml" in names:
        return DOCX
    if "xl/workbook.xml" in names or ("[Content_Types].xml" in names and any(n.startswith("xl/") for n in names)):
        return XLSX
    return None


def extension_matches(filename: str, content_type: str) -> bool:
    suffix = Path(filename).suffix.lower()
    return EXTENSIONS.get(content_type) == suffix or ALIASES.get(suffix) == content_type
