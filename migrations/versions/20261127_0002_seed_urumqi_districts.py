"""seed urumqi districts

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 12:42:42.078161

"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


URUMQI = [
    ("650102", "天山区"),
    ("650103", "沙依巴克区"),
    ("650104", "新市区"),
    ("650105", "水磨沟区"),
    ("650106", "头屯河区"),
    ("650107", "达坂城区"),
    ("650109", "米东区"),
    ("650121", "乌鲁木齐县"),
]
district = sa.table("district", sa.column("code", sa.String), sa.column("name", sa.String), sa.column("city_code", sa.String))


def upgrade() -> None:
    # Copied here, not imported, so the migration keeps its meaning if the app's list changes.
    op.bulk_insert(district, [{"code": c, "name": n, "city_code": "650100"} for c, n in URUMQI])


def downgrade() -> None:
    op.execute(district.delete().where(district.c.code.in_([c for c, _ in URUMQI])))
