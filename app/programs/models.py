from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, BigInteger, Column, Numeric, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.db import utcnow


class Program(SQLModel, table=True):
    """奖补项目: one award programme for one cohort of first-time 规上 enterprises."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)
    title: str = Field(max_length=200)
    cohort_year: int
    budget_year: int
    revenue_threshold_fen: int = Field(sa_type=BigInteger)
    city_budget_fen: int = Field(sa_type=BigInteger)
    target_enterprise_count: int
    application_opens_on: date | None = None
    application_closes_on: date | None = None
    notice_working_days: int = 5
    payment_deadline: date | None = None
    template: str = Field(default="xsg-default", max_length=32)
    # Grade bands copied from the template: [["优", 90], ["良", 80], ["中", 70], ["差", 0]].
    grade_bands: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    status: str = Field(default="open", max_length=16)
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow)


class ProgramDistrict(SQLModel, table=True):
    """The districts a programme covers (eligibility rule district_in_city)."""

    __tablename__ = "program_district"
    program_id: int = Field(foreign_key="program.id", primary_key=True)
    district_code: str = Field(foreign_key="district.code", primary_key=True, max_length=6)


class AwardTranche(SQLModel, table=True):
    """One award level of a programme (city / district). A later tranche may require the
    enterprise to still be on a given roster year."""

    __tablename__ = "award_tranche"
    __table_args__ = (UniqueConstraint("program_id", "level"),)
    id: int | None = Field(default=None, primary_key=True)
    program_id: int = Field(foreign_key="program.id", index=True)
    level: str = Field(max_length=16)  # city | district
    amount_fen: int = Field(sa_type=BigInteger)
    required_roster_year: int | None = None


class PolicyDocument(SQLModel, table=True):
    """A policy document the programme rests on (文号 + title + date)."""

    __tablename__ = "policy_document"
    id: int | None = Field(default=None, primary_key=True)
    program_id: int = Field(foreign_key="program.id", index=True)
    document_no: str = Field(max_length=100)
    title: str = Field(max_length=300)
    issued_on: date | None = None


class Indicator(SQLModel, table=True):
    """A row of the programme's own indicator table (绩效目标), copied from a template."""

    __table_args__ = (UniqueConstraint("program_id", "key"),)
    id: int | None = Field(default=None, primary_key=True)
    program_id: int = Field(foreign_key="program.id", index=True)
    position: int
    key: str = Field(max_length=64)
    level1: str = Field(max_length=20)
    level2: str = Field(max_length=40)
    name: str = Field(max_length=100)
    weight: int
    kind: str = Field(max_length=16)  # quantitative | qualitative
    target_op: str | None = Field(default=None, max_length=2)  # >= | = | <=
    target_value: Decimal | None = Field(default=None, sa_column=Column(Numeric(18, 4), nullable=True))
    unit: str | None = Field(default=None, max_length=20)
    checkpoints: str = Field(default="", sa_column=Column(Text, nullable=False))
    explanation: str = Field(default="", sa_column=Column(Text, nullable=False))
