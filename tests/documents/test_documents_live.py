"""Uploads against a real uvicorn server and a committed database: the file outlives the
request's commit, and an over-size body is refused with problem+json over real HTTP."""

import hashlib
import uuid
from pathlib import Path

import httpx
import pytest
from sqlmodel import select

from app.core.config import get_settings
from app.documents.models import Document
from app.users.service import create_token
from tests.factories import PDF_BYTES, application_body, make_program, new_uscc

pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def api(live_server):
    tag = uuid.uuid4().hex[:6].upper()
    code = f"DOC-{tag}"
    with live_server.session() as s:
        make_program(s, code)
        _tok, raw = create_token(s, name=f"doc-system-{tag}", role="district_system", district_code="650102")
        s.commit()
    with httpx.Client(base_url=live_server.url, headers={"Authorization": f"Bearer {raw}"}, timeout=30) as client:
        r = client.post(f"/api/v1/programs/{code}/applications", json=application_body(new_uscc("650102"), ref=f"DOC-{tag}"))
        assert r.status_code == 201, r.text
        client.application_id = r.json()["id"]
        yield client


def test_committed_upload_keeps_its_file(live_server, api):
    r = api.post(f"/api/v1/applications/{api.application_id}/documents", data={"kind": "application_report"},
                 files={"file": ("申请报告.pdf", PDF_BYTES, "application/pdf")})
    assert r.status_code == 201, r.text
    with live_server.session() as s:
        row = s.exec(select(Document).where(Document.id == r.json()["id"])).one()
    path = Path(get_settings().storage_dir) / row.storage_key
    assert hashlib.sha256(path.read_bytes()).hexdigest() == row.sha256 == hashlib.sha256(PDF_BYTES).hexdigest()
    down = api.get(f"/api/v1/documents/{row.id}/content")
    assert down.status_code == 200 and down.content == PDF_BYTES


def test_oversize_body_with_content_length_is_413_problem_json(live_server, api):
    r = api.post(f"/api/v1/applications/{api.application_id}/documents", data={"kind": "other"},
                 files={"file": ("big.pdf", b"%PDF-" + b"0" * (21 * 1024 * 1024), "application/pdf")})
    assert r.status_code == 413
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "20 MB" in r.json()["detail"]
