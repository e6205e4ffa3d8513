"""Public notices (公示), objections (异议) and the close that decides (审定): the rules.

A notice lists every `city_approved` application of a programme for a period of Chinese
working days. During it the public may object online (rate-limited per address); the city
industry bureau records objections received by letter or phone and resolves each one. After
the period, with nothing left unresolved, closing the notice approves every listed
application except those with an upheld objection, which are rejected. Every status change
goes through applications.lifecycle.transition. Services flush, never commit."""

import io
from datetime import date, timedelta
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from sqlalchemy import func
from sqlmodel import Session, col, select

from app.applications.lifecycle import transition
from app.applications.models import Application
from app.audit import service as audit
from app.core.clock import beijing_today
from app.core import ratelimit
from app.core.db import iso, utcnow
from app.core.errors import Conflict, Forbidden, Invalid, NotFound, TooManyRequests
from app.core.money import fen_to_yuan
from app.core.pagination import decode_cursor, encode_cursor
from app.districts.models import District
from app.enterprises.models import Enterprise
from app.notices.models import Notice, NoticeEntry, Objection
from app.notices.schemas import ObjectionCreate
from app.notices.workdays import WorkdayCalendar
from app.programs.models import Program
from app.programs.service import get_program, tranches
from app.users.auth import Principal
from app.users.models import Role

# Online objections per client address and hour: enough for a real objector, too few for a
# flood. Letters and phone calls recorded by officials are not limited.
OBJECTIONS_PER_HOUR = 5
_HOUR = 3600
DEFAULT_CHANNELS = ["本系统公示页面"]
CHANNEL_NAMES = {"online": "在线提交", "letter": "来信", "phone": "来电"}
OUTCOME_NAMES = {"approved": "审定通过", "rejected": "异议成立，不予奖补"}
NOTICE_STATUS_NAMES = {"open": "公示中", "closed": "已结束"}
def _ensure_keeper(principal: Principal) -> None:
    if principal.role != Role.city_industry:
        raise Forbidden("只有市工信局可以办理公示和异议。")


# ---------------------------------------------------------------- reading


def get_notice(session: Session, notice_id: int, *, for_update: bool = False) -> Notice:
    stmt = select(Notice).where(Notice.id == notice_id)
    if for_update:
        stmt = stmt.with_for_update()
    notice = session.exec(stmt).first()
    if notice is None:
        raise NotFound(f"公示不存在：{notice_id}。")
    return notice


def program_of(session: Session, notice: Notice) -> Program:
    return session.get(Program, notice.program_id)


def list_notices(
    session: Session, program_code: str, *, limit: int = 50, cursor: str | None = None
) -> tuple[list[Notice], str | None]:
    """A programme's notices, newest first, keyset on id."""
    program = get_program(session, program_code)
    stmt = select(Notice).where(Notice.program_id == program.id)
    after = decode_cursor(cursor)
    if after:
        if not isinstance(after[0], int) or isinstance(after[0], bool) or not 0 < after[0] <= 2_147_483_647:
            raise Invalid("分页游标 cursor 无效，请使用上一页返回的 next_cursor。",
                          errors=[{"loc": ["query", "cursor"], "msg": "游标无效", "code": "cursor_invalid"}])
        stmt = stmt.where(Notice.id < after[0])
    rows = list(session.exec(stmt.order_by(col(Notice.id).desc()).limit(limit + 1)).all())
    page = rows[:limit]
    return page, (encode_cursor([page[-1].id]) if len(rows) > limit else None)


def awaiting_notice_count(session: Session, program: Program) -> int:
    """city_approved applications a new notice would list."""
    return session.exec(
        select(func.count()).select_from(Application).where(
            Application.program_id == program.id, Application.status == "city_approved"
        )
    ).one()


def _entry_rows(session: Session, notice_id: int) -> list[tuple[NoticeEntry, Application, Enterprise, str]]:
    rows = session.exec(
        select(NoticeEntry, Application, Enterprise, District.name)
        .join(Application, col(Application.id) == NoticeEntry.application_id)
        .join(Enterprise, col(Enterprise.id) == Application.enterprise_id)
        .join(District, col(District.code) == Application.district_code, isouter=True)
        .where(NoticeEntry.notice_id == notice_id)
        .order_by(col(NoticeEntry.id))
    ).all()
    return [(e, a, ent, name or a.district_code) for e, a, ent, name in rows]


def _objection_rows(session: Session, notice_id: int) -> list[tuple[Objection, str]]:
    return list(
        session.exec(
            select(Objection, Enterprise.name)
            .join(Application, col(Application.id) == Objection.application_id)
            .join(Enterprise, col(Enterprise.id) == Application.enterprise_id)
            .where(Objection.notice_id == notice_id)
            .order_by(col(Objection.id))
        ).all()
    )


def _stats(session: Session, notice_ids: list[int]) -> dict[int, tuple[int, int, int]]:
    """notice id → (entries, award total in fen, unresolved objections), two GROUP BYs."""
    if not notice_ids:
        return {}
    entries = {
        nid: (n, total or 0)
        for nid, n, total in session.exec(
            select(NoticeEntry.notice_id, func.count(), func.sum(NoticeEntry.award_fen))
            .where(col(NoticeEntry.notice_id).in_(notice_ids))
            .group_by(NoticeEntry.notice_id)
        ).all()
    }
    pending = dict(
        session.exec(
            select(Objection.notice_id, func.count())
            .where(col(Objection.notice_id).in_(notice_ids), col(Objection.upheld).is_(None))
            .group_by(Objection.notice_id)
        ).all()
    )
    return {nid: (*entries.get(nid, (0, 0)), pending.get(nid, 0)) for nid in notice_ids}


def _summary(notice: Notice, program_code: str, stats: tuple[int, int, int]) -> dict:
    count, total_fen, pending = stats
    return {
        "id": notice.id,
        "program_code": program_code,
        "title": notice.title,
        "starts_on": notice.starts_on,
        "ends_on": notice.ends_on,
        "working_days": notice.working_days,
        "channels": list(notice.channels or []),
        "status": notice.status,
        "version": notice.version,
        "entry_count": count,
        "total_award": fen_to_yuan(int(total_fen)),
        "pending_objections": pending,
        "created_by": notice.created_by,
        "created_at": iso(notice.created_at),
        "closed_at": iso(notice.closed_at) if notice.closed_at else None,
    }


def summaries(session: Session, notices: list[Notice], program_code: str) -> list[dict]:
    stats = _stats(session, [n.id for n in notices])
    return [_summary(n, program_code, stats[n.id]) for n in notices]


def objection_state(objection: Objection) -> str:
    if objection.upheld is None:
        return "pending"
    return "upheld" if objection.upheld else "dismissed"


def mask_contact(contact: str) -> str:
    """138****5678: district officials see that an objector left a contact, not the contact."""
    if len(contact) <= 4:
        return "*" * len(contact)
    keep = 3 if len(contact) >= 8 else 1
    return contact[:keep] + "*" * (len(contact) - keep - 2) + contact[-2:]


def objection_public(objection: Objection, enterprise_name: str, principal: Principal | None = None) -> dict:
    masked = principal is not None and principal.district_code is not None
    return {
        "id": objection.id,
        "notice_id": objection.notice_id,
        "application_id": objection.application_id,
        "enterprise_name": enterprise_name,
        "objector_name": objection.objector_name,
        "contact": mask_contact(objection.contact) if masked else objection.contact,
        "content": objection.content,
        "channel": objection.channel,
        "recorded_by": objection.recorded_by,
        "created_at": iso(objection.created_at),
        "state": objection_state(objection),
        "upheld": objection.upheld,
        "resolution_note": objection.resolution_note,
        "resolved_by": objection.resolved_by,
        "resolved_at": iso(objection.resolved_at) if objection.resolved_at else None,
    }


def notice_public(session: Session, notice: Notice, principal: Principal | None) -> dict:
    """The notice as signed-in users read it: entries with uscc and status, and objections."""
    program = program_of(session, notice)
    body = summaries(session, [notice], program.code)[0]
    body["entries"] = [
        {
            "application_id": a.id,
            "enterprise_name": ent.name,
            "uscc": ent.uscc,
            "district_code": a.district_code,
            "district_name": district_name,
            "award": fen_to_yuan(e.award_fen),
            "status": a.status,
            "outcome": e.outcome,
        }
        for e, a, ent, district_name in _entry_rows(session, notice.id)
    ]
    body["objections"] = [objection_public(o, name, principal) for o, name in _objection_rows(session, notice.id)]
    return body


def public_listing(session: Session, notice: Notice, today: date | None = None) -> dict:
    """What anyone may see: title, period, channels, and per entry only the enterprise
    name, its district and the award — never the uscc, bank or contact details."""
    today = today or beijing_today()
    entries = [
        {"application_id": a.id, "enterprise_name": ent.name, "district_name": district_name, "award_fen": e.award_fen}
        for e, a, ent, district_name in _entry_rows(session, notice.id)
    ]
    if notice.status == "closed":
        phase = "closed"
    elif today < notice.starts_on:
        phase = "upcoming"
    elif today > notice.ends_on:
        phase = "ended"
    else:
        phase = "open"
    return {
        "id": notice.id,
        "title": notice.title,
        "starts_on": notice.starts_on,
        "ends_on": notice.ends_on,
        "working_days": notice.working_days,
        "channels": list(notice.channels or []),
        "entries": entries,
        "total_award_fen": sum(e["award_fen"] for e in entries),
        "phase": phase,
        "accepting": phase == "open",
    }


def award_per_enterprise_fen(session: Session, program: Program) -> int:
    """What the public sees for each enterprise: the whole award, city and district
    tranches together (100,000 + 100,000 yuan in the seed programme)."""
    return sum(t.amount_fen for t in tranches(session, program.id))


# ---------------------------------------------------------------- the notice


def create_notice(
    session: Session,
    principal: Principal,
    program_code: str,
    title: str,
    starts_on: date,
    working_days: int | None = None,
    channels: list[str] | None = None,
) -> Notice:
    """List every city_approved application of the programme and move each to in_notice.
    The end date is computed first: a year without holiday data refuses before anything
    is written."""
    _ensure_keeper(principal)
    program = get_program(session, program_code)
    working_days = working_days or program.notice_working_days
    ends_on = WorkdayCalendar(session).add_working_days(starts_on, working_days)
    applications = list(
        session.exec(
            select(Application)
            .where(Application.program_id == program.id, Application.status == "city_approved")
            .order_by(col(Application.id))
            .with_for_update()
        ).all()
    )
    if not applications:
        raise Conflict(f"项目 {program.code} 没有复审通过（待公示）的申报，无需发布公示。")
    award_fen = award_per_enterprise_fen(session, program)
    notice = Notice(
        program_id=program.id, title=title, starts_on=starts_on, ends_on=ends_on, working_days=working_days,
        channels=list(dict.fromkeys(channels)) if channels else list(DEFAULT_CHANNELS), status="open",
        created_by=principal.name,
    )
    session.add(notice)
    session.flush()
    for application in applications:
        session.add(NoticeEntry(notice_id=notice.id, application_id=application.id, award_fen=award_fen))
        transition(session, application, "publish", principal, expected_version=application.version,
                   details={"notice_id": notice.id, "notice_starts_on": starts_on, "notice_ends_on": ends_on})
    session.flush()
    audit.record(
        session, actor=principal.name, role=principal.role.value, action="notice.create", entity_type="notice",
        entity_id=notice.id, after={
            "program": program.code, "title": title, "starts_on": starts_on, "ends_on": ends_on,
            "working_days": working_days, "channels": notice.channels,
            "application_ids": [a.id for a in applications], "award_per_enterprise": fen_to_yuan(award_fen),
        },
    )
    return notice


def _ensure_open(notice: Notice) -> None:
    if notice.status != "open":
        raise Conflict(f"公示“{notice.title}”已于 {notice.closed_at:%Y-%m-%d} 结束，不能再受理或处理异议。"
                       if notice.closed_at else f"公示“{notice.title}”已结束。")


def _ensure_listed(session: Session, notice: Notice, application_id: int) -> None:
    listed = session.exec(
        select(NoticeEntry.id).where(NoticeEntry.notice_id == notice.id, NoticeEntry.application_id == application_id)
    ).first()
    if listed is None:
        raise Invalid(
            f"申报 #{application_id} 不在本次公示名单中，请选择名单中的企业。",
            errors=[{"loc": ["body", "application_id"], "msg": "不在本次公示名单中", "code": "not_listed"}],
        )


def _objection_audit(objection: Objection) -> dict:
    return {
        "notice_id": objection.notice_id, "application_id": objection.application_id, "channel": objection.channel,
        "objector_name": objection.objector_name, "state": objection_state(objection),
    }


def object_publicly(
    session: Session, notice_id: int, body: ObjectionCreate, client_ip: str, today: date | None = None
) -> Objection:
    """An objection from the public, online, from starts_on through ends_on."""
    today = today or beijing_today()
    count = ratelimit.hit(session, f"objection:ip:{client_ip}", window_seconds=_HOUR)
    if count > OBJECTIONS_PER_HOUR:
        wait = _HOUR - int(utcnow().timestamp()) % _HOUR
        raise TooManyRequests(
            f"同一网络地址每小时最多在线提交 {OBJECTIONS_PER_HOUR} 条异议，请约 {max(wait // 60, 1)} 分钟后再试；"
            "也可在公示期内来信或来电向市工信局反映。",
            headers={"Retry-After": str(wait)},
        )
    notice = get_notice(session, notice_id, for_update=True)
    _ensure_open(notice)
    if not notice.starts_on <= today <= notice.ends_on:
        raise Conflict(f"公示期为 {notice.starts_on} 至 {notice.ends_on}，当前不在公示期内，不能在线提交异议。")
    _ensure_listed(session, notice, body.application_id)
    objection = Objection(
        notice_id=notice.id, application_id=body.application_id, objector_name=body.objector_name,
        contact=body.contact, content=body.content, channel="online",
    )
    session.add(objection)
    session.flush()
    audit.record(session, actor="public", role="public", action="objection.create", entity_type="objection",
                 entity_id=objection.id, after={**_objection_audit(objection), "client_ip": client_ip})
    return objection


def record_objection(session: Session, principal: Principal, notice_id: int, body: ObjectionCreate) -> Objection:
    """An objection received by letter or phone, recorded by the city industry bureau at
    any time before the notice is closed."""
    _ensure_keeper(principal)
    if body.channel not in ("letter", "phone"):
        raise Invalid(
            "市工信局登记异议时须注明来源渠道：letter（来信）或 phone（来电）；在线异议由公众在公示页面提交。",
            errors=[{"loc": ["body", "channel"], "msg": "应为 letter 或 phone", "code": "channel_required"}],
        )
    notice = get_notice(session, notice_id, for_update=True)
    _ensure_open(notice)
    _ensure_listed(session, notice, body.application_id)
    objection = Objection(
        notice_id=notice.id, application_id=body.application_id, objector_name=body.objector_name,
        contact=body.contact, content=body.content, channel=body.channel, recorded_by=principal.name,
    )
    session.add(objection)
    session.flush()
    audit.record(session, actor=principal.name, role=principal.role.value, action="objection.create",
                 entity_type="objection", entity_id=objection.id, after=_objection_audit(objection))
    return objection


def get_objection(session: Session, objection_id: int, *, for_update: bool = False) -> Objection:
    stmt = select(Objection).where(Objection.id == objection_id)
    if for_update:
        stmt = stmt.with_for_update()
    objection = session.exec(stmt).first()
    if objection is None:
        raise NotFound(f"异议不存在：{objection_id}。")
    return objection


def enterprise_name_of(session: Session, application_id: int) -> str:
    return session.exec(
        select(Enterprise.name).join(Application, col(Application.enterprise_id) == Enterprise.id)
        .where(Application.id == application_id)
    ).one()


def resolve_objection(
    session: Session, principal: Principal, objection_id: int, upheld: bool, note: str
) -> Objection:
    """Decide one objection, once, while its notice is open. The note is the record of
    what was checked and is required either way."""
    _ensure_keeper(principal)
    note = (note or "").strip()
    if not note:
        raise Invalid("请填写核查处理意见（note），说明核查了什么、异议为何成立或不成立。",
                      errors=[{"loc": ["body", "note"], "msg": "处理意见不能为空", "code": "note_required"}])
    # The notice first, then the objection: the same lock order as closing, so the two
    # never deadlock and a close never misses a resolution in flight.
    notice = get_notice(session, get_objection(session, objection_id).notice_id, for_update=True)
    objection = get_objection(session, objection_id, for_update=True)
    _ensure_open(notice)
    if objection.upheld is not None:
        verdict = "异议成立" if objection.upheld else "异议不成立"
        raise Conflict(f"该异议已由 {objection.resolved_by} 于 {objection.resolved_at:%Y-%m-%d} 处理（{verdict}），不能重复处理。")
    before = _objection_audit(objection)
    objection.upheld = upheld
    objection.resolution_note = note
    objection.resolved_by = principal.name
    objection.resolved_at = utcnow()
    session.add(objection)
    session.flush()
    audit.record(session, actor=principal.name, role=principal.role.value, action="objection.resolve",
                 entity_type="objection", entity_id=objection.id, before=before,
                 after={**_objection_audit(objection), "upheld": upheld, "note": note})
    return objection


def close_notice(session: Session, principal: Principal, notice_id: int, today: date | None = None) -> Notice:
    """After ends_on and with every objection resolved: approve each listed application,
    or reject it where an objection against it was upheld (审定)."""
    _ensure_keeper(principal)
    today = today or beijing_today()
    notice = get_notice(session, notice_id, for_update=True)
    if notice.status == "closed":
        raise Conflict(f"公示“{notice.title}”已结束，不能重复结束。")
    if today <= notice.ends_on:
        raise Conflict(f"公示期至 {notice.ends_on} 结束（含当日），{notice.ends_on + timedelta(days=1)} 起方可结束公示并审定。")
    pending = session.exec(
        select(func.count()).select_from(Objection).where(Objection.notice_id == notice.id, col(Objection.upheld).is_(None))
    ).one()
    if pending:
        raise Conflict(f"还有 {pending} 条异议尚未处理，请逐条核查处理后再结束公示。", pending_objections=pending)
    upheld: dict[int, list[int]] = {}
    for objection_id, application_id in session.exec(
        select(Objection.id, Objection.application_id)
        .where(Objection.notice_id == notice.id, col(Objection.upheld).is_(True))
        .order_by(col(Objection.id))
    ).all():
        upheld.setdefault(application_id, []).append(objection_id)
    entries = list(
        session.exec(select(NoticeEntry).where(NoticeEntry.notice_id == notice.id).order_by(col(NoticeEntry.id))).all()
    )
    outcomes: dict[str, list[int]] = {"approved": [], "rejected": []}
    for entry in entries:
        application = session.exec(select(Application).where(Application.id == entry.application_id).with_for_update()).one()
        if entry.application_id in upheld:
            transition(session, application, "uphold_objection", principal, expected_version=application.version,
                       details={"notice_id": notice.id, "objection_ids": upheld[entry.application_id]})
            entry.outcome = "rejected"
        else:
            transition(session, application, "confirm", principal, expected_version=application.version,
                       details={"notice_id": notice.id})
            entry.outcome = "approved"
        outcomes[entry.outcome].append(entry.application_id)
        session.add(entry)
    before = {"status": notice.status, "version": notice.version}
    notice.status = "closed"
    notice.closed_at = utcnow()
    notice.version += 1
    session.add(notice)
    session.flush()
    audit.record(session, actor=principal.name, role=principal.role.value, action="notice.close", entity_type="notice",
                 entity_id=notice.id, before=before,
                 after={"status": notice.status, "version": notice.version, "closed_on": today,
                        "approved": outcomes["approved"], "rejected": outcomes["rejected"]})
    return notice


# ---------------------------------------------------------------- the list as a spreadsheet

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLSX_HEADERS = ["序号", "企业名称", "统一社会信用代码", "所在区县", "奖补金额（万元）"]


def fen_to_wan_decimal(fen: int) -> Decimal:
    return (Decimal(fen) / Decimal(1_000_000)).quantize(Decimal("0.01"))


def entries_xlsx(session: Session, notice: Notice) -> bytes:
    """Row 1 the title, row 2 the period, row 3 the headers, then one row per enterprise
    and a total row. Amounts are numbers in 万元 (Decimal, never float)."""
    rows = _entry_rows(session, notice.id)
    book = Workbook()
    sheet = book.active
    sheet.title = "公示名单"
    thin = Side(style="thin", color="000000")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)

    sheet.append([notice.title])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(XLSX_HEADERS))
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A1"].alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    sheet.row_dimensions[1].height = 36
    sheet.append([f"公示期：{notice.starts_on} 至 {notice.ends_on}（{notice.working_days} 个工作日）"])
    sheet.merge_cells(start_row=2, start_column=1, end_row=2, end_column=len(XLSX_HEADERS))
    sheet["A2"].alignment = Alignment(horizontal="center")
    sheet.append(XLSX_HEADERS)
    for cell in sheet[3]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center")
        cell.border = border

    total = 0
    for number, (entry, application, enterprise, district_name) in enumerate(rows, start=1):
        total += entry.award_fen
        sheet.append([number, enterprise.name, enterprise.uscc, district_name, fen_to_wan_decimal(entry.award_fen)])
        for cell in sheet[sheet.max_row]:
            cell.border = border
        sheet.cell(row=sheet.max_row, column=5).number_format = "#,##0.00"
    sheet.append(["合计", f"{len(rows)} 家", None, None, fen_to_wan_decimal(total)])
    for cell in sheet[sheet.max_row]:
        cell.border = border
        cell.font = Font(bold=True)
    sheet.cell(row=sheet.max_row, column=5).number_format = "#,##0.00"

    for letter, width in zip("ABCDE", (7, 42, 24, 14, 18), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.print_title_rows = "3:3"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def xlsx_filename(notice: Notice) -> str:
    return f"公示名单-{notice.id}.xlsx"

