"""HTML pages that are not the HTML face of an API route. A page renders the same template
whose blocks the API routes return to HTMX, so page and fragment never drift apart."""

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse
from sqlmodel import col, select

from app.applications import service as applications
from app.applications.lifecycle import STATUS_NAMES
from app.applications.router import detail_context
from app.core.db import SessionDep
from app.core.errors import DomainError, NotFound
from app.core.htmx import set_vary
from app.core.templating import templates
from app.districts.service import district_names
from app.pages.context import page_context
from app.programs.models import Program
from app.users.auth import READERS, OptionalPrincipal, Principal

router = APIRouter(include_in_schema=False)


def _login_redirect(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)


def _error_page(request: Request, session, principal: Principal | None, status: int, title: str, detail: str):  # noqa: ANN001
    ctx = page_context(request, session, principal, problem={"status": status, "title": title, "detail": detail})
    return templates.TemplateResponse(request, "pages/error.html", ctx, status_code=status)


def _forbidden(request: Request, session, principal: Principal):  # noqa: ANN001
    return _error_page(request, session, principal, 403, "无权访问", "当前角色无权查看申报。")


@router.get("/")
def home(principal: OptionalPrincipal):
    return RedirectResponse("/applications" if principal else "/login", status_code=303)


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
                                          detail_context(request, session, principal, body))
    set_vary(response)
    return response
