"""The audit trail: one event per change, in the change's own transaction, sha256-chained."""

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event as sa_event, func, inspect, text
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, col, select

from app.audit.models import AuditEvent
from app.core.db import iso, is_postgres, utcnow

GENESIS = "0" * 64
# Any constant: PostgreSQL advisory lock serialising appends to the chain.
_CHAIN_LOCK = 7_316_001


def _canonical(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def event_hash(prev_hash: str, event: AuditEvent) -> str:
    return hashlib.sha256((prev_hash + _payload(event)).encode()).hexdigest()


def _payload(event: AuditEvent) -> str:
    """What an event's hash covers besides the previous hash: canonical JSON of its content."""
    return _canonical({
        "occurred_at": iso(event.occurred_at),
        "actor": event.actor,
        "role": event.role,
        "action": event.action,
        "entity_type": event.entity_type,
        "entity_id": event.entity_id,
        "before": event.before,
        "after": event.after,
    })


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
    """Write an event in the change's transaction. It is readable at once (the request's own
    answer shows it in the history) and sealed into the chain when the transaction commits."""
    event = AuditEvent(
        occurred_at=utcnow(),
        actor=actor,
        role=role,
        action=action,
        entity_type=entity_type,
        entity_id=str(entity_id),
        before=_jsonable(before),
        after=_jsonable(after),
    )
    session.add(event)
    session.flush()
    session.info.setdefault(_PENDING, []).append(event)
    return event


_PENDING = "audit_pending"


def data_version(session: Session) -> int | None:
    """The seq of the last committed event: every state change writes an event, so the data
    is unchanged while this is. None while this session has written events of its own (its
    changes are not in any committed version yet)."""
    if session.info.get(_PENDING):
        return None
    return session.execute(select(func.max(AuditEvent.seq))).scalar() or 0


@sa_event.listens_for(OrmSession, "before_commit")
def _seal(session: OrmSession) -> None:
    """Link the transaction's events to the chain, in the order they were written, right
    before the commit: the chain lock (an advisory lock on PostgreSQL; SQLite's writer is
    already alone) is held from the link to the COMMIT, not for the request. On PostgreSQL
    the link is one call of audit_seal() (migration 0007) — same hash, computed by the
    server — so no Python runs while other writers wait for the lock."""
    pending = [e for e in session.info.pop(_PENDING, []) if inspect(e).persistent and e in session]
    if not pending:
        return
    pending.sort(key=lambda e: e.id)
    if is_postgres(session):
        # One call: the lock is held from here to the COMMIT and nothing else (migration 0007).
        session.flush()
        session.execute(text("SELECT audit_seal(CAST(:ids AS integer[]), CAST(:payloads AS text[]), CAST(:k AS bigint))"),
                        {"ids": [e.id for e in pending], "payloads": [_payload(e) for e in pending], "k": _CHAIN_LOCK})
        for pending_event in pending:
            session.expire(pending_event, ["seq", "prev_hash", "hash"])
        return
    last = session.execute(
        select(AuditEvent.seq, AuditEvent.hash).where(col(AuditEvent.seq).is_not(None))
        .order_by(col(AuditEvent.seq).desc()).limit(1)
    ).first()
    seq, prev = (last[0], last[1]) if last else (0, GENESIS)
    for pending_event in pending:
        seq += 1
        pending_event.seq, pending_event.prev_hash = seq, prev
        pending_event.hash = prev = event_hash(prev, pending_event)
    session.flush()


@sa_event.listens_for(OrmSession, "after_rollback")
def _forget(session: OrmSession) -> None:
    session.info.pop(_PENDING, None)


@dataclass
class ChainReport:
    ok: bool
    checked: int
    problem: str | None = None
    event_id: int | None = None


def verify_chain(session: Session, batch: int = 5000) -> ChainReport:
    """Walk the chain in seq (commit) order. An edited event fails its own hash; a deleted or
    reordered one breaks the link to its predecessor; an event never sealed is out of the
    chain and reported as such."""
    unsealed = session.exec(select(AuditEvent.id).where(col(AuditEvent.seq).is_(None)).limit(1)).first()
    if unsealed is not None:
        return ChainReport(False, 0, "事件未纳入审计链（缺少链序号，可能被直接写入数据库）", unsealed)
    prev = GENESIS
    checked = 0
    last_seq = 0
    while True:
        rows = session.exec(
            select(AuditEvent).where(AuditEvent.seq > last_seq).order_by(col(AuditEvent.seq)).limit(batch)
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
            last_seq = event.seq
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
