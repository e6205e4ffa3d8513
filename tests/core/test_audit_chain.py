"""The audit chain, checked by the real command `scaleup audit verify` on a committed database."""

import os
import subprocess
import sys

import pytest
from sqlalchemy import text
from sqlmodel import Session

from app.audit import service as audit
from app.core.db import make_engine
from app.core.migrate import upgrade
from tests.conftest import fresh_database_url


def _verify(url: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "SCALEUP_DATABASE_URL": url}
    return subprocess.run([sys.executable, "-m", "app.cli", "audit", "verify"], env=env, capture_output=True, text=True, timeout=120)


def _chain(backend: str):
    url = fresh_database_url(backend, "scaleup_audit")
    upgrade(url)
    engine = make_engine(url)
    with Session(engine) as s:
        for i in range(5):
            audit.record(s, actor="tester", role="admin", action="test.change", entity_type="thing", entity_id=i, after={"n": i, "名称": "测试"})
        s.commit()
    return url, engine


def test_intact_chain_passes(backend):
    url, engine = _chain(backend)
    r = _verify(url)
    assert r.returncode == 0, r.stderr
    assert "已校验 5 条" in r.stdout
    engine.dispose()


def test_edited_event_is_caught(backend):
    url, engine = _chain(backend)
    with engine.begin() as conn:
        conn.execute(text("UPDATE audit_event SET actor = 'mallory' WHERE id = 3"))
    r = _verify(url)
    assert r.returncode != 0 and "#3" in r.stderr and "篡改" in r.stderr
    engine.dispose()


def test_deleted_event_is_caught(backend):
    url, engine = _chain(backend)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_event WHERE id = 2"))
    r = _verify(url)
    assert r.returncode != 0 and "#3" in r.stderr
    engine.dispose()


def test_reordered_events_are_caught(backend):
    url, engine = _chain(backend)
    cols = ["occurred_at", "actor", "role", "action", "entity_type", "entity_id", "prev_hash", "hash"]
    with engine.begin() as conn:
        # Swap events 2 and 4 whole (each keeps its own valid hash): only the order changes.
        two, four = (conn.execute(text(f"SELECT {', '.join(cols)} FROM audit_event WHERE id = :i"), {"i": i}).one()
                     for i in (2, 4))
        sets = ", ".join(f"{c} = :{c}" for c in cols)
        conn.execute(text("UPDATE audit_event SET hash = 'tmp' WHERE id = 2"))
        conn.execute(text(f"UPDATE audit_event SET {sets} WHERE id = 4"), {**two._asdict()})
        conn.execute(text(f"UPDATE audit_event SET {sets} WHERE id = 2"), {**four._asdict()})
    r = _verify(url)
    assert r.returncode != 0 and "#2" in r.stderr and "顺序" in r.stderr
    engine.dispose()


def test_chain_follows_commit_order_not_insert_order(backend):
    """Two transactions write events; the later writer commits first. The chain is sealed at
    commit, so it links them in commit order and stays intact (PostgreSQL: SQLite has one
    writer at a time, so the orders cannot differ there)."""
    if backend != "postgresql":
        pytest.skip("only PostgreSQL runs two writers at once")
    url, engine = _chain(backend)
    first, second = Session(engine), Session(engine)
    early = audit.record(first, actor="a", role="admin", action="test.early", entity_type="thing", entity_id="e")
    late = audit.record(second, actor="b", role="admin", action="test.late", entity_type="thing", entity_id="l")
    assert early.id < late.id and early.hash is None  # not sealed before its commit
    second.commit()
    first.commit()
    assert (late.seq, early.seq) == (6, 7) and early.prev_hash == late.hash
    first.close()
    second.close()
    r = _verify(url)
    assert r.returncode == 0, r.stderr
    assert "已校验 7 条" in r.stdout
    engine.dispose()


def test_an_event_written_around_the_chain_is_reported(backend):
    url, engine = _chain(backend)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO audit_event (occurred_at, actor, role, action, entity_type, entity_id) "
                          "VALUES (CURRENT_TIMESTAMP, 'mallory', 'admin', 'x', 'thing', '9')"))
    r = _verify(url)
    assert r.returncode != 0 and "未纳入审计链" in r.stderr
    engine.dispose()
