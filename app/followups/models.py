from datetime import date, datetime

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

from app.core.db import utcnow

FOLLOW_UP_KINDS = {
    "visit": "走访",
    "policy_consultation": "政策咨询",
    "technical_guidance": "技术指导",
    "market_matching": "市场对接",
    "financing": "融资服务",
    "other": "其他",
}


class FollowUp(SQLModel, table=True):
    """跟踪服务 record for an enterprise."""

    __tablename__ = "follow_up"
    id: int | None = Field(default=None, primary_key=True)
    enterprise_id: int = Field(foreign_key="enterprise.id", index=True)
    program_id: int | None = Field(default=None, foreign_key="program.id")
    occurred_on: date
    kind: str = Field(max_length=24)
    needs: str = Field(default="", sa_column=Column(Text, nullable=False))
    status: str = Field(default="open", max_length=10, index=True)  # open | resolved
    notes: str = Field(default="", sa_column=Column(Text, nullable=False))
    created_by: str = Field(max_length=100)
    created_at: datetime = Field(default_factory=utcnow)
    resolved_on: date | None = None
    resolved_by: str | None = Field(default=None, max_length=100)
    updated_at: datetime = Field(default_factory=utcnow)
