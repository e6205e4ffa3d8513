"""Thin routes for satisfaction surveys (满意度问卷).

`router` is the JSON API (and, for HTMX, the officials' page fragments from the same
routes); `pages_router` holds the public questionnaire at `/survey/{token}` — a plain HTML
form that posts back to itself, so it works on any phone, with or without script — and the
officials' survey page."""

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import ValidationError

from app.core.db import SessionDep
from app.core.errors import DomainError, NotFound, validation_errors
from app.core.forms import form_data, request_body
from app.core.htmx import set_vary, wants_fragment
from app.core.pagination import Limit
from app.core.templating import templates
from app.core.openapi import problem as _problem
from app.pages.context import page_context
from app.pages.router import _error_page, _login_redirect
from app.programs.service import get_program
from app.surveys import service
from app.surveys.questions import CHANNEL_NAMES, OVERALL_NAMES, QUESTIONS
from app.surveys.schemas import (
    InvitationOut,
    InvitationStatus,
    OnlineResponseIn,
    PaperResponseIn,
    ResponseOut,
    ResponsePage,
    SurveySummary,
)
from app.users.auth import OFFICIALS, OptionalPrincipal, Principal, require_roles
from app.users.models import Role

router = APIRouter(prefix="/api/v1", tags=["surveys"])
pages_router = APIRouter(include_in_schema=False)

Keeper = Annotated[Principal, Depends(require_roles(Role.city_industry))]
Reader = Annotated[Principal, Depends(require_roles(*OFFICIALS, Role.auditor))]
Code = Annotated[str, Path(max_length=32, description="项目编号，如 XSG-2023")]
READERS = (*OFFICIALS, Role.auditor)


READ_ERRORS = {401: _problem("未登录或令牌无效"), 403: _problem("角色无权"), 404: _problem("项目不存在"),
               422: _problem("参数校验未通过")}
WRITE_ERRORS = {**READ_ERRORS, 409: _problem("企业未获奖补、链接已使用或已作废"),
                422: _problem("数据校验未通过（detail 为中文说明，errors 列出各字段）")}

_paper_body, PAPER_BODY = request_body(PaperResponseIn)


def _base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


# ---------------------------------------------------------------- API


@router.post("/programs/{code}/surveys", status_code=201, response_model=list[InvitationOut],
             summary="向每家获奖补企业发放问卷链接（已答卷的除外；旧链接作废）", responses=WRITE_ERRORS)
def invite(code: Code, request: Request, session: SessionDep, principal: Keeper):
    issued = service.invite(session, principal, code, _base_url(request))
    if wants_fragment(request):
        ctx = _manage_context(request, session, principal, code, issued=issued)
        return _fragment(request, "manage", ctx, status_code=201)
    return JSONResponse([InvitationOut.model_validate(i).model_dump(mode="json") for i in issued], status_code=201)


@router.get("/programs/{code}/surveys", response_model=list[InvitationStatus],
            summary="获奖补企业的问卷发放与回收情况", responses=READ_ERRORS)
def invitations(code: Code, session: SessionDep, principal: Reader):
    return service.invitation_status(session, principal, code)


@router.get("/programs/{code}/surveys/summary", response_model=SurveySummary,
            summary="问卷汇总：回收率、满意率（每家企业取最新一份）、各题分布、分区县", responses=READ_ERRORS)
def summary(code: Code, session: SessionDep, principal: Reader,
            district: Annotated[str | None, Query(max_length=6, pattern=r"^\d{6}$", description="区县代码")] = None):
    return service.summary(session, principal, code, district)


@router.post("/survey-responses", status_code=201, response_model=ResponseOut,
             summary="企业通过问卷链接提交问卷（每个链接一次）",
             responses={404: _problem("链接无效"), 409: _problem("链接已使用或已作废，或企业奖补已退回"),
                        422: _problem("数据校验未通过")})
def respond(body: OnlineResponseIn, session: SessionDep):
    return _created(*service.respond_online(session, body))


def _created(response, program, enterprise) -> JSONResponse:  # noqa: ANN001
    return JSONResponse(ResponseOut.model_validate(service.public(response, program, enterprise)).model_dump(mode="json"),
                        status_code=201)


@router.post("/programs/{code}/survey-responses", status_code=201, response_model=ResponseOut,
             summary="录入纸质问卷（仅限获奖补企业）", responses={**WRITE_ERRORS, 404: _problem("项目或企业不存在")},
             openapi_extra=PAPER_BODY)
def record_paper(code: Code, request: Request, session: SessionDep, principal: Keeper,
                 body: Annotated[PaperResponseIn, _paper_body]):
    response, program, enterprise = service.record_paper(session, principal, code, body)
    if wants_fragment(request):
        ctx = _manage_context(request, session, principal, code, recorded=service.public(response, program, enterprise))
        return _fragment(request, "manage", ctx, status_code=201)
    return _created(response, program, enterprise)


@router.get("/programs/{code}/survey-responses", response_model=ResponsePage,
            summary="问卷列表（新的在前，游标分页）", responses=READ_ERRORS)
def responses(code: Code, session: SessionDep, principal: Reader, limit: Limit = 50,
              cursor: Annotated[str | None, Query(max_length=200)] = None):
    items, next_cursor = service.list_responses(session, principal, code, limit=limit, cursor=cursor)
    return {"items": items, "next_cursor": next_cursor}


# ---------------------------------------------------------------- the public questionnaire

STATE_PAGES = {
    "unknown": (404, "问卷链接无效", "没有找到这份问卷。请核对链接是否完整，或联系发放问卷的市工业和信息化局。"),
    "used": (410, "问卷已提交", "这份问卷已经提交过了，每个链接只能提交一次。感谢您对我们工作的支持！"),
    "revoked": (410, "问卷链接已作废", "这个链接已被新的问卷链接取代，请使用最新收到的链接填写。"),
    "not_awarded": (409, "无需填写", service.NOT_AWARDED),
}
FIELD_LABELS = {"overall": "总体满意度", "comment": "意见和建议", **{q.key: q.topic for q in QUESTIONS}}


def _survey_page(request: Request, template_ctx: dict, status_code: int = 200):
    ctx = {"principal": None, "overall_names": OVERALL_NAMES, "questions": QUESTIONS, **template_ctx}
    return templates.TemplateResponse(request, "pages/surveys/public.html", ctx, status_code=status_code)


def _state_page(request: Request, state: str, **extra):
    status, title, text = STATE_PAGES[state]
    return _survey_page(request, {"state": state, "title": title, "text": text, **extra}, status_code=status)


@pages_router.get("/survey/{token}")
def survey_page(token: Annotated[str, Path(max_length=100)], request: Request, session: SessionDep,
                done: Annotated[bool, Query()] = False):
    found = service.find_invitation(session, token)
    if found is None:
        return _state_page(request, "unknown")
    invitation, program, enterprise = found
    state = service.link_state(invitation)
    if state == "used":
        if done:
            return _survey_page(request, {"state": "thanks", "title": "提交成功", "program": program})
        return _state_page(request, "used", program=program)
    if state == "revoked":
        return _state_page(request, "revoked", program=program)
    return _survey_page(request, {"state": "open", "program": program, "enterprise": enterprise, "values": {}})


@pages_router.post("/survey/{token}")
async def survey_submit(token: Annotated[str, Path(max_length=100)], request: Request, session: SessionDep):
    """The questionnaire's own form: on success back to the link (post/redirect/get), which
    then thanks the enterprise; a missing answer re-shows the form with what was chosen."""
    form = await request.form()
    data = form_data(form, OnlineResponseIn)
    data["token"] = token
    try:
        body = OnlineResponseIn.model_validate(data)
    except ValidationError as exc:
        found = service.find_invitation(session, token)
        if found is None:
            return _state_page(request, "unknown")
        _inv, program, enterprise = found
        answers = data.get("answers") or {}
        missing = (["总体满意度"] if data.get("overall") not in OVERALL_NAMES else []) + [
            q.topic for q in QUESTIONS if q.key not in answers]
        problems = [] if missing else [
            "：".join(filter(None, (FIELD_LABELS.get(str(e["loc"][-1])), e["msg"])))
            for e in validation_errors(list(exc.errors(include_url=False, include_context=False)))]
        return _survey_page(request, {"state": "open", "program": program, "enterprise": enterprise,
                                      "values": data, "missing": missing, "problems": problems}, status_code=422)
    try:
        service.respond_online(session, body)
    except NotFound:
        return _state_page(request, "unknown")
    except DomainError as exc:
        found = service.find_invitation(session, token)
        state = service.link_state(found[0]) if found else "unknown"
        return _state_page(request, state if state != "open" else "not_awarded", detail=exc.detail)
    return RedirectResponse(f"/survey/{quote(token, safe='')}?done=1", status_code=303)


# ---------------------------------------------------------------- the officials' page


def _manage_context(request: Request, session, principal: Principal, code: str, **extra) -> dict:  # noqa: ANN001
    program = get_program(session, code)
    status = service.invitation_status(session, principal, code)
    items, next_cursor = service.list_responses(session, principal, code, limit=200)
    return page_context(
        request, session, principal, program=program, code=code, summary=service.summary(session, principal, code),
        status=status, responses=items, more=next_cursor is not None, questions=QUESTIONS,
        overall_names=OVERALL_NAMES, channel_names=CHANNEL_NAMES, keeper=principal.role == Role.city_industry,
        unanswered=[s for s in status if not s["responses"]], **extra,
    )


def _fragment(request: Request, block: str, ctx: dict, status_code: int = 200):
    response = templates.TemplateResponse(request, "pages/surveys/manage.html", ctx, block_name=block,
                                          status_code=status_code)
    set_vary(response)
    return response


@pages_router.get("/programs/{code}/surveys")
def surveys_page(code: Code, request: Request, session: SessionDep, principal: OptionalPrincipal):
    if principal is None:
        return _login_redirect(request)
    if principal.role not in READERS:
        return _error_page(request, session, principal, 403, "无权访问", "当前角色无权查看满意度调查。")
    try:
        ctx = _manage_context(request, session, principal, code)
    except NotFound as exc:
        return _error_page(request, session, principal, 404, "未找到", exc.detail)
    response = templates.TemplateResponse(request, "pages/surveys/manage.html", ctx)
    set_vary(response)
    return response
