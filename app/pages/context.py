"""What every page needs: who is signed in, in words; and the few display helpers the
templates share (times in Beijing time, yuan in 万元, Chinese names of codes)."""

from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation

from fastapi import Request
from sqlmodel import Session

from app.applications.lifecycle import STATUS_NAMES
from app.core.clock import BEIJING  # officials read times in Beijing time; the API carries UTC
from app.core.money import fen_to_wan
from app.core.templating import templates
from app.districts.models import District
from app.documents.models import DOCUMENT_KINDS
from app.users.auth import Principal
from app.users.models import ROLE_NAMES_ZH, Role


OUTCOME_NAMES = {"pass": "通过", "fail": "未通过", "warn": "待核实"}
STAGE_NAMES = {"district": "区县初审", "city": "市级复审"}
DEPARTMENT_NAMES = {"industry": "工信部门", "stats": "统计部门"}
DECISION_NAMES = {"approve": "同意", "reject": "不同意", "return": "退回补正"}
PAYMENT_LEVEL_NAMES = {"city": "市级", "district": "区县级"}
PAYMENT_STATUS_NAMES = {"paid": "已拨付", "returned": "已退回"}
# Audit actions in words; an unknown action is shown as its code.
ACTION_NAMES = {
    "application.submit": "提交申报",
    "application.resubmit": "补正后重新提交",
    "application.withdraw": "撤回申报",
    "application.review": "审核",
    "application.approve": "审核同意",
    "application.reject": "审核不通过",
    "application.return": "退回补正",
    "application.publish": "列入公示",
    "application.confirm": "公示期满审定",
    "application.uphold_objection": "异议成立，不予奖补",
    "application.pay": "拨付资金",
    "document.upload": "上传材料",
    "payment.create": "拨付资金",
    "payment.return": "资金退回",
}


def local_time(value: str | datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """'2026-03-01T02:05:00.000Z' → '2026-03-01 10:05' (Beijing time). Unparseable → as given."""
    if not value:
        return ""
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    else:
        moment = value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(BEIJING).strftime(fmt)


def yuan_to_wan(value: str | None) -> str:
    """'35200000.00' (元) → '3,520.00' (万元)."""
    try:
        amount = Decimal(str(value)) / Decimal(10_000)
    except (InvalidOperation, TypeError):
        return str(value or "")
    return f"{amount.quantize(Decimal('0.01')):,}"


def file_size(size: int | None) -> str:
    if size is None:
        return ""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / 1024 / 1024:.1f} MB"


def _install(env) -> None:  # noqa: ANN001
    env.filters.setdefault("localtime", local_time)
    env.filters.setdefault("yuan_wan", yuan_to_wan)
    env.filters.setdefault("filesize", file_size)
    env.globals.setdefault("STATUS_NAMES", STATUS_NAMES)
    env.globals.setdefault("OUTCOME_NAMES", OUTCOME_NAMES)
    env.globals.setdefault("DOCUMENT_KINDS", DOCUMENT_KINDS)
    env.globals.setdefault("STAGE_NAMES", STAGE_NAMES)
    env.globals.setdefault("DEPARTMENT_NAMES", DEPARTMENT_NAMES)
    env.globals.setdefault("DECISION_NAMES", DECISION_NAMES)
    env.globals.setdefault("PAYMENT_LEVEL_NAMES", PAYMENT_LEVEL_NAMES)
    env.globals.setdefault("PAYMENT_STATUS_NAMES", PAYMENT_STATUS_NAMES)
    env.globals.setdefault("ACTION_NAMES", ACTION_NAMES)
    env.globals.setdefault("ROLE_NAMES", {r.value: n for r, n in ROLE_NAMES_ZH.items()})


_install(templates.env)


def page_context(request: Request, session: Session, principal: Principal | None, **extra) -> dict:
    district = session.get(District, principal.district_code) if principal and principal.district_code else None
    return {
        "principal": principal,
        "role_name": ROLE_NAMES_ZH.get(principal.role, "") if principal else "",
        "district_name": district.name if district else "",
        # Called by the navigation only (a fragment never renders it): 待我审核's count badge.
        "queue_count": _once(lambda: awaiting_count(session, principal)) if principal else (lambda: None),
        **extra,
    }


# ---------------------------------------------------------------- reviewers' seat, queue count


def _once(compute):  # noqa: ANN001, ANN202
    """A lazily computed value that is computed at most once per page."""
    box: list = []

    def value():  # noqa: ANN202
        if not box:
            box.append(compute())
        return box[0]

    return value


# The order officials read the lifecycle in: the main line, then the side exits.
PIPELINE_STATUSES = ("submitted", "district_approved", "city_approved", "in_notice", "approved", "paid")
SIDE_STATUSES = ("returned", "rejected", "withdrawn")
# Statuses that mean a stage has been passed (decisions may predate data loaded by other paths).
_PASSED = {
    "district": frozenset({"district_approved", "city_approved", "in_notice", "approved", "paid"}),
    "city": frozenset({"city_approved", "in_notice", "approved", "paid"}),
}
STAGE_SHORT = {"district": "初审", "city": "复审"}
# Who may read the statistics roster (as GET /api/v1/roster/{uscc}).
_ROSTER_READERS = frozenset({Role.district_industry, Role.district_stats, Role.city_industry, Role.city_stats,
                             Role.finance, Role.evaluator, Role.auditor, Role.admin})


def awaiting_count(session: Session, principal: Principal | None, program_id: int | None = None) -> int | None:
    """How many applications wait for this reviewer's department (None for non-reviewers):
    one GROUP BY (status_counts), summed over its few (district, status) rows."""
    from app.applications.service import status_counts
    from app.reviews.service import awaiting

    seat = awaiting(principal) if principal else None
    if seat is None:
        return None
    return sum(status_counts(session, principal, program_id=program_id, awaiting=seat).values())


def review_context(session: Session, principal: Principal, body: dict) -> dict:
    """What the detail page shows about the joint review of the current submission: each
    stage's two departments and their decisions, and — for the one official whose department
    and stage it is and who has not decided yet — the decision form."""
    from app.applications.models import Application
    from app.reviews.service import SEATS, STAGE_STATUS, stage_decisions

    application = session.get(Application, body["id"])
    status = body["status"]
    seat = SEATS.get(principal.role)
    stages = []
    decided_by_stage = {}
    for stage in ("district", "city"):
        decided = stage_decisions(session, application, stage) if application is not None else {}
        decided_by_stage[stage] = decided
        active = status == STAGE_STATUS[stage]
        passed = status in _PASSED[stage] or (
            len(decided) == 2 and all(d.decision == "approve" for d in decided.values()))
        stopped = next((d.decision for d in decided.values() if d.decision in ("reject", "return")), None)
        if passed:
            state, state_name = "passed", "已通过"
        elif active:
            state, state_name = "active", "审核中"
        elif stopped == "reject":
            state, state_name = "rejected", "未通过"
        elif stopped == "return":
            state, state_name = "returned", "已退回补正"
        elif status == "withdrawn" and decided:
            state, state_name = "stopped", "已撤回"
        else:
            state, state_name = "waiting", "未开始"
        departments = []
        for department in ("industry", "stats"):
            d = decided.get(department)
            departments.append({
                "department": department,
                "name": DEPARTMENT_NAMES[department],
                "decision": d.decision if d else None,
                "opinion": d.opinion if d else "",
                "reviewer": d.reviewer if d else "",
                "decided_at": d.decided_at if d else None,
                "pending": d is None and active,
                "mine": seat == (stage, department),
            })
        stages.append({"stage": stage, "short": STAGE_SHORT[stage], "name": STAGE_NAMES[stage],
                       "state": state, "state_name": state_name, "departments": departments})

    can_review, seat_note, own = False, "", None
    if seat is not None:
        stage, department = seat
        own = decided_by_stage[stage].get(department)
        if own is not None:
            seat_note = (f"{DEPARTMENT_NAMES[department]}已于 {local_time(own.decided_at)} 作出{STAGE_NAMES[stage]}意见："
                         f"{DECISION_NAMES.get(own.decision, own.decision)}（{own.reviewer}）。同一部门对同一次申报只审核一次；"
                         f"申报当前状态：{STATUS_NAMES.get(status, status)}。")
        elif status == STAGE_STATUS[stage]:
            can_review = principal.can_see_district(body["district_code"])
        elif stage == "city" and status == "submitted":
            seat_note = "本申报尚在区县初审阶段；区县工信、统计部门均同意后，转由市级复审。"
        elif stage == "district" and status == "district_approved":
            seat_note = "区县初审已通过，本申报已转入市级复审。"
        else:
            seat_note = f"申报当前状态为“{STATUS_NAMES.get(status, status)}”，不在{STAGE_NAMES[stage]}环节。"

    documents = next((c for c in body.get("eligibility", []) if c["rule"] == "documents_complete"), None)
    can_approve = documents is not None and documents["outcome"] == "pass"
    approve_blocked = "" if can_approve else (
        f"申报材料尚不齐全（{documents['message'] if documents else '尚未核验材料'}），暂不能同意；可退回补正。")
    return {
        "review": {
            "stages": stages,
            "seat": {"stage": seat[0], "department": seat[1],
                     "label": f"{DEPARTMENT_NAMES[seat[1]]} · {STAGE_NAMES[seat[0]]}"} if seat else None,
            "can_review": can_review,
            "seat_note": seat_note,
            "can_approve": can_approve,
            "approve_blocked": approve_blocked,
        },
        "roster": roster_context(session, principal, body),
    }


def roster_context(session: Session, principal: Principal, body: dict) -> dict | None:
    """The enterprise's rows in the statistics roster (the authority on 首次升规 and revenue),
    for those who may read the roster; None for the others."""
    from app.programs.service import find_program
    from app.roster.service import roster_for

    if principal.role not in _ROSTER_READERS:
        return None
    program = find_program(session, body["program_code"])
    cohort = program.cohort_year if program else None
    rows = []
    for e in roster_for(session, body["enterprise"]["uscc"]):
        rows.append({
            "year": e.year, "name": e.name, "district_code": e.district_code, "industry_code": e.industry_code,
            "first_included": e.first_included, "revenue_wan": fen_to_wan(e.main_revenue_fen),
            "cohort": e.year == cohort, "earlier": cohort is not None and e.year < cohort,
        })
    return {"rows": rows, "cohort_year": cohort}


# ---------------------------------------------------------------- home dashboard


def dashboard(session: Session, principal: Principal) -> list[dict]:
    """Per programme: counts by status (the pipeline) and by district × status, from one
    GROUP BY per programme (status_counts); never rows loaded into Python to be counted."""
    from app.applications.service import status_counts
    from app.districts.service import district_names
    from app.programs.service import list_programs, program_district_codes

    names = district_names(session)
    out = []
    for program in list_programs(session):
        counts = status_counts(session, principal, program_id=program.id)
        by_status: dict[str, int] = {s: 0 for s in STATUS_NAMES}
        by_district: dict[str, dict[str, int]] = {}
        for (district, status), n in counts.items():
            by_status[status] = by_status.get(status, 0) + n
            row = by_district.setdefault(district, {s: 0 for s in STATUS_NAMES})
            row[status] = row.get(status, 0) + n
        if principal.district_code is not None:
            codes = [principal.district_code]
        else:
            codes = sorted(program_district_codes(session, program.id) | set(by_district))
        districts = [{"code": c, "name": names.get(c, c), "counts": by_district.get(c, {s: 0 for s in STATUS_NAMES}),
                      "total": sum(by_district.get(c, {}).values())} for c in codes]
        out.append({
            "code": program.code, "title": program.title, "cohort_year": program.cohort_year,
            "budget_year": program.budget_year, "target": program.target_enterprise_count,
            "city_budget_wan": fen_to_wan(program.city_budget_fen),
            "opens_on": program.application_opens_on, "closes_on": program.application_closes_on,
            "by_status": by_status, "total": sum(by_status.values()), "districts": districts,
            "awaiting": awaiting_count(session, principal, program.id),
        })
    return out
