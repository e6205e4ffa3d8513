"""Follow-up service records (跟踪服务): the city industry bureau (any district) and a
district industry bureau (its own district) record visits and services to enterprises, the
needs and problems raised, and resolve them. Every change writes its audit event in the
request's transaction."""

from datetime import date

from sqlmodel import Session, col, select

from app.audit import service as audit
from app.core.clock import beijing_today
from app.core.db import iso, utcnow
from app.core.errors import Forbidden, Invalid, NotFound
from app.core.pagination import decode_id_cursor, encode_cursor
from app.enterprises import service as enterprises
from app.enterprises.models import Enterprise
from app.followups.models import FOLLOW_UP_KINDS, FollowUp
from app.followups.schemas import FOLLOW_UP_STATUSES, FollowUpCreate, FollowUpUpdate
from app.programs.models import Program
from app.users.auth import Principal
from app.users.models import Role

# Who keeps the records: the industry bureaus, each within its scope.
KEEPERS = (Role.city_industry, Role.district_industry)


def _ensure_keeper(principal: Principal) -> None:
    if principal.role not in KEEPERS:
        raise Forbidden("只有市工信局和区县工信部门可以登记跟踪服务记录。")


def _invalid(field: str, message: str, code: str) -> Invalid:
    return Invalid(message, errors=[{"loc": ["body", field], "msg": message, "code": code}])


def _audit_summary(row: FollowUp, uscc: str, program_code: str | None) -> dict:
    return {
        "uscc": uscc, "program": program_code, "occurred_on": row.occurred_on, "kind": row.kind, "needs": row.needs,
        "notes": row.notes, "status": row.status, "resolved_on": row.resolved_on, "resolved_by": row.resolved_by,
    }


def public(row: FollowUp, enterprise: Enterprise, program_code: str | None) -> dict:
    return {
        "id": row.id,
        "uscc": enterprise.uscc,
        "enterprise_name": enterprise.name,
        "district_code": enterprise.district_code,
        "program_code": program_code,
        "occurred_on": row.occurred_on.isoformat(),
        "kind": row.kind,
        "kind_name": FOLLOW_UP_KINDS.get(row.kind, row.kind),
        "needs": row.needs,
        "notes": row.notes,
        "status": row.status,
        "status_name": FOLLOW_UP_STATUSES.get(row.status, row.status),
        "created_by": row.created_by,
        "created_at": iso(row.created_at),
        "resolved_on": row.resolved_on.isoformat() if row.resolved_on else None,
        "resolved_by": row.resolved_by,
        "updated_at": iso(row.updated_at),
    }


def _program_code(session: Session, program_id: int | None) -> str | None:
    if program_id is None:
        return None
    program = session.get(Program, program_id)
    return program.code if program else None


def describe(session: Session, row: FollowUp) -> dict:
    return public(row, session.get(Enterprise, row.enterprise_id), _program_code(session, row.program_id))


# ---------------------------------------------------------------- writing


def create(session: Session, principal: Principal, uscc: str, body: FollowUpCreate, *, today: date | None = None) -> FollowUp:
    _ensure_keeper(principal)
    enterprise = enterprises.get_visible(session, principal, uscc)
    today = today or beijing_today()
    if body.occurred_on > today:
        raise _invalid("occurred_on", f"服务日期 {body.occurred_on} 晚于今天（{today}），只能登记已经发生的服务。", "date_in_future")
    program_id = None
    if body.program_code:
        program = session.exec(select(Program).where(Program.code == body.program_code)).first()
        if program is None:
            raise _invalid("program_code", f"奖补项目不存在：{body.program_code}。", "unknown_program")
        program_id = program.id
    resolved = body.status == "resolved"
    row = FollowUp(
        enterprise_id=enterprise.id, program_id=program_id, occurred_on=body.occurred_on, kind=body.kind,
        needs=body.needs, notes=body.notes, status=body.status, created_by=principal.name,
        # Settled on the spot: resolved the day the service took place.
        resolved_on=body.occurred_on if resolved else None, resolved_by=principal.name if resolved else None,
    )
    session.add(row)
    session.flush()
    audit.record(session, actor=principal.name, role=principal.role.value, action="follow_up.create",
                 entity_type="follow_up", entity_id=row.id, after=_audit_summary(row, enterprise.uscc, body.program_code))
    return row


def get_visible(session: Session, principal: Principal, follow_up_id: int, *, for_update: bool = False) -> FollowUp:
    stmt = select(FollowUp).where(FollowUp.id == follow_up_id)
    if for_update:
        stmt = stmt.with_for_update()
    row = session.exec(stmt).first()
    if row is None or enterprises.visible_by_id(session, principal, row.enterprise_id) is None:
        raise NotFound(f"跟踪服务记录不存在或无权查看：{follow_up_id}。")
    return row


def update(session: Session, principal: Principal, follow_up_id: int, body: FollowUpUpdate, *,
           today: date | None = None) -> FollowUp:
    """办结 (status resolved: resolved_on defaults to today, resolved_by is the caller), reopen
    (status open) or amend the notes. The row is locked for the change."""
    _ensure_keeper(principal)
    row = get_visible(session, principal, follow_up_id, for_update=True)
    if body.status is None and body.notes is None and body.resolved_on is None:
        raise Invalid("请至少提供一项要修改的内容：status、notes 或 resolved_on。",
                      errors=[{"loc": ["body"], "msg": "没有要修改的内容", "code": "empty_update"}])
    enterprise = session.get(Enterprise, row.enterprise_id)
    program_code = _program_code(session, row.program_id)
    before = _audit_summary(row, enterprise.uscc, program_code)
    status = body.status or row.status
    if body.resolved_on is not None and status != "resolved":
        raise _invalid("resolved_on", "只有办结（status 为 resolved）时才能填写办结日期。", "not_resolving")
    today = today or beijing_today()
    if status == "resolved" and (row.status != "resolved" or body.resolved_on is not None):
        resolved_on = body.resolved_on or today
        if resolved_on > today:
            raise _invalid("resolved_on", f"办结日期 {resolved_on} 晚于今天（{today}）。", "date_in_future")
        if resolved_on < row.occurred_on:
            raise _invalid("resolved_on", f"办结日期 {resolved_on} 早于服务日期 {row.occurred_on}。", "before_occurred_on")
        row.resolved_on, row.resolved_by = resolved_on, principal.name
    elif status == "open":
        row.resolved_on, row.resolved_by = None, None
    row.status = status
    if body.notes is not None:
        row.notes = body.notes
    row.updated_at = utcnow()
    session.add(row)
    session.flush()
    if before["status"] != row.status:
        action = "follow_up.resolve" if row.status == "resolved" else "follow_up.reopen"
    else:
        action = "follow_up.update"
    audit.record(session, actor=principal.name, role=principal.role.value, action=action, entity_type="follow_up",
                 entity_id=row.id, before=before, after=_audit_summary(row, enterprise.uscc, program_code))
    return row


# ---------------------------------------------------------------- reading


def _check_choice(value: str | None, choices: dict, field: str, label: str) -> str | None:
    if not value:
        return None
    if value not in choices:
        allowed = "、".join(f"{code}（{name}）" for code, name in choices.items())
        raise Invalid(f"未知的{label}：{value}。可选：{allowed}。",
                      errors=[{"loc": ["query", field], "msg": f"未知的{label}", "code": "enum"}])
    return value


def list_page(
    session: Session,
    principal: Principal,
    *,
    enterprise_id: int | None = None,
    status: str | None = None,
    district: str | None = None,
    kind: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> tuple[list[dict], str | None]:
    """Newest first, keyset on id; one query for the page (enterprise and programme joined)."""
    status = _check_choice(status, FOLLOW_UP_STATUSES, "status", "状态")
    kind = _check_choice(kind, FOLLOW_UP_KINDS, "kind", "服务方式")
    stmt = (
        select(FollowUp, Enterprise, Program.code)
        .join(Enterprise, col(Enterprise.id) == FollowUp.enterprise_id)
        .join(Program, col(Program.id) == FollowUp.program_id, isouter=True)
    )
    if principal.district_code is not None:
        stmt = stmt.where(Enterprise.district_code == principal.district_code)
    if enterprise_id is not None:
        stmt = stmt.where(FollowUp.enterprise_id == enterprise_id)
    if district:
        stmt = stmt.where(Enterprise.district_code == district)
    if status:
        stmt = stmt.where(FollowUp.status == status)
    if kind:
        stmt = stmt.where(FollowUp.kind == kind)
    after_id = decode_id_cursor(cursor)
    if after_id is not None:
        stmt = stmt.where(FollowUp.id < after_id)
    rows = list(session.exec(stmt.order_by(col(FollowUp.id).desc()).limit(limit + 1)).all())
    page = rows[:limit]
    next_cursor = encode_cursor([page[-1][0].id]) if len(rows) > limit else None
    return [public(f, e, code) for f, e, code in page], next_cursor


def for_enterprise(session: Session, principal: Principal, uscc: str, *, limit: int = 50,
                   cursor: str | None = None) -> tuple[Enterprise, list[dict], str | None]:
    """The records of one enterprise, for their keepers (another district's enterprise is 404)."""
    _ensure_keeper(principal)
    enterprise = enterprises.get_visible(session, principal, uscc)
    items, next_cursor = list_page(session, principal, enterprise_id=enterprise.id, limit=limit, cursor=cursor)
    return enterprise, items, next_cursor


def list_all(session: Session, principal: Principal, **filters) -> tuple[list[dict], str | None]:
    _ensure_keeper(principal)
    return list_page(session, principal, **filters)
