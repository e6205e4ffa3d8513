"""PostgreSQL: audit_seal(), the audit chain's append in one call

The chain is appended under an advisory lock held until the commit. Done from Python the
lock was held across three round trips (lock, last hash, UPDATE) and the Python between
them; under load every other writer queued behind it (bench/: intake capped near 50/s with
twenty backends waiting on the lock). The function takes the lock, reads the last link and
links the transaction's events in one call; the hash is the same sha256(prev_hash +
canonical JSON) that app/audit/service.py computes and `scaleup audit verify` checks.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 21:30:00

"""
from collections.abc import Sequence

from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEAL = """
CREATE OR REPLACE FUNCTION audit_seal(ids integer[], payloads text[], lock_key bigint) RETURNS integer
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    last_seq integer;
    last_hash varchar;
    i integer;
BEGIN
    PERFORM pg_advisory_xact_lock(lock_key);
    -- A statement after the lock: its snapshot holds the previous holder's committed link.
    SELECT seq, hash INTO last_seq, last_hash FROM audit_event WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1;
    IF last_seq IS NULL THEN
        last_seq := 0;
        last_hash := repeat('0', 64);
    END IF;
    FOR i IN 1 .. coalesce(array_length(ids, 1), 0) LOOP
        last_seq := last_seq + 1;
        UPDATE audit_event
           SET seq = last_seq, prev_hash = last_hash,
               hash = encode(sha256(convert_to(last_hash || payloads[i], 'UTF8')), 'hex')
         WHERE id = ids[i] AND seq IS NULL
        RETURNING hash INTO last_hash;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'audit event % is missing or already sealed', ids[i];
        END IF;
    END LOOP;
    RETURN last_seq;
END
$$;
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(SEAL)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS audit_seal(integer[], text[], bigint)")
