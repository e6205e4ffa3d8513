"""Thin routes for enterprises: the list and one enterprise's whole history.

`router` is the JSON API (an HTML fragment for HTMX from the same routes); `pages_router`
holds the pages /enterprises, /enterprises/{uscc} and /follow-ups (跟踪服务: the open needs).
The follow-up section of the enterprise page is rendered here for the follow-up routes too,
so that the page and the fragment come from the same template block."""

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Path, Query, Request

from app.core.clock import beijing_today
from app.core.db import SessionDep
from app.core.errors import DomainError
from app.core.htmx import set_vary, wants_fragment
from app.core.money import fen_to_wan, yuan_to_fen
from app.core.pagination import Limit
from app.core.templating import templates
from app.core.openapi import problem as _problem
from app.districts.service import district_names
from app.enterprises import service
from app.enterprises.models import Enterprise
from app.enterprises.schemas import EnterpriseHistory, EnterprisePage
from app.followups import service as followups
from app.followups.models import FOLLOW_UP_KINDS
from app.followups.schemas import FOLLOW_UP_STATUSES
from app.pages.context import page_context
from app.pages.router import _error_page, _login_redirect
from app.programs.service import list_programs
from app.surveys.questions import CHANNEL_NAMES, QUESTIONS
from app.users.auth import OFFICIALS, OptionalPrincipal, Principal, require_roles
from app.users.models import Role

router = APIRouter(prefix="/api/v1", tags=["enterprises"])
pages_router = APIRouter(include_in_schema=False)

READER_ROLES = (*OFFICIALS, Role.auditor, Role.district_system)
Reader = Annotated[Principal, Depends(require_roles(*READER_ROLES))]
Uscc = Annotated[str, Path(max_length=32, description="统一社会信用代码（18 位，GB 32100-2015）",
                           examples=["916501005605186765"])]
DistrictFilter = Annotated[str | None, Query(pattern=r"^(\d{6})?$", description="区县代码（6 位）")]
SearchText = Annotated[str | None, Query(max_length=100, description="企业名称中的文字，或统一社会信用代码的开头")]
Cursor = Annotated[str | None, Query(max_length=200, description="上一页返回的 next_cursor")]


READ_ERRORS = {401: _problem("未登录或令牌无效"), 403: _problem("角色无权"), 422: _problem("参数校验未通过")}
DETAIL_ERRORS = {**READ_ERRORS, 404: _problem("企业不存在，或属于其他区县"),
                 422: _problem("统一社会信用代码格式不正确")}


# ---------------------------------------------------------------- shared by the pages and fragments


def list_context(request: Request, session, principal: Principal, items: list[dict], next_cursor: str | None,
                 filters: dict, *, limit: int = 50, append: bool = False, page: bool = False) -> dict:
    return page_context(request, session, principal, items=items, next_cursor=next_cursor, filters=filters,
                        districts=district_names(session), limit=limit, append=append, page=page)


def followups_context(session, principal: Principal, enterprise: Enterprise, follow_ups: list[dict]) -> dict:
    """What the 跟踪服务 section shows: the records and, for their keepers, the form."""
    can_follow_up = principal.role in followups.KEEPERS and principal.can_see_district(enterprise.district_code)
    return {
        "ent": {"uscc": enterprise.uscc, "name": enterprise.name},
        "follow_ups": follow_ups,
        "open_follow_ups": sum(1 for f in follow_ups if f["status"] == "open"),
        "can_follow_up": can_follow_up,
        "kinds": FOLLOW_UP_KINDS,
        "follow_up_statuses": FOLLOW_UP_STATUSES,
        "today": beijing_today().isoformat(),
        "program_choices": [{"code": p.code, "title": p.title} for p in list_programs(session)] if can_follow_up else [],
    }


def followups_fragment(request: Request, session, principal: Principal, enterprise: Enterprise, *,
                       status_code: int = 200, flash: str | None = None):
    """The enterprise page's 跟踪服务 section, refreshed (after a record is added or resolved)."""
    items, _next = followups.list_page(session, principal, enterprise_id=enterprise.id, limit=500)
    ctx = page_context(request, session, principal, section_only=True, flash=flash,
                       **followups_context(session, principal, enterprise, items))
    response = templates.TemplateResponse(request, "pages/enterprises/detail.html", ctx, block_name="followups",
                                          status_code=status_code)
    set_vary(response)
    return response


# The national 规上 line since 2011 (main business revenue 2000万元), drawn on the revenue chart.
ABOVE_SCALE_LINE_FEN = 20_000_000_00
CHART_HEIGHT = 120  # SVG units of the tallest bar


def revenue_chart(roster: list[dict]) -> dict | None:
    """The roster years as SVG bar geometry (integers from fen, no style attributes: the CSP
    allows none), with the 规上 line where it falls inside the chart."""
    if not roster:
        return None
    fens = [yuan_to_fen(r["main_revenue"]) for r in roster]
    peak = max(max(fens), ABOVE_SCALE_LINE_FEN)
    bars = []
    for i, (r, fen) in enumerate(zip(roster, fens, strict=True)):
        height = max(fen * CHART_HEIGHT // peak, 1)
        bars.append({"x": i * 80 + 20, "y": 20 + CHART_HEIGHT - height, "height": height, "year": r["year"],
                     "wan": fen_to_wan(fen), "below": fen < ABOVE_SCALE_LINE_FEN})
    line_y = 20 + CHART_HEIGHT - ABOVE_SCALE_LINE_FEN * CHART_HEIGHT // peak
    return {"bars": bars, "width": len(bars) * 80 + 100, "line_y": line_y, "base_y": 20 + CHART_HEIGHT}


def survey_answers(answers: dict) -> list[tuple[str, str]]:
    """Each answer as (topic, the option's words) in the questionnaire's order; keys this
    questionnaire does not know are shown as sent."""
    known = {q.key: q for q in QUESTIONS}
    out = []
    for q in QUESTIONS:
        value = answers.get(q.key)
        if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 5:
            out.append((q.topic, q.label(value)))
        elif value is not None:
            out.append((q.topic, str(value)))
    out += [(str(k), str(v)) for k, v in sorted(answers.items()) if k not in known]
    return out


def detail_context(request: Request, session, principal: Principal, enterprise: Enterprise, **extra) -> dict:
    body = service.history(session, principal, enterprise)
    return page_context(
        request, session, principal, e=body, districts=district_names(session), CHANNEL_NAMES=CHANNEL_NAMES,
        survey_answers=survey_answers, chart=revenue_chart(body["roster"]),
        **followups_context(session, principal, enterprise, body["follow_ups"]), **extra,
    )


# ---------------------------------------------------------------- API


@router.get("/enterprises", response_model=EnterprisePage, summary="企业列表（可筛选，键集分页）", responses=READ_ERRORS)
def list_enterprises(
    request: Request,
    session: SessionDep,
    principal: Reader,
    district: DistrictFilter = None,
    q: SearchText = None,
    limit: Limit = 50,
    cursor: Cursor = None,
):
    items, next_cursor = service.list_page(session, principal, district=district or None, q=q or None, limit=limit,
                                           cursor=cursor or None)
    if wants_fragment(request):
        filters = {"district": district or "", "q": (q or "").strip()}
        ctx = list_context(request, session, principal, items, next_cursor, filters, limit=limit, append=bool(cursor))
        response = templates.TemplateResponse(request, "pages/enterprises/list.html", ctx, block_name="results")
        if not cursor and request.headers.get("HX-Trigger") == "filters":
            shown = {k: v for k, v in filters.items() if v and not (k == "district" and principal.district_code)}
            response.headers["HX-Push-Url"] = "/enterprises" + (f"?{urlencode(shown)}" if shown else "")
        set_vary(response)
        return response
    return {"items": items, "next_cursor": next_cursor}


@router.get("/enterprises/{uscc}", response_model=EnterpriseHistory, summary="企业详情及其在各项目中的全部记录",
            description="申报、审核意见、资金拨付、统计名录各年度、满意度问卷与跟踪服务记录。银行账号仅对财政部门完整显示。"
                        "区县用户只能查看本区县企业（其他区县的企业答 404）。",
            responses=DETAIL_ERRORS)
def get_enterprise(uscc: Uscc, request: Request, session: SessionDep, principal: Reader):
    enterprise = service.get_visible(session, principal, uscc)
    if wants_fragment(request):
        response = templates.TemplateResponse(request, "pages/enterprises/detail.html",
                                              detail_context(request, session, principal, enterprise),
                                              block_name="history")
        set_vary(response)
        return response
    return service.history(session, principal, enterprise)


# ---------------------------------------------------------------- pages


@pages_router.get("/enterprises")
def enterprises_page(
    request: Request,
    session: SessionDep,
    principal: OptionalPrincipal,
    district: Annotated[str | None, Query(max_length=6)] = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
):
    if principal is None:
        return _login_redirect(request)
    if principal.role not in READER_ROLES:
        return _error_page(request, session, principal, 403, "无权访问", "当前角色无权查看企业档案。")
    # A shared link with a foreign or unknown district shows the unfiltered list.
    names = district_names(session)
    district = district if district in names and principal.district_code is None else None
    filters = {"district": district or "", "q": (q or "").strip()}
    items, next_cursor = service.list_page(session, principal, district=district, q=filters["q"] or None, limit=50)
    response = templates.TemplateResponse(request, "pages/enterprises/list.html",
                                          list_context(request, session, principal, items, next_cursor, filters, page=True))
    set_vary(response)
    return response


@pages_router.get("/enterprises/{uscc}")
def enterprise_page(uscc: str, request: Request, session: SessionDep, principal: OptionalPrincipal):
    if principal is None:
        return _login_redirect(request)
    if principal.role not in READER_ROLES:
        return _error_page(request, session, principal, 403, "无权访问", "当前角色无权查看企业档案。")
    try:
        enterprise = service.get_visible(session, principal, uscc[:32])
    except DomainError:
        return _error_page(request, session, principal, 404, "未找到", f"企业不存在或无权查看：{uscc[:32]}。")
    response = templates.TemplateResponse(request, "pages/enterprises/detail.html",
                                          detail_context(request, session, principal, enterprise, page=True))
    set_vary(response)
    return response


@pages_router.get("/follow-ups")
def follow_ups_page(
    request: Request,
    session: SessionDep,
    principal: OptionalPrincipal,
    status: Annotated[str | None, Query(max_length=10)] = "open",
    district: Annotated[str | None, Query(max_length=6)] = None,
    kind: Annotated[str | None, Query(max_length=24)] = None,
):
    """跟踪服务: every open need in the caller's scope (the city sees all districts)."""
    if principal is None:
        return _login_redirect(request)
    if principal.role not in followups.KEEPERS:
        return _error_page(request, session, principal, 403, "无权访问", "只有市工信局和区县工信部门可以查看跟踪服务记录。")
    names = district_names(session)
    filters = {
        "status": status if status in FOLLOW_UP_STATUSES else "",
        "district": district if district in names and principal.district_code is None else "",
        "kind": kind if kind in FOLLOW_UP_KINDS else "",
    }
    items, next_cursor = followups.list_all(session, principal, status=filters["status"] or None,
                                            district=filters["district"] or None, kind=filters["kind"] or None, limit=50)
    ctx = page_context(request, session, principal, items=items, next_cursor=next_cursor, filters=filters, districts=names,
                       kinds=FOLLOW_UP_KINDS, follow_up_statuses=FOLLOW_UP_STATUSES, limit=50, append=False, page=True)
    response = templates.TemplateResponse(request, "pages/enterprises/follow_ups.html", ctx)
    set_vary(response)
    return response
