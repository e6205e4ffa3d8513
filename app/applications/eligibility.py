"""The eight eligibility rules of spec/domain.md. Each gives pass / fail / warn with a Chinese
message; results are stored per application and recomputed when the roster or the
documents change."""

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import bindparam, exists, func, insert
from sqlmodel import Session, col, select

from app.applications.lifecycle import LIVE_STATUSES
from app.applications.models import Application, EligibilityCheck
from app.core.db import utcnow
from app.core.money import fen_to_wan
from app.documents.models import Document
from app.enterprises.models import Enterprise
from app.enterprises.uscc import uscc_problem
from app.funds.models import Payment
from app.programs.models import Program, ProgramDistrict
from app.roster.models import RosterEntry

RULES = [
    "uscc_valid",
    "district_in_city",
    "industrial",
    "revenue_threshold",
    "first_time_above_scale",
    "documents_complete",
    "not_awarded_before",
    "no_duplicate",
]
RULE_NAMES_ZH = {
    "uscc_valid": "统一社会信用代码有效",
    "district_in_city": "属于项目所辖区县",
    "industrial": "属于工业行业",
    "revenue_threshold": "主营业务收入达标",
    "first_time_above_scale": "首次纳入规上名录",
    "documents_complete": "申报材料齐全",
    "not_awarded_before": "未曾获得奖补",
    "no_duplicate": "无重复申报",
}
REQUIRED_DOCUMENTS = {"application_report": "申请报告", "business_license": "营业执照副本", "financial_statement": "财务报表"}


@dataclass
class Outcome:
    rule: str
    outcome: str
    message: str


def _industrial(code: str) -> bool:
    return len(code) >= 2 and code[:2].isdigit() and 6 <= int(code[:2]) <= 46


# What the rules need besides the roster rows, as one SELECT of scalar subqueries: a
# submission waits on one round trip, not six. Built once with bind parameters — composing
# it per call cost more CPU (≈ 1 ms) than running it.
_FACTS = select(
    exists().where(ProgramDistrict.program_id == bindparam("program_id"),
                   ProgramDistrict.district_code == bindparam("district_code")).label("in_district"),
    exists().where(RosterEntry.year == bindparam("cohort_year")).label("roster_loaded"),
    *(exists().where(Document.application_id == bindparam("application_id"), Document.kind == kind).label(kind)
      for kind in REQUIRED_DOCUMENTS),
    select(Program.code)
    .join(Application, col(Application.program_id) == Program.id)
    .join(Payment, col(Payment.application_id) == Application.id)
    .where(Application.enterprise_id == bindparam("enterprise_id"), Application.program_id != bindparam("program_id"),
           Payment.status == "paid")
    .limit(1).scalar_subquery().label("earlier_paid"),
    select(func.count()).select_from(Application).where(
        Application.program_id == bindparam("program_id"),
        Application.enterprise_id == bindparam("enterprise_id"),
        Application.id != bindparam("application_id"),
        col(Application.status).in_(sorted(LIVE_STATUSES)),
    ).scalar_subquery().label("others"),
)


def _facts(session: Session, application: Application, program: Program, enterprise: Enterprise):  # noqa: ANN202
    return session.execute(_FACTS, {
        "program_id": program.id, "district_code": enterprise.district_code, "cohort_year": program.cohort_year,
        "application_id": application.id, "enterprise_id": enterprise.id,
    }).one()


def evaluate(session: Session, application: Application) -> list[Outcome]:
    program = session.get(Program, application.program_id)
    enterprise = session.get(Enterprise, application.enterprise_id)
    roster = {
        r.year: r
        for r in session.exec(select(RosterEntry).where(RosterEntry.uscc == enterprise.uscc)).all()
    }
    cohort_row = roster.get(program.cohort_year)
    facts = _facts(session, application, program, enterprise)
    out: list[Outcome] = []

    problem = uscc_problem(enterprise.uscc)
    out.append(Outcome("uscc_valid", "fail" if problem else "pass", problem or "统一社会信用代码校验通过（GB 32100-2015）"))

    if facts.in_district:
        out.append(Outcome("district_in_city", "pass", "企业注册地属于本项目所辖区县"))
    else:
        out.append(Outcome("district_in_city", "fail", f"企业所在区县 {enterprise.district_code} 不在本项目范围内"))

    industry = cohort_row.industry_code if cohort_row else enterprise.industry_code
    source = "统计名录" if cohort_row else "申报"
    if _industrial(industry):
        out.append(Outcome("industrial", "pass", f"{source}行业代码 {industry} 属于工业（GB/T 4754 门类 B、C、D）"))
    else:
        out.append(Outcome("industrial", "fail", f"{source}行业代码 {industry} 不属于工业（须为 06–46 大类）"))

    threshold = program.revenue_threshold_fen
    if cohort_row:
        ok = cohort_row.main_revenue_fen >= threshold
        out.append(Outcome(
            "revenue_threshold", "pass" if ok else "fail",
            f"统计名录 {program.cohort_year} 年主营业务收入 {fen_to_wan(cohort_row.main_revenue_fen)} 万元"
            f"{'达到' if ok else '低于'}门槛 {fen_to_wan(threshold)} 万元",
        ))
    else:
        ok = application.declared_revenue_fen >= threshold
        out.append(Outcome(
            "revenue_threshold", "warn" if ok else "fail",
            f"统计名录中无该企业 {program.cohort_year} 年数据，按申报收入 {fen_to_wan(application.declared_revenue_fen)} 万元"
            f"{'达到' if ok else '低于'}门槛 {fen_to_wan(threshold)} 万元，请核实",
        ))

    earlier = sorted(y for y in roster if y < program.cohort_year)
    if not roster and not facts.roster_loaded:
        out.append(Outcome("first_time_above_scale", "warn", f"尚未导入 {program.cohort_year} 年统计名录，无法核验首次升规"))
    elif earlier:
        out.append(Outcome("first_time_above_scale", "fail", f"企业已在 {earlier[0]} 年规上名录中，不属于首次升规"))
    elif cohort_row is None:
        out.append(Outcome("first_time_above_scale", "fail", f"企业不在 {program.cohort_year} 年规上工业企业名录中"))
    elif not cohort_row.first_included.startswith(str(program.cohort_year)):
        out.append(Outcome("first_time_above_scale", "fail", f"入库年月 {cohort_row.first_included} 不在 {program.cohort_year} 年"))
    else:
        out.append(Outcome("first_time_above_scale", "pass", f"{cohort_row.first_included} 首次纳入规上名录"))

    missing = [name for kind, name in REQUIRED_DOCUMENTS.items() if not getattr(facts, kind)]
    if missing:
        out.append(Outcome("documents_complete", "warn", f"尚缺材料：{'、'.join(missing)}"))
    else:
        out.append(Outcome("documents_complete", "pass", "申请报告、营业执照副本、财务报表均已上传"))

    if facts.earlier_paid:
        out.append(Outcome("not_awarded_before", "fail", f"该企业已在项目 {facts.earlier_paid} 中获得奖补（一次性奖励）"))
    else:
        out.append(Outcome("not_awarded_before", "pass", "此前未获得“小升规”奖补"))

    if facts.others:
        out.append(Outcome("no_duplicate", "fail", "该企业在本项目中另有有效申报"))
    else:
        out.append(Outcome("no_duplicate", "pass", "本项目中无该企业的其他有效申报"))
    return out


def roster_loaded(session: Session, year: int) -> bool:
    """Whether any roster row of this year is in (EXISTS: one index probe, not a count)."""
    return session.exec(select(exists().where(RosterEntry.year == year))).one()


def recompute(session: Session, application: Application) -> None:
    """Evaluate every rule and store the results. A rule whose outcome and message are
    unchanged keeps its row (checked_at = since when the result holds); a new
    application's eight rows go in as one multi-row INSERT."""
    now = utcnow()
    results = evaluate(session, application)
    existing = {c.rule: c for c in session.exec(select(EligibilityCheck).where(EligibilityCheck.application_id == application.id)).all()}
    new_rows = []
    for position, result in enumerate(results):
        check = existing.get(result.rule)
        if check is None:
            new_rows.append({"application_id": application.id, "rule": result.rule, "position": position,
                             "outcome": result.outcome, "message": result.message, "checked_at": now})
        elif (check.position, check.outcome, check.message) != (position, result.outcome, result.message):
            check.position, check.outcome, check.message, check.checked_at = position, result.outcome, result.message, now
            session.add(check)
    if new_rows:
        session.execute(insert(EligibilityCheck), new_rows)
    session.flush()


# The eligibility of an application is settled when it is approved (审定): a roster imported
# later — next year's, typically — re-checks the applications still under review, never
# rewrites the grounds on which money was awarded.
UNDER_REVIEW = sorted(LIVE_STATUSES - {"approved", "paid"})


def recompute_for_usccs(session: Session, usccs: Iterable[str], year: int) -> int:
    """After a roster import of rows of `year` (or later): recompute the applications of
    these enterprises still under review in programmes the rows bear on — a roster row of
    year Y counts only for cohorts Y and later (cohort year's figures, earlier years' presence),
    so importing next year's roster re-checks nothing."""
    usccs = list(set(usccs))
    count = 0
    for start in range(0, len(usccs), 500):
        chunk = usccs[start : start + 500]
        apps = session.exec(
            select(Application)
            .join(Enterprise, col(Enterprise.id) == Application.enterprise_id)
            .join(Program, col(Program.id) == Application.program_id)
            .where(col(Enterprise.uscc).in_(chunk), col(Application.status).in_(UNDER_REVIEW), Program.cohort_year >= year)
        ).all()
        for application in apps:
            recompute(session, application)
            count += 1
    return count


def recompute_for_cohort(session: Session, year: int) -> int:
    """After the first roster rows of `year` arrive: every application under review in a
    programme of that cohort, on the roster or not, leaves "尚未导入统计名录"."""
    apps = session.exec(
        select(Application)
        .join(Program, col(Program.id) == Application.program_id)
        .where(col(Application.status).in_(UNDER_REVIEW), Program.cohort_year == year)
    ).all()
    for application in apps:
        recompute(session, application)
    return len(apps)


def checks_for(session: Session, application_id: int) -> list[EligibilityCheck]:
    return list(
        session.exec(
            select(EligibilityCheck).where(EligibilityCheck.application_id == application_id).order_by(col(EligibilityCheck.position))
        ).all()
    )


def outcome_of(checks: list[EligibilityCheck], rule: str) -> str | None:
    return next((c.outcome for c in checks if c.rule == rule), None)
