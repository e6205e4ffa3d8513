"""HTML pages that are not the HTML face of an API route. A page renders the same template
whose blocks the API routes return to HTMX, so page and fragment never drift apart."""

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Header, Query, Request
from fastapi.responses import RedirectResponse
from sqlmodel import col, select

from app.applications import service as applications
from app.applications.lifecycle import STATUS_NAMES
from app.applications.router import detail_context, detail_fragment
from app.core.db import SessionDep
from app.core.errors import DomainError, Invalid, NotFound, Unauthorized
from app.core.htmx import set_vary
from app.core.templating import templates
from app.districts.service import district_names
from app.pages.context import (
    DEPARTMENT_NAMES,
    PIPELINE_STATUSES,
    SIDE_STATUSES,
    STAGE_NAMES,
    dashboard,
    page_context,
)
from app.programs.models import Program
from app.programs.service import list_programs
from app.reviews import service as reviews
from app.reviews.service import awaiting as awaiting_for
from app.users.auth import READERS, OptionalPrincipal, Principal

router = APIRouter(include_in_schema=False)

DECISION_CHOICES = ("approve", "reject", "return")


def _login_redirect(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)


def _error_page(request: Request, session, principal: Principal | None, status: int, title: str, detail: str):  # noqa: ANN001
    ctx = page_context(request, session, principal, problem={"status": status, "title": title, "detail": detail})
    return templates.TemplateResponse(request, "pages/error.html", ctx, status_code=status)


def _forbidden(request: Request, session, principal: Principal):  # noqa: ANN001
    return _error_page(request, session, principal, 403, "无权访问", "当前角色无权查看申报。")


@router.get("/")
def home(request: Request, session: SessionDep, principal: OptionalPrincipal):
    """工作台: each programme's pipeline and its district × status table (one GROUP BY each)."""
    if principal is None:
        return RedirectResponse("/login", status_code=303)
    if principal.role not in READERS:  # pragma: no cover - every role reads applications today
        return _forbidden(request, session, principal)
    ctx = page_context(request, session, principal, programs=dashboard(session, principal),
                       pipeline=PIPELINE_STATUSES, side=SIDE_STATUSES)
    ctx["awaiting_total"] = ctx["queue_count"]()  # the navigation's badge reuses the same count
    response = templates.TemplateResponse(request, "pages/home.html", ctx)
    set_vary(response)
    return response


@router.get("/queue")
def queue_page(
    request: Request,
    session: SessionDep,
    principal: OptionalPrincipal,
    program: Annotated[str | None, Query(max_length=32)] = None,
    district: Annotated[str | None, Query(max_length=6)] = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
):
    """待我审核: what waits for the official's own department at its stage, by programme."""
    if principal is None:
        return _login_redirect(request)
    seat = awaiting_for(principal)
    names = district_names(session)
    ctx = page_context(request, session, principal, seat=seat, districts=names, statuses=STATUS_NAMES)
    if seat is not None:
        if principal.district_code is not None:
            district = None
        district = district if district in names else None
        filters = {"program": program or "", "status": "", "district": district or "", "q": (q or "").strip()}
        groups = []
        for p in list_programs(session):
            counts = applications.status_counts(session, principal, program_id=p.id, awaiting=seat)
            by_district: dict[str, int] = {}
            for (d, _status), n in counts.items():
                by_district[d] = by_district.get(d, 0) + n
            groups.append({"code": p.code, "title": p.title, "count": sum(by_district.values()),
                           "districts": [{"code": d, "name": names.get(d, d), "count": n}
                                         for d, n in sorted(by_district.items())]})
        rows, next_cursor = applications.list_page(
            session, principal, program=filters["program"] or None, district=district, q=filters["q"] or None,
            limit=50, awaiting=seat)
        shown = [g for g in groups if g["code"] == filters["program"]] if filters["program"] else groups
        per_district: dict[str, int] = {}
        for g in shown:
            for d in g["districts"]:
                per_district[d["code"]] = per_district.get(d["code"], 0) + d["count"]
        ctx.update(
            district_counts=[{"code": c, "name": names.get(c, c), "count": n} for c, n in sorted(per_district.items())],
            groups=groups, total=sum(g["count"] for g in groups), filters=filters, append=False, page=True,
            awaiting_me=True, items=[applications.summary(a, e, code) for a, e, code in rows], next_cursor=next_cursor,
            stage_name=STAGE_NAMES[reviews.SEATS[principal.role][0]], department_name=DEPARTMENT_NAMES[seat[1]],
        )
    response = templates.TemplateResponse(request, "pages/queue.html", ctx)
    set_vary(response)
    return response


@router.get("/applications")
def applications_page(
    request: Request,
    session: SessionDep,
    principal: OptionalPrincipal,
    program: Annotated[str | None, Query(max_length=32)] = None,
    status: Annotated[str | None, Query(max_length=20)] = None,
    district: Annotated[str | None, Query(max_length=6)] = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
):
    if principal is None:
        return _login_redirect(request)
    if principal.role not in READERS:
        return _forbidden(request, session, principal)
    # A shared link with an unknown status or a foreign district shows the unfiltered list
    # rather than an error page; the district-bound official always sees their own.
    status = status if status in STATUS_NAMES else None
    if principal.district_code is not None:
        district = None
    names = district_names(session)
    district = district if district in names else None
    filters = {"program": program or "", "status": status or "", "district": district or "", "q": (q or "").strip()}
    rows, next_cursor = applications.list_page(
        session, principal, program=filters["program"] or None, status=status, district=district,
        q=filters["q"] or None, limit=50,
    )
    programs = session.exec(select(Program.code, Program.title).order_by(col(Program.code).desc())).all()
    ctx = page_context(
        request, session, principal,
        items=[applications.summary(a, e, code) for a, e, code in rows], next_cursor=next_cursor,
        districts=names, statuses=STATUS_NAMES, programs=[{"code": c, "title": t} for c, t in programs],
        filters=filters, append=False, page=True,
    )
    response = templates.TemplateResponse(request, "pages/applications/list.html", ctx)
    set_vary(response)
    return response


@router.get("/applications/{application_id}")
def application_page(application_id: str, request: Request, session: SessionDep, principal: OptionalPrincipal):
    if principal is None:
        return _login_redirect(request)
    if principal.role not in READERS:
        return _forbidden(request, session, principal)
    not_found = f"申报不存在或无权查看：{application_id}。"
    if not application_id.isdigit() or len(application_id) > 18:
        return _error_page(request, session, principal, 404, "未找到", not_found)
    try:
        application = applications.get_visible(session, principal, int(application_id))
    except NotFound:
        return _error_page(request, session, principal, 404, "未找到", not_found)
    except DomainError as exc:  # pragma: no cover - get_visible raises only NotFound today
        return _error_page(request, session, principal, exc.status, exc.title, exc.detail)
    body = applications.public(session, application, principal)
    response = templates.TemplateResponse(request, "pages/applications/detail.html",
                                          detail_context(request, session, principal, body, page=True))
    set_vary(response)
    return response


@router.post("/applications/{application_id}/reviews", status_code=201)
def review_form(
    application_id: int,
    request: Request,
    session: SessionDep,
    principal: OptionalPrincipal,
    decision: Annotated[str, Form(max_length=10)],
    opinion: Annotated[str, Form(max_length=2000)] = "",
    if_match: Annotated[str | None, Header(alias="If-Match", max_length=20)] = None,
):
    """The detail page's decision form. htmx posts forms url-encoded and the JSON API
    (POST /api/v1/applications/{id}/reviews) takes JSON, so this HTML face takes the same
    three fields as a form and runs the very same service (seat, If-Match, CSRF, audit), then
    answers the refreshed detail block. Errors are problem fragments retargeted to #flash."""
    if principal is None:
        raise Unauthorized()
    if decision not in DECISION_CHOICES:
        raise Invalid(f"未知的审核意见：{decision}。可选：同意（approve）、不同意（reject）、退回补正（return）。",
                      errors=[{"loc": ["body", "decision"], "msg": "取值不在允许范围内", "code": "enum"}])
    application = reviews.decide(session, principal, application_id, decision=decision, opinion=opinion.strip(),
                                 if_match=if_match)
    body = applications.public(session, application, principal)
    return detail_fragment(request, session, principal, body, status_code=201, decided=decision)


# The navigation's 拨付, 满意度, 保规跟踪 and 绩效评价 are pages of a programme: without one
# they open the newest programme's (its page then checks the role).
PROGRAM_SECTIONS = ("payments", "surveys", "retention", "evaluation")


def _newest_programme_page(section: str):  # noqa: ANN202 - a route
    def index(request: Request, session: SessionDep, principal: OptionalPrincipal):
        if principal is None:
            return _login_redirect(request)
        newest = list_programs(session, limit=1)
        if not newest:
            return _error_page(request, session, principal, 404, "未找到", "尚未设立奖补项目。")
        return RedirectResponse(f"/programs/{quote(newest[0].code, safe='')}/{section}", status_code=303)

    index.__name__ = f"{section}_index"
    return index


for _section in PROGRAM_SECTIONS:
    router.add_api_route(f"/{_section}", _newest_programme_page(_section), methods=["GET"])
