"""Post-award tracking: which awarded enterprises are still 规上 in later roster years (保规率).
The JSON route (its HTMX face is the page's body block) and the page 保规跟踪."""

from decimal import Decimal
from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from app.core.db import SessionDep
from app.core.errors import DomainError, NotFound
from app.core.htmx import set_vary, wants_fragment
from app.core.templating import templates
from app.core.openapi import problem as _problem
from app.districts.service import district_names
from app.pages.context import page_context
from app.pages.router import _error_page, _login_redirect
from app.programs.service import get_program, list_programs
from app.tracking import service
from app.tracking.schemas import Retention
from app.users.auth import OFFICIALS, OptionalPrincipal, Principal, require_roles
from app.users.models import Role

router = APIRouter(prefix="/api/v1", tags=["tracking"])
pages_router = APIRouter(include_in_schema=False)

READERS = (*OFFICIALS, Role.auditor)
Reader = Annotated[Principal, Depends(require_roles(*READERS))]
Code = Annotated[str, Path(max_length=32, description="项目编号，如 XSG-2023")]
District = Annotated[str | None, Query(pattern=r"^\d{6}$", description="区县代码（市级用户可选；区县用户只能是本区县）")]
TEMPLATE = "pages/tracking/retention.html"
FILTER_FORM = "retention-filter"


READ_ERRORS = {401: _problem("未登录或令牌无效"), 403: _problem("角色无权，或区县用户查看其他区县"),
               404: _problem("项目不存在"), 422: _problem("参数校验未通过（如未知的区县代码）")}


def _trend(dropout: dict, year: int) -> list[dict]:
    """A dropout's revenue by roster year up to the year it is missing from, each with its
    direction against the year before (↑ ↓ →), and the missing year itself last."""
    points, before = [], None
    for point in dropout["revenues"]:
        if point["year"] > year:
            break
        value = Decimal(point["main_revenue"])
        arrow = "" if before is None else ("up" if value > before else "down" if value < before else "flat")
        points.append({"year": point["year"], "yuan": point["main_revenue"], "arrow": arrow})
        before = value
    points.append({"year": year, "yuan": None, "arrow": "gone"})
    return points


def _context(request: Request, session, principal: Principal, program, district: str | None) -> dict:  # noqa: ANN001
    body = service.retention(session, program, district)
    for year in body["years"]:
        for dropout in year["dropouts"]:
            dropout["trend"] = _trend(dropout, year["year"])
    return page_context(request, session, principal, retention=body, code=program.code,
                        districts=district_names(session), selected=district or "")


@router.get("/programs/{code}/retention", response_model=Retention, responses=READ_ERRORS,
            summary="保规跟踪：获奖补企业在以后年度规上名录中的保留情况（保规率，按年度、按区县）")
def get_retention(code: Code, request: Request, response: Response, session: SessionDep, principal: Reader,
                  district: District = None):
    """每个入库年度之后的名录年度：获奖补企业中仍在名录的家数、退出家数与保规率，分区县列示；
    退出企业附历年主营业务收入。尚未导入该年度名录的区县列为 pending_districts，不计为退出。
    区县用户只看到本区县的数据。"""
    program = get_program(session, code)
    scope = service.scope_for(session, principal, district)
    if wants_fragment(request):
        fragment = templates.TemplateResponse(request, TEMPLATE, _context(request, session, principal, program, scope),
                                              block_name="retention")
        if request.headers.get("HX-Trigger") == FILTER_FORM:
            # The page's own filter form: keep the page's shareable address in the location bar.
            query = f"?{urlencode({'district': district})}" if district and principal.district_code is None else ""
            fragment.headers["HX-Push-Url"] = f"/programs/{quote(code, safe='')}/retention{query}"
        set_vary(fragment)
        return fragment
    set_vary(response)
    return service.retention(session, program, scope)


# ---------------------------------------------------------------- page


@pages_router.get("/programs/{code}/retention")
def retention_page(code: Annotated[str, Path(max_length=32)], request: Request, session: SessionDep,
                   principal: OptionalPrincipal, district: Annotated[str | None, Query(max_length=6)] = None):
    if principal is None:
        return _login_redirect(request)
    if principal.role not in READERS:
        return _error_page(request, session, principal, 403, "无权访问", "当前角色无权查看保规跟踪。")
    try:
        program = get_program(session, code)
        # A district-bound official sees the own district whatever the address says.
        scope = service.scope_for(session, principal, None if principal.district_code else (district or None))
    except NotFound as exc:
        return _error_page(request, session, principal, 404, "未找到", exc.detail)
    except DomainError as exc:
        return _error_page(request, session, principal, exc.status, exc.title, exc.detail)
    ctx = _context(request, session, principal, program, scope)
    ctx["programs"] = list_programs(session, limit=50)
    response = templates.TemplateResponse(request, TEMPLATE, ctx)
    set_vary(response)
    return response
