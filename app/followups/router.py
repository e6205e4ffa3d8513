"""Thin routes for the follow-up service (跟踪服务) records of an enterprise.

Bodies are JSON per the API contract, or the browser's form encoding (the enterprise page
posts its htmx form straight here). For HTMX the answer is the refreshed 跟踪服务 section of
the enterprise page — or, from the /follow-ups page, the refreshed row."""

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse

from app.core.db import SessionDep
from app.core.forms import request_body
from app.core.htmx import set_vary, wants_fragment
from app.core.pagination import INT32_MAX, Limit
from app.core.templating import templates
from app.core.openapi import problem as _problem
from app.districts.service import district_names
from app.enterprises import service as enterprises
from app.enterprises.models import Enterprise
from app.enterprises.router import Uscc, followups_fragment
from app.followups import service
from app.followups.models import FOLLOW_UP_KINDS
from app.followups.schemas import (
    FOLLOW_UP_STATUSES,
    FollowUpCreate,
    FollowUpPage,
    FollowUpPublic,
    FollowUpUpdate,
)
from app.pages.context import page_context
from app.users.auth import Principal, require_roles

router = APIRouter(prefix="/api/v1", tags=["follow-ups"])

Keeper = Annotated[Principal, Depends(require_roles(*service.KEEPERS))]
FollowUpId = Annotated[int, Path(ge=1, le=INT32_MAX, description="跟踪服务记录编号")]
Cursor = Annotated[str | None, Query(max_length=200, description="上一页返回的 next_cursor")]

_create_body, CREATE_BODY = request_body(FollowUpCreate)
_update_body, UPDATE_BODY = request_body(FollowUpUpdate)


AUTH = {401: _problem("未登录或令牌无效"), 403: _problem("仅市工信局、区县工信部门")}
ERRORS = {**AUTH, 404: _problem("企业或记录不存在，或属于其他区县"),
          422: _problem("数据校验未通过（detail 为中文说明，errors 列出各字段）")}


def _json(session, row, status_code: int = 200) -> JSONResponse:
    body = FollowUpPublic.model_validate(service.describe(session, row)).model_dump(mode="json")
    headers = {"Location": f"/api/v1/follow-ups/{row.id}"} if status_code == 201 else {}
    return JSONResponse(body, status_code=status_code, headers=headers)


def _list_fragment(request: Request, session, principal: Principal, items: list[dict], *, block: str,
                   next_cursor: str | None = None, filters: dict | None = None, append: bool = False,
                   limit: int = 50, status_code: int = 200):
    ctx = page_context(request, session, principal, items=items, next_cursor=next_cursor, filters=filters or {},
                       districts=district_names(session), kinds=FOLLOW_UP_KINDS, follow_up_statuses=FOLLOW_UP_STATUSES,
                       append=append, limit=limit, f=items[0] if items else None)
    response = templates.TemplateResponse(request, "pages/enterprises/follow_ups.html", ctx, block_name=block,
                                          status_code=status_code)
    set_vary(response)
    return response


@router.post(
    "/enterprises/{uscc}/follow-ups", status_code=201, response_model=FollowUpPublic, summary="登记跟踪服务记录",
    description="市工信局可为任一企业登记，区县工信部门只能为本区县企业登记（其他区县的企业答 404）。服务日期不得晚于今天；"
                "以 resolved 登记的记录以服务日期为办结日期。",
    openapi_extra=CREATE_BODY, responses=ERRORS,
)
def create_follow_up(uscc: Uscc, request: Request, session: SessionDep, principal: Keeper,
                     body: Annotated[FollowUpCreate, _create_body]):
    row = service.create(session, principal, uscc, body)
    if wants_fragment(request):
        enterprise = session.get(Enterprise, row.enterprise_id)
        return followups_fragment(request, session, principal, enterprise, status_code=201,
                                  flash=f"已登记跟踪服务记录（{FOLLOW_UP_KINDS[row.kind]}，{row.occurred_on}）。")
    return _json(session, row, 201)


@router.get("/enterprises/{uscc}/follow-ups", response_model=FollowUpPage, summary="一家企业的跟踪服务记录（新登记在前）",
            responses=ERRORS)
def list_enterprise_follow_ups(uscc: Uscc, request: Request, session: SessionDep, principal: Keeper,
                               limit: Limit = 50, cursor: Cursor = None):
    enterprise, items, next_cursor = service.for_enterprise(session, principal, uscc, limit=limit, cursor=cursor or None)
    if wants_fragment(request):
        return followups_fragment(request, session, principal, enterprise)
    return {"items": items, "next_cursor": next_cursor}


@router.get("/follow-ups", response_model=FollowUpPage, summary="跟踪服务记录（可筛选，键集分页；如 status=open 列出全部待办结需求）",
            responses={**AUTH, 422: _problem("参数校验未通过")})
def list_follow_ups(
    request: Request,
    session: SessionDep,
    principal: Keeper,
    status: Annotated[str | None, Query(pattern=r"^(open|resolved)?$", description="open 待办结；resolved 已办结")] = None,
    district: Annotated[str | None, Query(pattern=r"^(\d{6})?$", description="区县代码")] = None,
    kind: Annotated[str | None, Query(pattern="^(" + "|".join(FOLLOW_UP_KINDS) + ")?$",
                                      description="服务方式：" + "、".join(FOLLOW_UP_KINDS))] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
):
    items, next_cursor = service.list_all(session, principal, status=status or None, district=district or None,
                                          kind=kind or None, limit=limit, cursor=cursor or None)
    if wants_fragment(request):
        filters = {"status": status or "", "district": district or "", "kind": kind or ""}
        response = _list_fragment(request, session, principal, items, block="results", next_cursor=next_cursor,
                                  filters=filters, append=bool(cursor), limit=limit)
        if not cursor and request.headers.get("HX-Trigger") == "filters":
            shown = {k: v for k, v in filters.items() if v and not (k == "district" and principal.district_code)}
            response.headers["HX-Push-Url"] = "/follow-ups" + (f"?{urlencode(shown)}" if shown else "")
        return response
    return {"items": items, "next_cursor": next_cursor}


@router.get("/follow-ups/{follow_up_id}", response_model=FollowUpPublic, summary="一条跟踪服务记录", responses=ERRORS)
def get_follow_up(follow_up_id: FollowUpId, session: SessionDep, principal: Keeper):
    return _json(session, service.get_visible(session, principal, follow_up_id))


@router.patch(
    "/follow-ups/{follow_up_id}", response_model=FollowUpPublic, summary="办结、重新打开或补充说明",
    description="status=resolved 办结：办结日期 resolved_on 默认为今天（北京时间），办结人为当前用户；status=open 重新打开；"
                "notes 替换服务说明。",
    openapi_extra=UPDATE_BODY, responses=ERRORS,
)
def update_follow_up(follow_up_id: FollowUpId, request: Request, session: SessionDep, principal: Keeper,
                     body: Annotated[FollowUpUpdate, _update_body]):
    row = service.update(session, principal, follow_up_id, body)
    if wants_fragment(request):
        if request.headers.get("HX-Target") == f"follow-up-{row.id}":  # a row of the /follow-ups page
            return _list_fragment(request, session, principal, [service.describe(session, row)], block="row")
        enterprise = enterprises.visible_by_id(session, principal, row.enterprise_id)
        done = "已办结" if row.status == "resolved" else "已更新"
        return followups_fragment(request, session, principal, enterprise, flash=f"跟踪服务记录 #{row.id} {done}。")
    return _json(session, row)
