"""Thin routes for public notices, objections and the holiday table, and their pages.

`router` is the JSON API (HTML fragments for HTMX from the same routes); `pages_router`
holds the pages: the public notice anyone may open, and the officials' management pages.

Request bodies are JSON per the API contract; the same routes also accept the browser's
form encoding, because htmx posts forms that way and the pages have no script of their
own (CSP: script-src 'self', and htmx's json-enc extension is not vendored)."""

from datetime import date
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response

from app.core.db import SessionDep
from app.core.errors import (
    DomainError,
    Invalid,
    NotFound,
    problem_body,
)
from app.core.forms import InlineProblem, request_body
from app.core.htmx import set_vary, wants_fragment
from app.core.pagination import Limit
from app.core.templating import templates
from app.core.openapi import problem as _problem
from app.notices import service, workdays
from app.notices.schemas import (
    NoticeCreate,
    NoticePage,
    NoticePublic,
    ObjectionCreate,
    ObjectionPublic,
    ObjectionResolve,
    WorkdayIn,
    WorkdayPublic,
    WorkdayYear,
)
from app.pages.context import page_context
from app.programs.service import get_program
from app.users.auth import (
    OFFICIALS,
    READERS,
    CurrentPrincipal,
    OptionalPrincipal,
    Principal,
    require_roles,
)
from app.users.models import Role

router = APIRouter(prefix="/api/v1", tags=["notices"])
pages_router = APIRouter(include_in_schema=False)

Keeper = Annotated[Principal, Depends(require_roles(Role.city_industry))]
Official = Annotated[Principal, Depends(require_roles(*OFFICIALS, Role.auditor))]
HolidayEditor = Annotated[Principal, Depends(require_roles(Role.city_industry, Role.admin))]
# Ids are 32-bit on PostgreSQL: a larger one is simply not found, not a database error.
NoticeId = Annotated[int, Path(ge=1, le=2_147_483_647, description="公示编号")]
ObjectionId = Annotated[int, Path(ge=1, le=2_147_483_647, description="异议编号")]
Code = Annotated[str, Path(max_length=32, description="项目编号，如 XSG-2023")]
Day = Annotated[date, Path(description="日期 YYYY-MM-DD")]


AUTH = {401: _problem("未登录或凭证无效"), 403: _problem("角色无权执行此操作")}
INVALID = {422: _problem("数据校验未通过（detail 为中文说明，errors 列出各字段）")}
NOT_FOUND = {404: _problem("不存在")}
CONFLICT = {409: _problem("当前状态不允许此操作（detail 说明原因）")}

FIELD_LABELS = {"application_id": "异议企业", "objector_name": "姓名或单位", "contact": "联系方式", "content": "异议内容",
                "channel": "来源渠道", "body": "请求体"}


_notice_create, NOTICE_CREATE_BODY = request_body(NoticeCreate)
_objection_create, OBJECTION_BODY = request_body(ObjectionCreate, inline_for_htmx=True, labels=FIELD_LABELS)
_objection_resolve, RESOLVE_BODY = request_body(ObjectionResolve)
_workday_in, WORKDAY_BODY = request_body(WorkdayIn)


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _notice_json(body: dict, status_code: int = 200, **headers: str) -> JSONResponse:
    return JSONResponse(
        NoticePublic.model_validate(body).model_dump(mode="json"), status_code=status_code,
        headers={"ETag": f'"{body["version"]}"', **headers},
    )


def _manage_fragment(request: Request, session, principal: Principal, notice_id: int, status_code: int = 200):  # noqa: ANN001
    notice = service.get_notice(session, notice_id)
    response = templates.TemplateResponse(
        request, "pages/notices/manage.html", manage_context(request, session, principal, notice),
        block_name="notice", status_code=status_code,
    )
    response.headers["ETag"] = f'"{notice.version}"'
    set_vary(response)
    return response


# ---------------------------------------------------------------- notices


@router.post(
    "/programs/{code}/notices", status_code=201, response_model=NoticePublic, summary="发布公示（列出全部复审通过的申报）",
    openapi_extra=NOTICE_CREATE_BODY,
    responses={**AUTH, 404: _problem("项目不存在"),
               409: _problem("没有待公示的申报，或公示期所跨年度的节假日安排尚未录入（missing_year）"), **INVALID},
)
def create_notice(code: Code, request: Request, session: SessionDep, principal: Keeper,
                  body: Annotated[NoticeCreate, _notice_create]):
    notice = service.create_notice(session, principal, code, body.title, body.starts_on,
                                   working_days=body.working_days, channels=body.channels)
    location = f"/api/v1/notices/{notice.id}"
    if wants_fragment(request):
        # The programme page's form: go to the new notice's management page.
        return Response(status_code=201, headers={"HX-Redirect": f"/notices/{notice.id}/manage", "Location": location})
    return _notice_json(service.notice_public(session, notice, principal), 201, Location=location)


@router.get(
    "/programs/{code}/notices", response_model=NoticePage, summary="项目的公示列表（新建在前，键集分页）",
    responses={**AUTH, 404: _problem("项目不存在"), **INVALID},
)
def list_notices(code: Code, session: SessionDep, _: CurrentPrincipal, limit: Limit = 50,
                 cursor: Annotated[str | None, Query(max_length=200)] = None):
    notices, next_cursor = service.list_notices(session, code, limit=limit, cursor=cursor or None)
    return {"items": service.summaries(session, notices, code), "next_cursor": next_cursor}


@router.get("/notices/{notice_id}", response_model=NoticePublic, summary="公示详情（名单与异议）",
            responses={**AUTH, **NOT_FOUND, **INVALID})
def get_notice(notice_id: NoticeId, request: Request, session: SessionDep, principal: CurrentPrincipal):
    notice = service.get_notice(session, notice_id)
    if wants_fragment(request):
        return _manage_fragment(request, session, principal, notice_id)
    return _notice_json(service.notice_public(session, notice, principal))


@router.post(
    "/notices/{notice_id}/objections", status_code=201, response_model=ObjectionPublic,
    summary="提出异议（公众在线，限公示期内、限频；市工信局登记来信来电）", openapi_extra=OBJECTION_BODY,
    responses={401: _problem("令牌无效"), 403: _problem("CSRF 令牌缺失或错误"), **NOT_FOUND,
               409: _problem("不在公示期内，或公示已结束"), **INVALID, 429: _problem("在线提交过于频繁（Retry-After）")},
)
def create_objection(notice_id: NoticeId, request: Request, session: SessionDep, principal: OptionalPrincipal,
                     body: Annotated[ObjectionCreate | InlineProblem, _objection_create]):
    keeper = principal is not None and principal.role == Role.city_industry
    if isinstance(body, InlineProblem) and keeper:
        raise RequestValidationError(body.errors)  # the management page shows it in its flash region
    if keeper:
        objection = service.record_objection(session, principal, notice_id, body)
        if wants_fragment(request):
            return _manage_fragment(request, session, principal, notice_id, status_code=201)
    else:
        # Anyone else — the public, or a signed-in user who is not the notice's keeper —
        # objects as a member of the public: online, within the period, rate-limited.
        if isinstance(body, InlineProblem):
            return _inline_problem(request, body.body())
        try:
            with session.begin_nested():  # a refusal leaves nothing behind, not even the rate-limit hit
                objection = service.object_publicly(session, notice_id, body, _client_ip(request))
        except DomainError as exc:
            if not wants_fragment(request):
                raise
            return _inline_problem(request, problem_body(exc.status, exc.code, exc.title, exc.detail, exc.errors),
                                   exc.headers)
        if wants_fragment(request):
            listing = service.public_listing(session, service.get_notice(session, notice_id))
            response = templates.TemplateResponse(
                request, "pages/notices/public.html",
                {"notice": listing, "objection": objection, "principal": None},
                block_name="objection_done", status_code=201,
            )
            set_vary(response)
            return response
    payload = service.objection_public(objection, service.enterprise_name_of(session, objection.application_id), principal)
    return JSONResponse(ObjectionPublic.model_validate(payload).model_dump(mode="json"), status_code=201,
                        headers={"Location": f"/api/v1/notices/{notice_id}"})


def _inline_problem(request: Request, body: dict, headers: dict | None = None):
    response = templates.TemplateResponse(request, "fragments/error.html", {"problem": body},
                                          status_code=body["status"], headers=dict(headers or {}))
    response.headers["HX-Retarget"] = "#objection-errors"
    response.headers["HX-Reswap"] = "innerHTML"
    set_vary(response)
    return response


@router.post(
    "/objections/{objection_id}/resolution", response_model=ObjectionPublic, summary="处理异议（成立 / 不成立）",
    openapi_extra=RESOLVE_BODY,
    responses={**AUTH, 404: _problem("异议不存在"), 409: _problem("已处理过，或公示已结束"), **INVALID},
)
def resolve_objection(objection_id: ObjectionId, request: Request, session: SessionDep, principal: Keeper,
                      body: Annotated[ObjectionResolve, _objection_resolve]):
    objection = service.resolve_objection(session, principal, objection_id, body.upheld, body.note)
    if wants_fragment(request):
        return _manage_fragment(request, session, principal, objection.notice_id)
    payload = service.objection_public(objection, service.enterprise_name_of(session, objection.application_id), principal)
    return ObjectionPublic.model_validate(payload)


@router.post(
    "/notices/{notice_id}/close", response_model=NoticePublic, summary="结束公示并审定（公示期满、异议均已处理）",
    responses={**AUTH, **NOT_FOUND, 409: _problem("公示期未满、尚有未处理的异议，或已结束"), **INVALID},
)
def close_notice(notice_id: NoticeId, request: Request, session: SessionDep, principal: Keeper):
    notice = service.close_notice(session, principal, notice_id)
    if wants_fragment(request):
        return _manage_fragment(request, session, principal, notice_id)
    return _notice_json(service.notice_public(session, notice, principal))


@router.get(
    "/notices/{notice_id}/entries.xlsx", response_class=Response, summary="公示名单（XLSX）",
    responses={200: {"description": "公示名单电子表格，Content-Disposition: attachment",
                     "content": {service.XLSX_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}}},
               **AUTH, **NOT_FOUND, **INVALID},
)
def notice_entries_xlsx(notice_id: NoticeId, session: SessionDep, _: Official):
    notice = service.get_notice(session, notice_id)
    filename = service.xlsx_filename(notice)
    return Response(
        service.entries_xlsx(session, notice), media_type=service.XLSX_MEDIA_TYPE,
        headers={"Content-Disposition": f"attachment; filename=\"notice-{notice.id}.xlsx\"; "
                                        f"filename*=UTF-8''{quote(filename, safe='')}"},
    )


# ---------------------------------------------------------------- the holiday table


def _workday_public(calendar: workdays.WorkdayCalendar, day: date) -> dict:
    is_workday, source, name = calendar.explain(day)
    row = calendar.overrides(day.year).get(day)
    return {"date": day, "is_workday": is_workday, "source": source, "name": name,
            "entered_by": row.entered_by if row else None}


def _year_in_range(day: date) -> None:
    if not workdays.FIRST_YEAR <= day.year <= workdays.LAST_YEAR:
        raise Invalid(f"日期应在 {workdays.FIRST_YEAR} 至 {workdays.LAST_YEAR} 年之间，收到 {day}。",
                      errors=[{"loc": ["path", "day"], "msg": "年份超出范围", "code": "year_range"}])


@router.get("/workdays", response_model=WorkdayYear, summary="节假日表：某年录入的放假和调休日期",
            responses={**AUTH, **INVALID})
def list_workdays(session: SessionDep, _: CurrentPrincipal,
                  year: Annotated[int, Query(ge=workdays.FIRST_YEAR, le=workdays.LAST_YEAR, description="年份")]):
    calendar = workdays.WorkdayCalendar(session)
    rows = workdays.list_overrides(session, year)
    return {"year": year, "calendar_known": workdays.calendar_knows(year), "entered": bool(rows),
            "items": [_workday_public(calendar, row.day) for row in rows]}


@router.get("/workdays/{day}", response_model=WorkdayPublic, summary="某日是否为工作日（及其依据）",
            responses={**AUTH, **INVALID})
def get_workday(day: Day, session: SessionDep, _: CurrentPrincipal):
    _year_in_range(day)
    return _workday_public(workdays.WorkdayCalendar(session), day)


@router.put("/workdays/{day}", response_model=WorkdayPublic, summary="录入或修改节假日表中的一天",
            openapi_extra=WORKDAY_BODY,
            responses={201: {"model": WorkdayPublic, "description": "新录入"}, **AUTH, **CONFLICT, **INVALID})
def put_workday(day: Day, session: SessionDep, principal: HolidayEditor, body: Annotated[WorkdayIn, _workday_in]):
    _year_in_range(day)
    _row, created = workdays.set_override(session, principal, day, body.is_workday, body.name)
    payload = WorkdayPublic.model_validate(_workday_public(workdays.WorkdayCalendar(session), day))
    return JSONResponse(payload.model_dump(mode="json"), status_code=201 if created else 200)


@router.delete("/workdays/{day}", status_code=204, summary="从节假日表删除一天",
               responses={**AUTH, 404: _problem("节假日表中没有这一天"), **INVALID})
def delete_workday(day: Day, session: SessionDep, principal: HolidayEditor):
    _year_in_range(day)
    workdays.delete_override(session, principal, day)
    return Response(status_code=204)


# ---------------------------------------------------------------- pages


def _login_redirect(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)


def _error_page(request: Request, session, principal: Principal | None, status: int, title: str, detail: str):  # noqa: ANN001
    ctx = page_context(request, session, principal, problem={"status": status, "title": title, "detail": detail})
    return templates.TemplateResponse(request, "pages/error.html", ctx, status_code=status)


def _notice_or_none(session, notice_id: str):  # noqa: ANN001, ANN202
    if not notice_id.isdigit() or len(notice_id) > 9:
        return None
    try:
        return service.get_notice(session, int(notice_id))
    except NotFound:
        return None


def manage_context(request: Request, session, principal: Principal, notice, *, page: bool = False) -> dict:  # noqa: ANN001
    body = service.notice_public(session, notice, principal)
    today = service.beijing_today()
    return page_context(
        request, session, principal, notice=body, today=today, page=page,
        can_act=principal.role == Role.city_industry and body["status"] == "open",
        can_close=body["status"] == "open" and today > notice.ends_on and body["pending_objections"] == 0,
        can_download=principal.role in (*OFFICIALS, Role.auditor),
        CHANNEL_NAMES=service.CHANNEL_NAMES, OUTCOME_NAMES=service.OUTCOME_NAMES,
        NOTICE_STATUS_NAMES=service.NOTICE_STATUS_NAMES,
    )


@pages_router.get("/notices/{notice_id}")
def public_notice_page(notice_id: str, request: Request, session: SessionDep, principal: OptionalPrincipal):
    """The public notice: no sign-in; enterprise name, district and award only."""
    notice = _notice_or_none(session, notice_id)
    if notice is None:
        return _error_page(request, session, principal, 404, "未找到", f"公示不存在：{notice_id}。")
    ctx = page_context(request, session, principal, notice=service.public_listing(session, notice),
                       keeper=principal is not None and principal.role == Role.city_industry)
    response = templates.TemplateResponse(request, "pages/notices/public.html", ctx)
    set_vary(response)
    return response


@pages_router.get("/notices/{notice_id}/manage")
def manage_notice_page(notice_id: str, request: Request, session: SessionDep, principal: OptionalPrincipal):
    if principal is None:
        return _login_redirect(request)
    if principal.role not in READERS or principal.role == Role.district_system:
        return _error_page(request, session, principal, 403, "无权访问", "当前角色无权管理公示。")
    notice = _notice_or_none(session, notice_id)
    if notice is None:
        return _error_page(request, session, principal, 404, "未找到", f"公示不存在：{notice_id}。")
    response = templates.TemplateResponse(request, "pages/notices/manage.html",
                                          manage_context(request, session, principal, notice, page=True))
    set_vary(response)
    return response


@pages_router.get("/programs/{code}/notices")
def program_notices_page(code: str, request: Request, session: SessionDep, principal: OptionalPrincipal):
    if principal is None:
        return _login_redirect(request)
    if principal.role not in READERS or principal.role == Role.district_system:
        return _error_page(request, session, principal, 403, "无权访问", "当前角色无权查看公示。")
    try:
        program = get_program(session, code[:32])
    except NotFound:
        return _error_page(request, session, principal, 404, "未找到", f"项目不存在：{code}。")
    notices, _next = service.list_notices(session, program.code, limit=200)
    today = service.beijing_today()
    ctx = page_context(
        request, session, principal, program=program, notices=service.summaries(session, notices, program.code),
        awaiting=service.awaiting_notice_count(session, program), today=today,
        can_create=principal.role == Role.city_industry, NOTICE_STATUS_NAMES=service.NOTICE_STATUS_NAMES,
        channel_choices=["本系统公示页面", "市工信局门户网站", "政务公开栏", "区县工信部门公告栏"],
    )
    response = templates.TemplateResponse(request, "pages/notices/program.html", ctx)
    set_vary(response)
    return response

