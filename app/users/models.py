from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from app.core.db import utcnow


class Role(StrEnum):
    district_system = "district_system"
    district_industry = "district_industry"
    district_stats = "district_stats"
    city_industry = "city_industry"
    city_stats = "city_stats"
    finance = "finance"
    evaluator = "evaluator"
    auditor = "auditor"
    admin = "admin"


ROLE_NAMES_ZH = {
    Role.district_system: "区县申报系统",
    Role.district_industry: "区县工信部门",
    Role.district_stats: "区县统计局",
    Role.city_industry: "市工信局",
    Role.city_stats: "市统计局",
    Role.finance: "财政局",
    Role.evaluator: "绩效评价组",
    Role.auditor: "审计监督",
    Role.admin: "系统管理员",
}

# Roles bound to one district; finance may be either (district-level funds).
DISTRICT_ROLES = {Role.district_system, Role.district_industry, Role.district_stats}


class User(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True)
    display_name: str = Field(default="", max_length=100)
    role: str = Field(max_length=32)
    district_code: str | None = Field(default=None, foreign_key="district.code", max_length=6)
    password_hash: str = Field(max_length=255)
    is_active: bool = True
    created_at: datetime = Field(default_factory=utcnow)


class ApiToken(SQLModel, table=True):
    """A district system's (or any role's) Bearer token. Only its sha256 is stored."""

    __tablename__ = "api_token"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)
    role: str = Field(max_length=32)
    district_code: str | None = Field(default=None, foreign_key="district.code", max_length=6)
    token_hash: str = Field(max_length=64, unique=True)
    prefix: str = Field(max_length=12)
    created_at: datetime = Field(default_factory=utcnow)
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None


class WebSession(SQLModel, table=True):
    """A signed-in official's browser session. The cookie carries the secret; we keep its hash."""

    __tablename__ = "web_session"
    id_hash: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="user.id", index=True)
    csrf_token: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    last_seen_at: datetime = Field(default_factory=utcnow)


class RateLimitBucket(SQLModel, table=True):
    """Fixed-window counters kept in the database, so every worker shares them."""

    __tablename__ = "rate_limit_bucket"
    key: str = Field(primary_key=True, max_length=200)
    window_start: datetime = Field(primary_key=True)
    count: int = 0
