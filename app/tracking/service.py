"""保规率: which of a programme's awarded enterprises are still 规上 in the later years of the
statistics bureau's roster, per cohort (the programme) and per district.

- Awarded is app/funds/awarded.py's one definition (a paid payment that has not come back).
  An awarded enterprise belongs to the district of its application in the programme: the
  live one, which for an awarded enterprise is the paid one — payments are made only to
  approved applications, and only withdrawal or rejection (never possible after approval)
  ends an application's life. The unique (program_id, live_enterprise_id) makes that one
  row per enterprise, so nothing is counted twice.
- Later years: the roster years after the cohort year that have any row at all.
- Retained in year Y: the enterprise's uscc has a roster row of year Y (in whichever district:
  an enterprise that moved is still 规上).
- A district that has imported no row of year Y is pending for Y: its awarded enterprises
  count neither as retained nor as dropped (its statistics bureau is late, the enterprises
  did not leave), and the year says so.

Every count is a GROUP BY in the database; only the dropouts (few by nature) are fetched as
rows, with their revenue by roster year. The evaluation's analysis block calls retention()."""

from collections import defaultdict

from sqlalchemy import and_, func, select
from sqlmodel import Session, col

from app.applications.models import Application
from app.core.errors import Forbidden, Invalid
from app.core.money import fen_to_yuan
from app.core.numbers import percent
from app.districts.service import district_names
from app.enterprises.models import Enterprise
from app.funds.awarded import awarded_enterprise_ids
from app.programs.models import Program
from app.roster.models import RosterEntry
from app.users.auth import Principal

NO_AWARDED = "该项目（范围内）尚无获奖补企业（已拨付且未退回），保规率无从计算。"


def scope_for(session: Session, principal: Principal, requested: str | None) -> str | None:
    """The district whose figures the caller gets: a district-bound official always its own
    (another district → 403), a city-level caller the one asked for, or the whole city."""
    if principal.district_code is not None:
        if requested is not None and requested != principal.district_code:
            raise Forbidden(f"只能查看本区县（{principal.district_code}）的保规情况。")
        return principal.district_code
    if requested is not None and requested not in district_names(session):
        raise Invalid(f"未知的区县代码：{requested}。",
                      errors=[{"loc": ["query", "district"], "msg": "未知的区县代码", "code": "unknown_district"}])
    return requested


def _awarded(program: Program, district_code: str | None):  # noqa: ANN202 - a CTE
    """Each awarded enterprise once: its uscc and name, and its application's district and
    declared revenue."""
    ids = awarded_enterprise_ids(program.id, district_code).subquery("awarded_id")
    return (
        select(
            Enterprise.id.label("enterprise_id"), Enterprise.uscc.label("uscc"), Enterprise.name.label("name"),
            Application.district_code.label("district_code"),
            Application.declared_revenue_fen.label("declared_revenue_fen"),
        )
        .select_from(ids)
        .join(Application, and_(Application.program_id == program.id,
                                Application.live_enterprise_id == ids.c.enterprise_id))
        .join(Enterprise, Enterprise.id == ids.c.enterprise_id)
        .cte("awarded")
    )


def _imported(program: Program):  # noqa: ANN202 - a CTE
    """(year, district) pairs of the later roster years that a district has imported."""
    return (
        select(RosterEntry.year.label("year"), RosterEntry.district_code.label("district_code"))
        .where(RosterEntry.year > program.cohort_year)
        .group_by(RosterEntry.year, RosterEntry.district_code)
        .cte("imported")
    )


def _pending_note(year: int, name: str, count: int) -> str:
    return f"{name}统计局尚未导入 {year} 年规上工业企业名录，该区县 {count} 家获奖补企业暂不计入 {year} 年保规率（不计为退出）。"


def retention(session: Session, program: Program, district_code: str | None = None) -> dict:
    """The programme's 保规 figures over the whole city, or one district's (district_code)."""
    names = district_names(session)
    awarded = _awarded(program, district_code)
    imported = _imported(program)

    awarded_by_district: dict[str, int] = dict(session.execute(
        select(awarded.c.district_code, func.count()).group_by(awarded.c.district_code)).all())
    imported_pairs = set(session.execute(select(imported.c.year, imported.c.district_code)).all())
    years = sorted({year for year, _district in imported_pairs})

    # The counted population of each year: awarded enterprises of the districts that imported it.
    counted = (
        select(imported.c.year, awarded.c.district_code, awarded.c.uscc, awarded.c.name,
               awarded.c.declared_revenue_fen, RosterEntry.id.label("roster_id"))
        .select_from(imported)
        .join(awarded, awarded.c.district_code == imported.c.district_code)
        .outerjoin(RosterEntry, and_(RosterEntry.uscc == awarded.c.uscc, RosterEntry.year == imported.c.year))
    ).subquery("counted")
    figures = {(year, district): (n, kept) for year, district, n, kept in session.execute(
        select(counted.c.year, counted.c.district_code, func.count(), func.count(counted.c.roster_id))
        .group_by(counted.c.year, counted.c.district_code)).all()}
    dropouts = _dropouts(session, counted, names)

    out_years = []
    for year in years:
        districts, pending = [], []
        for code in sorted(awarded_by_district):
            if (year, code) in imported_pairs:
                n, kept = figures.get((year, code), (0, 0))
                districts.append(_figures({"code": code, "name": names.get(code, code)}, n, kept))
            else:
                count = awarded_by_district[code]
                name = names.get(code, code)
                pending.append({"code": code, "name": name, "awarded": count, "note": _pending_note(year, name, count)})
        n = sum(d["awarded"] for d in districts)
        kept = sum(d["retained"] for d in districts)
        row = _figures({"year": year}, n, kept)
        if n == 0 and pending:
            row["rate_note"] = f"获奖补企业所在区县均尚未导入 {year} 年规上工业企业名录，{year} 年保规率暂无法计算。"
        out_years.append({**row, "pending_districts": pending, "districts": districts,
                          "dropouts": dropouts.get(year, [])})

    total = sum(awarded_by_district.values())
    first_later = program.cohort_year + 1
    if not years:
        note = (f"尚未导入 {first_later} 年及以后年度的规上工业企业名录，暂无法跟踪获奖补企业的保规情况；"
                "统计部门导入以后年度名录后即可计算。")
    else:
        note = ("保规率 = 当年规上工业企业名录中仍有的获奖补企业数 ÷ 获奖补企业数 × 100%（四舍五入保留两位小数）；"
                "尚未导入当年名录的区县，其获奖补企业不计入分子和分母，列为“待导入”。")
    if total == 0:
        note = f"{NO_AWARDED}{note}"
    return {
        "program": {"code": program.code, "title": program.title, "cohort_year": program.cohort_year},
        "district": {"code": district_code, "name": names.get(district_code, district_code)} if district_code else None,
        "awarded": total,
        "years": out_years,
        "note": note,
    }


def _figures(head: dict, awarded: int, retained: int) -> dict:
    return {**head, "awarded": awarded, "retained": retained, "dropped": awarded - retained,
            "rate": percent(retained, awarded), "rate_note": None if awarded else NO_AWARDED}


def _dropouts(session: Session, counted, names: dict[str, str]) -> dict[int, list[dict]]:  # noqa: ANN001
    """year → the counted awarded enterprises missing from that year's roster, each with its
    revenue by roster year and its declared revenue."""
    rows = session.execute(
        select(counted.c.year, counted.c.uscc, counted.c.name, counted.c.district_code, counted.c.declared_revenue_fen)
        .where(counted.c.roster_id.is_(None))
        .order_by(counted.c.year, counted.c.district_code, counted.c.name, counted.c.uscc)).all()
    if not rows:
        return {}
    usccs = sorted({r.uscc for r in rows})
    revenues: dict[str, list[dict]] = defaultdict(list)
    for uscc, year, fen in session.execute(
            select(RosterEntry.uscc, RosterEntry.year, RosterEntry.main_revenue_fen)
            .where(col(RosterEntry.uscc).in_(usccs)).order_by(RosterEntry.uscc, RosterEntry.year)).all():
        revenues[uscc].append({"year": year, "main_revenue": fen_to_yuan(fen)})
    out: dict[int, list[dict]] = defaultdict(list)
    for r in rows:
        out[r.year].append({
            "uscc": r.uscc, "name": r.name, "district_code": r.district_code,
            "district_name": names.get(r.district_code, r.district_code),
            "declared_revenue": fen_to_yuan(r.declared_revenue_fen), "revenues": revenues.get(r.uscc, []),
        })
    return out
