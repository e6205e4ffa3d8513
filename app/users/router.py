"""Sign-in and sign-out pages for officials."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.core.config import get_settings
from app.core.db import SessionDep
from app.core.templating import templates
from app.users import service
from app.users.auth import SESSION_COOKIE, CurrentPrincipal, OptionalPrincipal
from app.users.models import ROLE_NAMES_ZH

router = APIRouter(tags=["users"])


def _safe_next(target: str | None) -> str:
    # Only same-site paths: never an open redirect.
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


@router.get("/login", response_class=HTMLResponse, include_in_schema=False)
def login_page(request: Request, principal: OptionalPrincipal, next: str | None = None):
    if principal is not None and principal.via == "session":
        return RedirectResponse(_safe_next(next), status_code=303)
    return templates.TemplateResponse(request, "pages/users/login.html", {"next": _safe_next(next), "error": None})


@router.post("/login", response_class=HTMLResponse, include_in_schema=False)
def login(
    request: Request,
    session: SessionDep,
    username: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
    next: Annotated[str, Form(max_length=500)] = "/",
):
    client_ip = request.client.host if request.client else "unknown"
    try:
        cookie, _user = service.sign_in(
            session, username=username.strip(), password=password, client_ip=client_ip,
            old_cookie=request.cookies.get(SESSION_COOKIE),
        )
    except service.SignInRefused as refused:
        # 200 with the form again; the failed attempt is counted (the transaction commits).
        return templates.TemplateResponse(
            request, "pages/users/login.html", {"next": _safe_next(next), "error": refused.message, "username": username},
            status_code=401,
        )
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE, cookie, httponly=True, samesite="lax", secure=not get_settings().is_development,
        max_age=get_settings().session_absolute_hours * 3600, path="/",
    )
    return response


@router.post("/logout", include_in_schema=False)
def logout(request: Request, session: SessionDep, _: CurrentPrincipal):
    service.sign_out(session, request.cookies.get(SESSION_COOKIE))
    if request.headers.get("HX-Request") == "true":
        # htmx would follow a 303 silently; tell it to navigate instead.
        response: Response = Response(status_code=204, headers={"HX-Redirect": "/login"})
    else:
        response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/api/v1/me", tags=["users"], summary="当前用户")
def me(principal: CurrentPrincipal) -> dict:
    return {
        "name": principal.name,
        "role": principal.role.value,
        "role_name": ROLE_NAMES_ZH[principal.role],
        "district_code": principal.district_code,
        "via": principal.via,
    }
