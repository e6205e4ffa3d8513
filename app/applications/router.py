"""Thin routes for application intake. The list and the detail answer JSON, or an HTML
fragment for HTMX from the same route."""

from typing import Annotated

from fastapi import Path as _P
from urllib.parse import urlencode

from fastapi import APIRouter, Body, Depends, Header, Query, Request
from fastapi.responses import JSONResponse

from app.applications import service
from app.applications.lifecycle import STATUS_NAMES, actions_for
from app.applications.schemas import ApplicationPage, ApplicationPublic, ApplicationSubmit, WithdrawBody
from app.core.db import SessionDep
from app.core.htmx import wants_fragment
from app.core.idempotency import run_idempotent
from app.core.pagination import Limit
from app.core.templating import templates
from app.districts.service import district_names
from app.pages.context import page_context, review_context
from app.reviews.service import awaiting as awaiting_for
from app.users.auth import READERS, SUBMITTERS, Principal, require_roles

router = APIRouter(prefix="/api/v1", tags=["applications"])

Submitter = Annotated[Principal, Depends(require_roles(*SUBMITTERS))]
Reader = Annotated[Principal, Depends(require_roles(*READERS))]

PROBLEM_RESPONSES = {
    401: {"description": "未登录或令牌无效（problem+json）"},
    403: {"description": "角色或区县无权（problem+json）"},
    404: {"description": "不存在或不可见（problem+json）"},
    409: {"description": "与现有数据冲突（problem+json）"},
    412: {"description": "If-Match 版本已过期（problem+json）"},
    422: {"description": "数据校验未通过（problem+json）"},
    428: {"description": "缺少 If-Match（problem+json）"},
}


def application_response(body: dict, status_code: int) -> JSONResponse:
    return JSONResponse(
        body, status_code=status_code,
        headers={"ETag": f'"{body["version"]}"', "Location": f"/api/v1/applications/{body['id']}"},
    )


@router.post(
    "/programs/{code}/applications", status_code=201, response_model=ApplicationPublic, summary="提交申报",
    responses={200: {"model": ApplicationPublic, "description": "同一 (区县, external_ref) 的重发：返回已有申报"}, **PROBLEM_RESPONSES},
)
def submit_application(
    code: str,
    body: ApplicationSubmit,
    session: SessionDep,
    principal: Submitter,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)] = None,
):
    def handle() -> tuple[int, dict]:
        application, created = service.submit(session, principal, code, body)
        return (201 if created else 200), service.public(session, application, principal, new=created)

    status_code, payload = run_idempotent(
        session, principal_key=f"{principal.via}:{principal.role.value}:{principal.district_code}:{principal.name}",
        key=idempotency_key, scope=f"POST /programs/{code}/applications", request_sha256=service.body_sha256(body),
        handler=handle,
    )
    return application_response(payload, status_code)


@router.get("/applications", response_model=ApplicationPage, summary="申报列表（可筛选，键集分页）", responses=PROBLEM_RESPONSES)
def list_applications(
    request: Request,
    session: SessionDep,
    principal: Reader,
    program: Annotated[str | None, Query(max_length=32, description="项目编码")] = None,
    status: Annotated[str | None, Query(max_length=20, description="状态")] = None,
    district: Annotated[str | None, Query(max_length=6, description="区县代码")] = None,
    q: Annotated[str | None, Query(max_length=100, description="企业名称、信用代码或申报编号")] = None,
    awaiting_me: Annotated[bool, Query(description="只列出等待当前审核人所在部门审核的申报（待我审核）")] = False,
    limit: Limit = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
):
    rows, next_cursor = service.list_page(
        session, principal, program=program or None, status=status or None, district=district or None,
        q=q or None, limit=limit, cursor=cursor or None,
        awaiting=awaiting_for(principal) if awaiting_me else None,
    )
    items = [service.summary(a, e, code) for a, e, code in rows]
    if wants_fragment(request):
        filters = {"program": program or "", "status": status or "", "district": district or "", "q": q or ""}
        ctx = page_context(request, session, principal, items=items, next_cursor=next_cursor,
                           districts=district_names(session), statuses=STATUS_NAMES, filters=filters,
                           limit=limit, append=bool(cursor), awaiting_me=awaiting_me)
        resp = templates.TemplateResponse(request, "pages/applications/list.html", ctx, block_name="results")
        trigger = request.headers.get("HX-Trigger")
        if not cursor and trigger in ("filters", "queue-filters"):
            # The list page's (or 待我审核's) filter form: keep its shareable page address in the location bar.
            shown = {k: v for k, v in filters.items() if v and not (k == "district" and principal.district_code)}
            base = "/queue" if trigger == "queue-filters" else "/applications"
            resp.headers["HX-Push-Url"] = base + (f"?{urlencode(shown)}" if shown else "")
        return resp
    return {"items": items, "next_cursor": next_cursor}


@router.get("/applications/{application_id}", response_model=ApplicationPublic, summary="申报详情", responses=PROBLEM_RESPONSES)
def get_application(application_id: Annotated[int, _P(ge=1, le=2_147_483_647)], request: Request, session: SessionDep, principal: Reader):
    application = service.get_visible(session, principal, application_id)
    body = service.public(session, application, principal)
    if wants_fragment(request):
        return detail_fragment(request, session, principal, body)
    return application_response(body, 200)


def detail_context(request: Request, session, principal: Principal, body: dict, **extra) -> dict:  # noqa: ANN001
    """What the detail page and its fragment show: the application and what this official may do
    (the review form only for the department and stage whose decision is due)."""
    return page_context(request, session, principal, app=body, districts=district_names(session),
                        actions=actions_for(body["status"], principal.role),
                        **review_context(session, principal, body), **extra)


def detail_fragment(request: Request, session, principal: Principal, body: dict, status_code: int = 200,  # noqa: ANN001
                    **extra):
    resp = templates.TemplateResponse(request, "pages/applications/detail.html",
                                      detail_context(request, session, principal, body, **extra),
                                      block_name="detail", status_code=status_code)
    resp.headers["ETag"] = f'"{body["version"]}"'
    return resp


@router.put("/applications/{application_id}", response_model=ApplicationPublic, summary="补正后重新提交", responses=PROBLEM_RESPONSES)
def resubmit_application(
    application_id: Annotated[int, _P(ge=1, le=2_147_483_647)],
    body: ApplicationSubmit,
    session: SessionDep,
    principal: Submitter,
    if_match: Annotated[str | None, Header(alias="If-Match", max_length=20)] = None,
):
    application = service.resubmit(session, principal, application_id, body, if_match)
    return application_response(service.public(session, application, principal), 200)


@router.post("/applications/{application_id}/withdraw", response_model=ApplicationPublic, summary="撤回申报", responses=PROBLEM_RESPONSES)
def withdraw_application(
    application_id: Annotated[int, _P(ge=1, le=2_147_483_647)],
    session: SessionDep,
    principal: Submitter,
    body: Annotated[WithdrawBody, Body()],
    if_match: Annotated[str | None, Header(alias="If-Match", max_length=20)] = None,
):
    application = service.withdraw(session, principal, application_id, body.reason, if_match)
    return application_response(service.public(session, application, principal), 200)
