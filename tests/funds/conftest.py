"""Builders for the funds tests: applications brought to `approved` the way the districts and
the city do it — submitted, documents attached, approved by both departments of both stages,
listed in a notice that is then closed — through the services, with the notice's dates
injected so the tests do not depend on today."""

from datetime import date
from itertools import count

import pytest
from sqlmodel import Session

from app.applications.schemas import ApplicationSubmit
from app.applications.service import submit
from app.notices.service import close_notice, create_notice
from app.reviews.service import decide
from app.users.auth import Principal
from app.users.models import Role
from tests.factories import application_body, complete_documents, make_program, new_uscc

_programs = count(1)

KEEPER = Principal(name="city-keeper", role=Role.city_industry, district_code=None, via="token")


def _principal(role: Role, district: str | None = None) -> Principal:
    return Principal(name=f"{role.value}-{district or 'city'}", role=role, district_code=district, via="token")


def approve_applications(session: Session, program_code: str, districts: list[str], **enterprise) -> list[int]:
    """One application per entry of `districts` (a district code each), all `approved`.
    Commits what it builds (inside the test's savepoint, or for real on the live server)."""
    ids = []
    for district in districts:
        body = ApplicationSubmit.model_validate(application_body(new_uscc(district), district=district, **enterprise))
        application, _created = submit(session, _principal(Role.district_system, district), program_code, body)
        complete_documents(session, application.id)
        for reviewer in (_principal(Role.district_industry, district), _principal(Role.district_stats, district),
                         _principal(Role.city_industry), _principal(Role.city_stats)):
            decide(session, reviewer, application.id, decision="approve", opinion="同意",
                   if_match=f'"{application.version}"')
        ids.append(application.id)
    notice = create_notice(session, KEEPER, program_code, f"{program_code} 拟奖补企业公示", date(2024, 6, 3))
    close_notice(session, KEEPER, notice.id, today=date(2024, 7, 1))
    session.commit()
    return ids


@pytest.fixture
def program(session) -> str:
    code = f"FD-{next(_programs):03d}"
    make_program(session, code)
    return code


@pytest.fixture
def approved(session, program):
    """approved("650102", "650103", ...) → ids of approved applications in those districts."""

    def make(*districts: str, **enterprise) -> list[int]:
        return approve_applications(session, program, list(districts or ("650102",)), **enterprise)

    return make


@pytest.fixture
def heads(token_for) -> dict:
    return {
        "finance": token_for("finance", name="city-finance"),
        "fin_ts": token_for("finance", "650102", name="ts-finance"),
        "fin_sb": token_for("finance", "650103", name="sb-finance"),
        "ts": token_for("district_system", "650102", name="ts-system"),
        "sb": token_for("district_system", "650103", name="sb-system"),
        "d_ind": token_for("district_industry", "650102", name="ts-ind"),
        "c_ind": token_for("city_industry", name="city-ind"),
        "auditor": token_for("auditor", name="auditor"),
        "admin": token_for("admin", name="admin"),
    }


def pay_body(level: str = "city", amount: str = "100000.00", voucher: str = "乌财库〔2024〕0808-001",
             paid_on: str = "2024-08-08") -> dict:
    return {"level": level, "amount": amount, "voucher_no": voucher, "paid_on": paid_on}
