"""The evaluation report (绩效评价报告): a snapshot's final report and the live draft, as an
editable .docx (API) and as a print-ready page. Thin: the content is
app/evaluation/report.py, the Word file app/evaluation/report_docx.py."""

import json
import re
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from app.core.db import SessionDep
from app.core.errors import DomainError, NotFound
from app.core.htmx import set_vary
from app.core.pagination import INT32_MAX
from app.core.templating import templates
from app.districts.service import district_names
from app.evaluation import service
from app.evaluation.report import report_content, scope_name
from app.evaluation.report_docx import DOCX_MEDIA_TYPE, report_docx
from app.evaluation.router import (
    READ_ERRORS,
    Code,
    Reader,
    ScopeQuery,
    SnapshotId,
    _scope_for,
)
from app.pages.context import page_context
from app.pages.router import _error_page, _login_redirect
from app.programs.service import get_program
from app.users.auth import OFFICIALS, OptionalPrincipal, Principal
from app.users.models import Role

router = APIRouter(prefix="/api/v1", tags=["evaluation"])
pages_router = APIRouter(include_in_schema=False)

READERS = (*OFFICIALS, Role.auditor)
DOCX_RESPONSES = {
    **READ_ERRORS,
    200: {"description": "绩效评价报告（Word 文档），Content-Disposition: attachment",
          "content": {DOCX_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}}},
}


def _attachment(filename: str, code: str) -> str:
    """RFC 6266 / 5987: the Chinese name as filename*, an ASCII one for old clients."""
    ascii_name = re.sub(r"[^A-Za-z0-9._-]+", "-", code).strip("-") or "report"
    return f"attachment; filename=\"{ascii_name}-evaluation-report.docx\"; filename*=UTF-8''{quote(filename, safe='')}"


def _docx(content: dict, code: str) -> Response:
    return Response(report_docx(content), media_type=DOCX_MEDIA_TYPE, headers={
        "Content-Disposition": _attachment(content["filename"], code), "Cache-Control": "private, no-cache"})


def _snapshot_content(session, snapshot_id: int, principal: Principal) -> tuple[dict, str]:  # noqa: ANN001
    snapshot, program = service.get_snapshot(session, snapshot_id)
    _scope_for(principal, snapshot.scope)
    return report_content(session, program, json.loads(snapshot.body), snapshot=snapshot), program.code


def _live_content(session, code: str, scope: str | None, principal: Principal) -> dict:  # noqa: ANN001
    program = get_program(session, code)
    return report_content(session, program, service.live(session, code, _scope_for(principal, scope)))


@router.get("/evaluations/{snapshot_id}/report.docx", response_class=Response, responses=DOCX_RESPONSES,
            summary="绩效评价报告（定稿快照，Word）")
def snapshot_report_docx(snapshot_id: SnapshotId, session: SessionDep, principal: Reader):
    content, code = _snapshot_content(session, snapshot_id, principal)
    return _docx(content, code)


@router.get("/programs/{code}/evaluation/report.docx", response_class=Response, responses=DOCX_RESPONSES,
            summary="绩效评价报告（实时计算的征求意见稿或草稿，Word）")
def live_report_docx(code: Code, session: SessionDep, principal: Reader, scope: ScopeQuery = None):
    return _docx(_live_content(session, code, scope, principal), code)


# ---------------------------------------------------------------- the page


@pages_router.get("/programs/{code}/evaluation/report")
def report_page(
    request: Request,
    session: SessionDep,
    principal: OptionalPrincipal,
    code: Annotated[str, Path(max_length=32)],
    snapshot: Annotated[int | None, Query(ge=1, le=INT32_MAX)] = None,
    scope: Annotated[str | None, Query(max_length=20)] = None,
    live: Annotated[bool, Query()] = False,
):
    """The report to read and print: ?snapshot=ID for that snapshot's; otherwise the latest
    snapshot of the scope (city unless named, or the official's own district), and the live
    draft (征求意见稿 / 草稿) while there is none or when ?live=1 asks for it."""
    if principal is None:
        return _login_redirect(request)
    if principal.role not in READERS:
        return _error_page(request, session, principal, 403, "无权访问", "当前角色无权查看绩效评价报告。")
    try:
        program = get_program(session, code)
        own_scope = _scope_for(principal, scope) or "city"
        names = district_names(session)
        snapshots = [{**s, "scope_name": scope_name(service.parse_scope(session, program, s["scope"]), names)}
                     for s in service.list_snapshots(session, code)
                     if principal.district_code is None or s["scope"] == own_scope]
        chosen = None
        if snapshot is not None:
            chosen = next((s for s in snapshots if s["id"] == snapshot), None)
            if chosen is None:
                raise NotFound(f"项目 {code} 没有编号为 {snapshot} 的绩效评价快照。")
        elif not live:
            chosen = next((s for s in snapshots if s["scope"] == own_scope), None)
        if chosen is not None:
            content, _code = _snapshot_content(session, chosen["id"], principal)
        else:
            content = report_content(session, program, service.live(session, code, own_scope))
    except DomainError as exc:
        return _error_page(request, session, principal, exc.status, exc.title, exc.detail)
    ctx = page_context(request, session, principal, program=program, report=content, snapshots=snapshots,
                       chosen=chosen, scope=own_scope,
                       docx_url=(f"/api/v1/evaluations/{chosen['id']}/report.docx" if chosen else
                                 f"/api/v1/programs/{quote(code, safe='')}/evaluation/report.docx"
                                 + (f"?scope={quote(own_scope, safe='')}" if own_scope != "city" else "")))
    response = templates.TemplateResponse(request, "pages/evaluation/report.html", ctx)
    set_vary(response)
    return response
