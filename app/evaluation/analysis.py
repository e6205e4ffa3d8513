"""The evaluation's analysis block for auditors and its findings: what the indicator table
alone hides. The seed's own example — two firms make about 87 % of the cohort's revenue and
lift the mean far above the median — is found here from the data, not written by hand.

Every figure is an aggregate query (medians with window functions, spans of days with
`days_between`), so the block stays fast at national scale."""

from decimal import Decimal

from sqlalchemy import and_, case, func, select
from sqlmodel import Session, col

from app.applications.models import Application
from app.core.money import fen_to_yuan
from app.core.numbers import json_number as _number, percent
from app.districts.service import district_names
from app.enterprises.models import Enterprise
from app.evaluation.metrics import WAN, Scope, approvals, awarded_applications, days_between
from app.funds.models import Payment
from app.programs.models import Program
from app.reviews.models import ReviewDecision
from app.roster.models import RosterEntry
from app.tracking.service import retention

# Revenue bands for the distribution chart, in 万元 (lower bound inclusive).
REVENUE_BANDS = ((0, "2000万元以下"), (2000, "2000万–5000万元"), (5000, "5000万–1亿元"), (10000, "1亿–5亿元"),
                 (50000, "5亿–10亿元"), (100000, "10亿元及以上"))
CONCENTRATION_SHARE = Decimal(50)  # the two largest above this share of revenue → a finding
MEAN_OVER_MEDIAN = Decimal(2)  # mean at least twice the median → the mean is lifted


def _wan(fen: int | Decimal | None) -> float | None:
    return None if fen is None else _number(Decimal(fen) / WAN)


def _revenues(program: Program, scope: Scope):  # noqa: ANN202 - a subquery
    awarded = awarded_applications(program, scope).subquery()
    return (
        select(Enterprise.id.label("enterprise_id"), Enterprise.name.label("name"),
               Enterprise.district_code.label("district_code"),
               func.coalesce(RosterEntry.main_revenue_fen, Application.declared_revenue_fen).label("revenue"))
        .select_from(awarded)
        .join(Application, Application.id == awarded.c.application_id)
        .join(Enterprise, Enterprise.id == Application.enterprise_id)
        .outerjoin(RosterEntry, and_(RosterEntry.uscc == Enterprise.uscc, RosterEntry.year == program.cohort_year))
        .subquery("revenues")
    )


def revenue_block(session: Session, program: Program, scope: Scope) -> dict:
    """Two passes over the awarded enterprises' revenues: the bands with their counts, sums,
    minima and maxima (the totals follow from them), and the rows at the median's and the
    top two's ranks."""
    rev = _revenues(program, scope)
    band = case(*((rev.c.revenue >= lower * WAN, lower) for lower, _label in reversed(REVENUE_BANDS[1:])), else_=0)
    per_band = {int(b): (int(n), int(t), lo, hi) for b, n, t, lo, hi in session.execute(
        select(band, func.count(), func.sum(rev.c.revenue), func.min(rev.c.revenue), func.max(rev.c.revenue))
        .group_by(band)).all()}
    count = sum(n for n, _t, _lo, _hi in per_band.values())
    total = sum(t for _n, t, _lo, _hi in per_band.values())
    low = min((lo for _n, _t, lo, _hi in per_band.values()), default=None)
    high = max((hi for _n, _t, _lo, hi in per_band.values()), default=None)
    median, top = None, []
    if count:
        ranked = select(rev.c.name, rev.c.revenue,
                        func.row_number().over(order_by=(rev.c.revenue, rev.c.enterprise_id)).label("n")).subquery()
        middle = {(count + 1) // 2, (count + 2) // 2}
        wanted = middle | {count - 1, count} - {0}
        rows = session.execute(select(ranked.c.n, ranked.c.name, ranked.c.revenue)
                               .where(col(ranked.c.n).in_(sorted(wanted)))).all()
        mids = [int(r) for n, _name, r in rows if n in middle]
        median = Decimal(sum(mids)) / len(mids)
        top = sorted(((name, int(r)) for n, name, r in rows if n > count - 2), key=lambda t: -t[1])
    top_total = sum(r for _n, r in top)
    return {
        "enterprises": count,
        "total_wan": _wan(total),
        "mean_wan": _wan(Decimal(total) / count) if count else None,
        "median_wan": _wan(median),
        "min_wan": _wan(low), "max_wan": _wan(high),
        "top_two": [{"name": n, "revenue_wan": _wan(r)} for n, r in top],
        "top_two_share": percent(top_total, total) if total else None,
        "bands": [{"label": label, "min_wan": lower, "count": per_band.get(lower, (0,))[0]} for lower, label in REVENUE_BANDS],
        "source": f"{program.cohort_year} 年统计名录主营业务收入，名录缺失时取申报数",
    }


def district_block(session: Session, program: Program, scope: Scope) -> list[dict]:
    names = district_names(session)
    query = scope.payments(
        select(Application.district_code, func.count(func.distinct(Application.enterprise_id)), func.sum(Payment.amount_fen),
               func.count())
        .join(Payment, Payment.application_id == Application.id)
        .where(Application.program_id == program.id, Payment.status == "paid"))
    rows = session.execute(query.group_by(Application.district_code).order_by(Application.district_code)).all()
    return [{"code": c, "name": names.get(c, c), "awarded_enterprises": int(n), "amount": fen_to_yuan(int(a or 0)),
             "payments": int(p)} for c, n, a, p in rows]


def payment_block(session: Session, program: Program, scope: Scope) -> dict:
    """Days from 审定 (the end of the public notice the application passed) to payment, and
    the payments by date (the timeline chart)."""
    approved = approvals(program)
    days = days_between(approved.c.approved_on, Payment.paid_on)
    base = scope.payments(select().select_from(Payment).join(Application, Application.id == Payment.application_id)
                          .where(Application.program_id == program.id, Payment.status == "paid"))
    count, low, avg, high = session.execute(
        base.add_columns(func.count(days), func.min(days), func.avg(days), func.max(days))
        .outerjoin(approved, approved.c.application_id == Payment.application_id)).one()
    timeline = session.execute(
        base.add_columns(Payment.paid_on, func.count(), func.sum(Payment.amount_fen))
        .group_by(Payment.paid_on).order_by(Payment.paid_on)).all()
    running = 0
    points = []
    for day, n, amount in timeline:
        running += int(amount)
        points.append({"paid_on": day.isoformat(), "payments": int(n), "amount": fen_to_yuan(int(amount)),
                       "cumulative": fen_to_yuan(running)})
    return {
        "approval_to_payment_days": {"payments": int(count or 0), "min": _number(low), "mean": _number(avg),
                                     "max": _number(high), "approval": "公示期满（审定）日期"},
        "deadline": program.payment_deadline.isoformat() if program.payment_deadline else None,
        "timeline": points,
    }


def review_block(session: Session, program: Program, scope: Scope) -> dict:
    """Review turnaround per stage, in days: 初审 from the application's submission to the
    later of the two district decisions; 复审 from that to the later of the two city ones.
    Only applications with both departments' decision at the stage count."""
    decided = (
        select(ReviewDecision.application_id,
               func.max(case((ReviewDecision.stage == "district", ReviewDecision.decided_at))).label("district_done"),
               func.max(case((ReviewDecision.stage == "city", ReviewDecision.decided_at))).label("city_done"),
               func.count(func.distinct(case((ReviewDecision.stage == "district", ReviewDecision.department)))).label("nd"),
               func.count(func.distinct(case((ReviewDecision.stage == "city", ReviewDecision.department)))).label("nc"))
        .join(Application, Application.id == ReviewDecision.application_id)
        .where(Application.program_id == program.id)
    )
    if scope.kind == "district":
        decided = decided.where(Application.district_code == scope.district_code)
    decided = decided.group_by(ReviewDecision.application_id).subquery()
    district_days = days_between(Application.created_at, decided.c.district_done)
    city_days = days_between(decided.c.district_done, decided.c.city_done)

    d_ok, c_ok = decided.c.nd == 2, decided.c.nc == 2
    row = session.execute(
        select(func.sum(case((d_ok, 1), else_=0)), func.avg(case((d_ok, district_days))), func.max(case((d_ok, district_days))),
               func.sum(case((c_ok, 1), else_=0)), func.avg(case((c_ok, city_days))), func.max(case((c_ok, city_days))))
        .select_from(decided).join(Application, Application.id == decided.c.application_id)).one()

    def stage(n, avg, high) -> dict:  # noqa: ANN001
        return {"applications": int(n or 0), "mean_days": _number(avg), "max_days": _number(high)}

    return {"district": stage(*row[:3]), "city": stage(*row[3:])}


def survey_block(metrics: dict) -> dict:
    """回收率 of the scope: the awarded enterprises with a valid questionnaire (the
    satisfaction metric's count) over the awarded enterprises."""
    awarded = int(metrics["awarded_enterprise_count"].actual or 0)
    responded = int(metrics["beneficiary_satisfaction"].inputs["valid_responses"])
    return {"awarded": awarded, "responded": responded, "response_rate": percent(responded, awarded)}


def build(session: Session, program: Program, scope: Scope, metrics: dict) -> dict:
    """The block, given the metrics already computed for the same scope."""
    return {
        "revenue": revenue_block(session, program, scope),
        "districts": district_block(session, program, scope),
        "payments": payment_block(session, program, scope),
        "review_turnaround": review_block(session, program, scope),
        "survey": survey_block(metrics),
        "retention": retention(session, program, scope.district_code),
    }


def findings(body: dict) -> list[str]:
    """What an evaluator would point out, in Chinese, from the rows and the analysis."""
    out: list[str] = []
    rows = body["indicators"]
    analysis = body.get("analysis") or {}
    revenue = analysis.get("revenue") or {}
    share, mean, median = revenue.get("top_two_share"), revenue.get("mean_wan"), revenue.get("median_wan")
    if share is not None and revenue.get("enterprises", 0) > 2 and Decimal(str(share)) >= CONCENTRATION_SHARE:
        names = "、".join(t["name"] for t in revenue["top_two"])
        text = (f"营业收入高度集中：收入最高的两家企业（{names}）占获奖补企业营业收入合计的 {share:.2f}%")
        if mean and median and Decimal(str(mean)) >= MEAN_OVER_MEDIAN * Decimal(str(median)):
            text += f"，平均值 {mean:.2f} 万元/家被少数企业拉高，中位数仅 {median:.2f} 万元/家"
        out.append(text + "。以平均营业收入衡量培育成效会高估多数企业的规模。")
    for r in rows:
        if r["deviation_required"]:
            note = "；已说明偏差原因" if (r["deviation_note"] or "").strip() else "；尚需说明偏差原因"
            out.append(f"{r['name']}：完成率 {r['completion_rate']:.2f}%，超过目标值 130% 以上，目标设定偏保守{note}。")
        if r["state"] == "not_computable":
            out.append(f"{r['name']}：无法计算，{r['inputs'].get('reason')}")
        elif r["state"] == "scored" and r["kind"] == "quantitative" and r["score"] < r["weight"]:
            out.append(f"{r['name']}：未达目标，实际 {r['actual']:.2f}{(r['target'] or {}).get('unit') or ''}，"
                       f"得分 {r['score']:.2f}（满分 {r['weight']}）。")
    if body.get("unscored"):
        out.append(f"尚有 {len(body['unscored'])} 项定性指标待评价人员评分，评价结果为暂定。")
    for year in (analysis.get("retention") or {}).get("years", []):
        if year.get("dropped"):
            out.append(f"{year['year']} 年统计名录中，{year['dropped']} 家获奖补企业已不在规上名录（保规率 {year['rate']:.2f}%），"
                       "部分企业升规后增长难以为继，需加强跟踪服务。")
    survey = analysis.get("survey") or {}
    if survey.get("awarded") and survey.get("response_rate") is not None and survey["response_rate"] < 100:
        out.append(f"满意度问卷回收率 {survey['response_rate']:.2f}%，尚有 {survey['awarded'] - survey['responded']} 家获奖补企业未答卷。")
    payments = analysis.get("payments") or {}
    days = (payments.get("approval_to_payment_days") or {})
    if days.get("max") is not None and days["max"] > 60:
        out.append(f"审定后最长 {days['max']:.0f} 天才完成拨付（平均 {days['mean']:.1f} 天），资金拨付时效有待提高。")
    return out

