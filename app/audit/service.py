"""The audit trail: one event per change, in the change's own transaction, sha256-chained."""

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlmodel import Session, col, select

from app.audit.models import AuditEvent
from app.core.db import iso, is_postgres, utcnow

GENESIS = "0" * 64
# Any constant: PostgreSQL advisory lock serialising appends to the chain.
_CHAIN_LOCK = 7_316_001


def _canonical(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def event_hash(prev_hash: str, event: AuditEvent) -> str:
    payload = {
        "occurred_at": iso(event.occurred_at),
        "actor": event.actor,
        "role": event.role,
        "action": event.action,
        "entity_type": event.entity_type,
        "entity_id": event.entity_id,
        "before": event.before,
        "after": event.after,
    }
    return hashlib.sha256((prev_hash + _canonical(payload)).encode()).hexdigest()


def _jsonable(value: Any) -> Any:
    return json.loads(_canonical(value)) if value is not None else None


def record(
    session: Session,
    *,
    actor: str,
    role: str,
    action: str,
    entity_type: str,
    entity_id: Any,
    before: dict | None = None,
    after: dict | None = None,
) -> AuditEvent:
    """Append an event to the chain. Appends are serialised (advisory lock on PostgreSQL,
    BEGIN IMMEDIATE on SQLite) so that each event's prev_hash is the previous event's hash."""
    if is_postgres(session):
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _CHAIN_LOCK})
    prev = session.exec(select(AuditEvent.hash).order_by(col(AuditEvent.id).desc()).limit(1)).first() or GENESIS
    event = AuditEvent(
        occurred_at=utcnow(),
        actor=actor,
        role=role,
        action=action,
        entity_type=entity_type,
        entity_id=str(entity_id),
        before=_jsonable(before),
        after=_jsonable(after),
        prev_hash=prev,
        hash="",
    )
    event.hash = event_hash(prev, event)
    session.add(event)
    session.flush()
    return event


@dataclass
class ChainReport:
    ok: bool
    checked: int
    problem: str | None = None
    event_id: int | None = None


def verify_chain(session: Session, batch: int = 5000) -> ChainReport:
    """Walk the chain in id order. An edited event fails its own hash; a deleted or
    reordered one breaks the link to its predecessor."""
    prev = GENESIS
    checked = 0
    last_id = 0
    while True:
        rows = session.exec(
            select(AuditEvent).where(AuditEvent.id > last_id).order_by(col(AuditEvent.id)).limit(batch)
        ).all()
        if not rows:
            return ChainReport(ok=True, checked=checked)
        for event in rows:
            if event.prev_hash != prev:
                return ChainReport(False, checked, "事件链断裂：前一事件的哈希不符（事件被删除或顺序被改动）", event.id)
            if event_hash(prev, event) != event.hash:
                return ChainReport(False, checked, "事件内容与其哈希不符（事件被篡改）", event.id)
            prev = event.hash
            checked += 1
            last_id = event.id
        session.expunge_all()


def list_events(
    session: Session,
    *,
    entity_type: str | None,
    entity_id: str | None,
    actor: str | None,
    after_id: int | None,
    limit: int,
) -> list[AuditEvent]:
    stmt = select(AuditEvent)
    if entity_type:
        stmt = stmt.where(AuditEvent.entity_type == entity_type)
    if entity_id:
        stmt = stmt.where(AuditEvent.entity_id == entity_id)
    if actor:
        stmt = stmt.where(AuditEvent.actor == actor)
    if after_id:
        stmt = stmt.where(AuditEvent.id > after_id)
    return list(session.exec(stmt.order_by(col(AuditEvent.id)).limit(limit)).all())


def history(session: Session, entity_type: str, entity_id: Any) -> list[AuditEvent]:
    return list(
        session.exec(
            select(AuditEvent)
            .where(AuditEvent.entity_type == entity_type, AuditEvent.entity_id == str(entity_id))
            .order_by(col(AuditEvent.id))
        ).all()
    )


def as_public(event: AuditEvent) -> dict:
    return {
        "id": event.id,
        "occurred_at": iso(event.occurred_at),
        "actor": event.actor,
        "role": event.role,
        "action": event.action,
        "entity_type": event.entity_type,
        "entity_id": event.entity_id,
        "before": event.before,
        "after": event.after,
        "hash": event.hash,
    }
