"""满意度调查: invitations with unguessable single-use links for every awarded enterprise,
online answers through the link, paper questionnaires entered by the city, and the
summary the evaluation's 满意度 row reads — all counted in SQL.

Only awarded enterprises (a payment that stands, app/funds/awarded.py) take part: a link is
issued only to them, and an answer is refused once the enterprise's money came back. The
satisfaction rate is (非常满意 + 满意) ÷ valid responses, where each awarded enterprise's
latest response is its valid one."""

import secrets
from datetime import date
from decimal import Decimal

from sqlalchemy import case, exists, func, or_, select, update
from sqlmodel import Session, col

from app.audit import service as audit
from app.core.clock import beijing_today
from app.core.db import iso, utcnow
from app.core.errors import Conflict, Forbidden, Invalid, NotFound
from app.core.numbers import percent, round_half_up
from app.core.pagination import decode_id_cursor, encode_cursor
from app.core.security import sha256_hex
from app.districts.service import district_names
from app.enterprises.models import Enterprise
from app.funds.awarded import awarded_enterprise_ids, awarded_enterprises, is_awarded
from app.programs.models import Program
from app.programs.service import get_program
from app.surveys.models import SurveyInvitation, SurveyResponse
from app.surveys.questions import OVERALL_NAMES, QUESTIONS, SATISFIED
from app.surveys.schemas import OnlineResponseIn, PaperResponseIn
from app.users.auth import Principal
from app.users.models import Role

TOKEN_BYTES = 24  # 192 bits from the operating system's CSPRNG
NOT_AWARDED = "该企业未获本项目奖补（没有已拨付且未退回的支付），不参与本项目的满意度调查。"


def _keeper(principal: Principal) -> None:
    if principal.role != Role.city_industry:
        raise Forbidden("只有市工信局可以发放问卷和录入纸质问卷。")


def _program_for_update(session: Session, code: str) -> Program:
    program = get_program(session, code)
    # Inviting twice at once must not leave two open links for one enterprise.
    session.execute(select(Program.id).where(Program.id == program.id).with_for_update())
    return program


# ---------------------------------------------------------------- invitations


def invite(session: Session, principal: Principal, code: str, base_url: str) -> list[dict]:
    """A fresh link for every awarded enterprise that has not answered yet; an earlier
    link still open is revoked, so each enterprise holds at most one valid link. The tokens
    are returned this once and only their sha256 is stored."""
    _keeper(principal)
    program = _program_for_update(session, code)
    enterprises = awarded_enterprises(session, program.id)
    if not enterprises:
        raise Conflict("本项目尚无获奖补企业（已拨付且未退回），暂不能发放问卷。")
    answered = set(session.scalars(select(SurveyResponse.enterprise_id).where(
        SurveyResponse.program_id == program.id)).all())
    todo = [e for e in enterprises if e.id not in answered]
    now = utcnow()
    if todo:
        session.execute(
            update(SurveyInvitation)
            .where(SurveyInvitation.program_id == program.id, col(SurveyInvitation.enterprise_id).in_([e.id for e in todo]),
                   col(SurveyInvitation.used_at).is_(None), col(SurveyInvitation.revoked_at).is_(None))
            .values(revoked_at=now)
        )
    issued = []
    for enterprise in todo:
        token = secrets.token_urlsafe(TOKEN_BYTES)
        session.add(SurveyInvitation(program_id=program.id, enterprise_id=enterprise.id, token_hash=sha256_hex(token),
                                     created_at=now, created_by=principal.name))
        issued.append({"uscc": enterprise.uscc, "name": enterprise.name, "district_code": enterprise.district_code,
                       "token": token, "url": f"{base_url.rstrip('/')}/survey/{token}"})
    session.flush()
    audit.record(session, actor=principal.name, role=principal.role.value, action="survey.invite",
                 entity_type="program", entity_id=program.code,
                 after={"invited": len(issued), "already_answered": len(enterprises) - len(todo)})
    return issued


def find_invitation(session: Session, token: str) -> tuple[SurveyInvitation, Program, Enterprise] | None:
    if not token or len(token) > 100:
        return None
    row = session.exec(
        select(SurveyInvitation, Program, Enterprise)
        .join(Program, Program.id == SurveyInvitation.program_id)
        .join(Enterprise, Enterprise.id == SurveyInvitation.enterprise_id)
        .where(SurveyInvitation.token_hash == sha256_hex(token))
    ).first()
    return tuple(row) if row else None


def link_state(invitation: SurveyInvitation) -> str:
    if invitation.used_at is not None:
        return "used"
    if invitation.revoked_at is not None:
        return "revoked"
    return "open"


def invitation_status(session: Session, principal: Principal, code: str) -> list[dict]:
    """Every awarded enterprise (of the caller's district, if bound) with the state of its
    current link and its responses — whom to remind."""
    program = get_program(session, code)
    names = district_names(session)
    latest_invite = (
        select(SurveyInvitation.enterprise_id, func.max(SurveyInvitation.id).label("id"))
        .where(SurveyInvitation.program_id == program.id).group_by(SurveyInvitation.enterprise_id).subquery()
    )
    answers = (
        select(SurveyResponse.enterprise_id, func.count().label("n"))
        .where(SurveyResponse.program_id == program.id).group_by(SurveyResponse.enterprise_id).subquery()
    )
    ranked = latest_responses(program.id, principal.district_code)
    rows = session.execute(
        select(Enterprise, SurveyInvitation, answers.c.n, ranked.c.overall)
        .where(col(Enterprise.id).in_(awarded_enterprise_ids(program.id, principal.district_code)))
        .outerjoin(latest_invite, latest_invite.c.enterprise_id == Enterprise.id)
        .outerjoin(SurveyInvitation, SurveyInvitation.id == latest_invite.c.id)
        .outerjoin(answers, answers.c.enterprise_id == Enterprise.id)
        .outerjoin(ranked, ranked.c.enterprise_id == Enterprise.id)
        .order_by(Enterprise.district_code, Enterprise.name, Enterprise.id)
    ).all()
    return [{
        "uscc": e.uscc, "name": e.name, "district_code": e.district_code, "district_name": names.get(e.district_code, ""),
        "invited_at": iso(inv.created_at) if inv else None, "link": link_state(inv) if inv else "none",
        "responses": n or 0, "latest_overall": overall,
    } for e, inv, n, overall in rows]


# ---------------------------------------------------------------- responses


def respond_online(session: Session, body: OnlineResponseIn, *, today: date | None = None
                   ) -> tuple[SurveyResponse, Program, Enterprise]:
    """The enterprise answers through its link: once. Two submissions racing on one link
    both try to claim it in one UPDATE; the loser gets 409. The response is dated today
    (Beijing time) unless `today` is given (the demo's history)."""
    found = find_invitation(session, body.token)
    if found is None:
        raise NotFound("问卷链接无效，请核对链接是否完整。")
    invitation, program, enterprise = found
    state = link_state(invitation)
    if state == "used":
        raise Conflict("此问卷已经提交过，每个链接只能提交一次。感谢您的参与！")
    if state == "revoked":
        raise Conflict("此问卷链接已作废，请使用最新收到的问卷链接。")
    if not is_awarded(session, program.id, enterprise.id):
        raise Conflict(NOT_AWARDED)
    claimed = session.execute(
        update(SurveyInvitation)
        .where(SurveyInvitation.id == invitation.id, col(SurveyInvitation.used_at).is_(None),
               col(SurveyInvitation.revoked_at).is_(None))
        .values(used_at=utcnow())
    ).rowcount
    if claimed != 1:
        raise Conflict("此问卷已经提交过，每个链接只能提交一次。感谢您的参与！")
    response = _save(session, program, enterprise, body, channel="online", collected_on=today or beijing_today(),
                     invitation_id=invitation.id, entered_by=None)
    audit.record(session, actor=f"问卷链接:{enterprise.uscc}", role="public", action="survey.respond",
                 entity_type="survey_response", entity_id=response.id, after=_audit_after(response, program))
    return response, program, enterprise


def record_paper(session: Session, principal: Principal, code: str, body: PaperResponseIn
                 ) -> tuple[SurveyResponse, Program, Enterprise]:
    """A paper questionnaire, entered by the city: only for an awarded enterprise. Its
    open link, if any, is revoked — the enterprise has answered."""
    _keeper(principal)
    program = get_program(session, code)
    if body.collected_on > beijing_today():
        raise Invalid("回收日期不能晚于今天。", errors=[{"loc": ["body", "collected_on"], "msg": "回收日期不能晚于今天",
                                                  "code": "future_date"}])
    enterprise = session.scalars(select(Enterprise).where(Enterprise.uscc == body.uscc)).first()
    if enterprise is None:
        raise NotFound(f"未找到统一社会信用代码为 {body.uscc} 的企业。")
    if not is_awarded(session, program.id, enterprise.id):
        raise Conflict(NOT_AWARDED)
    session.execute(
        update(SurveyInvitation)
        .where(SurveyInvitation.program_id == program.id, SurveyInvitation.enterprise_id == enterprise.id,
               col(SurveyInvitation.used_at).is_(None), col(SurveyInvitation.revoked_at).is_(None))
        .values(revoked_at=utcnow())
    )
    response = _save(session, program, enterprise, body, channel="paper", collected_on=body.collected_on,
                     invitation_id=None, entered_by=principal.name)
    audit.record(session, actor=principal.name, role=principal.role.value, action="survey.paper",
                 entity_type="survey_response", entity_id=response.id, after=_audit_after(response, program))
    return response, program, enterprise


def _save(session: Session, program: Program, enterprise: Enterprise, body: OnlineResponseIn | PaperResponseIn, *,
          channel: str, collected_on: date, invitation_id: int | None, entered_by: str | None) -> SurveyResponse:
    response = SurveyResponse(
        program_id=program.id, enterprise_id=enterprise.id, invitation_id=invitation_id, overall=body.overall.value,
        answers=dict(body.answers), comment=body.comment, channel=channel,
        collected_on=collected_on, entered_by=entered_by,
    )
    session.add(response)
    session.flush()
    return response


def _audit_after(response: SurveyResponse, program: Program) -> dict:
    return {"program": program.code, "enterprise_id": response.enterprise_id, "overall": response.overall,
            "channel": response.channel, "collected_on": response.collected_on.isoformat()}


def public(response: SurveyResponse, program: Program, enterprise: Enterprise) -> dict:
    return {
        "id": response.id, "program_code": program.code, "uscc": enterprise.uscc, "name": enterprise.name,
        "district_code": enterprise.district_code, "overall": response.overall,
        "overall_name": OVERALL_NAMES[response.overall], "answers": dict(response.answers), "comment": response.comment,
        "channel": response.channel, "collected_on": response.collected_on, "entered_by": response.entered_by,
        "created_at": iso(response.created_at),
    }


def list_responses(session: Session, principal: Principal, code: str, *, limit: int = 50,
                   cursor: str | None = None) -> tuple[list[dict], str | None]:
    """Newest first, keyset on id; a district-bound official sees the district's."""
    program = get_program(session, code)
    query = (
        select(SurveyResponse, Enterprise)
        .join(Enterprise, Enterprise.id == SurveyResponse.enterprise_id)
        .where(SurveyResponse.program_id == program.id)
    )
    if principal.district_code:
        query = query.where(Enterprise.district_code == principal.district_code)
    after = decode_id_cursor(cursor)
    if after is not None:
        query = query.where(SurveyResponse.id < after)
    rows = session.execute(query.order_by(col(SurveyResponse.id).desc()).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    items = [public(r, program, e) for r, e in rows]
    return items, encode_cursor([rows[-1][0].id]) if more else None


# ---------------------------------------------------------------- summary


def latest_responses(program_id: int, district_code: str | None):  # noqa: ANN202 - a subquery
    """Each awarded enterprise's latest response (by collection date, then entry order),
    with every question's answer as its own integer column."""
    rank = func.row_number().over(
        partition_by=SurveyResponse.enterprise_id,
        order_by=(col(SurveyResponse.collected_on).desc(), col(SurveyResponse.id).desc()),
    ).label("rank")
    answers = [SurveyResponse.answers[q.key].as_integer().label(q.key) for q in QUESTIONS]  # type: ignore[index]
    ranked = (
        select(SurveyResponse.id, SurveyResponse.enterprise_id, SurveyResponse.overall, *answers, rank)
        .where(SurveyResponse.program_id == program_id,
               col(SurveyResponse.enterprise_id).in_(awarded_enterprise_ids(program_id, district_code)))
        .subquery()
    )
    return select(ranked).where(ranked.c.rank == 1).subquery("latest")


def summary(session: Session, principal: Principal, code: str, district_code: str | None = None) -> dict:
    """回收率 and 满意率 with their distributions, per district too. A district-bound
    official's summary is the district's."""
    program = get_program(session, code)
    district = principal.district_code or district_code
    awarded = awarded_enterprise_ids(program.id, district)
    latest = latest_responses(program.id, district)
    is_satisfied = case((col(latest.c.overall).in_(SATISFIED), 1), else_=0)

    awarded_n = session.scalar(select(func.count()).select_from(awarded.subquery())) or 0
    responses, online, paper = session.execute(
        select(func.count(), func.coalesce(func.sum(case((SurveyResponse.channel == "online", 1), else_=0)), 0),
               func.coalesce(func.sum(case((SurveyResponse.channel == "paper", 1), else_=0)), 0))
        .where(SurveyResponse.program_id == program.id, col(SurveyResponse.enterprise_id).in_(awarded))
    ).one()
    invited = session.scalar(
        select(func.count()).select_from(Enterprise).where(
            col(Enterprise.id).in_(awarded),
            or_(
                exists().where(SurveyInvitation.program_id == program.id, SurveyInvitation.enterprise_id == Enterprise.id,
                               col(SurveyInvitation.revoked_at).is_(None)),
                exists().where(SurveyResponse.program_id == program.id, SurveyResponse.enterprise_id == Enterprise.id),
            ),
        )
    ) or 0
    valid, satisfied = session.execute(
        select(func.count(), func.coalesce(func.sum(is_satisfied), 0)).select_from(latest)).one()

    by_overall = dict(session.execute(select(latest.c.overall, func.count()).group_by(latest.c.overall)).all())
    overall = [{"value": v, "label": OVERALL_NAMES[v], "count": by_overall.get(v, 0),
                "share": percent(by_overall.get(v, 0), valid)} for v in OVERALL_NAMES]

    questions = []
    for q in QUESTIONS:
        column = latest.c[q.key]
        counts = dict(session.execute(
            select(column, func.count()).where(column.is_not(None)).group_by(column)).all())
        answered = sum(counts.values())
        total = sum(value * n for value, n in counts.items())
        questions.append({
            "key": q.key, "topic": q.topic, "text": q.text, "answered": answered,
            "average": float(round_half_up(Decimal(total) / answered)) if answered else None,
            "counts": [{"value": str(v), "label": q.label(v), "count": counts.get(v, 0),
                        "share": percent(counts.get(v, 0), answered)} for v in (5, 4, 3, 2, 1)],
        })

    names = district_names(session)
    per_district = session.execute(
        select(Enterprise.district_code, func.count(), func.count(latest.c.id), func.coalesce(func.sum(is_satisfied), 0))
        .select_from(Enterprise)
        .outerjoin(latest, latest.c.enterprise_id == Enterprise.id)
        .where(col(Enterprise.id).in_(awarded))
        .group_by(Enterprise.district_code).order_by(Enterprise.district_code)
    ).all()
    districts = [{"code": c, "name": names.get(c, c), "awarded": a, "responded": r, "satisfied": s,
                  "response_rate": percent(r, a), "satisfaction_rate": percent(s, r)} for c, a, r, s in per_district]

    note = None
    if not awarded_n:
        note = "本项目尚无获奖补企业（已拨付且未退回），回收率和满意率无法计算。"
    elif not valid:
        note = "尚未收回有效问卷，满意率无法计算。"
    return {
        "program_code": program.code, "awarded": awarded_n, "invited": invited, "responses": responses,
        "online": online, "paper": paper, "valid": valid, "response_rate": percent(valid, awarded_n),
        "satisfied": satisfied, "satisfaction_rate": percent(satisfied, valid), "note": note,
        "overall": overall, "questions": questions, "districts": districts,
    }

