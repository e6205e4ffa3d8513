"""Migrations: one head, upgrade → downgrade → upgrade, and no drift between models and
migrations (what `alembic check` verifies) — on every backend."""

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

import app.models  # noqa: F401
from app.core.db import make_engine, metadata
from app.core.migrate import alembic_config
from tests.conftest import fresh_database_url


def test_single_head():
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    assert len(heads) == 1, heads


def test_round_trip_and_no_drift(backend):
    url = fresh_database_url(backend, "scaleup_migrations")
    cfg = alembic_config(url)
    command.upgrade(cfg, "head")
    command.downgrade(cfg, "base")
    engine = make_engine(url)
    with engine.connect() as conn:
        assert set(inspect(conn).get_table_names()) <= {"alembic_version"}
    command.upgrade(cfg, "head")
    with engine.connect() as conn:
        tables = set(inspect(conn).get_table_names())
        assert {"application", "audit_event", "roster_entry", "payment", "evaluation_snapshot"} <= tables
        assert conn.execute(text("SELECT count(*) FROM district")).scalar_one() == 8
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, metadata)
        assert diff == [], diff
    engine.dispose()
