"""Documents (申报材料, 回单): upload with content-based type checks, scoped download.

The file is durably stored before its row is inserted; if the request's transaction then
fails, the file is removed again (see `discard_unless_committed`)."""

import logging
import unicodedata
from pathlib import Path, PurePath
from typing import BinaryIO, Protocol

from sqlalchemy import event
from sqlmodel import Session

from app.applications import eligibility
from app.applications.lifecycle import STATUS_NAMES
from app.applications.service import get_visible
from app.audit import service as audit
from app.core.config import get_settings
from app.core.db import iso
from app.core.errors import Conflict, Forbidden, Invalid, NotFound, UnsupportedMedia
from app.documents import filetypes, storage
from app.documents.models import DOCUMENT_KINDS, Document
from app.documents.storage import StoredFile
from app.funds.models import Payment
from app.users.auth import READERS, SUBMITTERS, Principal

log = logging.getLogger(__name__)

# Kinds a district may attach to an application; bank receipts belong to payments.
APPLICATION_KINDS = {k: v for k, v in DOCUMENT_KINDS.items() if k != "bank_receipt"}
# Statuses in which an application's documents may still change.
EDITABLE_STATUSES = frozenset({"submitted", "returned"})
MAX_FILENAME = 255


class UploadLike(Protocol):
    """What we need of Starlette's UploadFile."""

    filename: str | None
    file: BinaryIO


# ---------------------------------------------------------------- storing files


_PENDING = "documents.files_pending_commit"


def discard_unless_committed(session: Session, storage_key: str) -> None:
    """Delete the stored file when the session's transaction ends without a commit
    (rollback, an error at COMMIT, or close). A row is thus never committed without its
    file, and a file whose row was rolled back does not linger."""
    pending = session.info.get(_PENDING)
    if pending is None:
        pending = session.info[_PENDING] = []
        event.listen(session, "after_commit", _keep_pending)
        event.listen(session, "after_transaction_end", _discard_pending)
    pending.append(storage_key)


def _keep_pending(session: Session) -> None:
    if not session.in_nested_transaction():  # a released SAVEPOINT decides nothing yet
        session.info[_PENDING].clear()


def _discard_pending(session: Session, transaction) -> None:  # noqa: ANN001
    if transaction.parent is not None:
        return
    keys = list(session.info[_PENDING])
    session.info[_PENDING].clear()
    for key in keys:
        try:
            storage.delete(key)
        except OSError:
            log.exception("could not remove stored file %s after rollback", key)


def save_upload(upload_file: UploadLike, *, session: Session | None = None) -> tuple[StoredFile, str]:
    """Store an uploaded file (≤ max_upload_bytes, type by magic bytes) and return it with
    its detected content type. 413 / 415 leave nothing behind. With `session`, the file is
    removed again if that session's transaction does not commit."""
    detected: dict[str, str] = {}

    def inspect(path: Path) -> str:
        found = filetypes.detect(path)
        if found is None:
            raise UnsupportedMedia(f"{filetypes.ALLOWED_ZH}。")
        detected["content_type"] = found[0]
        return found[1]

    fileobj = upload_file.file
    if fileobj.seekable():
        fileobj.seek(0)
    stored = storage.save_stream(fileobj, get_settings().max_upload_bytes, inspect=inspect)
    if session is not None:
        discard_unless_committed(session, stored.storage_key)
    return stored, detected["content_type"]


def display_filename(raw: str | None, fallback_stem: str, content_type: str) -> str:
    """The client's name, for display only: no directories, no control or bidi-override
    characters, at most 255 characters (keeping the extension)."""
    name = unicodedata.normalize("NFC", raw or "")
    name = PurePath(name.replace("\\", "/")).name
    name = "".join(
        " " if unicodedata.category(ch) in ("Zl", "Zp") else ch
        for ch in name
        if unicodedata.category(ch) not in ("Cc", "Cf", "Cs")
    ).strip()
    if name in ("", ".", ".."):
        name = fallback_stem + filetypes.EXTENSIONS[content_type]
    if len(name) > MAX_FILENAME:
        suffix = PurePath(name).suffix
        if len(suffix) > 16:
            suffix = ""
        name = name[: MAX_FILENAME - len(suffix)].rstrip() + suffix
    return name


def download_filename(document: Document) -> str:
    """The display name, with the extension the content really has (a PNG uploaded as
    "x.pdf" downloads as "x.pdf.png")."""
    if filetypes.extension_matches(document.filename, document.content_type):
        return document.filename
    extension = filetypes.EXTENSIONS.get(document.content_type, "")
    return document.filename[: MAX_FILENAME - len(extension)] + extension


# ---------------------------------------------------------------- application documents


def _check_kind(kind: str) -> None:
    if kind not in APPLICATION_KINDS:
        allowed = "、".join(f"{k}（{v}）" for k, v in APPLICATION_KINDS.items())
        raise Invalid(
            f"材料类型 kind 无效：{kind or '（空）'}。可选：{allowed}。",
            errors=[{"loc": ["body", "kind"], "msg": "材料类型不在允许范围内", "code": "enum"}],
        )


def upload_for_application(
    session: Session, principal: Principal, application_id: int, kind: str, upload_file: UploadLike
) -> Document:
    """Attach a document to a submitted or returned application of the caller's district,
    record it in the application's history and recompute its eligibility."""
    _check_kind(kind)
    if principal.role not in SUBMITTERS:
        raise Forbidden("只有区县申报系统或区县工信部门可以上传申报材料。")
    # Locked so that a concurrent withdrawal or review cannot slip in between the status
    # check and the insert.
    application = get_visible(session, principal, application_id, for_update=True)
    if principal.district_code != application.district_code:
        raise Forbidden("只能为本区县的申报上传材料。")
    if application.status not in EDITABLE_STATUSES:
        status = STATUS_NAMES.get(application.status, application.status)
        raise Conflict(f"申报当前状态为“{status}”，不能再上传材料（仅“已提交”或“退回补正”的申报可以上传）。")

    stored, content_type = save_upload(upload_file, session=session)
    document = Document(
        application_id=application.id,
        kind=kind,
        filename=display_filename(upload_file.filename, kind, content_type),
        content_type=content_type,
        size=stored.size,
        sha256=stored.sha256,
        storage_key=stored.storage_key,
        uploaded_by=principal.name,
    )
    session.add(document)
    session.flush()
    audit.record(
        session, actor=principal.name, role=principal.role.value, action="document.upload",
        entity_type="application", entity_id=application.id,
        after={"document_id": document.id, "kind": kind, "filename": document.filename,
               "content_type": content_type, "sha256": document.sha256, "size": document.size},
    )
    eligibility.recompute(session, application)
    return document


# ---------------------------------------------------------------- reading


def get_for_download(session: Session, principal: Principal, document_id: int) -> tuple[Document, Path]:
    """The document and its file, if the caller may see the application it belongs to
    (directly, or through a payment). Anything else is 404, so that another district's
    documents do not leak."""
    not_found = NotFound(f"文件不存在：{document_id}。")
    if principal.role not in READERS:
        raise Forbidden("当前角色无权下载文件。")
    document = session.get(Document, document_id)
    if document is None:
        raise not_found
    application_id = document.application_id
    if application_id is None and document.payment_id is not None:
        payment = session.get(Payment, document.payment_id)
        application_id = payment.application_id if payment is not None else None
    if application_id is None:
        raise not_found
    try:
        get_visible(session, principal, application_id)
    except NotFound:
        raise not_found from None
    path = storage.path_of(document.storage_key)
    if not path.is_file():
        log.error("document %s: stored file %s is missing", document.id, document.storage_key)
        raise NotFound(f"文件 {document_id} 的内容缺失，请联系管理员。")
    return document, path


def public(document: Document) -> dict:
    return {
        "id": document.id,
        "kind": document.kind,
        "filename": document.filename,
        "content_type": document.content_type,
        "size": document.size,
        "sha256": document.sha256,
        "uploaded_at": iso(document.created_at),
    }
