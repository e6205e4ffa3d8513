"""Joint reviews (联合审核): at each stage both departments decide; the stage advances when
both approved, in either order. A reject ends the application, a return sends it back.
Every decision goes through the lifecycle's one transition function."""

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.applications import eligibility
from app.applications.lifecycle import STATUS_NAMES, check, parse_if_match, transition
from app.applications.models import Application
from app.applications.service import get_visible
from app.core.db import iso
from app.core.errors import Conflict, Forbidden, Invalid
from app.core.pagination import decode_id_cursor, encode_cursor
from app.enterprises.models import Enterprise
from app.programs.models import Program
from app.reviews.models import ReviewDecision
from app.users.auth import Principal
from app.users.models import Role

# The reviewer's seat: role → (stage, department).
SEATS: dict[Role, tuple[str, str]] = {
    Role.district_industry: ("district", "industry"),
    Role.district_stats: ("district", "stats"),
    Role.city_industry: ("city", "industry"),
    Role.city_stats: ("city", "stats"),
}
# The status in which each stage reviews.
STAGE_STATUS = {"district": "submitted", "city": "district_approved"}
STAGE_NAMES = {"district": "区县初审", "city": "市级复审"}
DEPARTMENT_NAMES = {"industry": "工信部门", "stats": "统计部门"}
DECISION_NAMES = {"approve": "同意", "reject": "不同意", "return": "退回补正"}


def seat_of(principal: Principal) -> tuple[str, str]:
    seat = SEATS.get(principal.role)
    if seat is None:
        raise Forbidden("只有区县、市级工信部门和统计部门可以审核申报。")
    return seat


def stage_decisions(session: Session, application: Application, stage: str) -> dict[str, ReviewDecision]:
    """This submission's decisions at one stage, by department."""
    rows = session.exec(
        select(ReviewDecision).where(
            ReviewDecision.application_id == application.id,
            ReviewDecision.submission_no == application.submission_no,
            ReviewDecision.stage == stage,
        )
    ).all()
    return {r.department: r for r in rows}


def decide(
    session: Session, principal: Principal, application_id: int, *, decision: str, opinion: str, if_match: str | None
) -> Application:
    stage, department = seat_of(principal)
    expected = parse_if_match(if_match)
    if decision in ("reject", "return") and len(opinion) < 2:
        raise Invalid("不同意或退回补正时须填写审核意见（至少 2 个字）。",
                      errors=[{"loc": ["body", "opinion"], "msg": "须填写审核意见", "code": "opinion_required"}])
    application = get_visible(session, principal, application_id, for_update=True)
    check(application, decision, principal, expected_version=expected)
    decided = stage_decisions(session, application, stage)
    if department in decided:
        raise Conflict(f"{DEPARTMENT_NAMES[department]}已对本次申报作出{STAGE_NAMES[stage]}意见"
                       f"（{DECISION_NAMES[decided[department].decision]}），同一部门对同一次申报只能审核一次。")
    if decision == "approve":
        checks = eligibility.checks_for(session, application.id)
        if eligibility.outcome_of(checks, "documents_complete") != "pass":
            raise Conflict("申报材料尚不齐全（申请报告、营业执照副本、财务报表），不能审核同意；可退回补正。")
        other = "stats" if department == "industry" else "industry"
        both = other in decided and decided[other].decision == "approve"
        target = {"district": "district_approved", "city": "city_approved"}[stage] if both else application.status
    else:
        target = {"reject": "rejected", "return": "returned"}[decision]
    transition(session, application, decision, principal, expected_version=expected, to=target,
               details={"stage": stage, "department": department, "decision": decision, "opinion": opinion})
    try:
        with session.begin_nested():
            session.add(ReviewDecision(
                application_id=application.id, submission_no=application.submission_no, stage=stage,
                department=department, decision=decision, opinion=opinion, reviewer=principal.name,
            ))
    except IntegrityError:
        raise Conflict("同一部门对同一次申报只能审核一次。") from None
    return application


def awaiting(principal: Principal) -> tuple[str, str] | None:
    """(status, department) of what awaits this reviewer, or None for non-reviewers."""
    seat = SEATS.get(principal.role)
    if seat is None:
        return None
    return STAGE_STATUS[seat[0]], seat[1]


def list_page(
    session: Session,
    principal: Principal,
    *,
    program: str | None = None,
    stage: str | None = None,
    department: str | None = None,
    decision: str | None = None,
    district: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> tuple[list[dict], str | None]:
    stmt = (
        select(ReviewDecision, Application.district_code, Program.code, Enterprise.name)
        .join(Application, col(Application.id) == ReviewDecision.application_id)
        .join(Program, col(Program.id) == Application.program_id)
        .join(Enterprise, col(Enterprise.id) == Application.enterprise_id)
    )
    for value, allowed_values, label in ((stage, STAGE_NAMES, "stage"), (department, DEPARTMENT_NAMES, "department"),
                                         (decision, DECISION_NAMES, "decision")):
        if value and value not in allowed_values:
            raise Invalid(f"未知的 {label}：{value}。可选：{'、'.join(allowed_values)}。",
                          errors=[{"loc": ["query", label], "msg": "取值不在允许范围内", "code": "enum"}])
    if principal.district_code is not None:
        stmt = stmt.where(Application.district_code == principal.district_code)
    if district:
        stmt = stmt.where(Application.district_code == district)
    if program:
        stmt = stmt.where(Program.code == program)
    if stage:
        stmt = stmt.where(ReviewDecision.stage == stage)
    if department:
        stmt = stmt.where(ReviewDecision.department == department)
    if decision:
        stmt = stmt.where(ReviewDecision.decision == decision)
    after_id = decode_id_cursor(cursor)
    if after_id is not None:
        stmt = stmt.where(ReviewDecision.id < after_id)
    rows = session.exec(stmt.order_by(col(ReviewDecision.id).desc()).limit(limit + 1)).all()
    page = rows[:limit]
    items = [
        {"id": r.id, "application_id": r.application_id, "program_code": code, "district_code": district_code,
         "enterprise_name": name, "stage": r.stage, "department": r.department, "decision": r.decision,
         "opinion": r.opinion, "reviewer": r.reviewer, "decided_at": iso(r.decided_at), "submission_no": r.submission_no}
        for r, district_code, code, name in page
    ]
    return items, (encode_cursor([page[-1][0].id]) if len(rows) > limit else None)


__all__ = ["STATUS_NAMES", "decide", "list_page", "awaiting", "seat_of", "stage_decisions"]
