"""Builders for the enterprise-history and follow-up tests: awarded enterprises (approved
through both stages and a notice, the city tranche paid) from tests/factories, tokens per
role, and the enterprise behind an application."""

from itertools import count

import pytest
from sqlmodel import select

from app.applications.models import Application
from app.enterprises.models import Enterprise
from tests.factories import make_program

_programs = count(1)


@pytest.fixture
def program(session) -> str:
    code = f"EN-{next(_programs):03d}"
    make_program(session, code)
    return code


@pytest.fixture
def heads(token_for) -> dict:
    return {
        "ts": token_for("district_system", "650102", name="ts-system"),
        "sb": token_for("district_system", "650103", name="sb-system"),
        "d_ind": token_for("district_industry", "650102", name="ts-ind"),
        "d_sta": token_for("district_stats", "650102", name="ts-sta"),
        "sb_ind": token_for("district_industry", "650103", name="sb-ind"),
        "c_ind": token_for("city_industry", name="city-ind"),
        "c_sta": token_for("city_stats", name="city-sta"),
        "finance": token_for("finance", name="city-finance"),
        "evaluator": token_for("evaluator", name="evaluator"),
        "auditor": token_for("auditor", name="auditor"),
        "admin": token_for("admin", name="admin"),
    }


def enterprise_of(session, application_id: int) -> Enterprise:
    return session.exec(
        select(Enterprise).join(Application, Application.enterprise_id == Enterprise.id).where(Application.id == application_id)
    ).one()
