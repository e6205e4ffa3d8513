"""Thin routes for documents: upload to an application, download any visible document."""

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Path, UploadFile
from fastapi.responses import FileResponse, JSONResponse

from app.applications.schemas import DocumentPublic
from app.core.db import SessionDep
from app.documents import filetypes, service
from app.users.auth import READERS, SUBMITTERS, Principal, require_roles

router = APIRouter(prefix="/api/v1", tags=["documents"])

Submitter = Annotated[Principal, Depends(require_roles(*SUBMITTERS))]
Reader = Annotated[Principal, Depends(require_roles(*READERS))]
# Ids are 32-bit on PostgreSQL: a larger one is simply not found, not a database error.
RowId = Annotated[int, Path(ge=1, le=2_147_483_647)]

PROBLEM_RESPONSES = {
    401: {"description": "未登录或令牌无效（problem+json）"},
    403: {"description": "角色或区县无权（problem+json）"},
    404: {"description": "不存在或不可见（problem+json）"},
}
UPLOAD_RESPONSES = {
    **PROBLEM_RESPONSES,
    409: {"description": "申报当前状态不允许上传材料（problem+json）"},
    413: {"description": "文件超过 20 MB（problem+json）"},
    415: {"description": "文件类型不在 PDF、OFD、JPEG、PNG、XLSX、DOCX 之内（按内容识别，problem+json）"},
    422: {"description": "材料类型无效或缺少字段（problem+json）"},
}


@router.post(
    "/applications/{application_id}/documents", status_code=201, response_model=DocumentPublic,
    summary="上传申报材料", responses=UPLOAD_RESPONSES,
)
def upload_document(
    application_id: RowId,
    session: SessionDep,
    principal: Submitter,
    kind: Annotated[str, Form(max_length=32, description="材料类型",
                              json_schema_extra={"enum": sorted(service.APPLICATION_KINDS)})],
    file: Annotated[UploadFile, File(description="PDF、OFD、JPEG、PNG、XLSX 或 DOCX，不超过 20 MB")],
):
    # Starlette has already spooled the body to a temporary file; the service streams it
    # from there into storage in 1 MB chunks.
    document = service.upload_for_application(session, principal, application_id, kind, file)
    return JSONResponse(
        service.public(document), status_code=201,
        headers={"Location": f"/api/v1/documents/{document.id}/content"},
    )


def content_disposition(filename: str, document_id: int) -> str:
    """`attachment` with an ASCII fallback and the UTF-8 name per RFC 5987/6266."""
    if filename.isascii() and filename.isprintable():
        ascii_name = filename
    else:
        suffix = "".join(ch for ch in filename.rsplit(".", 1)[-1] if ch.isascii() and ch.isalnum()) if "." in filename else ""
        ascii_name = f"document-{document_id}" + (f".{suffix}" if suffix else "")
    ascii_name = ascii_name.replace("\\", "_").replace('"', "_")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


@router.get(
    "/documents/{document_id}/content", response_class=FileResponse, summary="下载文件（附件）",
    responses={200: {"description": "文件内容，Content-Disposition: attachment",
                     "content": {ct: {"schema": {"type": "string", "format": "binary"}} for ct in filetypes.EXTENSIONS}},
               **PROBLEM_RESPONSES},
)
def download_document(document_id: RowId, session: SessionDep, principal: Reader):
    document, path = service.get_for_download(session, principal, document_id)
    return FileResponse(
        path, media_type=document.content_type,
        headers={
            "Content-Disposition": content_disposition(service.download_filename(document), document.id),
            "X-Content-Type-Options": "nosniff",
        },
    )
