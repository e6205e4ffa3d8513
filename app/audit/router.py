from typing import Annotated

from fastapi import APIRouter, Depends, Query

from app.audit import service
from app.core.db import SessionDep
from app.core.pagination import Limit, decode_id_cursor, encode_cursor
from app.users.auth import Principal, require_roles
from app.users.models import Role

router = APIRouter(prefix="/api/v1", tags=["audit"])


@router.get("/audit-events", summary="审计事件（哈希链）")
def list_audit_events(
    session: SessionDep,
    _: Annotated[Principal, Depends(require_roles(Role.auditor, Role.admin))],
    entity_type: Annotated[str | None, Query(max_length=32)] = None,
    entity_id: Annotated[str | None, Query(max_length=64)] = None,
    actor: Annotated[str | None, Query(max_length=100)] = None,
    limit: Limit = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> dict:
    after_id = decode_id_cursor(cursor)
    events = service.list_events(session, entity_type=entity_type, entity_id=entity_id, actor=actor, after_id=after_id, limit=limit + 1)
    page, more = events[:limit], len(events) > limit
    return {"items": [service.as_public(e) for e in page], "next_cursor": encode_cursor([page[-1].id]) if more else None}
