"""Builders for the tracking tests: a programme of the 2023 cohort, awarded enterprises (the
city tranche paid) and the statistics roster of later years."""

from itertools import count

import pytest
from sqlmodel import select

from app.applications.models import Application
from app.enterprises.models import Enterprise
from app.funds.models import Payment
from tests.factories import add_roster, award_applications, make_program

_programs = count(1)


@pytest.fixture
def program(session) -> str:
    code = f"TR-{next(_programs):03d}"
    make_program(session, code, cohort_year=2023)
    return code


def usccs(session, application_ids: list[int]) -> list[str]:
    """The uscc of each application's enterprise, in the order of the ids."""
    return [session.get(Enterprise, session.get(Application, i).enterprise_id).uscc for i in application_ids]


@pytest.fixture
def awarded(session, program):
    """awarded("650102", "650103", ...) → the usccs of enterprises awarded in those districts."""

    def make(*districts: str, **enterprise) -> list[str]:
        return usccs(session, award_applications(session, program, list(districts), **enterprise))

    return make


@pytest.fixture
def roster(session):
    """roster(year, {uscc: district, ...}, revenue_fen=...) → rows of that year's roster."""

    def make(year: int, members: dict[str, str], revenue_fen: int = 35_200_000_00) -> None:
        for uscc, district in members.items():
            add_roster(session, uscc, year=year, district=district, revenue_fen=revenue_fen)
        session.commit()

    return make


def payment_of(session, uscc: str) -> Payment:
    return session.exec(select(Payment).join(Application, Application.id == Payment.application_id)
                        .join(Enterprise, Enterprise.id == Application.enterprise_id)
                        .where(Enterprise.uscc == uscc)).one()
