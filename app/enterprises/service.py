"""Enterprises: the list (keyset pages, counts in SQL) and one enterprise's whole history
across programmes — applications, review decisions, payments, roster years, surveys and
follow-up service records. Scoping: a district-bound caller sees its district's enterprises
only; another district's enterprise is 404, so that its existence does not leak."""

from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from app.applications.lifecycle import STATUS_NAMES
from app.applications.models import Application
from app.applications.service import mask_account
from app.core.db import iso
from app.core.errors import Invalid, NotFound
from app.core.money import fen_to_yuan
from app.core.pagination import decode_id_cursor, encode_cursor
from app.districts.models import District
from app.enterprises.models import Enterprise
from app.enterprises.uscc import uscc_problem
from app.funds.models import Payment
from app.programs.models import Program
from app.reviews.models import ReviewDecision
from app.roster.service import roster_for
from app.surveys.models import SATISFACTION, SurveyResponse
from app.users.auth import Principal
from app.users.models import Role


def normalize_uscc(uscc: str) -> str:
    """The code as stored (upper case), or 422 with the reason in Chinese."""
    code = uscc.strip().upper()
    if problem := uscc_problem(code):
        raise Invalid(problem, errors=[{"loc": ["path", "uscc"], "msg": problem, "code": "uscc_invalid"}])
    return code


def get_visible(session: Session, principal: Principal, uscc: str) -> Enterprise:
    """The enterprise if the caller may see it: one message for unknown and out of scope."""
    code = normalize_uscc(uscc)
    enterprise = session.exec(select(Enterprise).where(Enterprise.uscc == code)).first()
    if enterprise is None or not principal.can_see_district(enterprise.district_code):
        raise NotFound(f"企业不存在或无权查看：{code}。")
    return enterprise


def visible_by_id(session: Session, principal: Principal, enterprise_id: int) -> Enterprise | None:
    enterprise = session.get(Enterprise, enterprise_id)
    if enterprise is None or not principal.can_see_district(enterprise.district_code):
        return None
    return enterprise


# ---------------------------------------------------------------- the list


def _application_scope(principal: Principal) -> list:
    """A district-bound caller sees the applications its district submitted (as the
    application API does), even of an enterprise that has since moved in."""
    return [Application.district_code == principal.district_code] if principal.district_code is not None else []


def _application_count(principal: Principal):
    return (
        select(func.count(Application.id))
        .where(Application.enterprise_id == Enterprise.id, *_application_scope(principal))
        .correlate(Enterprise)
        .scalar_subquery()
    )


def awarded_codes(session: Session, principal: Principal, enterprise_ids: list[int]) -> dict[int, list[str]]:
    """enterprise id → codes of the programmes under which a payment stands — awarded as
    app/funds/awarded.py defines it, grouped by enterprise: one query for a whole page."""
    if not enterprise_ids:
        return {}
    rows = session.exec(
        select(Application.enterprise_id, Program.code)
        .join(Payment, col(Payment.application_id) == Application.id)
        .join(Program, col(Program.id) == Application.program_id)
        .where(col(Application.enterprise_id).in_(enterprise_ids), Payment.status == "paid",
               *_application_scope(principal))
        .distinct()
    ).all()
    out: dict[int, list[str]] = {}
    for enterprise_id, code in rows:
        out.setdefault(enterprise_id, []).append(code)
    return {k: sorted(v) for k, v in out.items()}


def list_page(
    session: Session,
    principal: Principal,
    *,
    district: str | None = None,
    q: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> tuple[list[dict], str | None]:
    """Newest first, keyset on id; each row with its application count (a correlated
    subquery in the same SELECT) and the programmes that awarded it (one more query for the
    whole page). `q` is a name substring or the beginning of the credit code."""
    stmt = (
        select(Enterprise, District.name, _application_count(principal).label("applications"))
        .join(District, col(District.code) == Enterprise.district_code, isouter=True)
    )
    if principal.district_code is not None:
        stmt = stmt.where(Enterprise.district_code == principal.district_code)
    if district:
        stmt = stmt.where(Enterprise.district_code == district)
    if q and q.strip():
        q = q.strip()
        stmt = stmt.where(or_(col(Enterprise.name).contains(q, autoescape=True),
                              col(Enterprise.uscc).startswith(q.upper(), autoescape=True)))
    after_id = decode_id_cursor(cursor)
    if after_id is not None:
        stmt = stmt.where(Enterprise.id < after_id)
    rows = list(session.exec(stmt.order_by(col(Enterprise.id).desc()).limit(limit + 1)).all())
    page = rows[:limit]
    next_cursor = encode_cursor([page[-1][0].id]) if len(rows) > limit else None
    awarded = awarded_codes(session, principal, [e.id for e, _n, _c in page])
    items = [
        {
            "uscc": e.uscc, "name": e.name, "district_code": e.district_code, "district_name": district_name or "",
            "industry_code": e.industry_code, "application_count": count or 0, "awarded_programs": awarded.get(e.id, []),
        }
        for e, district_name, count in page
    ]
    return items, next_cursor


# ---------------------------------------------------------------- one enterprise's history


def _change_pct(previous_fen: int, current_fen: int) -> float | None:
    if previous_fen <= 0:
        return None
    pct = (Decimal(current_fen - previous_fen) * 100 / Decimal(previous_fen)).quantize(Decimal("0.1"), ROUND_HALF_UP)
    return float(pct)


def roster_years(session: Session, uscc: str) -> list[dict]:
    """The enterprise's rows in the statistics roster, oldest first, each with its change
    against the year before (when that year is in the roster too)."""
    out = []
    previous = None
    for e in roster_for(session, uscc):
        change = _change_pct(previous.main_revenue_fen, e.main_revenue_fen) if previous and previous.year == e.year - 1 else None
        out.append({
            "year": e.year, "name": e.name, "district_code": e.district_code, "industry_code": e.industry_code,
            "first_included": e.first_included, "main_revenue": fen_to_yuan(e.main_revenue_fen), "change_pct": change,
        })
        previous = e
    return out


def history(session: Session, principal: Principal, enterprise: Enterprise) -> dict:
    """The enterprise as the API answers it, with everything that happened to it. A
    district-bound caller sees only the applications (and their decisions and payments)
    its district submitted — the same scope as the application API."""
    from app.followups.service import list_page as follow_up_page

    district = session.get(District, enterprise.district_code)
    scope = [Application.enterprise_id == enterprise.id, *_application_scope(principal)]

    applications = session.exec(
        select(Application, Program.code).join(Program, col(Program.id) == Application.program_id)
        .where(*scope).order_by(col(Application.id))
    ).all()
    decisions = session.exec(
        select(ReviewDecision, Program.code)
        .join(Application, col(Application.id) == ReviewDecision.application_id)
        .join(Program, col(Program.id) == Application.program_id)
        .where(*scope).order_by(col(ReviewDecision.decided_at), col(ReviewDecision.id))
    ).all()
    payments = session.exec(
        select(Payment, Program.code)
        .join(Application, col(Application.id) == Payment.application_id)
        .join(Program, col(Program.id) == Application.program_id)
        .where(*scope).order_by(col(Payment.paid_on), col(Payment.id))
    ).all()
    surveys = session.exec(
        select(SurveyResponse, Program.code).join(Program, col(Program.id) == SurveyResponse.program_id)
        .where(SurveyResponse.enterprise_id == enterprise.id)
        .order_by(col(SurveyResponse.collected_on), col(SurveyResponse.id))
    ).all()
    follow_ups, _next = follow_up_page(session, principal, enterprise_id=enterprise.id, limit=500)
    full_account = principal.role == Role.finance
    return {
        "uscc": enterprise.uscc,
        "name": enterprise.name,
        "district_code": enterprise.district_code,
        "district_name": district.name if district else "",
        "industry_code": enterprise.industry_code,
        "address": enterprise.address,
        "legal_representative": enterprise.legal_representative,
        "contact_name": enterprise.contact_name,
        "contact_phone": enterprise.contact_phone,
        "bank_name": enterprise.bank_name,
        "bank_account": enterprise.bank_account if full_account else mask_account(enterprise.bank_account),
        "created_at": iso(enterprise.created_at),
        "updated_at": iso(enterprise.updated_at),
        "awarded_programs": sorted({code for p, code in payments if p.status == "paid"}),
        "applications": [
            {
                "id": a.id, "program_code": code, "status": a.status, "status_name": STATUS_NAMES[a.status],
                "district_code": a.district_code, "external_ref": a.external_ref,
                "declared_revenue": fen_to_yuan(a.declared_revenue_fen),
                "first_above_scale_period": a.first_above_scale_period,
                "created_at": iso(a.created_at), "updated_at": iso(a.updated_at),
            }
            for a, code in applications
        ],
        "decisions": [
            {
                "application_id": r.application_id, "program_code": code, "submission_no": r.submission_no,
                "stage": r.stage, "department": r.department, "decision": r.decision, "opinion": r.opinion,
                "reviewer": r.reviewer, "decided_at": iso(r.decided_at),
            }
            for r, code in decisions
        ],
        "payments": [
            {
                "id": p.id, "application_id": p.application_id, "program_code": code, "level": p.level,
                "amount": fen_to_yuan(p.amount_fen), "voucher_no": p.voucher_no, "paid_on": p.paid_on.isoformat(),
                "status": p.status, "returned_on": p.returned_on.isoformat() if p.returned_on else None,
            }
            for p, code in payments
        ],
        "roster": roster_years(session, enterprise.uscc),
        "surveys": [
            {
                "program_code": code, "overall": s.overall, "overall_name": SATISFACTION.get(s.overall, s.overall),
                "answers": s.answers or {}, "comment": s.comment, "channel": s.channel,
                "collected_on": s.collected_on.isoformat(),
            }
            for s, code in surveys
        ],
        "follow_ups": follow_ups,
    }
