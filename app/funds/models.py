from datetime import date, datetime

from sqlalchemy import BigInteger, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.db import utcnow


class Appropriation(SQLModel, table=True):
    """资金拨付: finance approves money for one level (city, or one district's tranche)."""

    id: int | None = Field(default=None, primary_key=True)
    program_id: int = Field(foreign_key="program.id", index=True)
    level: str = Field(max_length=16)
    district_code: str | None = Field(default=None, foreign_key="district.code", max_length=6)
    amount_fen: int = Field(sa_type=BigInteger)
    document_no: str = Field(max_length=100)
    approved_on: date
    arrived_amount_fen: int | None = Field(default=None, sa_type=BigInteger)
    arrived_on: date | None = None
    version: int = 1
    created_by: str = Field(max_length=100)
    created_at: datetime = Field(default_factory=utcnow)


class Payment(SQLModel, table=True):
    """国库支付 of one tranche to one enterprise."""

    __table_args__ = (
        # One live payment per application and level: live_level is the level while the
        # payment stands and NULL once the money came back.
        UniqueConstraint("application_id", "live_level"),
    )
    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="application.id", index=True)
    level: str = Field(max_length=16)
    live_level: str | None = Field(default=None, max_length=16)
    amount_fen: int = Field(sa_type=BigInteger)
    voucher_no: str = Field(max_length=64, index=True)
    paid_on: date
    payee_bank_name: str = Field(default="", max_length=100)
    payee_account: str = Field(default="", max_length=64)
    status: str = Field(default="paid", max_length=10)  # paid | returned
    returned_on: date | None = None
    return_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    recorded_by: str = Field(max_length=100)
    created_at: datetime = Field(default_factory=utcnow)
