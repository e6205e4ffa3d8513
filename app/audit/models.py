from datetime import datetime

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from app.core.db import utcnow


class AuditEvent(SQLModel, table=True):
    """One change, written in the same transaction as the change. hash = sha256(prev_hash +
    canonical JSON of this event), so an edited, deleted or reordered event breaks the chain."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_entity", "entity_type", "entity_id"),)
    id: int | None = Field(default=None, primary_key=True)
    occurred_at: datetime = Field(default_factory=utcnow)
    actor: str = Field(max_length=100, index=True)
    role: str = Field(max_length=32)
    action: str = Field(max_length=64)
    entity_type: str = Field(max_length=32)
    entity_id: str = Field(max_length=64)
    before: dict | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    after: dict | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    # Sealed at commit (app/audit/service.py): seq is the event's place in the chain — the
    # commit order, not the insert order — and the hashes link it to the event before it.
    # All three are NULL only inside the transaction that wrote the event.
    seq: int | None = Field(default=None, unique=True)
    prev_hash: str | None = Field(default=None, max_length=64)
    hash: str | None = Field(default=None, max_length=64, unique=True)
