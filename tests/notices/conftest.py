"""Builders for the notice tests: applications brought to city_approved the way districts
and the city really do it — submitted through the API, documents attached, and approved
by both departments of both stages with If-Match."""

from datetime import date
from itertools import count

import pytest

from app.notices.models import WorkdayOverride
from app.notices.service import beijing_today
from app.notices.workdays import calendar_knows
from app.users.auth import Principal
from app.users.models import Role
from tests.factories import application_body, complete_documents, make_program, new_uscc

_programs = count(1)

KEEPER = Principal(name="city-keeper", role=Role.city_industry, district_code=None, via="token")


@pytest.fixture
def heads(token_for) -> dict:
    return {
        "ts": token_for("district_system", "650102", name="ts-system"),
        "sb": token_for("district_system", "650103", name="sb-system"),
        "d_ind": token_for("district_industry", "650102", name="ts-ind"),
        "d_sta": token_for("district_stats", "650102", name="ts-sta"),
        "sb_ind": token_for("district_industry", "650103", name="sb-ind"),
        "sb_sta": token_for("district_stats", "650103", name="sb-sta"),
        "c_ind": token_for("city_industry", name="city-ind"),
        "c_sta": token_for("city_stats", name="city-sta"),
        "finance": token_for("finance", name="finance"),
        "auditor": token_for("auditor", name="auditor"),
        "admin": token_for("admin", name="admin"),
    }


@pytest.fixture
def program(session) -> str:
    code = f"NT-{next(_programs):03d}"
    make_program(session, code)
    return code


def _review(client, headers, app_id, version):
    r = client.post(f"/api/v1/applications/{app_id}/reviews", json={"decision": "approve", "opinion": "同意"},
                    headers={**headers, "If-Match": f'"{version}"'})
    assert r.status_code == 201, r.text
    return r.json()


@pytest.fixture
def city_approved(client, session, heads, program):
    """city_approved(district="650102", name=None) → the application (JSON) at city_approved."""

    def make(district: str = "650102", name: str | None = None, code: str | None = None) -> dict:
        system, ind, sta = (("ts", "d_ind", "d_sta") if district == "650102" else ("sb", "sb_ind", "sb_sta"))
        extra = {"name": name} if name else {}
        body = application_body(new_uscc(district), district=district, **extra)
        r = client.post(f"/api/v1/programs/{code or program}/applications", json=body, headers=heads[system])
        assert r.status_code == 201, r.text
        app_id = r.json()["id"]
        complete_documents(session, app_id)
        for version, who in enumerate((ind, sta, "c_ind", "c_sta"), start=1):
            last = _review(client, heads[who], app_id, version)
        assert last["status"] == "city_approved"
        return last

    return make


@pytest.fixture
def known_calendar(session):
    """Make sure a notice starting today can be computed whatever today is: a year the
    installed chinesecalendar does not know gets one official entry (New Year's Day)."""
    today = beijing_today()
    for year in (today.year, today.year + 1):
        if not calendar_knows(year) and session.get(WorkdayOverride, date(year, 1, 1)) is None:
            session.add(WorkdayOverride(day=date(year, 1, 1), is_workday=False, name="元旦", entered_by="test"))
    session.flush()
    session.commit()
    return today
