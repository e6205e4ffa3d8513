from datetime import datetime

from sqlalchemy import BigInteger, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.db import utcnow


class Application(SQLModel, table=True):
    """申报: one enterprise's application to one programme, submitted by a district."""

    __table_args__ = (
        # The natural idempotency key of a district system's submissions.
        UniqueConstraint("district_code", "external_ref"),
        # no_duplicate: live_enterprise_id is the enterprise while the application is live and
        # NULL once withdrawn or rejected, so one live application per enterprise and programme.
        UniqueConstraint("program_id", "live_enterprise_id"),
        Index("ix_application_program_status_id", "program_id", "status", "id"),
        Index("ix_application_program_id", "program_id", "id"),  # a programme's list, newest first
        Index("ix_application_program_district_status", "program_id", "district_code", "status"),  # the dashboard's counts
        Index("ix_application_district_id", "district_code", "id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    program_id: int = Field(foreign_key="program.id")
    enterprise_id: int = Field(foreign_key="enterprise.id", index=True)
    live_enterprise_id: int | None = Field(default=None)
    district_code: str = Field(foreign_key="district.code", max_length=6)
    external_ref: str = Field(max_length=64)
    submitted_by: str = Field(max_length=100)  # the client (token name or username)
    declared_revenue_fen: int = Field(sa_type=BigInteger)
    first_above_scale_period: str = Field(max_length=7)  # YYYY-MM
    status: str = Field(default="submitted", max_length=20)
    version: int = 1
    submission_no: int = 1  # bumped by resubmission; review decisions belong to one submission
    body_sha256: str = Field(max_length=64)  # canonical hash of the last submitted body
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class EligibilityCheck(SQLModel, table=True):
    """The latest outcome of one eligibility rule for one application."""

    __tablename__ = "eligibility_check"
    application_id: int = Field(foreign_key="application.id", primary_key=True)
    rule: str = Field(primary_key=True, max_length=32)
    position: int
    outcome: str = Field(max_length=4)  # pass | fail | warn
    message: str = Field(max_length=300)
    checked_at: datetime = Field(default_factory=utcnow)


class IdempotencyRecord(SQLModel, table=True):
    """The first response to a POST carrying an Idempotency-Key, replayed for retries."""

    __tablename__ = "idempotency_record"
    __table_args__ = (UniqueConstraint("principal", "key"),)
    id: int | None = Field(default=None, primary_key=True)
    principal: str = Field(max_length=120)
    key: str = Field(max_length=200)
    scope: str = Field(max_length=200)  # method and path
    request_sha256: str = Field(max_length=64)
    status_code: int
    response_body: str
    created_at: datetime = Field(default_factory=utcnow, index=True)
