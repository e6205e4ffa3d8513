from datetime import date, datetime

from sqlalchemy import JSON, Column, Text
from sqlmodel import Field, SQLModel

from app.core.db import utcnow

SATISFACTION = {
    "very_satisfied": "非常满意",
    "satisfied": "满意",
    "neutral": "一般",
    "dissatisfied": "不满意",
    "very_dissatisfied": "非常不满意",
}


class SurveyInvitation(SQLModel, table=True):
    """满意度问卷 invitation: the link token is shown once; only its sha256 is stored."""

    __tablename__ = "survey_invitation"
    id: int | None = Field(default=None, primary_key=True)
    program_id: int = Field(foreign_key="program.id", index=True)
    enterprise_id: int = Field(foreign_key="enterprise.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow)
    used_at: datetime | None = None
    # Inviting again issues a new link to an enterprise that has not answered yet and
    # revokes the old one: at most one valid link per enterprise and programme.
    revoked_at: datetime | None = None
    created_by: str = Field(default="", max_length=100)


class SurveyResponse(SQLModel, table=True):
    __tablename__ = "survey_response"
    id: int | None = Field(default=None, primary_key=True)
    program_id: int = Field(foreign_key="program.id", index=True)
    enterprise_id: int = Field(foreign_key="enterprise.id", index=True)
    invitation_id: int | None = Field(default=None, foreign_key="survey_invitation.id", unique=True)
    overall: str = Field(max_length=20)
    answers: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    comment: str = Field(default="", sa_column=Column(Text, nullable=False))
    channel: str = Field(max_length=10)  # online | paper
    collected_on: date
    entered_by: str | None = Field(default=None, max_length=100)
    created_at: datetime = Field(default_factory=utcnow)
