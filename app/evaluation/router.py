"""Thin routes for the performance evaluation (绩效评价): the live evaluation for auditors,
the evaluators' scores and deviation notes, finalising, and the immutable snapshots."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse, Response

from app.core.db import SessionDep
from app.core.errors import Forbidden
from app.core.forms import request_body
from app.core.htmx import set_vary, wants_fragment
from app.core.pagination import INT32_MAX
from app.core.openapi import problem as _problem
from app.evaluation import service
from app.evaluation.schemas import AssessmentIn, Evaluation, SnapshotSummary
from app.programs.service import get_program
from app.users.auth import OFFICIALS, Principal, require_roles
from app.users.models import Role

router = APIRouter(prefix="/api/v1", tags=["evaluation"])

Reader = Annotated[Principal, Depends(require_roles(*OFFICIALS, Role.auditor))]
Evaluator = Annotated[Principal, Depends(require_roles(Role.evaluator))]
Code = Annotated[str, Path(max_length=32, description="项目编号，如 XSG-2023")]
Key = Annotated[str, Path(max_length=64, description="指标键，如 basis_sufficiency")]
SnapshotId = Annotated[int, Path(ge=1, le=INT32_MAX, description="快照编号")]
ScopeQuery = Annotated[str | None, Query(max_length=20, description="city（默认，市级资金）、all 或 district:区县代码")]


READ_ERRORS = {401: _problem("未登录或令牌无效"), 403: _problem("角色或区县无权"), 404: _problem("不存在"),
               422: _problem("参数校验未通过（如 scope）")}
WRITE_ERRORS = {**READ_ERRORS, 409: _problem("已定稿，或尚不能定稿（detail 说明缺什么）"),
                422: _problem("数据校验未通过（如得分超出档次范围）")}

_assessment, ASSESSMENT_BODY = request_body(AssessmentIn)


def _scope_for(principal: Principal, scope: str | None) -> str | None:
    """A district-bound official reads the district's own fund only."""
    if principal.district_code is None:
        return scope
    own = f"district:{principal.district_code}"
    if scope not in (None, own):
        raise Forbidden(f"只能查看本区县的评价（scope={own}）。")
    return own


@router.get("/programs/{code}/evaluation", response_model=Evaluation, summary="绩效评价（实时计算）",
            responses=READ_ERRORS)
def live(code: Code, request: Request, response: Response, session: SessionDep, principal: Reader,
         scope: ScopeQuery = None):
    scope = _scope_for(principal, scope)
    if wants_fragment(request):  # spec/api.md: HTML for HTMX — the evaluation page's block
        from app.evaluation.pages import evaluation_fragment

        return evaluation_fragment(request, session, principal, code, scope)
    set_vary(response)
    return service.live(session, code, scope)


@router.put("/programs/{code}/evaluation/indicators/{key}", summary="评价人员评分（定性指标）或说明偏差原因（定量指标）",
            responses=WRITE_ERRORS, openapi_extra=ASSESSMENT_BODY)
def assess(code: Code, key: Key, session: SessionDep, principal: Evaluator,
           body: Annotated[AssessmentIn, _assessment]) -> dict:
    return service.assess(session, principal, code, key, body.model_dump())


@router.post("/programs/{code}/evaluation/finalize", status_code=201, response_model=SnapshotSummary,
             summary="定稿：冻结为不可变快照", responses=WRITE_ERRORS)
def finalize(code: Code, session: SessionDep, principal: Evaluator, scope: ScopeQuery = None):
    snapshot = service.finalize(session, principal, code, scope)
    summary = service.snapshot_summary(snapshot, get_program(session, code))
    return JSONResponse(summary, status_code=201, headers={"Location": summary["url"]})


@router.get("/programs/{code}/evaluations", response_model=list[SnapshotSummary], summary="本项目已定稿的评价快照",
            responses=READ_ERRORS)
def snapshots(code: Code, session: SessionDep, _principal: Reader):
    return service.list_snapshots(session, code)


@router.get("/evaluations/{snapshot_id}", summary="已定稿的评价快照（逐字节不变）", response_class=Response,
            responses={**READ_ERRORS, 200: {"content": {"application/json": {}}, "description": "快照正文：规范化 JSON"}})
def snapshot(snapshot_id: SnapshotId, request: Request, session: SessionDep, principal: Reader):
    row, program = service.get_snapshot(session, snapshot_id)
    _scope_for(principal, row.scope)
    etag = f'"{row.sha256}"'
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers={"ETag": etag})
    return Response(row.body.encode(), media_type="application/json",
                    headers={"ETag": etag, "X-Content-SHA256": row.sha256, "Cache-Control": "private, max-age=31536000, immutable"})
