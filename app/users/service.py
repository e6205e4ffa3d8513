"""Users, API tokens and sign-in. Every change is audited."""

from sqlmodel import Session, select

from app.audit import service as audit
from app.core import ratelimit
from app.core.config import get_settings
from app.core.db import utcnow
from app.core.errors import Conflict, Invalid, NotFound
from app.core.security import DUMMY_HASH, hash_password, new_api_token, new_secret, sha256_hex, verify_password
from app.districts.models import District
from app.users.models import DISTRICT_ROLES, ApiToken, Role, User, WebSession

SYSTEM_ACTOR = ("system", "admin")


def _check_role_district(session: Session, role: str, district_code: str | None) -> Role:
    try:
        role_enum = Role(role)
    except ValueError:
        raise Invalid(f"未知角色：{role}。可选：{'、'.join(r.value for r in Role)}。") from None
    if role_enum in DISTRICT_ROLES and not district_code:
        raise Invalid(f"角色 {role} 属于区县，须指定 --district 区县代码。")
    if district_code is not None:
        if role_enum not in DISTRICT_ROLES and role_enum != Role.finance:
            raise Invalid(f"角色 {role} 为市级角色，不能指定区县。")
        if session.get(District, district_code) is None:
            raise Invalid(f"区县代码不存在：{district_code}。")
    return role_enum


def create_user(
    session: Session, *, username: str, role: str, password: str, district_code: str | None = None,
    display_name: str = "", actor: tuple[str, str] = SYSTEM_ACTOR,
) -> User:
    role_enum = _check_role_district(session, role, district_code)
    if not username or len(username) > 64:
        raise Invalid("用户名不能为空，且不超过 64 个字符。")
    if len(password) < 8:
        raise Invalid("密码至少 8 位。")
    if session.exec(select(User).where(User.username == username)).first():
        raise Conflict(f"用户名已存在：{username}。")
    user = User(username=username, role=role_enum.value, district_code=district_code,
                display_name=display_name, password_hash=hash_password(password))
    session.add(user)
    session.flush()
    audit.record(session, actor=actor[0], role=actor[1], action="user.create", entity_type="user", entity_id=user.id,
                 after={"username": username, "role": role_enum.value, "district_code": district_code})
    return user


def create_token(
    session: Session, *, name: str, role: str, district_code: str | None = None, actor: tuple[str, str] = SYSTEM_ACTOR
) -> tuple[ApiToken, str]:
    """Returns the row and the raw token, which is shown once and never stored."""
    role_enum = _check_role_district(session, role, district_code)
    raw = new_api_token()
    token = ApiToken(name=name, role=role_enum.value, district_code=district_code, token_hash=sha256_hex(raw), prefix=raw[:10])
    session.add(token)
    session.flush()
    audit.record(session, actor=actor[0], role=actor[1], action="token.create", entity_type="api_token", entity_id=token.id,
                 after={"name": name, "role": role_enum.value, "district_code": district_code, "prefix": token.prefix})
    return token, raw


def revoke_token(session: Session, token_id: int, actor: tuple[str, str] = SYSTEM_ACTOR) -> ApiToken:
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFound(f"令牌不存在：{token_id}。")
    token.revoked_at = utcnow()
    session.add(token)
    audit.record(session, actor=actor[0], role=actor[1], action="token.revoke", entity_type="api_token", entity_id=token.id,
                 after={"revoked": True})
    return token


class SignInRefused(Exception):
    def __init__(self, message: str):
        self.message = message


def sign_in(session: Session, *, username: str, password: str, client_ip: str, old_cookie: str | None) -> tuple[str, User]:
    """Check the password (throttled per username and per client address), drop any old
    session (rotation) and open a new one. Returns the new cookie value."""
    settings = get_settings()
    keys = [f"login:user:{username.lower()}", f"login:ip:{client_ip}"]
    if any(ratelimit.current(session, k, window_seconds=900) >= settings.login_attempts_per_15min for k in keys):
        raise SignInRefused("登录尝试过于频繁，请 15 分钟后再试。")
    user = session.exec(select(User).where(User.username == username)).first()
    ok = verify_password(password, user.password_hash if user else DUMMY_HASH)
    if not ok or user is None or not user.is_active:
        for k in keys:
            ratelimit.hit(session, k, window_seconds=900)
        raise SignInRefused("用户名或密码错误。")
    if old_cookie:
        old = session.get(WebSession, sha256_hex(old_cookie))
        if old is not None:
            session.delete(old)
    cookie = new_secret(32)
    session.add(WebSession(id_hash=sha256_hex(cookie), user_id=user.id, csrf_token=new_secret(24)))
    audit.record(session, actor=user.username, role=user.role, action="user.sign_in", entity_type="user", entity_id=user.id)
    session.flush()
    return cookie, user


def sign_out(session: Session, cookie: str | None) -> None:
    if not cookie:
        return
    ws = session.get(WebSession, sha256_hex(cookie))
    if ws is not None:
        session.delete(ws)
        session.flush()
