"""Working days: the State Council arrangement from chinesecalendar, the officials' holiday
table for years the package does not know, and a clear refusal naming the missing year."""

from datetime import date

import pytest
from sqlmodel import select

from app.audit.models import AuditEvent
from app.core.errors import Conflict, Invalid
from app.notices import workdays
from app.notices.models import WorkdayOverride
from tests.notices.conftest import KEEPER


@pytest.mark.parametrize(("starts_on", "n", "ends_on"), [
    # The spec's example: 9-29, 9-30, (10-1..10-8 National Day and Mid-autumn), 10-9, 10-10, 10-11 (make-up Saturday)
    (date(2025, 9, 29), 5, date(2025, 10, 11)),
    (date(2025, 9, 29), 1, date(2025, 9, 29)),  # a working starts_on is day 1
    (date(2025, 9, 29), 2, date(2025, 9, 30)),
    (date(2025, 9, 29), 3, date(2025, 10, 9)),
    (date(2025, 9, 29), 6, date(2025, 10, 13)),  # 10-12 is an ordinary Sunday
    (date(2025, 11, 2), 1, date(2025, 11, 3)),  # an ordinary Sunday: the count starts on Monday
    (date(2025, 11, 2), 5, date(2025, 11, 7)),
    (date(2025, 9, 28), 1, date(2025, 9, 28)),  # a make-up Sunday (调休上班) counts
    (date(2025, 10, 1), 1, date(2025, 10, 9)),  # starting inside the holiday
    (date(2024, 9, 27), 5, date(2024, 10, 9)),  # 2024: 9-27, 9-29 (make-up Sunday), 9-30, (10-1..10-7), 10-8, 10-9
])
def test_add_working_days_across_holidays(session, starts_on, n, ends_on):
    assert workdays.add_working_days(session, starts_on, n) == ends_on


def test_is_workday_follows_the_calendar(session):
    assert workdays.is_workday(session, date(2025, 10, 11)) is True  # make-up Saturday
    assert workdays.is_workday(session, date(2025, 10, 1)) is False
    assert workdays.is_workday(session, date(2025, 10, 12)) is False  # Sunday
    assert workdays.is_workday(session, date(2025, 10, 13)) is True


def test_unknown_year_without_entries_is_a_clear_conflict(session):
    assert not workdays.calendar_knows(2027)
    with pytest.raises(workdays.HolidayCalendarMissing) as caught:
        workdays.is_workday(session, date(2027, 1, 4))
    assert isinstance(caught.value, Conflict) and caught.value.status == 409
    assert "2027 年的法定节假日安排尚未录入" in caught.value.detail
    assert caught.value.extra == {"missing_year": 2027}
    # A period running from late 2026 into 2027 stops at the first 2027 day.
    with pytest.raises(workdays.HolidayCalendarMissing, match="2027"):
        workdays.add_working_days(session, date(2026, 12, 28), 5)
    # ... but one that ends in 2026 never looks at 2027.
    assert workdays.add_working_days(session, date(2026, 12, 28), 4) == date(2026, 12, 31)


def test_entered_year_uses_entries_then_weekdays(session):
    row, created = workdays.set_override(session, KEEPER, date(2027, 1, 1), False, "元旦")
    assert created and row.entered_by == "city-keeper"
    assert workdays.is_workday(session, date(2027, 1, 1)) is False  # entered holiday (a Friday)
    assert workdays.is_workday(session, date(2027, 1, 4)) is True  # unlisted Monday
    assert workdays.is_workday(session, date(2027, 1, 9)) is False  # unlisted Saturday
    # 12-28, 12-29, 12-30, 12-31, (1-1 holiday, 1-2/1-3 weekend), 1-4
    assert workdays.add_working_days(session, date(2026, 12, 28), 5) == date(2027, 1, 4)
    # A make-up Saturday entered by officials counts.
    workdays.set_override(session, KEEPER, date(2027, 1, 2), True, "元旦调休上班")
    assert workdays.add_working_days(session, date(2026, 12, 28), 5) == date(2027, 1, 2)
    # 2028 is still unknown: the entries of 2027 do not vouch for it.
    with pytest.raises(workdays.HolidayCalendarMissing, match="2028"):
        workdays.is_workday(session, date(2028, 3, 1))


def test_override_corrects_a_known_year(session):
    workdays.set_override(session, KEEPER, date(2026, 6, 1), False, "临时调整")
    assert workdays.is_workday(session, date(2026, 6, 1)) is False
    assert workdays.add_working_days(session, date(2026, 6, 1), 1) == date(2026, 6, 2)


def test_override_crud_is_audited(session):
    workdays.set_override(session, KEEPER, date(2027, 10, 1), False, "国庆节")
    workdays.set_override(session, KEEPER, date(2027, 10, 1), False, "国庆节")  # unchanged: no event
    workdays.set_override(session, KEEPER, date(2027, 10, 1), False, "国庆节、中秋节")
    assert [r.day for r in workdays.list_overrides(session, 2027)] == [date(2027, 10, 1)]
    workdays.delete_override(session, KEEPER, date(2027, 10, 1))
    assert workdays.list_overrides(session, 2027) == []
    events = session.exec(select(AuditEvent).where(AuditEvent.entity_type == "workday_override",
                                                   AuditEvent.entity_id == "2027-10-01").order_by(AuditEvent.id)).all()
    assert [e.action for e in events] == ["workday_override.create", "workday_override.update", "workday_override.delete"]
    assert events[1].before["name"] == "国庆节" and events[1].after["name"] == "国庆节、中秋节"
    assert events[2].after is None


def test_bounds(session):
    with pytest.raises(Invalid):
        workdays.add_working_days(session, date(2025, 9, 29), 0)
    with pytest.raises(Invalid):
        workdays.add_working_days(session, date(1999, 12, 30), 1)
    with pytest.raises(Invalid):
        workdays.set_override(session, KEEPER, date(2200, 1, 1), False, "")
    # Everything entered as a holiday by mistake: a clear refusal, not an endless walk.
    for day in range(1, 32):
        session.add(WorkdayOverride(day=date(2027, 1, day), is_workday=False, name="", entered_by="test"))
    session.flush()
    assert workdays.add_working_days(session, date(2027, 1, 1), 1) == date(2027, 2, 1)


def test_holiday_table_routes(client, session, heads):
    r = client.get("/api/v1/workdays/2027-01-01", headers=heads["d_ind"])
    assert r.status_code == 200 and r.json() == {"date": "2027-01-01", "is_workday": None, "source": "missing",
                                                 "name": "", "entered_by": None}
    r = client.get("/api/v1/workdays/2025-10-11", headers=heads["d_ind"])
    assert r.json()["is_workday"] is True and r.json()["source"] == "calendar" and r.json()["name"] == "国庆节调休上班"

    # district officials read; the city industry bureau and admin write
    denied = client.put("/api/v1/workdays/2027-01-01", json={"is_workday": False, "name": "元旦"}, headers=heads["d_ind"])
    assert denied.status_code == 403
    r = client.put("/api/v1/workdays/2027-01-01", json={"is_workday": False, "name": "元旦"}, headers=heads["c_ind"])
    assert r.status_code == 201, r.text
    assert r.json() == {"date": "2027-01-01", "is_workday": False, "source": "override", "name": "元旦",
                        "entered_by": "city-ind"}
    r = client.put("/api/v1/workdays/2027-01-01", json={"is_workday": False, "name": "元旦节"}, headers=heads["admin"])
    assert r.status_code == 200 and r.json()["entered_by"] == "admin"
    assert client.get("/api/v1/workdays/2027-01-04", headers=heads["c_ind"]).json()["source"] == "weekday"

    listing = client.get("/api/v1/workdays", params={"year": 2027}, headers=heads["finance"]).json()
    assert listing["year"] == 2027 and listing["calendar_known"] is False and listing["entered"] is True
    assert [(i["date"], i["name"]) for i in listing["items"]] == [("2027-01-01", "元旦节")]
    assert client.get("/api/v1/workdays", params={"year": 2025}, headers=heads["finance"]).json()["calendar_known"] is True

    assert client.delete("/api/v1/workdays/2027-01-01", headers=heads["c_ind"]).status_code == 204
    gone = client.delete("/api/v1/workdays/2027-01-01", headers=heads["c_ind"])
    assert gone.status_code == 404 and gone.headers["content-type"].startswith("application/problem+json")
    assert "没有" in gone.json()["detail"]

    bad = client.put("/api/v1/workdays/2027-02-30", json={"is_workday": False}, headers=heads["c_ind"])
    assert bad.status_code == 422
    bad = client.put("/api/v1/workdays/2027-01-05", json={"is_workday": "maybe"}, headers=heads["c_ind"])
    assert bad.status_code == 422 and bad.json()["errors"][0]["loc"] == ["body", "is_workday"]
    far = client.get("/api/v1/workdays/9999-01-01", headers=heads["c_ind"])
    assert far.status_code == 422
    assert client.get("/api/v1/workdays/2027-01-01").status_code == 401
