"""Programmes (奖补项目) and their indicator tables: the rules. Services flush, never commit."""

from decimal import Decimal

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.audit import service as audit
from app.core.db import iso
from app.core.errors import Conflict, Invalid, NotFound, PreconditionFailed
from app.core.money import fen_to_yuan
from app.districts.models import District
from app.evaluation.models import EvaluationSnapshot
from app.programs import indicator_templates
from app.programs.models import AwardTranche, Indicator, PolicyDocument, Program, ProgramDistrict
from app.programs.schemas import (
    AwardPublic,
    GradeBand,
    IndicatorIn,
    IndicatorPublic,
    IndicatorTable,
    PolicyDocumentPublic,
    ProgramCreate,
    ProgramPublic,
    TargetPublic,
)
from app.users.auth import Principal

ENTITY = "program"


# ---------------------------------------------------------------- reading


def find_program(session: Session, code: str) -> Program | None:
    return session.exec(select(Program).where(Program.code == code)).first()


def get_program(session: Session, code: str) -> Program:
    program = find_program(session, code)
    if program is None:
        raise NotFound(f"项目不存在：{code}")
    return program


def list_programs(session: Session, *, before_id: int | None = None, limit: int = 50) -> list[Program]:
    """Newest first; keyset on id (pass the last row's id as before_id for the next page)."""
    stmt = select(Program)
    if before_id is not None:
        stmt = stmt.where(Program.id < before_id)
    return list(session.exec(stmt.order_by(col(Program.id).desc()).limit(limit)).all())


def tranches(session: Session, program_id: int) -> list[AwardTranche]:
    """Award tranches, city before district."""
    rows = session.exec(select(AwardTranche).where(AwardTranche.program_id == program_id)).all()
    return sorted(rows, key=lambda t: (t.level != "city", t.level))


def tranche(session: Session, program_id: int, level: str) -> AwardTranche | None:
    return session.exec(
        select(AwardTranche).where(AwardTranche.program_id == program_id, AwardTranche.level == level)
    ).first()


def tranche_amount_fen(session: Session, program_id: int, level: str) -> int | None:
    """The award per enterprise of one level (city / district), or None if the programme has none."""
    found = tranche(session, program_id, level)
    return found.amount_fen if found else None


def program_district_codes(session: Session, program_id: int) -> set[str]:
    return set(
        session.exec(select(ProgramDistrict.district_code).where(ProgramDistrict.program_id == program_id)).all()
    )


def policy_documents(session: Session, program_id: int) -> list[PolicyDocument]:
    return list(
        session.exec(
            select(PolicyDocument).where(PolicyDocument.program_id == program_id).order_by(col(PolicyDocument.id))
        ).all()
    )


def get_indicators(session: Session, program_id: int) -> list[Indicator]:
    """The programme's indicator table in display order."""
    return list(
        session.exec(select(Indicator).where(Indicator.program_id == program_id).order_by(col(Indicator.position))).all()
    )


def is_finalised(session: Session, program_id: int) -> bool:
    """True once an evaluation of the programme has been finalised (a snapshot exists)."""
    return (
        session.exec(select(EvaluationSnapshot.id).where(EvaluationSnapshot.program_id == program_id).limit(1)).first()
        is not None
    )


def grade_for(grade_bands: list, total: Decimal | float | int) -> str:
    """The grade of a total score under a programme's bands ([["优", 90], ..., ["差", 0]])."""
    for grade, minimum in sorted(grade_bands, key=lambda band: band[1], reverse=True):
        if Decimal(str(total)) >= Decimal(str(minimum)):
            return grade
    return grade_bands[-1][0] if grade_bands else ""


# ---------------------------------------------------------------- representations


def json_number(value: Decimal) -> int | float:
    """A stored Numeric as a JSON number: 41 rather than 41.0000, 12.5 rather than "12.5000"."""
    value = Decimal(value)
    if value == value.to_integral_value():
        return int(value)
    return float(value.normalize())


def _bands(program: Program) -> list[GradeBand]:
    return [GradeBand(grade=grade, min_score=minimum) for grade, minimum in program.grade_bands]


def program_public(session: Session, program: Program) -> ProgramPublic:
    return ProgramPublic(
        code=program.code,
        title=program.title,
        cohort_year=program.cohort_year,
        budget_year=program.budget_year,
        revenue_threshold=fen_to_yuan(program.revenue_threshold_fen),
        awards=[
            AwardPublic(level=t.level, amount=fen_to_yuan(t.amount_fen), required_roster_year=t.required_roster_year)
            for t in tranches(session, program.id)
        ],
        city_budget=fen_to_yuan(program.city_budget_fen),
        target_enterprise_count=program.target_enterprise_count,
        application_opens_on=program.application_opens_on,
        application_closes_on=program.application_closes_on,
        notice_working_days=program.notice_working_days,
        payment_deadline=program.payment_deadline,
        template=program.template,
        status=program.status,
        district_codes=sorted(program_district_codes(session, program.id)),
        policy_documents=[
            PolicyDocumentPublic(document_no=d.document_no, title=d.title, issued_on=d.issued_on)
            for d in policy_documents(session, program.id)
        ],
        grade_bands=_bands(program),
        version=program.version,
        created_at=iso(program.created_at),
    )


def indicator_public(row: Indicator) -> IndicatorPublic:
    target = None
    if row.target_op is not None and row.target_value is not None:
        target = TargetPublic(op=row.target_op, value=json_number(row.target_value), unit=row.unit)
    return IndicatorPublic(
        key=row.key,
        level1=row.level1,
        level2=row.level2,
        name=row.name,
        weight=row.weight,
        kind=row.kind,
        target=target,
        checkpoints=row.checkpoints,
        explanation=row.explanation,
    )


def indicator_table(session: Session, program: Program) -> IndicatorTable:
    return IndicatorTable(
        program_code=program.code,
        version=program.version,
        template=program.template,
        grade_bands=_bands(program),
        indicators=[indicator_public(row) for row in get_indicators(session, program.id)],
    )


def _audit_summary(session: Session, program: Program) -> dict:
    return {
        "code": program.code,
        "title": program.title,
        "cohort_year": program.cohort_year,
        "budget_year": program.budget_year,
        "revenue_threshold": fen_to_yuan(program.revenue_threshold_fen),
        "city_budget": fen_to_yuan(program.city_budget_fen),
        "awards": [
            {"level": t.level, "amount": fen_to_yuan(t.amount_fen), "required_roster_year": t.required_roster_year}
            for t in tranches(session, program.id)
        ],
        "target_enterprise_count": program.target_enterprise_count,
        "application_opens_on": program.application_opens_on,
        "application_closes_on": program.application_closes_on,
        "notice_working_days": program.notice_working_days,
        "payment_deadline": program.payment_deadline,
        "template": program.template,
        "district_codes": sorted(program_district_codes(session, program.id)),
        "policy_documents": [d.document_no for d in policy_documents(session, program.id)],
        "version": program.version,
    }


# ---------------------------------------------------------------- changes


def _district_codes(session: Session, requested: list[str] | None) -> list[str]:
    known = list(session.exec(select(District.code).order_by(District.code)).all())
    if requested is None:
        return known
    unknown = [c for c in requested if c not in set(known)]
    if unknown:
        raise Invalid(
            f"未知的区县代码：{'、'.join(unknown)}",
            errors=[{"loc": ["body", "district_codes"], "msg": f"未知的区县代码：{'、'.join(unknown)}", "code": "unknown_district"}],
        )
    return list(requested)


def create_program(session: Session, data: ProgramCreate, *, principal: Principal) -> Program:
    """A new programme with its tranches, districts, policy documents and its own copy of
    the chosen indicator template (targets filled from the programme)."""
    if find_program(session, data.code) is not None:
        raise Conflict(f"项目编号已存在：{data.code}")
    districts = _district_codes(session, data.district_codes)

    program = Program(
        code=data.code,
        title=data.title,
        cohort_year=data.cohort_year,
        budget_year=data.budget_year,
        revenue_threshold_fen=data.revenue_threshold,
        city_budget_fen=data.city_budget,
        target_enterprise_count=data.target_enterprise_count,
        application_opens_on=data.application_opens_on,
        application_closes_on=data.application_closes_on,
        notice_working_days=data.notice_working_days,
        payment_deadline=data.payment_deadline,
        template=data.template,
        grade_bands=indicator_templates.grade_bands(data.template),
        status="open",
        version=1,
    )
    session.add(program)
    try:
        session.flush()
    except IntegrityError:  # a concurrent request created the same code first
        raise Conflict(f"项目编号已存在：{data.code}") from None

    for award in data.awards:
        session.add(
            AwardTranche(
                program_id=program.id,
                level=award.level,
                amount_fen=award.amount,
                required_roster_year=award.required_roster_year,
            )
        )
    for code in districts:
        session.add(ProgramDistrict(program_id=program.id, district_code=code))
    for doc in data.policy_documents:
        session.add(
            PolicyDocument(program_id=program.id, document_no=doc.document_no, title=doc.title, issued_on=doc.issued_on)
        )

    amounts = {a.level: a.amount for a in data.awards}
    # award_per_enterprise measures the city-level fund; a district-only programme measures its own.
    award_fen = amounts.get("city", amounts.get("district", 0))
    params = indicator_templates.ProgramParameters(
        cohort_year=data.cohort_year,
        target_enterprise_count=data.target_enterprise_count,
        revenue_threshold_fen=data.revenue_threshold,
        city_award_fen=award_fen,
    )
    for position, row in enumerate(indicator_templates.filled_rows(data.template, params), start=1):
        session.add(_indicator_row(program.id, position, row))
    session.flush()

    audit.record(
        session,
        actor=principal.name,
        role=principal.role.value,
        action="program.create",
        entity_type=ENTITY,
        entity_id=program.code,
        after=_audit_summary(session, program),
    )
    return program


def _indicator_row(program_id: int, position: int, row: dict) -> Indicator:
    target = row.get("target")
    return Indicator(
        program_id=program_id,
        position=position,
        key=row["key"],
        level1=row["level1"],
        level2=row["level2"],
        name=row["name"],
        weight=row["weight"],
        kind=row["kind"],
        target_op=target["op"] if target else None,
        target_value=Decimal(target["value"]) if target else None,
        unit=target["unit"] if target else None,
        checkpoints=row.get("checkpoints") or "",
        explanation=row.get("explanation") or "",
    )


def _row_dict(row: Indicator) -> dict:
    """One row as compared and audited (the target value normalised so 41 == 41.0000)."""
    return {
        "key": row.key,
        "level1": row.level1,
        "level2": row.level2,
        "name": row.name,
        "weight": row.weight,
        "kind": row.kind,
        "target": None
        if row.target_op is None
        else {"op": row.target_op, "value": json_number(row.target_value), "unit": row.unit},
        "checkpoints": row.checkpoints,
        "explanation": row.explanation,
    }


def _incoming_dict(row: IndicatorIn) -> dict:
    return _row_dict(_indicator_row(0, 0, row.model_dump()))


def replace_indicators(
    session: Session,
    program: Program,
    rows: list[IndicatorIn],
    *,
    principal: Principal,
    expected_version: int | None = None,
) -> Program:
    """Replace the whole indicator table (order included). Refused once an evaluation has
    been finalised. Bumps the programme's version; an identical table changes nothing."""
    if is_finalised(session, program.id):
        raise Conflict(f"项目 {program.code} 的绩效评价已定稿，指标表不能再修改。")
    if expected_version is not None and expected_version != program.version:
        raise PreconditionFailed(
            f"项目已被修改（当前版本 {program.version}，请求基于版本 {expected_version}），请刷新后重试。",
            headers={"ETag": f'"{program.version}"'},
        )

    current = get_indicators(session, program.id)
    before = [_row_dict(r) for r in current]
    after = [_incoming_dict(r) for r in rows]
    if before == after:
        return program

    by_key = {r.key: r for r in current}
    wanted = {r.key for r in rows}
    for row in current:
        if row.key not in wanted:
            session.delete(row)
    session.flush()
    for position, incoming in enumerate(rows, start=1):
        values = _indicator_row(program.id, position, after[position - 1])
        values.target_value = incoming.target.value if incoming.target else None
        existing = by_key.get(incoming.key)
        if existing is None:
            session.add(values)
            continue
        for field in ("position", "level1", "level2", "name", "weight", "kind", "target_op", "target_value", "unit",
                      "checkpoints", "explanation"):
            setattr(existing, field, getattr(values, field))
        session.add(existing)

    old_version = program.version
    program.version = old_version + 1
    session.add(program)
    session.flush()

    before_by_key = {r["key"]: r for r in before}
    after_by_key = {r["key"]: r for r in after}
    changed = [k for k in after_by_key if before_by_key.get(k) != after_by_key[k]]
    removed = [k for k in before_by_key if k not in after_by_key]
    audit.record(
        session,
        actor=principal.name,
        role=principal.role.value,
        action="program.indicators.replace",
        entity_type=ENTITY,
        entity_id=program.code,
        before={
            "version": old_version,
            "order": [r["key"] for r in before],
            "rows": [before_by_key[k] for k in changed + removed if k in before_by_key],
        },
        after={
            "version": program.version,
            "order": [r["key"] for r in after],
            "rows": [after_by_key[k] for k in changed],
            "removed": removed,
        },
    )
    return program
