import hashlib
import io
import zipfile
from datetime import date
from pathlib import Path
from urllib.parse import quote

import pytest
from openpyxl import Workbook
from sqlmodel import func, select

from app.audit.models import AuditEvent
from app.core.config import get_settings
from app.documents import filetypes, service, storage
from app.documents.models import Document
from app.funds.models import Payment
from tests.factories import PDF_BYTES, PNG_BYTES, application_body, make_program

MB = 1024 * 1024
PROBLEM = "application/problem+json"
JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + b"\x00" * 64


# ---------------------------------------------------------------- helpers


def _storage_dir() -> Path:
    return Path(get_settings().storage_dir)


def _stored_files() -> set[str]:
    base = _storage_dir()
    return {p.relative_to(base).as_posix() for p in base.rglob("*") if p.is_file() and not p.name.startswith(".tmp-")}


def _temporaries() -> list[Path]:
    return list(_storage_dir().rglob(".tmp-*"))


def _documents(session) -> int:
    return session.exec(select(func.count()).select_from(Document)).one()


def _submit(client, headers, **body) -> dict:
    r = client.post("/api/v1/programs/T-2023/applications", json=application_body(**body), headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


@pytest.fixture
def ts(token_for) -> dict:
    return token_for("district_system", "650102")


@pytest.fixture
def submitted(client, session, ts) -> dict:
    make_program(session)
    return _submit(client, ts)


def _upload(client, headers, application_id, data: bytes, *, kind="application_report", filename="申请报告.pdf",
            content_type="application/pdf"):
    return client.post(
        f"/api/v1/applications/{application_id}/documents",
        data={"kind": kind}, files={"file": (filename, data, content_type)}, headers=headers,
    )


def _xlsx_bytes() -> bytes:
    wb = Workbook()
    wb.active.append(["项目", "金额"])
    wb.active.append(["营业收入", 35200000])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _zip_bytes(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in members.items():
            zf.writestr(name, content)
    return buf.getvalue()


def _docx_bytes() -> bytes:
    return _zip_bytes({
        "[Content_Types].xml": b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                               b'<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
                               b'officedocument.wordprocessingml.document.main+xml"/></Types>',
        "_rels/.rels": b'<?xml version="1.0"?><Relationships/>',
        "word/document.xml": '<?xml version="1.0"?><w:document><w:body><w:p><w:r><w:t>营业执照</w:t></w:r></w:p></w:body></w:document>'.encode(),
    })


def _ofd_bytes() -> bytes:
    return _zip_bytes({"OFD.xml": b'<?xml version="1.0"?><ofd:OFD Version="1.0"/>', "Doc_0/Document.xml": b"<ofd:Document/>"})


# ---------------------------------------------------------------- accepted uploads


def test_pdf_is_stored_under_a_generated_name_with_its_sha256(client, session, ts, submitted):
    before = _stored_files()
    r = _upload(client, ts, submitted["id"], PDF_BYTES, filename="申请报告.pdf")
    assert r.status_code == 201, r.text
    body = r.json()
    assert {k: body[k] for k in ("kind", "filename", "content_type", "size", "sha256")} == {
        "kind": "application_report", "filename": "申请报告.pdf", "content_type": "application/pdf",
        "size": len(PDF_BYTES), "sha256": hashlib.sha256(PDF_BYTES).hexdigest(),
    }
    assert r.headers["location"] == f"/api/v1/documents/{body['id']}/content"

    row = session.get(Document, body["id"])
    assert row.application_id == submitted["id"] and row.uploaded_by == "district_system-650102"
    new = _stored_files() - before
    assert new == {row.storage_key}
    stored = _storage_dir() / row.storage_key
    assert stored.read_bytes() == PDF_BYTES
    assert "申请报告" not in row.storage_key and stored.name != "申请报告.pdf"
    assert stored.suffix == ".pdf" and len(stored.stem) == 32 and row.storage_key[:2] == stored.stem[:2]
    assert not _temporaries()
    # still there once the request's transaction is long over
    assert client.get(f"/api/v1/applications/{submitted['id']}", headers=ts).status_code == 200
    assert stored.is_file()


def test_three_required_kinds_make_documents_complete_pass(client, session, ts, submitted):
    def documents_rule() -> dict:
        app = client.get(f"/api/v1/applications/{submitted['id']}", headers=ts).json()
        return next(c for c in app["eligibility"] if c["rule"] == "documents_complete")

    assert documents_rule()["outcome"] == "warn"
    for kind in ("application_report", "business_license"):
        assert _upload(client, ts, submitted["id"], PDF_BYTES, kind=kind).status_code == 201
    rule = documents_rule()
    assert rule["outcome"] == "warn" and "财务报表" in rule["message"]
    assert _upload(client, ts, submitted["id"], _xlsx_bytes(), kind="financial_statement",
                   filename="财务报表.xlsx").status_code == 201
    assert documents_rule()["outcome"] == "pass"
    app = client.get(f"/api/v1/applications/{submitted['id']}", headers=ts).json()
    assert sorted(d["kind"] for d in app["documents"]) == ["application_report", "business_license", "financial_statement"]


@pytest.mark.parametrize(("make", "content_type", "extension"), [
    (_xlsx_bytes, filetypes.XLSX, ".xlsx"),
    (_docx_bytes, filetypes.DOCX, ".docx"),
    (_ofd_bytes, filetypes.OFD, ".ofd"),
    (lambda: JPEG_BYTES, "image/jpeg", ".jpg"),
    (lambda: PNG_BYTES, "image/png", ".png"),
])
def test_other_accepted_types_get_their_canonical_content_type(client, session, ts, submitted, make, content_type, extension):
    # the client's name and declared type are ignored: only the content counts
    r = _upload(client, ts, submitted["id"], make(), kind="other", filename="材料", content_type="application/octet-stream")
    assert r.status_code == 201, r.text
    assert r.json()["content_type"] == content_type
    assert session.get(Document, r.json()["id"]).storage_key.endswith(extension)


# ---------------------------------------------------------------- refused uploads


@pytest.mark.parametrize("data", [
    "这是一个纯文本文件，不是 PDF。\n".encode(),
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200,  # a Windows executable
    _zip_bytes({"readme.txt": b"just a zip"}),
    _zip_bytes({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>", "xl/vbaProject.bin": b"\x00"}),
    b"",
])
def test_content_that_is_not_an_accepted_type_is_415(client, session, ts, submitted, data):
    before = _stored_files()
    r = _upload(client, ts, submitted["id"], data, filename="x.pdf", content_type="application/pdf")
    assert r.status_code == 415
    assert r.headers["content-type"].startswith(PROBLEM)
    assert r.json()["detail"] == "仅接受 PDF、OFD、JPEG、PNG、XLSX、DOCX 文件（按文件内容识别）。"
    assert _documents(session) == 0
    assert _stored_files() == before and not _temporaries()


def test_body_over_the_limit_is_413_problem_json_before_it_is_read(client, session, ts, submitted):
    before = _stored_files()
    r = _upload(client, ts, submitted["id"], b"%PDF-1.4\n" + b"0" * (21 * MB))
    assert r.status_code == 413
    assert r.headers["content-type"].startswith(PROBLEM)
    assert "20 MB" in r.json()["detail"]
    assert _documents(session) == 0
    assert _stored_files() == before and not _temporaries()


def test_file_just_over_20_mb_is_refused_by_storage_with_413(client, session, ts, submitted):
    # small enough for the body limit (20 MB + 64 KB), one byte too big for a file
    before = _stored_files()
    r = _upload(client, ts, submitted["id"], b"%PDF-1.4\n" + b"0" * (20 * MB - 8))
    assert r.status_code == 413
    assert r.headers["content-type"].startswith(PROBLEM)
    assert r.json()["detail"] == "文件不得超过 20 MB。"
    assert _documents(session) == 0
    assert _stored_files() == before and not _temporaries()


def test_exactly_20_mb_is_accepted(client, session, ts, submitted):
    data = b"%PDF-1.4\n" + b"0" * (20 * MB - 9)
    r = _upload(client, ts, submitted["id"], data)
    assert r.status_code == 201 and r.json()["size"] == 20 * MB
    assert r.json()["sha256"] == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize("kind", ["bank_receipt", "passport", ""])
def test_unknown_kind_is_422_in_chinese(client, session, ts, submitted, kind):
    before = _stored_files()
    r = _upload(client, ts, submitted["id"], PDF_BYTES, kind=kind)
    assert r.status_code == 422
    assert r.headers["content-type"].startswith(PROBLEM)
    assert r.json()["errors"][0]["loc"] == ["body", "kind"]
    if kind:
        assert "材料类型" in r.json()["detail"]
    assert _documents(session) == 0 and _stored_files() == before


def test_missing_file_is_422(client, session, ts, submitted):
    r = client.post(f"/api/v1/applications/{submitted['id']}/documents", data={"kind": "other"}, headers=ts)
    assert r.status_code == 422 and r.headers["content-type"].startswith(PROBLEM)


def test_upload_to_a_withdrawn_application_is_409(client, session, ts, submitted):
    w = client.post(f"/api/v1/applications/{submitted['id']}/withdraw", json={"reason": "企业放弃"},
                    headers={**ts, "If-Match": '"1"'})
    assert w.status_code == 200
    before = _stored_files()
    r = _upload(client, ts, submitted["id"], PDF_BYTES)
    assert r.status_code == 409
    assert r.headers["content-type"].startswith(PROBLEM) and "已撤回" in r.json()["detail"]
    assert _documents(session) == 0 and _stored_files() == before


def test_roles_that_may_not_upload_are_403(client, session, token_for, submitted):
    for role, district in (("district_stats", "650102"), ("city_industry", None), ("finance", None)):
        r = _upload(client, token_for(role, district), submitted["id"], PDF_BYTES)
        assert r.status_code == 403, role
    assert client.post(f"/api/v1/applications/{submitted['id']}/documents",
                       data={"kind": "other"}, files={"file": ("a.pdf", PDF_BYTES)}).status_code == 401
    assert _documents(session) == 0


def test_district_industry_of_the_district_may_upload(client, session, token_for, submitted):
    r = _upload(client, token_for("district_industry", "650102"), submitted["id"], PDF_BYTES)
    assert r.status_code == 201


# ---------------------------------------------------------------- district scoping


def test_another_district_gets_404_on_upload_and_download(client, session, ts, token_for, submitted):
    doc = _upload(client, ts, submitted["id"], PDF_BYTES).json()
    before = _stored_files()
    for role in ("district_system", "district_industry", "district_stats"):
        other = token_for(role, "650103", name=f"sb-{role}")
        if role != "district_stats":
            up = _upload(client, other, submitted["id"], PDF_BYTES)
            assert up.status_code == 404 and up.headers["content-type"].startswith(PROBLEM)
        down = client.get(f"/api/v1/documents/{doc['id']}/content", headers=other)
        assert down.status_code == 404 and down.headers["content-type"].startswith(PROBLEM)
        assert down.json()["detail"] == f"文件不存在：{doc['id']}。"  # nothing about the application
    assert _documents(session) == 1 and _stored_files() == before
    # unknown ids look exactly the same
    unknown = client.get("/api/v1/documents/999999/content", headers=ts)
    assert unknown.status_code == 404 and unknown.json()["detail"] == "文件不存在：999999。"
    assert client.get("/api/v1/documents/99999999999/content", headers=ts).status_code == 422
    assert client.get(f"/api/v1/documents/{doc['id']}/content").status_code == 401


def test_payment_receipt_is_scoped_through_its_application(client, session, ts, token_for, submitted):
    payment = Payment(application_id=submitted["id"], level="city", amount_fen=100_000_00, voucher_no="V-1",
                      paid_on=date(2024, 8, 8), recorded_by="finance")
    session.add(payment)
    session.flush()
    stored = storage.save_stream(io.BytesIO(PDF_BYTES), 20 * MB, inspect=lambda _p: ".pdf")
    receipt = Document(payment_id=payment.id, kind="bank_receipt", filename="回单.pdf", content_type="application/pdf",
                       size=stored.size, sha256=stored.sha256, storage_key=stored.storage_key, uploaded_by="finance")
    session.add(receipt)
    session.flush()
    url = f"/api/v1/documents/{receipt.id}/content"
    assert client.get(url, headers=ts).content == PDF_BYTES
    assert client.get(url, headers=token_for("finance")).status_code == 200
    assert client.get(url, headers=token_for("district_system", "650103", name="sb")).status_code == 404
    assert client.get(url, headers=token_for("finance", "650103", name="sb-finance")).status_code == 404


# ---------------------------------------------------------------- download


def test_download_returns_identical_bytes_as_an_attachment(client, session, ts, token_for, submitted):
    data = _xlsx_bytes()
    doc = _upload(client, ts, submitted["id"], data, kind="financial_statement", filename="2023年 财务报表.xlsx").json()
    for headers in (ts, token_for("city_industry"), token_for("auditor"), token_for("district_stats", "650102")):
        r = client.get(f"/api/v1/documents/{doc['id']}/content", headers=headers)
        assert r.status_code == 200
        assert r.content == data
        assert r.headers["content-type"] == filetypes.XLSX
        assert r.headers["x-content-type-options"] == "nosniff"
        disposition = r.headers["content-disposition"]
        assert disposition.startswith("attachment;")
        assert f"filename*=UTF-8''{quote('2023年 财务报表.xlsx', safe='')}" in disposition
        assert f'filename="document-{doc["id"]}.xlsx"' in disposition


def test_download_name_carries_the_real_extension(client, session, ts, submitted):
    doc = _upload(client, ts, submitted["id"], PNG_BYTES, kind="other", filename="scan.pdf").json()
    assert doc["content_type"] == "image/png" and doc["filename"] == "scan.pdf"
    r = client.get(f"/api/v1/documents/{doc['id']}/content", headers=ts)
    assert r.headers["content-type"] == "image/png"
    assert 'filename="scan.pdf.png"' in r.headers["content-disposition"]


# ---------------------------------------------------------------- history and failure


def test_upload_is_audited_in_the_application_history(client, session, ts, submitted):
    doc = _upload(client, ts, submitted["id"], PDF_BYTES, kind="business_license", filename="营业执照.pdf").json()
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "document.upload")).one()
    assert event.entity_type == "application" and event.entity_id == str(submitted["id"])
    assert event.actor == "district_system-650102" and event.role == "district_system"
    assert event.after == {"document_id": doc["id"], "kind": "business_license", "filename": "营业执照.pdf",
                           "content_type": "application/pdf", "sha256": hashlib.sha256(PDF_BYTES).hexdigest(),
                           "size": len(PDF_BYTES)}
    history = client.get(f"/api/v1/applications/{submitted['id']}", headers=ts).json()["history"]
    assert [h["action"] for h in history] == ["application.submit", "document.upload"]


def test_file_is_removed_when_the_transaction_fails(client, session, ts, submitted, monkeypatch):
    before = _stored_files()

    def broken(*_a, **_k):
        raise RuntimeError("simulated failure after the file was stored")

    monkeypatch.setattr(service.eligibility, "recompute", broken)
    with pytest.raises(RuntimeError):
        _upload(client, ts, submitted["id"], PDF_BYTES)
    assert _stored_files() == before and not _temporaries()
    assert _documents(session) == 0


def test_client_filename_is_sanitised_for_display(client, session, ts, submitted):
    r = _upload(client, ts, submitted["id"], PDF_BYTES, kind="other", filename="..\\..\\C:\\tmp\\re\u202eport.pdf")
    assert r.status_code == 201 and r.json()["filename"] == "report.pdf"


@pytest.mark.parametrize(("raw", "expected"), [
    ("/etc/passwd", "passwd"),
    ("a\\b\\申请报告.pdf", "申请报告.pdf"),
    ("evil\r\nX-Header: 1.pdf", "evilX-Header: 1.pdf"),
    ("..", "other.pdf"),
    ("", "other.pdf"),
    (None, "other.pdf"),
    ("\u200b\u202e", "other.pdf"),
    ("长" * 300 + ".pdf", "长" * 251 + ".pdf"),
])
def test_display_filename(raw, expected):
    assert service.display_filename(raw, "other", "application/pdf") == expected


def test_storage_keys_cannot_escape_the_storage_directory():
    for key in ("../../etc/passwd", "ab/cd/../../x", "/etc/passwd", "ab/cd/" + "0" * 32 + ".pdf/.."):
        with pytest.raises(ValueError):
            storage.path_of(key)
