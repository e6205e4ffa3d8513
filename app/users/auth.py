"""Who is calling: a Bearer token (district systems) or a signed-in official's session
cookie (then unsafe methods need the CSRF token too). Role and district scoping are
reusable dependencies."""

from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import bindparam
from sqlmodel import Session, select

from app.core.config import get_settings
from app.core.db import SessionDep, utcnow
from app.core.errors import Forbidden, NotFound, Unauthorized
from app.core.security import constant_time_equals, sha256_hex
from app.users.models import DISTRICT_ROLES, ApiToken, Role, User, WebSession

SESSION_COOKIE = "scaleup_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


@dataclass(frozen=True)
class Principal:
    name: str  # username or token name, as written in the audit trail
    role: Role
    district_code: str | None
    via: str  # "token" | "session"
    user_id: int | None = None
    csrf_token: str | None = None
    display_name: str = ""

    @property
    def is_district_bound(self) -> bool:
        return self.district_code is not None

    def can_see_district(self, district_code: str) -> bool:
        return self.district_code is None or self.district_code == district_code

    def ensure_district(self, district_code: str, *, hide: bool = True) -> None:
        """Another district's record: 404 where its existence must not leak, else 403."""
        if not self.can_see_district(district_code):
            if hide:
                raise NotFound("未找到该记录。")
            raise Forbidden("只能处理本区县的数据。")


# Every API request runs this: built once (composing the statement per call cost more CPU than running it).
_TOKEN_BY_HASH = select(ApiToken).where(ApiToken.token_hash == bindparam("token_hash"))


def _from_token(session: Session, raw: str) -> Principal | None:
    token = session.exec(_TOKEN_BY_HASH, params={"token_hash": sha256_hex(raw)}).first()
    if token is None or token.revoked_at is not None:
        return None
    return Principal(name=token.name, role=Role(token.role), district_code=token.district_code, via="token")


def session_user(session: Session, cookie: str | None) -> tuple[WebSession, User] | None:
    if not cookie:
        return None
    ws = session.get(WebSession, sha256_hex(cookie))
    if ws is None:
        return None
    settings = get_settings()
    now = utcnow()
    if now - ws.last_seen_at > timedelta(minutes=settings.session_idle_minutes) or now - ws.created_at > timedelta(
        hours=settings.session_absolute_hours
    ):
        return None
    user = session.get(User, ws.user_id)
    if user is None or not user.is_active:
        return None
    if now - ws.last_seen_at > timedelta(minutes=1):  # sliding idle timeout, written at most once a minute
        ws.last_seen_at = now
        session.add(ws)
    return ws, user


def optional_principal(request: Request, session: SessionDep) -> Principal | None:
    auth = request.headers.get("Authorization")
    if auth:
        scheme, _, raw = auth.partition(" ")
        if scheme.lower() != "bearer" or not raw.strip():
            raise Unauthorized("Authorization 头格式应为 “Bearer <令牌>”。")
        principal = _from_token(session, raw.strip())
        if principal is None:
            raise Unauthorized("令牌无效或已吊销。")
        return principal
    found = session_user(session, request.cookies.get(SESSION_COOKIE))
    if found is None:
        return None
    ws, user = found
    principal = Principal(
        name=user.username,
        role=Role(user.role),
        district_code=user.district_code,
        via="session",
        user_id=user.id,
        csrf_token=ws.csrf_token,
        display_name=user.display_name or user.username,
    )
    if request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER) or ""
        if not sent or not constant_time_equals(sent, ws.csrf_token):
            raise Forbidden("缺少或错误的 CSRF 令牌，请刷新页面后重试。")
    return principal


# The two checks below do no I/O: async, so that FastAPI runs them on the event loop instead
# of handing each to the thread pool (a thread hop per dependency per request).
async def current_principal(principal: Annotated[Principal | None, Depends(optional_principal)]) -> Principal:
    if principal is None:
        raise Unauthorized()
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
OptionalPrincipal = Annotated[Principal | None, Depends(optional_principal)]


def require_roles(*roles: Role):
    """Dependency factory: the caller must hold one of these roles (403 otherwise)."""
    allowed = set(roles)

    async def _check(principal: CurrentPrincipal) -> Principal:
        if principal.role not in allowed:
            raise Forbidden(f"当前角色无权执行此操作（需要：{'、'.join(sorted(r.value for r in allowed))}）。")
        return principal

    return _check


# Role groups used by many routes.
OFFICIALS = (
    Role.district_industry,
    Role.district_stats,
    Role.city_industry,
    Role.city_stats,
    Role.finance,
    Role.evaluator,
)
READERS = (*OFFICIALS, Role.auditor, Role.district_system, Role.admin)
SUBMITTERS = (Role.district_system, Role.district_industry)


def role_needs_district(role: Role) -> bool:
    return role in DISTRICT_ROLES
