"""Fixed-window rate limits kept in the database, shared by every worker process."""

from datetime import UTC, datetime, timedelta

from sqlmodel import Session

from app.core.db import upsert_insert, utcnow
from app.users.models import RateLimitBucket


def _window(now: datetime, seconds: int) -> datetime:
    epoch = int(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, UTC)


def hit(session: Session, key: str, *, window_seconds: int) -> int:
    """Count one hit for key in the current window and return the window's count."""
    now = utcnow()
    start = _window(now, window_seconds)
    stmt = upsert_insert(session, RateLimitBucket).values(key=key, window_start=start, count=1)
    stmt = stmt.on_conflict_do_update(
        index_elements=["key", "window_start"], set_={"count": RateLimitBucket.__table__.c.count + 1}
    ).returning(RateLimitBucket.__table__.c.count)
    count = session.execute(stmt).scalar_one()
    # Old windows are worthless; prune now and then (cheap, indexed by primary key prefix).
    if count == 1:
        session.execute(
            RateLimitBucket.__table__.delete().where(RateLimitBucket.__table__.c.window_start < now - timedelta(days=1))
        )
    return count


def current(session: Session, key: str, *, window_seconds: int) -> int:
    start = _window(utcnow(), window_seconds)
    row = session.get(RateLimitBucket, (key, start))
    return row.count if row else 0
