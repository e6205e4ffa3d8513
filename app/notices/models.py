from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.db import utcnow


class Notice(SQLModel, table=True):
    """公示: the approved list published for a period of Chinese working days."""

    id: int | None = Field(default=None, primary_key=True)
    program_id: int = Field(foreign_key="program.id", index=True)
    title: str = Field(max_length=200)
    starts_on: date
    ends_on: date
    working_days: int
    channels: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    status: str = Field(default="open", max_length=10)  # open | closed
    version: int = 1
    created_by: str = Field(max_length=100)
    created_at: datetime = Field(default_factory=utcnow)
    closed_at: datetime | None = None


class NoticeEntry(SQLModel, table=True):
    __tablename__ = "notice_entry"
    __table_args__ = (UniqueConstraint("notice_id", "application_id"),)
    id: int | None = Field(default=None, primary_key=True)
    notice_id: int = Field(foreign_key="notice.id", index=True)
    application_id: int = Field(foreign_key="application.id", index=True)
    award_fen: int = Field(sa_type=BigInteger)
    outcome: str | None = Field(default=None, max_length=10)  # approved | rejected, at close


class Objection(SQLModel, table=True):
    """异议 raised during the notice, online by the public or recorded by an official."""

    id: int | None = Field(default=None, primary_key=True)
    notice_id: int = Field(foreign_key="notice.id", index=True)
    application_id: int = Field(foreign_key="application.id", index=True)
    objector_name: str = Field(max_length=100)
    contact: str = Field(max_length=100)
    content: str = Field(sa_column=Column(Text, nullable=False))
    channel: str = Field(max_length=10)  # online | letter | phone
    recorded_by: str | None = Field(default=None, max_length=100)
    created_at: datetime = Field(default_factory=utcnow)
    upheld: bool | None = None
    resolution_note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    resolved_by: str | None = Field(default=None, max_length=100)
    resolved_at: datetime | None = None


class WorkdayOverride(SQLModel, table=True):
    """A day officials entered for a year chinesecalendar does not know (or to correct it):
    is_workday False for a holiday, True for a make-up working day (调休上班)."""

    __tablename__ = "workday_override"
    day: date = Field(primary_key=True)
    is_workday: bool
    name: str = Field(default="", max_length=50)
    entered_by: str = Field(max_length=100)
