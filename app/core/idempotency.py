"""Idempotency-Key: the first response to a POST is stored with a hash of its request and
replayed for a retry with the same key; the same key with another body is refused (422).
Records live in the database, so every worker process sees them."""

import json
from collections.abc import Callable

from sqlmodel import Session, select

from app.applications.models import IdempotencyRecord
from app.core.db import upsert_insert, utcnow
from app.core.errors import Conflict, Invalid


def _find(session: Session, principal_key: str, key: str) -> IdempotencyRecord | None:
    return session.exec(
        select(IdempotencyRecord).where(IdempotencyRecord.principal == principal_key, IdempotencyRecord.key == key)
    ).first()


def _replay(record: IdempotencyRecord, scope: str, request_sha256: str) -> tuple[int, dict]:
    if record.scope != scope or record.request_sha256 != request_sha256:
        raise Invalid(
            "该 Idempotency-Key 已用于另一个内容不同的请求；重试请发送完全相同的请求体，新的请求请使用新的 Idempotency-Key。",
            errors=[{"loc": ["header", "Idempotency-Key"], "msg": "幂等键已用于不同的请求", "code": "idempotency_key_reused"}],
        )
    return record.status_code, json.loads(record.response_body)


def run_idempotent(
    session: Session,
    *,
    principal_key: str,
    key: str | None,
    scope: str,
    request_sha256: str,
    handler: Callable[[], tuple[int, dict]],
) -> tuple[int, dict]:
    if not key:
        return handler()
    if len(key) > 200:
        raise Invalid("Idempotency-Key 不得超过 200 个字符。")
    existing = _find(session, principal_key, key)
    if existing is not None:
        return _replay(existing, scope, request_sha256)
    status, body = handler()
    stored = session.execute(
        upsert_insert(session, IdempotencyRecord).values(
            principal=principal_key, key=key, scope=scope, request_sha256=request_sha256,
            status_code=status, response_body=json.dumps(body, ensure_ascii=False), created_at=utcnow(),
        ).on_conflict_do_nothing(index_elements=["principal", "key"]).returning(IdempotencyRecord.id)
    ).first()
    if stored is None:
        # A concurrent retry stored its response first: answer as it did.
        winner = _find(session, principal_key, key)
        if winner is None:  # pragma: no cover - the conflicting row is committed, so it is visible
            raise Conflict("幂等键正被另一个请求使用，请稍后重试。")
        return _replay(winner, scope, request_sha256)
    return status, body
