from itertools import count

import pytest

from tests.factories import award_applications, make_program

_programs = count(1)


@pytest.fixture
def program(session) -> str:
    code = f"SV-{next(_programs):03d}"
    make_program(session, code)
    return code


@pytest.fixture
def awarded(session, program):
    """awarded("650102", "650103", ...) → ids of applications with a paid city tranche."""

    def make(*districts: str, **enterprise) -> list[int]:
        return award_applications(session, program, list(districts or ("650102",)), **enterprise)

    return make


@pytest.fixture
def heads(token_for) -> dict:
    return {
        "c_ind": token_for("city_industry", name="city-ind"),
        "c_stats": token_for("city_stats", name="city-stats"),
        "d_ind": token_for("district_industry", "650102", name="ts-ind"),
        "finance": token_for("finance", name="city-finance"),
        "auditor": token_for("auditor", name="auditor"),
        "evaluator": token_for("evaluator", name="evaluator"),
        "ts": token_for("district_system", "650102", name="ts-system"),
    }
