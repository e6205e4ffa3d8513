from datetime import datetime

from sqlalchemy import Text, UniqueConstraint, Column
from sqlmodel import Field, SQLModel

from app.core.db import utcnow


class ReviewDecision(SQLModel, table=True):
    """审核意见: one department's decision at one stage of one submission. Immutable."""

    __tablename__ = "review_decision"
    __table_args__ = (UniqueConstraint("application_id", "submission_no", "stage", "department"),)
    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="application.id", index=True)
    submission_no: int
    stage: str = Field(max_length=10)  # district | city
    department: str = Field(max_length=10)  # industry | stats
    decision: str = Field(max_length=10)  # approve | reject | return
    opinion: str = Field(default="", sa_column=Column(Text, nullable=False))
    reviewer: str = Field(max_length=100)
    decided_at: datetime = Field(default_factory=utcnow)
