"""Chinese working days: the statutory holiday calendar (chinesecalendar) plus the table
officials edit (WorkdayOverride) for years the package does not know yet, or to correct it.

How a day is decided, first match wins:
1. a WorkdayOverride row for that day (holiday, or 调休 make-up working day);
2. chinesecalendar, when the package knows the year (1.11 knows 2004–2026);
3. officials entered at least one row for that year: the year counts as "being entered",
   so an unlisted day follows the plain rule, Monday–Friday work, Saturday–Sunday rest;
4. otherwise the year is unknown: 409 HolidayCalendarMissing naming the year. 409 rather
   than 422 because the request itself is valid — the system lacks reference data, and the
   same request succeeds once officials enter that year's holidays.
"""

from datetime import date, timedelta

import chinese_calendar
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.audit import service as audit
from app.core.errors import Conflict, Invalid, NotFound
from app.notices.models import WorkdayOverride
from app.users.auth import Principal

ENTITY = "workday_override"
# Years the table accepts: chinesecalendar starts at 2004; nothing in a programme's life is
# planned a lifetime ahead, and a bound keeps date arithmetic away from date.max.
FIRST_YEAR, LAST_YEAR = 2004, 2100
# A notice runs for weeks, not years: this bounds the walk even if a whole year were
# entered as holidays by mistake.
MAX_WORKING_DAYS = 250
_MAX_WALK_DAYS = 800

HOLIDAY_NAMES_ZH = {
    chinese_calendar.Holiday.new_years_day: "元旦",
    chinese_calendar.Holiday.spring_festival: "春节",
    chinese_calendar.Holiday.tomb_sweeping_day: "清明节",
    chinese_calendar.Holiday.labour_day: "劳动节",
    chinese_calendar.Holiday.dragon_boat_festival: "端午节",
    chinese_calendar.Holiday.national_day: "国庆节",
    chinese_calendar.Holiday.mid_autumn_festival: "中秋节",
    chinese_calendar.Holiday.anti_fascist_70th_day: "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}
_HOLIDAY_BY_VALUE = {h.value: name for h, name in HOLIDAY_NAMES_ZH.items()}


class HolidayCalendarMissing(Conflict):
    code, title = "holiday_calendar_missing", "节假日安排尚未录入"

    def __init__(self, year: int):
        super().__init__(
            f"{year} 年的法定节假日安排尚未录入：请先在节假日表中录入 {year} 年的放假和调休日期"
            f"（PUT /api/v1/workdays/{{日期}}），再计算公示期。",
            missing_year=year,
        )


def calendar_knows(year: int) -> bool:
    """Does the installed chinesecalendar carry this year's State Council arrangement?"""
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


class WorkdayCalendar:
    """Answers is_workday for many days with one query per year (a notice period, the
    holiday page). Lives for one request: it caches the override table as read then."""

    def __init__(self, session: Session):
        self.session = session
        self._years: dict[int, dict[date, WorkdayOverride]] = {}

    def overrides(self, year: int) -> dict[date, WorkdayOverride]:
        if year not in self._years:
            rows = self.session.exec(
                select(WorkdayOverride).where(
                    WorkdayOverride.day >= date(year, 1, 1), WorkdayOverride.day <= date(year, 12, 31)
                )
            ).all()
            self._years[year] = {row.day: row for row in rows}
        return self._years[year]

    def explain(self, day: date) -> tuple[bool | None, str, str]:
        """(is_workday, source, name). source: override | calendar | weekday | missing;
        is_workday is None only when the source is missing."""
        overrides = self.overrides(day.year)
        row = overrides.get(day)
        if row is not None:
            return row.is_workday, "override", row.name
        try:
            workday = chinese_calendar.is_workday(day)
        except NotImplementedError:
            if overrides:
                return day.weekday() < 5, "weekday", ""
            return None, "missing", ""
        name = ""
        try:
            _, holiday = chinese_calendar.get_holiday_detail(day)
        except NotImplementedError:  # pragma: no cover - is_workday answered for this year
            holiday = None
        if holiday is not None:
            name = _HOLIDAY_BY_VALUE.get(str(holiday), str(holiday))
            if workday:
                name = f"{name}调休上班"
        return workday, "calendar", name

    def is_workday(self, day: date) -> bool:
        workday, source, _ = self.explain(day)
        if source == "missing":
            raise HolidayCalendarMissing(day.year)
        return bool(workday)

    def add_working_days(self, starts_on: date, n: int) -> date:
        """The n-th working day counting starts_on itself (a working starts_on is day 1)."""
        if not 1 <= n <= MAX_WORKING_DAYS:
            raise Invalid(f"工作日天数须在 1 至 {MAX_WORKING_DAYS} 之间，收到 {n}。")
        _check_year(starts_on)
        day, counted = starts_on, 0
        for _ in range(_MAX_WALK_DAYS):
            if self.is_workday(day):
                counted += 1
                if counted == n:
                    return day
            day += timedelta(days=1)
            _check_year(day)
        raise Invalid(f"自 {starts_on} 起 {_MAX_WALK_DAYS} 天内不足 {n} 个工作日，请检查节假日表是否录入有误。")


def _check_year(day: date) -> None:
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise Invalid(f"日期 {day} 超出可计算工作日的范围（{FIRST_YEAR}—{LAST_YEAR} 年）。")


def is_workday(session: Session, day: date) -> bool:
    return WorkdayCalendar(session).is_workday(day)


def add_working_days(session: Session, starts_on: date, n: int) -> date:
    return WorkdayCalendar(session).add_working_days(starts_on, n)


# ---------------------------------------------------------------- the holiday table


def list_overrides(session: Session, year: int) -> list[WorkdayOverride]:
    return list(
        session.exec(
            select(WorkdayOverride)
            .where(WorkdayOverride.day >= date(year, 1, 1), WorkdayOverride.day <= date(year, 12, 31))
            .order_by(col(WorkdayOverride.day))
        ).all()
    )


def years_with_overrides(session: Session) -> list[int]:
    days = session.exec(select(WorkdayOverride.day).order_by(col(WorkdayOverride.day))).all()
    return sorted({d.year for d in days})


def override_count(session: Session, year: int) -> int:
    return session.exec(
        select(func.count()).select_from(WorkdayOverride).where(
            WorkdayOverride.day >= date(year, 1, 1), WorkdayOverride.day <= date(year, 12, 31)
        )
    ).one()


def _summary(row: WorkdayOverride) -> dict:
    return {"day": row.day.isoformat(), "is_workday": row.is_workday, "name": row.name}


def set_override(
    session: Session, principal: Principal, day: date, is_workday: bool, name: str = ""
) -> tuple[WorkdayOverride, bool]:
    """Enter or change one day of the holiday table. Returns (row, created). Notices already
    published keep their end date: the period was announced to the public."""
    _check_year(day)
    row = session.exec(select(WorkdayOverride).where(WorkdayOverride.day == day).with_for_update()).first()
    before = _summary(row) if row else None
    created = row is None
    if row is None:
        row = WorkdayOverride(day=day, is_workday=is_workday, name=name, entered_by=principal.name)
        try:
            with session.begin_nested():
                session.add(row)
        except IntegrityError:  # entered concurrently by another official
            raise Conflict(f"{day} 刚被他人录入节假日表，请刷新后再修改。") from None
    else:
        if row.is_workday == is_workday and row.name == name:
            return row, False
        row.is_workday, row.name, row.entered_by = is_workday, name, principal.name
        session.add(row)
        session.flush()
    audit.record(
        session, actor=principal.name, role=principal.role.value,
        action="workday_override.create" if created else "workday_override.update",
        entity_type=ENTITY, entity_id=day.isoformat(), before=before, after=_summary(row),
    )
    return row, created


def delete_override(session: Session, principal: Principal, day: date) -> None:
    row = session.exec(select(WorkdayOverride).where(WorkdayOverride.day == day).with_for_update()).first()
    if row is None:
        raise NotFound(f"节假日表中没有 {day} 这一天的记录。")
    before = _summary(row)
    session.delete(row)
    session.flush()
    audit.record(
        session, actor=principal.name, role=principal.role.value, action="workday_override.delete",
        entity_type=ENTITY, entity_id=day.isoformat(), before=before, after=None,
    )
