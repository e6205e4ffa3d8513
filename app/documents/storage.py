"""Document storage on the local filesystem under SCALEUP_STORAGE_DIR.

A file is streamed into a temporary name (`.tmp-…`) in the storage directory, hashed as it
goes, fsynced, renamed to a generated key (`ab/cd/<uuid4 hex><ext>`) and the directories
are fsynced; only then may a database row reference it. A crash at any point leaves at
worst an unreferenced file, never a row pointing at a missing or partial one. The client's
filename never reaches the filesystem."""

import builtins
import hashlib
import os
import re
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO
from uuid import uuid4

from app.core.config import get_settings
from app.core.errors import NotFound, TooLarge

CHUNK_BYTES = 1024 * 1024
TEMP_PREFIX = ".tmp-"
_KEY = re.compile(r"[0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]{32}(\.[a-z0-9]{1,8})?")


@dataclass(frozen=True)
class StoredFile:
    storage_key: str
    size: int
    sha256: str
    path: Path


def root() -> Path:
    base = Path(get_settings().storage_dir)
    base.mkdir(parents=True, exist_ok=True)
    return base


def too_large_detail(max_bytes: int) -> str:
    return f"文件不得超过 {max_bytes / (1024 * 1024):g} MB。"


def save_stream(
    fileobj: BinaryIO, max_bytes: int, *, inspect: Callable[[Path], str] | None = None
) -> StoredFile:
    """Copy `fileobj` into storage in 1 MB chunks. Refuses (TooLarge) as soon as it passes
    `max_bytes`. `inspect(temp_path)` sees the complete, fsynced file before it gets its
    final name and returns the extension for the key (".pdf"); if it raises, nothing is
    kept. Whatever fails, the temporary file is removed."""
    base = root()
    fd, tmp_name = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=base)
    tmp = Path(tmp_name)
    try:
        digest = hashlib.sha256()
        size = 0
        with os.fdopen(fd, "wb") as out:
            while chunk := fileobj.read(CHUNK_BYTES):
                size += len(chunk)
                if size > max_bytes:
                    raise TooLarge(too_large_detail(max_bytes), max_bytes=max_bytes)
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        suffix = inspect(tmp) if inspect is not None else ""
        name = uuid4().hex
        key = f"{name[:2]}/{name[2:4]}/{name}{suffix}"
        final = base / key
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp, final)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    try:
        # The new name, and the shard directories if they are new, must survive a crash
        # before the caller writes the row that points here.
        for directory in (final.parent, final.parent.parent, base):
            _fsync_dir(directory)
    except BaseException:
        final.unlink(missing_ok=True)
        raise
    return StoredFile(storage_key=key, size=size, sha256=digest.hexdigest(), path=final)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def path_of(storage_key: str) -> Path:
    """The file's path. Keys are validated, so a key can never escape the storage directory."""
    if not _KEY.fullmatch(storage_key):
        raise ValueError(f"invalid storage key: {storage_key!r}")
    return Path(get_settings().storage_dir) / storage_key


def exists(storage_key: str) -> bool:
    return path_of(storage_key).is_file()


def open(storage_key: str) -> BinaryIO:  # noqa: A001 - the storage backend's verb
    try:
        return builtins.open(path_of(storage_key), "rb")
    except FileNotFoundError:
        raise NotFound("文件内容不存在。") from None


def delete(storage_key: str) -> None:
    """Remove a stored file (cleanup after a failed transaction). Missing is fine."""
    path_of(storage_key).unlink(missing_ok=True)


def remove_stale_temporaries(older_than_seconds: float = 3600) -> int:
    """Temporary files left by a crash mid-upload. Safe to run at startup or from cron:
    a live upload's temporary file is younger than the threshold."""
    base = Path(get_settings().storage_dir)
    if not base.is_dir():
        return 0
    cutoff = time.time() - older_than_seconds
    removed = 0
    for tmp in base.glob(TEMP_PREFIX + "*"):
        try:
            if tmp.stat().st_mtime < cutoff:
                tmp.unlink()
                removed += 1
        except FileNotFoundError:
            continue
    return removed
