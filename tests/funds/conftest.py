"""Builders for the funds tests: applications brought to `approved` the way the districts and
the city do it — submitted, documents attached, approved by both departments of both stages,
listed in a notice that is then closed — through the services, with the notice's dates
injected so the tests do not depend on today."""

from itertools import count

import pytest

from tests.factories import approve_applications, make_program

_programs = count(1)

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
