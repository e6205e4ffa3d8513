"""Application intake: submit, read, list, resubmit, withdraw. Rules live here."""

import hashlib
import json
from datetime import date
from functools import cache

from sqlalchemy import bindparam, func, or_
from sqlmodel import Session, col, select

from app.applications import eligibility
from app.applications.lifecycle import STATUS_NAMES, parse_if_match, transition
from app.applications.models import Application
from app.applications.schemas import ApplicationSubmit, EnterpriseIn
from app.audit import service as audit
from app.core.db import iso, upsert_insert, utcnow
from app.core.errors import Conflict, Forbidden, Invalid, NotFound
from app.core.money import fen_to_yuan
from app.core.pagination import decode_id_cursor, encode_cursor
from app.districts.models import District
from app.documents.models import Document
from app.enterprises.models import Enterprise
from app.funds.models import Payment
from app.programs.models import Program
from app.reviews.models import ReviewDecision
from app.users.auth import Principal
from app.users.models import Role

ENTERPRISE_FIELDS = (
    "name", "district_code", "industry_code", "address", "legal_representative",
    "contact_name", "contact_phone", "bank_name", "bank_account",
)


def body_sha256(body: ApplicationSubmit) -> str:
    canonical = json.dumps(body.model_dump(mode="json"), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def mask_account(account: str) -> str:
    digits = account.replace(" ", "").replace("-", "")
    if not digits:
        return ""
    return "*" * max(len(digits) - 4, 0) + digits[-4:]


# ---------------------------------------------------------------- reading


def get_visible(session: Session, principal: Principal, application_id: int, *, for_update: bool = False) -> Application:
    """The application if the caller may see it. Another district's record answers 404 so
    that its existence does not leak."""
    stmt = select(Application).where(Application.id == application_id)
    if for_update:
        stmt = stmt.with_for_update()
    application = session.exec(stmt).first()
    if application is None or not principal.can_see_district(application.district_code):
        raise NotFound(f"申报不存在：{application_id}。")
    return application


def _program(session: Session, code: str) -> Program:
    program = session.exec(select(Program).where(Program.code == code)).first()
    if program is None:
        raise NotFound(f"项目不存在：{code}。")
    return program


def list_page(
    session: Session,
    principal: Principal,
    *,
    program: str | None = None,
    status: str | None = None,
    district: str | None = None,
    q: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
    awaiting: tuple[str, str] | None = None,
) -> tuple[list[tuple[Application, Enterprise, str]], str | None]:
    """Newest first, keyset on id: a deep page costs what the first one does. `awaiting`
    = (status, department) keeps what still waits for that department's decision (待我审核)."""
    stmt = (
        select(Application, Enterprise, Program.code)
        .join(Enterprise, col(Enterprise.id) == Application.enterprise_id)
        .join(Program, col(Program.id) == Application.program_id)
    )
    if principal.district_code is not None:
        stmt = stmt.where(Application.district_code == principal.district_code)
    if district:
        stmt = stmt.where(Application.district_code == district)
    if program:
        # By id, so that the planner walks the (program_id, id) index newest first.
        stmt = stmt.where(Application.program_id == select(Program.id).where(Program.code == program).scalar_subquery())
    if status:
        if status not in STATUS_NAMES:
            raise Invalid(f"未知状态：{status}。可选：{'、'.join(STATUS_NAMES)}。",
                          errors=[{"loc": ["query", "status"], "msg": "未知状态", "code": "enum"}])
        stmt = stmt.where(Application.status == status)
    if q:
        q = q.strip()
        stmt = stmt.where(or_(col(Enterprise.name).contains(q), Enterprise.uscc == q.upper(), Application.external_ref == q))
    if awaiting:
        stmt = _awaiting(stmt, *awaiting)
    after_id = decode_id_cursor(cursor)
    if after_id is not None:
        stmt = stmt.where(Application.id < after_id)
    rows = list(session.exec(stmt.order_by(col(Application.id).desc()).limit(limit + 1)).all())
    page = rows[:limit]
    next_cursor = encode_cursor([page[-1][0].id]) if len(rows) > limit else None
    return page, next_cursor


def _awaiting(stmt, status: str, department: str):  # noqa: ANN001
    decided = (
        select(ReviewDecision.id)
        .where(
            ReviewDecision.application_id == Application.id,
            ReviewDecision.submission_no == Application.submission_no,
            ReviewDecision.department == department,
            ReviewDecision.stage == ("district" if status == "submitted" else "city"),
        )
        .exists()
    )
    return stmt.where(Application.status == status, ~decided)


def status_counts(session: Session, principal: Principal, *, program_id: int | None = None,
                  awaiting: tuple[str, str] | None = None) -> dict[tuple[str, str], int]:
    """(district, status) → count, in one GROUP BY (the dashboard's pipeline)."""
    stmt = select(Application.district_code, Application.status, func.count()).group_by(
        Application.district_code, Application.status)
    if principal.district_code is not None:
        stmt = stmt.where(Application.district_code == principal.district_code)
    if program_id is not None:
        stmt = stmt.where(Application.program_id == program_id)
    if awaiting:
        stmt = _awaiting(stmt, *awaiting)
    return {(d, s): n for d, s, n in session.exec(stmt).all()}


def summary(application: Application, enterprise: Enterprise, program_code: str) -> dict:
    return {
        "id": application.id,
        "program_code": program_code,
        "status": application.status,
        "status_name": STATUS_NAMES[application.status],
        "version": application.version,
        "external_ref": application.external_ref,
        "district_code": application.district_code,
        "enterprise_uscc": enterprise.uscc,
        "enterprise_name": enterprise.name,
        "declared_revenue": fen_to_yuan(application.declared_revenue_fen),
        "created_at": iso(application.created_at),
        "updated_at": iso(application.updated_at),
    }


def public(session: Session, application: Application, principal: Principal, *, new: bool = False) -> dict:
    """The full application as the API answers it. `new`: just submitted, so it has no
    documents, reviews or payments yet (three queries fewer on the intake path)."""
    enterprise, program_code, district_name = session.exec(
        select(Enterprise, Program.code, District.name)
        .join(District, col(District.code) == Enterprise.district_code)
        .join(Program, col(Program.id) == application.program_id)
        .where(Enterprise.id == application.enterprise_id)
    ).one()
    full_account = principal.role == Role.finance
    documents, reviews, payments = [], [], []
    if not new:
        documents = session.exec(
            select(Document).where(Document.application_id == application.id).order_by(col(Document.id))
        ).all()
        reviews = session.exec(
            select(ReviewDecision).where(ReviewDecision.application_id == application.id).order_by(col(ReviewDecision.id))
        ).all()
        payments = session.exec(select(Payment).where(Payment.application_id == application.id).order_by(col(Payment.id))).all()
    return {
        "id": application.id,
        "program_code": program_code,
        "status": application.status,
        "status_name": STATUS_NAMES[application.status],
        "version": application.version,
        "external_ref": application.external_ref,
        "district_code": application.district_code,
        "submission_no": application.submission_no,
        "enterprise": {
            "uscc": enterprise.uscc,
            "name": enterprise.name,
            "district_code": enterprise.district_code,
            "district_name": district_name,
            "industry_code": enterprise.industry_code,
            "address": enterprise.address,
            "legal_representative": enterprise.legal_representative,
            "contact_name": enterprise.contact_name,
            "contact_phone": enterprise.contact_phone,
            "bank_name": enterprise.bank_name,
            "bank_account": enterprise.bank_account if full_account else mask_account(enterprise.bank_account),
        },
        "declared_revenue": fen_to_yuan(application.declared_revenue_fen),
        "first_above_scale_period": application.first_above_scale_period,
        "eligibility": [
            {"rule": c.rule, "name": eligibility.RULE_NAMES_ZH[c.rule], "outcome": c.outcome, "message": c.message}
            for c in eligibility.checks_for(session, application.id)
        ],
        "documents": [
            {"id": d.id, "kind": d.kind, "filename": d.filename, "content_type": d.content_type, "size": d.size,
             "sha256": d.sha256, "uploaded_at": iso(d.created_at)}
            for d in documents
        ],
        "reviews": [
            {"stage": r.stage, "department": r.department, "decision": r.decision, "opinion": r.opinion,
             "reviewer": r.reviewer, "decided_at": iso(r.decided_at), "submission_no": r.submission_no}
            for r in reviews
        ],
        "payments": [
            {"id": p.id, "level": p.level, "amount": fen_to_yuan(p.amount_fen), "voucher_no": p.voucher_no,
             "paid_on": p.paid_on.isoformat(), "status": p.status}
            for p in payments
        ],
        "history": [
            {"at": iso(e.occurred_at), "actor": e.actor, "role": e.role, "action": e.action, "summary": e.after}
            for e in audit.history(session, "application", application.id)
        ],
        "created_at": iso(application.created_at),
        "updated_at": iso(application.updated_at),
    }


# ---------------------------------------------------------------- writing


def _check_submitter(principal: Principal, enterprise: EnterpriseIn) -> None:
    if principal.district_code is None or principal.district_code != enterprise.district_code:
        raise Forbidden(f"只能提交本区县（{principal.district_code}）企业的申报，该企业属于 {enterprise.district_code}。")


def _check_window(program: Program, today: date) -> None:
    opens, closes = program.application_opens_on, program.application_closes_on
    if (opens and today < opens) or (closes and today > closes):
        raise Conflict(f"项目 {program.code} 的申报期为 {opens or '—'} 至 {closes or '—'}，当前不在申报期内。")


def _upsert_enterprise(session: Session, data: EnterpriseIn) -> Enterprise:
    if session.get(District, data.district_code) is None:
        raise Invalid(f"区县代码不存在：{data.district_code}。",
                      errors=[{"loc": ["body", "enterprise", "district_code"], "msg": "区县代码不存在", "code": "unknown_district"}])
    now = utcnow()
    return session.scalars(_intake_statements(session.get_bind().dialect.name)["enterprise"],
                           {"uscc": data.uscc, "created_at": now, "updated_at": now,
                            **{f: getattr(data, f) for f in ENTERPRISE_FIELDS}},
                           execution_options={"populate_existing": True}).one()


_APPLICATION_COLUMNS = (
    "program_id", "enterprise_id", "live_enterprise_id", "district_code", "external_ref", "submitted_by",
    "declared_revenue_fen", "first_above_scale_period", "status", "version", "submission_no", "body_sha256",
    "created_at", "updated_at",
)


@cache
def _intake_statements(dialect: str) -> dict:
    """The intake's two INSERTs, built once per dialect with bind parameters (composing them
    per submission cost more CPU than sending them). The enterprise: one upsert, safe against
    a concurrent first submission of the same enterprise. The application: the unique keys
    decide in the INSERT itself — (district, external_ref): this very submission, committed
    meanwhile by a concurrent retry; (programme, live enterprise): a duplicate."""
    enterprise = upsert_insert(dialect, Enterprise).values(
        {c: bindparam(c) for c in ("uscc", "created_at", "updated_at", *ENTERPRISE_FIELDS)})
    enterprise = enterprise.on_conflict_do_update(
        index_elements=["uscc"],
        set_={c: enterprise.excluded[c] for c in (*ENTERPRISE_FIELDS, "updated_at")},
    ).returning(Enterprise)
    application = upsert_insert(dialect, Application).values({c: bindparam(c) for c in _APPLICATION_COLUMNS})
    return {"enterprise": enterprise, "application": application.on_conflict_do_nothing().returning(Application)}


def _by_natural_key(session: Session, district_code: str, external_ref: str) -> Application | None:
    return session.exec(
        select(Application).where(Application.district_code == district_code, Application.external_ref == external_ref)
    ).first()


def _replay_natural_key(existing: Application, digest: str) -> Application:
    if existing.body_sha256 != digest:
        raise Conflict(
            f"区县申报编号 external_ref={existing.external_ref} 已用于申报 #{existing.id}，且内容不同。"
            "重发请保持请求体完全一致；新的申报请使用新的编号。",
            application_id=existing.id,
        )
    return existing


def submit(
    session: Session, principal: Principal, program_code: str, body: ApplicationSubmit, *, today: date | None = None
) -> tuple[Application, bool]:
    """Returns (application, created). Resending the same body under the same
    (district, external_ref) returns the existing application; another body → 409."""
    _check_submitter(principal, body.enterprise)
    program = _program(session, program_code)
    digest = body_sha256(body)
    district_code = body.enterprise.district_code
    existing = _by_natural_key(session, district_code, body.external_ref)
    if existing is not None:
        return _replay_natural_key(existing, digest), False
    _check_window(program, today or date.today())
    enterprise = _upsert_enterprise(session, body.enterprise)
    now = utcnow()
    application = session.scalars(_intake_statements(session.get_bind().dialect.name)["application"], {
        "program_id": program.id, "enterprise_id": enterprise.id, "live_enterprise_id": enterprise.id,
        "district_code": district_code, "external_ref": body.external_ref, "submitted_by": principal.name,
        "declared_revenue_fen": body.declared_revenue, "first_above_scale_period": body.first_above_scale_period,
        "status": "submitted", "version": 1, "submission_no": 1, "body_sha256": digest, "created_at": now, "updated_at": now,
    }).one_or_none()
    if application is None:
        existing = _by_natural_key(session, district_code, body.external_ref)
        if existing is not None:
            return _replay_natural_key(existing, digest), False
        duplicate = session.exec(
            select(Application.id).where(Application.program_id == program.id, Application.live_enterprise_id == enterprise.id)
        ).first()
        number = f" #{duplicate}" if duplicate is not None else ""
        raise Conflict(f"企业 {enterprise.uscc} 在项目 {program.code} 中已有有效申报{number}（不可重复申报）。",
                       application_id=duplicate)
    eligibility.recompute(session, application)
    audit.record(
        session, actor=principal.name, role=principal.role.value, action="application.submit",
        entity_type="application", entity_id=application.id, after={
            "status": application.status, "version": application.version, "program": program.code,
            "uscc": enterprise.uscc, "external_ref": application.external_ref,
            "declared_revenue": fen_to_yuan(application.declared_revenue_fen),
        },
    )
    return application, True


def resubmit(
    session: Session, principal: Principal, application_id: int, body: ApplicationSubmit, if_match: str | None
) -> Application:
    expected = parse_if_match(if_match)
    application = get_visible(session, principal, application_id, for_update=True)
    enterprise = session.get(Enterprise, application.enterprise_id)
    if body.enterprise.uscc != enterprise.uscc:
        raise Invalid("补正时不能更换申报企业（统一社会信用代码须与原申报一致）。")
    if body.external_ref != application.external_ref:
        raise Invalid("补正时 external_ref 须与原申报一致。")
    _check_submitter(principal, body.enterprise)
    transition(session, application, "resubmit", principal, expected_version=expected,
               details={"submission_no": application.submission_no + 1})
    _upsert_enterprise(session, body.enterprise)
    application.declared_revenue_fen = body.declared_revenue
    application.first_above_scale_period = body.first_above_scale_period
    application.body_sha256 = body_sha256(body)
    # Decisions belong to a submission: the new one starts with none of the returning stage's.
    application.submission_no += 1
    session.add(application)
    session.flush()
    eligibility.recompute(session, application)
    return application


def withdraw(session: Session, principal: Principal, application_id: int, reason: str, if_match: str | None) -> Application:
    expected = parse_if_match(if_match)
    application = get_visible(session, principal, application_id, for_update=True)
    return transition(session, application, "withdraw", principal, expected_version=expected, details={"reason": reason})
