"""The quantitative indicators of spec/evaluation.md, each from aggregate queries in the
database — no rows are loaded into Python to be counted — for one scope:

- `city` (default): the city-level fund — the programme's city budget, city appropriations,
  city-level payments;
- `district:CODE`: one district's fund — its district-level appropriations and payments,
  its budget being the district tranche × its approved or paid applications;
- `all`: both levels together.

Each metric returns its actual value (Decimal, in the indicator's unit, unrounded), the
inputs behind it, and — when its denominator is zero — the reason it is not computable."""

from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import Float, and_, case, func, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement
from sqlmodel import Session, col

from app.applications.models import Application
from app.core.errors import Invalid
from app.core.money import FEN_PER_WAN, fen_to_yuan
from app.documents.models import Document
from app.enterprises.models import Enterprise
from app.funds.models import Appropriation, Payment
from app.funds.service import FUNDED_STATUSES, RECEIPT_KIND
from app.notices.models import Notice, NoticeEntry
from app.programs.models import AwardTranche, Program, ProgramDistrict
from app.roster.models import RosterEntry
from app.surveys.questions import SATISFIED
from app.surveys.service import latest_responses

WAN = FEN_PER_WAN
HUNDRED = Decimal(100)


# ---------------------------------------------------------------- scope


@dataclass(frozen=True)
class Scope:
    kind: str  # city | district | all
    district_code: str | None = None

    @classmethod
    def parse(cls, text: str | None, district_codes: set[str]) -> "Scope":
        text = (text or "city").strip()
        if text in ("city", "all"):
            return cls(text)
        if text.startswith("district:") and text[len("district:"):] in district_codes:
            return cls("district", text[len("district:"):])
        raise Invalid(
            "scope 应为 city（市级资金，默认）、all（市、区两级）或 district:区县代码（如 district:650102，须为本项目覆盖的区县）。",
            errors=[{"loc": ["query", "scope"], "msg": "无效的评价范围", "code": "scope"}])

    @property
    def text(self) -> str:
        return f"district:{self.district_code}" if self.kind == "district" else self.kind

    def payments(self, query):  # noqa: ANN001, ANN201 - narrows a query joined to Payment and Application
        if self.kind == "city":
            return query.where(Payment.level == "city")
        if self.kind == "district":
            return query.where(Payment.level == "district", Application.district_code == self.district_code)
        return query

    def appropriations(self, query):  # noqa: ANN001, ANN201
        if self.kind == "city":
            return query.where(Appropriation.level == "city")
        if self.kind == "district":
            return query.where(Appropriation.level == "district", Appropriation.district_code == self.district_code)
        return query

    @property
    def roster_district(self) -> str | None:
        return self.district_code if self.kind == "district" else None


@dataclass
class Metric:
    actual: Decimal | None
    inputs: dict = field(default_factory=dict)
    reason: str | None = None  # why not computable
    # The indicator table's targets are the city fund's; another scope measures against its
    # own (a district's planned enterprises, both tranches per enterprise for `all`).
    target: Decimal | None = None


def _ratio(numerator: int | Decimal, denominator: int | Decimal, scale: Decimal = HUNDRED) -> Decimal | None:
    return None if not denominator else Decimal(numerator) * scale / Decimal(denominator)


# ---------------------------------------------------------------- days between two dates, in SQL


class days_between(FunctionElement):  # noqa: N801 - an SQL function
    """days_between(start, end): (end − start) in days, as a float, on SQLite and PostgreSQL."""

    type = Float()
    inherit_cache = True
    name = "days_between"


@compiles(days_between, "sqlite")
def _days_sqlite(element, compiler, **kw) -> str:  # noqa: ANN001
    start, end = list(element.clauses)
    return f"(julianday({compiler.process(end, **kw)}) - julianday({compiler.process(start, **kw)}))"


@compiles(days_between, "postgresql")
def _days_postgresql(element, compiler, **kw) -> str:  # noqa: ANN001
    start, end = list(element.clauses)
    return (f"(EXTRACT(EPOCH FROM (CAST({compiler.process(end, **kw)} AS TIMESTAMP) - "
            f"CAST({compiler.process(start, **kw)} AS TIMESTAMP))) / 86400.0)")


# ---------------------------------------------------------------- the pieces


def approvals(program: Program):  # noqa: ANN201 - a subquery
    """application_id → approved_on: the end of the public notice each application passed (审定)."""
    return (select(NoticeEntry.application_id, func.max(Notice.ends_on).label("approved_on"))
            .join(Notice, Notice.id == NoticeEntry.notice_id)
            .where(Notice.program_id == program.id, NoticeEntry.outcome == "approved")
            .group_by(NoticeEntry.application_id).subquery("approvals"))


def paid_payments(program: Program, scope: Scope):  # noqa: ANN201 - a Select
    """The scope's paid payments (a query on Payment joined to its Application)."""
    query = (select(Payment.id).join(Application, Application.id == Payment.application_id)
             .where(Application.program_id == program.id, Payment.status == "paid"))
    return scope.payments(query)


def awarded_applications(program: Program, scope: Scope):  # noqa: ANN201
    """Applications with a paid payment in the scope (one per enterprise and programme)."""
    query = (select(Application.id.label("application_id"), Application.enterprise_id.label("enterprise_id"))
             .join(Payment, Payment.application_id == Application.id)
             .where(Application.program_id == program.id, Payment.status == "paid"))
    return scope.payments(query).distinct()


def budget_fen(session: Session, program: Program, scope: Scope) -> tuple[int, dict]:
    if scope.kind == "city":
        return program.city_budget_fen, {"source": "项目市级预算（city_budget）"}
    award = session.scalar(select(AwardTranche.amount_fen).where(AwardTranche.program_id == program.id,
                                                                AwardTranche.level == "district")) or 0
    funded = select(func.count()).select_from(Application).where(
        Application.program_id == program.id, col(Application.status).in_(FUNDED_STATUSES))
    if scope.kind == "district":
        funded = funded.where(Application.district_code == scope.district_code)
    count = session.scalar(funded) or 0
    district_budget = award * count
    inputs = {"district_award": fen_to_yuan(award), "funded_applications": count,
              "source": "区级奖补标准 × 审定（含已拨付）的申报数"}
    if scope.kind == "all":
        inputs["city_budget"] = fen_to_yuan(program.city_budget_fen)
        return program.city_budget_fen + district_budget, inputs
    return district_budget, inputs


# ---------------------------------------------------------------- the metrics


def compute(session: Session, program: Program, scope: Scope) -> dict[str, Metric]:
    """Every quantitative metric of the xsg-default table for the scope."""
    metrics: dict[str, Metric] = {}

    budget, budget_inputs = budget_fen(session, program, scope)
    arrived = int(session.scalar(scope.appropriations(
        select(func.coalesce(func.sum(Appropriation.arrived_amount_fen), 0)).where(Appropriation.program_id == program.id)
    )) or 0)
    paid_ids = paid_payments(program, scope).subquery()
    spent, paid_count = session.execute(
        select(func.coalesce(func.sum(Payment.amount_fen), 0), func.count()).where(col(Payment.id).in_(select(paid_ids.c.id)))
    ).one()
    spent, paid_count = int(spent), int(paid_count)

    money = {"budget": fen_to_yuan(budget), "arrived": fen_to_yuan(arrived), "spent": fen_to_yuan(spent)}
    metrics["funds_arrival_rate"] = Metric(
        _ratio(arrived, budget), {**money, "budget_basis": budget_inputs, "formula": "到位资金 ÷ 预算资金 × 100"},
        None if budget else "预算资金为 0，资金到位率无法计算。")
    metrics["budget_execution_rate"] = Metric(
        _ratio(spent, arrived), {**money, "formula": "实际支出 ÷ 到位资金 × 100"},
        None if arrived else "尚无到位资金，预算执行率无法计算。")

    awarded = awarded_applications(program, scope).subquery()
    revenue_fen = func.coalesce(RosterEntry.main_revenue_fen, Application.declared_revenue_fen)
    count, total_revenue, from_roster = session.execute(
        select(func.count(), func.coalesce(func.sum(revenue_fen), 0),
               func.coalesce(func.sum(case((col(RosterEntry.id).is_not(None), 1), else_=0)), 0))
        .select_from(awarded)
        .join(Application, Application.id == awarded.c.application_id)
        .join(Enterprise, Enterprise.id == Application.enterprise_id)
        .outerjoin(RosterEntry, and_(RosterEntry.uscc == Enterprise.uscc, RosterEntry.year == program.cohort_year))
    ).one()
    count, total_revenue, from_roster = int(count), int(total_revenue), int(from_roster)
    count_target = None
    count_inputs = {"awarded_enterprises": count, "paid_payments": paid_count,
                    "definition": "有已拨付（未退回）支付的企业，按企业去重"}
    if scope.kind == "district":
        count_target = Decimal(budget_inputs["funded_applications"])
        count_inputs["target_basis"] = "本区县审定（含已拨付）的申报数"
    metrics["awarded_enterprise_count"] = Metric(Decimal(count), count_inputs, target=count_target)
    metrics["awarded_enterprise_revenue"] = Metric(
        _ratio(total_revenue, count * WAN, Decimal(1)),
        {"total_revenue": fen_to_yuan(total_revenue), "enterprises": count, "from_roster": from_roster,
         "from_declaration": count - from_roster, "roster_year": program.cohort_year,
         "formula": "获奖补企业营业收入合计 ÷ 企业数（万元/家）；取统计名录当年主营业务收入，名录缺失时取申报数"},
        None if count else "尚无获奖补企业，平均营业收入无法计算。")

    metrics["funds_compliance_rate"] = _compliance(session, program, scope, paid_ids, paid_count)

    on_time = int(session.scalar(
        select(func.count()).select_from(Payment)
        .where(col(Payment.id).in_(select(paid_ids.c.id)), Payment.paid_on <= program.payment_deadline)) or 0)
    metrics["disbursement_timeliness_rate"] = Metric(
        _ratio(on_time, paid_count),
        {"paid_payments": paid_count, "on_time": on_time, "late": paid_count - on_time,
         "payment_deadline": program.payment_deadline.isoformat() if program.payment_deadline else None},
        None if paid_count else "尚无已拨付的支付，资金拨付及时率无法计算。")

    award_target, award_inputs = _award_target(session, program, scope)
    metrics["award_per_enterprise"] = Metric(
        _ratio(spent, count * WAN, Decimal(1)),
        {"spent": fen_to_yuan(spent), "awarded_enterprises": count, "formula": "实际支出 ÷ 获奖补企业数（万元/家）",
         **award_inputs},
        None if count else "尚无获奖补企业，户均奖补资金无法计算。", target=award_target)

    metrics["above_scale_growth"] = _growth(session, program, scope)
    metrics["beneficiary_satisfaction"] = _satisfaction(session, program, scope)
    return metrics


def _award_target(session: Session, program: Program, scope: Scope) -> tuple[Decimal | None, dict]:
    """The award per enterprise a scope should pay: the city tranche for the city fund (the
    table's own target), the district tranche for a district, both for `all`."""
    if scope.kind == "city":
        return None, {}
    levels = ["district"] if scope.kind == "district" else ["city", "district"]
    total = session.scalar(select(func.coalesce(func.sum(AwardTranche.amount_fen), 0)).where(
        AwardTranche.program_id == program.id, col(AwardTranche.level).in_(levels))) or 0
    basis = "区级奖补标准" if scope.kind == "district" else "市级与区级奖补标准之和"
    return Decimal(int(total)) / WAN, {"target_basis": basis}


def _compliance(session: Session, program: Program, scope: Scope, paid_ids, paid_count: int) -> Metric:  # noqa: ANN001
    """A paid payment is compliant when its application passed the public notice, the amount
    equals the tranche's award, it has a voucher number and a bank receipt, and it was paid on
    or after the approval date of an appropriation of its level (and district)."""
    approved = approvals(program)
    receipts = select(Document.payment_id).where(Document.kind == RECEIPT_KIND,
                                                 col(Document.payment_id).is_not(None)).distinct().subquery()
    first_approval = (select(Appropriation.level, Appropriation.district_code,
                             func.min(Appropriation.approved_on).label("approved_on"))
                      .where(Appropriation.program_id == program.id)
                      .group_by(Appropriation.level, Appropriation.district_code).subquery())
    award = select(AwardTranche.level, AwardTranche.amount_fen).where(AwardTranche.program_id == program.id).subquery()
    checks = {
        "passed_notice": approved.c.application_id.is_not(None),
        "amount_equals_award": award.c.amount_fen == Payment.amount_fen,
        "voucher_present": func.length(func.trim(Payment.voucher_no)) > 0,
        "receipt_attached": receipts.c.payment_id.is_not(None),
        "paid_after_appropriation": first_approval.c.approved_on <= Payment.paid_on,
    }

    def failing(condition):  # noqa: ANN001, ANN202 - a NULL comparison fails the check too
        return func.coalesce(func.sum(case((condition, 0), else_=1)), 0)

    row = session.execute(scope.payments(
        select(failing(and_(*checks.values())), *(failing(c) for c in checks.values()))
        .select_from(Payment).join(Application, Application.id == Payment.application_id)
        .outerjoin(approved, approved.c.application_id == Payment.application_id)
        .outerjoin(award, award.c.level == Payment.level)
        .outerjoin(receipts, receipts.c.payment_id == Payment.id)
        .outerjoin(first_approval, and_(
            first_approval.c.level == Payment.level,
            or_(Payment.level == "city", first_approval.c.district_code == Application.district_code)))
        .where(Application.program_id == program.id, Payment.status == "paid"))
    ).one()
    non_compliant = int(row[0])
    failures = {name: int(n) for name, n in zip(checks, row[1:], strict=True)}
    return Metric(
        _ratio(paid_count - non_compliant, paid_count),
        {"paid_payments": paid_count, "compliant": paid_count - non_compliant, "failing": failures,
         "rule": "已通过公示、金额等于奖补标准、有国库支付凭证号、附银行回单、支付日期不早于资金批复日期"},
        None if paid_count else "尚无已拨付的支付，资金使用合规率无法计算。")


def _growth(session: Session, program: Program, scope: Scope) -> Metric:
    """The city's whole 规上 roster (the programme's districts, or the scope's district): the
    cohort year's count against the year before. Without both years the row is judged by
    the evaluator instead (reason set, actual None)."""
    year, before = program.cohort_year, program.cohort_year - 1
    query = select(RosterEntry.year, func.count()).where(col(RosterEntry.year).in_([year, before]))
    if scope.roster_district:
        query = query.where(RosterEntry.district_code == scope.roster_district)
    else:
        query = query.where(col(RosterEntry.district_code).in_(
            select(ProgramDistrict.district_code).where(ProgramDistrict.program_id == program.id)))
    counts = dict(session.execute(query.group_by(RosterEntry.year)).all())
    now, then = int(counts.get(year, 0)), int(counts.get(before, 0))
    inputs = {"year": year, "count": now, "previous_year": before, "previous_count": then,
              "formula": f"{year} 年规上工业企业数 ÷ {before} 年规上工业企业数 × 100"}
    if not now or not then:
        missing = "、".join(str(y) for y, n in ((before, then), (year, now)) if not n)
        return Metric(None, inputs, f"统计名录缺少 {missing} 年的数据，本指标改由评价人员定性评分。")
    return Metric(_ratio(now, then), inputs)


def _satisfaction(session: Session, program: Program, scope: Scope) -> Metric:
    latest = latest_responses(program.id, scope.district_code)
    if scope.kind == "city":  # the city fund's beneficiaries: enterprises with a paid city payment
        awarded = awarded_applications(program, scope).subquery()
        latest_q = select(latest).where(latest.c.enterprise_id.in_(select(awarded.c.enterprise_id)))
        latest = latest_q.subquery()
    valid, satisfied = session.execute(
        select(func.count(), func.coalesce(func.sum(case((col(latest.c.overall).in_(SATISFIED), 1), else_=0)), 0))
        .select_from(latest)).one()
    valid, satisfied = int(valid), int(satisfied)
    return Metric(
        _ratio(satisfied, valid),
        {"valid_responses": valid, "satisfied": satisfied,
         "formula": "（非常满意 + 满意）÷ 有效问卷 × 100，每家获奖补企业取最新一份"},
        None if valid else "尚无有效问卷，奖补企业满意度无法计算。")

