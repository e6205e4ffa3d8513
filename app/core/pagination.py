"""Keyset pagination: the cursor is the last row's sort key, opaque to clients."""

import base64
import json
from typing import Annotated

from fastapi import Query

from app.core.errors import Invalid

Limit = Annotated[int, Query(ge=1, le=500, description="每页条数，默认 50，最多 500")]

INT32_MAX = 2_147_483_647  # ids are 32-bit on PostgreSQL


def decode_id_cursor(cursor: str | None) -> int | None:
    """The id of a keyset cursor over ids: a positive 32-bit integer, or 422."""
    values = decode_cursor(cursor)
    if values is None:
        return None
    value = values[0] if values else None
    if type(value) is not int or not 0 < value <= INT32_MAX:
        raise Invalid("分页游标 cursor 无效，请使用上一页返回的 next_cursor。",
                      errors=[{"loc": ["query", "cursor"], "msg": "游标无效", "code": "cursor_invalid"}])
    return value


def encode_cursor(values: list) -> str:
    return base64.urlsafe_b64encode(json.dumps(values, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> list | None:
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
        if not isinstance(values, list):
            raise ValueError
        return values
    except Exception:
        raise Invalid("分页游标 cursor 无效，请使用上一页返回的 next_cursor。",
                      errors=[{"loc": ["query", "cursor"], "msg": "游标无效", "code": "cursor_invalid"}]) from None
