from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Column, Numeric, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.db import utcnow


class IndicatorAssessment(SQLModel, table=True):
    """An evaluator's judgement on one row: tier, score and justification for a qualitative
    row, or the deviation note (偏差原因) for a quantitative one."""

    __tablename__ = "indicator_assessment"
    __table_args__ = (UniqueConstraint("program_id", "key"),)
    id: int | None = Field(default=None, primary_key=True)
    program_id: int = Field(foreign_key="program.id", index=True)
    key: str = Field(max_length=64)
    tier: str | None = Field(default=None, max_length=16)  # achieved | partial | not_achieved
    score: Decimal | None = Field(default=None, sa_column=Column(Numeric(8, 2), nullable=True))
    justification: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    deviation_note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    assessed_by: str = Field(max_length=100)
    updated_at: datetime = Field(default_factory=utcnow)


class EvaluationSnapshot(SQLModel, table=True):
    """A finalised evaluation: canonical JSON and its sha256, never changed afterwards."""

    __tablename__ = "evaluation_snapshot"
    id: int | None = Field(default=None, primary_key=True)
    program_id: int = Field(foreign_key="program.id", index=True)
    scope: str = Field(max_length=20)
    rule_version: str = Field(max_length=20)
    body: str = Field(sa_column=Column(Text, nullable=False))
    sha256: str = Field(max_length=64)
    finalized_by: str = Field(max_length=100)
    created_at: datetime = Field(default_factory=utcnow)


class EvaluationCache(SQLModel, table=True):
    """The last live evaluation of one programme and scope, kept with the data version it was
    computed at (the audit chain's last seq: every state change writes an audit event) and
    served while nothing has changed since. Never a record: snapshots are."""

    __tablename__ = "evaluation_cache"
    program_id: int = Field(foreign_key="program.id", primary_key=True)
    scope: str = Field(max_length=20, primary_key=True)
    rule_version: str = Field(max_length=20)
    data_version: int = Field(sa_type=BigInteger)
    body: str = Field(sa_column=Column(Text, nullable=False))
    computed_at: datetime = Field(default_factory=utcnow)
