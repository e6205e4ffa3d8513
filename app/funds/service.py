"""Funds: appropriations (资金拨付), treasury payments (国库支付), returns, bank e-receipts and
the programme's funds summary. Services flush, never commit; every change writes its audit
event in the request's transaction, and every change of an application's status goes
through the lifecycle's `transition()`.

Finance is the city's (no district: city-level money) or one district's (that district's
district-level money). Nothing here may pay twice: one live payment per application and
level is checked first and enforced by UNIQUE(application_id, live_level); a concurrent
request that loses the race on the constraint gets the same 409 as one that lost it on the
check."""

from collections import defaultdict
from datetime import date

from sqlalchemy import case, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.applications.lifecycle import STATUS_NAMES, parse_if_match, transition
from app.applications.models import Application
from app.applications.service import get_visible, mask_account
from app.audit import service as audit
from app.core.db import iso
from app.core.errors import Conflict, DomainError, Forbidden, Invalid, NotFound, PreconditionFailed
from app.core.money import fen_to_yuan
from app.core.pagination import decode_id_cursor, encode_cursor
from app.districts.models import District
from app.districts.service import district_names
from app.documents.models import Document
from app.documents.service import UploadLike, display_filename, save_upload
from app.documents.service import public as document_public
from app.enterprises.models import Enterprise
from app.funds.models import Appropriation, Payment
from app.funds.schemas import AppropriationArrival, AppropriationCreate, PaymentBatchCreate, PaymentCreate, PaymentReturn
from app.programs.models import AwardTranche, Program
from app.programs.service import get_program, program_district_codes, tranche, tranches
from app.roster.models import RosterEntry
from app.users.auth import Principal
from app.users.models import Role

LEVEL_NAMES = {"city": "市级", "district": "区级"}
# Applications whose award is committed: the tranches due to them are paid or still to pay.
FUNDED_STATUSES = ("approved", "paid")
RECEIPT_KIND = "bank_receipt"


# ---------------------------------------------------------------- scope


def ensure_level_scope(principal: Principal, level: str) -> None:
    """City finance (no district) handles city-level money, a district's finance its own
    district-level money. The district itself is checked where the record is found (another
    district's application is 404, an appropriation for another district 403)."""
    if principal.role != Role.finance:
        raise Forbidden("只有财政部门可以办理资金拨付、支付和退回。")
    if principal.district_code is None and level != "city":
        raise Forbidden("市财政只能办理市级奖补资金；区级奖补资金由企业所在区（县）财政办理。")
    if principal.district_code is not None and level != "district":
        raise Forbidden(f"区（县）财政只能办理本区县（{principal.district_code}）的区级奖补资金；市级奖补资金由市财政办理。")


def _tranche_of(session: Session, program: Program, level: str) -> AwardTranche:
    found = tranche(session, program.id, level)
    if found is None:
        raise Invalid(f"项目 {program.code} 没有{LEVEL_NAMES[level]}奖补档次。",
                      errors=[{"loc": ["body", "level"], "msg": f"项目没有{LEVEL_NAMES[level]}奖补", "code": "unknown_tranche"}])
    return found


# ---------------------------------------------------------------- appropriations


def _check_arrival(amount_fen: int, approved_on: date, arrived_fen: int, arrived_on: date) -> None:
    if arrived_fen <= 0:
        raise Invalid("到位金额须大于 0。",
                      errors=[{"loc": ["body", "arrived_amount"], "msg": "到位金额须大于 0", "code": "greater_than"}])
    if arrived_fen > amount_fen:
        raise Invalid(f"到位金额 {fen_to_yuan(arrived_fen)} 元超过批复金额 {fen_to_yuan(amount_fen)} 元。",
                      errors=[{"loc": ["body", "arrived_amount"], "msg": "到位金额超过批复金额", "code": "exceeds_amount"}])
    if arrived_on < approved_on:
        raise Invalid(f"到位日期 {arrived_on} 早于批复日期 {approved_on}。",
                      errors=[{"loc": ["body", "arrived_on"], "msg": "到位日期早于批复日期", "code": "before_approval"}])


def _appropriation_audit(row: Appropriation) -> dict:
    return {
        "level": row.level, "district_code": row.district_code, "amount": fen_to_yuan(row.amount_fen),
        "document_no": row.document_no, "approved_on": row.approved_on,
        "arrived_amount": None if row.arrived_amount_fen is None else fen_to_yuan(row.arrived_amount_fen),
        "arrived_on": row.arrived_on, "version": row.version,
    }


def create_appropriation(session: Session, principal: Principal, program_code: str, body: AppropriationCreate) -> Appropriation:
    program = get_program(session, program_code)
    if body.level == "city" and body.district_code is not None:
        raise Invalid("市级资金不填区县代码（district_code）。",
                      errors=[{"loc": ["body", "district_code"], "msg": "市级资金不填区县代码", "code": "not_allowed"}])
    if body.level == "district" and body.district_code is None:
        raise Invalid("区级资金须填写区县代码（district_code）。",
                      errors=[{"loc": ["body", "district_code"], "msg": "区级资金须填写区县代码", "code": "missing"}])
    ensure_level_scope(principal, body.level)
    if body.district_code is not None and body.district_code != principal.district_code:
        raise Forbidden(f"只能办理本区县（{principal.district_code}）的区级资金，不能为 {body.district_code} 办理。")
    _tranche_of(session, program, body.level)
    if body.district_code is not None and body.district_code not in program_district_codes(session, program.id):
        raise Invalid(f"区县 {body.district_code} 不在项目 {program.code} 的实施范围内。",
                      errors=[{"loc": ["body", "district_code"], "msg": "区县不在项目范围内", "code": "unknown_district"}])
    if body.amount <= 0:
        raise Invalid("批复金额须大于 0。", errors=[{"loc": ["body", "amount"], "msg": "批复金额须大于 0", "code": "greater_than"}])
    if (body.arrived_amount is None) != (body.arrived_on is None):
        missing = "arrived_on" if body.arrived_on is None else "arrived_amount"
        raise Invalid("到位金额（arrived_amount）与到位日期（arrived_on）须同时填写。",
                      errors=[{"loc": ["body", missing], "msg": "到位金额与到位日期须同时填写", "code": "missing"}])
    if body.arrived_amount is not None:
        _check_arrival(body.amount, body.approved_on, body.arrived_amount, body.arrived_on)
    row = Appropriation(
        program_id=program.id, level=body.level, district_code=body.district_code, amount_fen=body.amount,
        document_no=body.document_no, approved_on=body.approved_on, arrived_amount_fen=body.arrived_amount,
        arrived_on=body.arrived_on, created_by=principal.name,
    )
    session.add(row)
    session.flush()
    audit.record(session, actor=principal.name, role=principal.role.value, action="appropriation.create",
                 entity_type="appropriation", entity_id=row.id, after={"program": program.code, **_appropriation_audit(row)})
    return row


def record_arrival(session: Session, principal: Principal, appropriation_id: int, body: AppropriationArrival,
                   if_match: str | None = None) -> Appropriation:
    """资金到位: set (or correct) the arrived amount and date. If-Match is optional; a stale one is 412."""
    row = session.exec(select(Appropriation).where(Appropriation.id == appropriation_id).with_for_update()).first()
    if row is None or (row.district_code is not None and not principal.can_see_district(row.district_code)):
        raise NotFound(f"资金拨付记录不存在：{appropriation_id}。")
    ensure_level_scope(principal, row.level)
    if if_match is not None and parse_if_match(if_match) != row.version:
        raise PreconditionFailed(f"资金拨付记录已被他人修改：当前版本为 {row.version}。请刷新后重试。",
                                 headers={"ETag": f'"{row.version}"'})
    _check_arrival(row.amount_fen, row.approved_on, body.arrived_amount, body.arrived_on)
    before = _appropriation_audit(row)
    row.arrived_amount_fen = body.arrived_amount
    row.arrived_on = body.arrived_on
    row.version += 1
    session.add(row)
    session.flush()
    audit.record(session, actor=principal.name, role=principal.role.value, action="appropriation.arrival",
                 entity_type="appropriation", entity_id=row.id, before=before, after=_appropriation_audit(row))
    return row


def list_appropriations(session: Session, principal: Principal, program_code: str, *, limit: int = 50,
                        cursor: str | None = None) -> tuple[list[tuple[Appropriation, str | None]], str | None]:
    """Oldest first, keyset on id. A district-bound caller sees its district's only."""
    program = get_program(session, program_code)
    stmt = (select(Appropriation, District.name)
            .outerjoin(District, col(District.code) == Appropriation.district_code)
            .where(Appropriation.program_id == program.id))
    if principal.district_code is not None:
        stmt = stmt.where(Appropriation.district_code == principal.district_code)
    after_id = decode_id_cursor(cursor)
    if after_id is not None:
        stmt = stmt.where(Appropriation.id > after_id)
    rows = list(session.exec(stmt.order_by(col(Appropriation.id)).limit(limit + 1)).all())
    page = rows[:limit]
    return page, (encode_cursor([page[-1][0].id]) if len(rows) > limit else None)


def appropriation_public(row: Appropriation, program_code: str, district_name: str | None) -> dict:
    return {
        "id": row.id,
        "program_code": program_code,
        "level": row.level,
        "level_name": LEVEL_NAMES[row.level],
        "district_code": row.district_code,
        "district_name": district_name,
        "amount": fen_to_yuan(row.amount_fen),
        "document_no": row.document_no,
        "approved_on": row.approved_on.isoformat(),
        "arrived_amount": None if row.arrived_amount_fen is None else fen_to_yuan(row.arrived_amount_fen),
        "arrived_on": row.arrived_on.isoformat() if row.arrived_on else None,
        "version": row.version,
        "created_by": row.created_by,
        "created_at": iso(row.created_at),
    }


def describe_appropriation(session: Session, row: Appropriation) -> dict:
    program = session.get(Program, row.program_id)
    district = session.get(District, row.district_code) if row.district_code else None
    return appropriation_public(row, program.code, district.name if district else None)


# ---------------------------------------------------------------- payments: rules


def _on_roster(session: Session, uscc: str, year: int) -> bool:
    return session.exec(
        select(RosterEntry.id).where(RosterEntry.uscc == uscc, RosterEntry.year == year).limit(1)
    ).first() is not None


def due_levels(session: Session, application: Application, enterprise: Enterprise) -> set[str]:
    """The tranches due to an approved enterprise: every tranche without a roster condition,
    and those whose required roster year lists the enterprise (it stayed 规上)."""
    return {
        t.level for t in tranches(session, application.program_id)
        if t.required_roster_year is None or _on_roster(session, enterprise.uscc, t.required_roster_year)
    }


def _live_payment(session: Session, application_id: int, level: str) -> Payment | None:
    return session.exec(
        select(Payment).where(Payment.application_id == application_id, Payment.live_level == level)
    ).first()


def _live_levels(session: Session, application_id: int) -> set[str]:
    return set(session.exec(
        select(Payment.live_level).where(Payment.application_id == application_id, col(Payment.live_level).is_not(None))
    ).all())


def _already_paid(level: str, live: Payment | None) -> Conflict:
    voucher = f"（凭证号 {live.voucher_no}）" if live is not None else ""
    return Conflict(f"该申报的{LEVEL_NAMES[level]}奖补已拨付{voucher}，不能重复拨付；如资金已退回，请先登记退回后再拨付。",
                    reason="already_paid", **({"payment_id": live.id} if live is not None else {}))


def _check_payable(session: Session, application: Application, enterprise: Enterprise, level: str,
                   award: AwardTranche) -> None:
    """May this tranche be paid to this application now? Raises 409 (a `reason` says why)."""
    live = _live_payment(session, application.id, level)
    if live is not None:
        raise _already_paid(level, live)
    if application.status != "approved":
        raise Conflict(f"申报当前状态为“{STATUS_NAMES.get(application.status, application.status)}”，"
                       "只有“已审定”的申报可以拨付。", reason="not_approved")
    year = award.required_roster_year
    if year is not None and not _on_roster(session, enterprise.uscc, year):
        raise Conflict(f"{LEVEL_NAMES[level]}奖补须企业列入 {year} 年规上工业企业名录后方可拨付，"
                       f"名录中尚无企业 {enterprise.uscc}。", reason="not_due")
    if not enterprise.bank_account.strip():
        raise Conflict(f"企业 {enterprise.uscc} 未登记开户银行账号，不能拨付；请区县补充企业账户信息。",
                       reason="no_payee_account")


def _check_amount(amount_fen: int, level: str, award: AwardTranche) -> None:
    if amount_fen != award.amount_fen:
        raise Invalid(
            f"拨付金额 {fen_to_yuan(amount_fen)} 元与项目{LEVEL_NAMES[level]}奖补标准 {fen_to_yuan(award.amount_fen)} 元不一致。",
            errors=[{"loc": ["body", "amount"], "msg": f"金额须为 {fen_to_yuan(award.amount_fen)} 元", "code": "amount_mismatch"}],
        )


def _record(session: Session, principal: Principal, application: Application, enterprise: Enterprise, level: str,
            amount_fen: int, voucher_no: str, paid_on: date) -> Payment:
    """Insert the payment (the constraint is the last word on double payment), audit it and
    move the application: to `paid` once every due tranche has a live payment."""
    payment = Payment(
        application_id=application.id, level=level, live_level=level, amount_fen=amount_fen, voucher_no=voucher_no,
        paid_on=paid_on, payee_bank_name=enterprise.bank_name, payee_account=enterprise.bank_account,
        status="paid", recorded_by=principal.name,
    )
    try:
        with session.begin_nested():
            session.add(payment)
    except IntegrityError:
        # A concurrent request paid this tranche first: answer as the check would have.
        raise _already_paid(level, _live_payment(session, application.id, level)) from None
    audit.record(session, actor=principal.name, role=principal.role.value, action="payment.record",
                 entity_type="payment", entity_id=payment.id, after={
                     "application_id": application.id, "uscc": enterprise.uscc, "level": level,
                     "amount": fen_to_yuan(amount_fen), "voucher_no": voucher_no, "paid_on": paid_on,
                     "payee_bank_name": payment.payee_bank_name, "payee_account": mask_account(payment.payee_account)})
    complete = due_levels(session, application, enterprise) <= _live_levels(session, application.id)
    transition(session, application, "pay", principal, expected_version=application.version,
               to="paid" if complete else "approved",
               details={"payment_id": payment.id, "level": level, "amount": fen_to_yuan(amount_fen),
                        "voucher_no": voucher_no, "paid_on": paid_on})
    return payment


# ---------------------------------------------------------------- payments: changes


def lock_application(session: Session, principal: Principal, application_id: int) -> Application:
    """The application, locked for the rest of the transaction (404 if not visible). Taken
    before the Idempotency-Key lookup, so that a concurrent retry waits for the first
    request and then finds its stored response."""
    return get_visible(session, principal, application_id, for_update=True)


def record_payment(session: Session, principal: Principal, application: Application, body: PaymentCreate) -> Payment:
    """One tranche paid to one approved application (the caller holds its lock)."""
    ensure_level_scope(principal, body.level)
    program = session.get(Program, application.program_id)
    award = _tranche_of(session, program, body.level)
    _check_amount(body.amount, body.level, award)
    enterprise = session.get(Enterprise, application.enterprise_id)
    _check_payable(session, application, enterprise, body.level, award)
    return _record(session, principal, application, enterprise, body.level, body.amount, body.voucher_no, body.paid_on)


def record_batch(session: Session, principal: Principal, program_code: str, body: PaymentBatchCreate) -> list[Payment]:
    """批量录入: one treasury batch voucher for many applications, all or nothing. Every row
    is checked before anything is written; any row that cannot be paid → 422 listing each
    such row, and nothing of the batch (not even an audit event) is written. Each payment
    carries the batch's voucher number, as the treasury's statement lines do."""
    program = get_program(session, program_code)
    ensure_level_scope(principal, body.level)
    award = _tranche_of(session, program, body.level)
    found = {
        application.id: (application, enterprise)
        for application, enterprise in session.exec(
            select(Application, Enterprise)
            .join(Enterprise, col(Enterprise.id) == Application.enterprise_id)
            .where(col(Application.id).in_(set(body.application_ids)))
            .order_by(col(Application.id))  # one lock order for every batch: no deadlock between two
            .with_for_update(of=Application)
        ).all()
    }
    errors: list[dict] = []
    seen: set[int] = set()
    for index, application_id in enumerate(body.application_ids):
        loc = ["body", "application_ids", index]
        row = found.get(application_id)
        if application_id in seen:
            errors.append({"loc": loc, "msg": f"申报 {application_id} 在本批中重复出现", "code": "duplicate"})
        elif row is None or not principal.can_see_district(row[0].district_code):
            errors.append({"loc": loc, "msg": f"申报不存在：{application_id}", "code": "not_found"})
        elif row[0].program_id != program.id:
            errors.append({"loc": loc, "msg": f"申报 {application_id} 不属于项目 {program.code}", "code": "other_program"})
        else:
            try:
                _check_payable(session, row[0], row[1], body.level, award)
            except DomainError as problem:
                errors.append({"loc": loc, "msg": f"申报 {application_id}：{problem.detail}",
                               "code": problem.extra.get("reason", problem.code)})
        seen.add(application_id)
    if errors:
        raise Invalid(f"本批 {len(body.application_ids)} 条中有 {len(errors)} 条不能拨付，整批未登记；"
                      "请移除或更正这些申报后重新提交。", errors=errors)
    payments = [
        _record(session, principal, *found[application_id], body.level, award.amount_fen, body.voucher_no, body.paid_on)
        for application_id in body.application_ids
    ]
    audit.record(session, actor=principal.name, role=principal.role.value, action="payment.batch",
                 entity_type="program", entity_id=program.code, after={
                     "level": body.level, "voucher_no": body.voucher_no, "paid_on": body.paid_on,
                     "count": len(payments), "total": fen_to_yuan(award.amount_fen * len(payments)),
                     "payment_ids": [p.id for p in payments]})
    return payments


def _visible_payment(session: Session, principal: Principal, payment_id: int, *, for_update: bool = False
                     ) -> tuple[Payment, Application]:
    """The payment if the caller may see its application (another district's: 404). With
    for_update, the application is locked first, then the payment (the order paying uses)."""
    not_found = NotFound(f"支付记录不存在：{payment_id}。")
    application_id = session.exec(select(Payment.application_id).where(Payment.id == payment_id)).first()
    if application_id is None:
        raise not_found
    try:
        application = get_visible(session, principal, application_id, for_update=for_update)
    except NotFound:
        raise not_found from None
    stmt = select(Payment).where(Payment.id == payment_id)
    if for_update:
        stmt = stmt.with_for_update()
    return session.exec(stmt).one(), application


def return_payment(session: Session, principal: Principal, payment_id: int, body: PaymentReturn) -> Payment:
    """资金退回: the payment stops counting (live_level NULL, so the tranche may be paid
    again); a `paid` application goes back to `approved`."""
    payment, application = _visible_payment(session, principal, payment_id, for_update=True)
    ensure_level_scope(principal, payment.level)
    if payment.status == "returned":
        raise Conflict(f"该笔支付（凭证号 {payment.voucher_no}）已于 {payment.returned_on} 登记退回，不能重复退回。")
    if body.returned_on < payment.paid_on:
        raise Invalid(f"退回日期 {body.returned_on} 早于支付日期 {payment.paid_on}。",
                      errors=[{"loc": ["body", "returned_on"], "msg": "退回日期早于支付日期", "code": "before_payment"}])
    payment.status = "returned"
    payment.returned_on = body.returned_on
    payment.return_reason = body.reason
    payment.live_level = None
    session.add(payment)
    session.flush()
    audit.record(session, actor=principal.name, role=principal.role.value, action="payment.return",
                 entity_type="payment", entity_id=payment.id,
                 before={"status": "paid", "application_id": application.id, "level": payment.level},
                 after={"status": "returned", "returned_on": body.returned_on, "reason": body.reason,
                        "amount": fen_to_yuan(payment.amount_fen), "voucher_no": payment.voucher_no})
    if application.status in ("paid", "approved"):
        transition(session, application, "return_payment", principal, expected_version=application.version,
                   details={"payment_id": payment.id, "level": payment.level, "returned_on": body.returned_on,
                            "reason": body.reason})
    return payment


def upload_receipt(session: Session, principal: Principal, payment_id: int, upload_file: UploadLike) -> Document:
    """银行电子回单 for a payment, by the finance that paid it or the district system of the
    enterprise's district, under the documents' file rules. A payment may collect several
    receipts (a corrected or re-issued one does not erase the first); the latest is shown."""
    payment, application = _visible_payment(session, principal, payment_id)
    if principal.role == Role.finance:
        ensure_level_scope(principal, payment.level)
    elif principal.role != Role.district_system:
        raise Forbidden("只有财政部门或企业所在区县的申报系统可以上传银行电子回单。")
    stored, content_type = save_upload(upload_file, session=session)
    document = Document(
        payment_id=payment.id, kind=RECEIPT_KIND,
        filename=display_filename(upload_file.filename, RECEIPT_KIND, content_type), content_type=content_type,
        size=stored.size, sha256=stored.sha256, storage_key=stored.storage_key, uploaded_by=principal.name,
    )
    session.add(document)
    session.flush()
    audit.record(session, actor=principal.name, role=principal.role.value, action="payment.receipt",
                 entity_type="payment", entity_id=payment.id, after={
                     "application_id": application.id, "document_id": document.id, "filename": document.filename,
                     "content_type": content_type, "sha256": document.sha256, "size": document.size})
    return document


# ---------------------------------------------------------------- payments: reading


def _payment_rows():  # noqa: ANN202
    return (
        select(Payment, Application, Enterprise, Program.code)
        .join(Application, col(Application.id) == Payment.application_id)
        .join(Enterprise, col(Enterprise.id) == Application.enterprise_id)
        .join(Program, col(Program.id) == Application.program_id)
    )


def _receipts(session: Session, payment_ids: list[int]) -> dict[int, tuple[Document, int]]:
    """payment id → (latest receipt, number of receipts), in two queries for a whole page."""
    if not payment_ids:
        return {}
    latest = session.exec(
        select(Document.payment_id, func.max(Document.id), func.count())
        .where(col(Document.payment_id).in_(payment_ids), Document.kind == RECEIPT_KIND)
        .group_by(Document.payment_id)
    ).all()
    documents = {d.id: d for d in session.exec(select(Document).where(col(Document.id).in_([m for _p, m, _n in latest]))).all()}
    return {payment_id: (documents[max_id], n) for payment_id, max_id, n in latest}


def _public(rows: list, principal: Principal, receipts: dict[int, tuple[Document, int]]) -> list[dict]:
    full_account = principal.role == Role.finance
    items = []
    for payment, application, enterprise, program_code in rows:
        receipt, count = receipts.get(payment.id, (None, 0))
        items.append({
            "id": payment.id,
            "application_id": application.id,
            "application_status": application.status,
            "program_code": program_code,
            "district_code": application.district_code,
            "enterprise_uscc": enterprise.uscc,
            "enterprise_name": enterprise.name,
            "level": payment.level,
            "level_name": LEVEL_NAMES[payment.level],
            "amount": fen_to_yuan(payment.amount_fen),
            "voucher_no": payment.voucher_no,
            "paid_on": payment.paid_on.isoformat(),
            "payee_bank_name": payment.payee_bank_name,
            "payee_account": payment.payee_account if full_account else mask_account(payment.payee_account),
            "status": payment.status,
            "returned_on": payment.returned_on.isoformat() if payment.returned_on else None,
            "return_reason": payment.return_reason,
            "recorded_by": payment.recorded_by,
            "created_at": iso(payment.created_at),
            "receipt": document_public(receipt) if receipt is not None else None,
            "receipt_count": count,
        })
    return items


def describe_payments(session: Session, principal: Principal, payment_ids: list[int]) -> list[dict]:
    """The payments as the API answers them, in the order given."""
    rows = {row[0].id: row for row in session.exec(_payment_rows().where(col(Payment.id).in_(payment_ids))).all()}
    ordered = [rows[i] for i in payment_ids]
    return _public(ordered, principal, _receipts(session, payment_ids))


def describe_batch(session: Session, principal: Principal, program_code: str, body: PaymentBatchCreate,
                   payments: list[Payment]) -> dict:
    return {
        "program_code": program_code, "level": body.level, "voucher_no": body.voucher_no,
        "paid_on": body.paid_on.isoformat(), "count": len(payments),
        "total": fen_to_yuan(sum(p.amount_fen for p in payments)),  # the batch just recorded, in memory
        "payments": describe_payments(session, principal, [p.id for p in payments]),
    }


def get_payment(session: Session, principal: Principal, payment_id: int) -> dict:
    payment, _application = _visible_payment(session, principal, payment_id)
    return describe_payments(session, principal, [payment.id])[0]


def list_payments(
    session: Session,
    principal: Principal,
    program_code: str,
    *,
    district: str | None = None,
    level: str | None = None,
    status: str | None = None,
    missing_receipt: bool | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> tuple[list[dict], str | None]:
    """Newest first, keyset on id. A district-bound caller sees its district's payments only.
    missing_receipt=true keeps the payments without a bank e-receipt, false those with one."""
    program = get_program(session, program_code)
    stmt = _payment_rows().where(Application.program_id == program.id)
    if principal.district_code is not None:
        stmt = stmt.where(Application.district_code == principal.district_code)
    if district:
        stmt = stmt.where(Application.district_code == district)
    if level:
        stmt = stmt.where(Payment.level == level)
    if status:
        stmt = stmt.where(Payment.status == status)
    if missing_receipt is not None:
        has_receipt = select(Document.id).where(Document.payment_id == Payment.id, Document.kind == RECEIPT_KIND).exists()
        stmt = stmt.where(~has_receipt if missing_receipt else has_receipt)
    after_id = decode_id_cursor(cursor)
    if after_id is not None:
        stmt = stmt.where(Payment.id < after_id)
    rows = list(session.exec(stmt.order_by(col(Payment.id).desc()).limit(limit + 1)).all())
    page = rows[:limit]
    next_cursor = encode_cursor([page[-1][0].id]) if len(rows) > limit else None
    return _public(page, principal, _receipts(session, [row[0].id for row in page])), next_cursor


# ---------------------------------------------------------------- the funds summary


def _sum(column):  # noqa: ANN001, ANN202
    return func.coalesce(func.sum(column), 0)


FIGURES = ("appropriated", "arrived", "paid", "returned", "paid_count", "returned_count", "funded", "due_count")


def _aggregates(session: Session, program: Program, awards: list[AwardTranche], *, by_district: bool,
                scope: str | None) -> dict[tuple[str, str | None], dict[str, int]]:
    """(level, district — or None when not by district) → the figures, each from a GROUP BY
    in the database: appropriations, payments by status, funded applications, and per
    tranche the due-but-unpaid ones."""
    figures: dict[tuple[str, str | None], dict[str, int]] = defaultdict(lambda: dict.fromkeys(FIGURES, 0))

    def grouped(stmt, level, district_column):  # noqa: ANN001, ANN202
        """(level, district or None) and the aggregates of each row of `stmt`, grouped by
        the level (a column, or a constant for one tranche's query) and, when asked, the
        district."""
        if scope is not None:
            stmt = stmt.where(district_column == scope)
        keys = ([] if isinstance(level, str) else [level]) + ([district_column] if by_district else [])
        for row in session.execute(stmt.add_columns(*keys).group_by(*keys)):
            aggregates, found = tuple(row[:len(row) - len(keys)]), row[len(row) - len(keys):]
            yield (level if isinstance(level, str) else found[0], found[-1] if by_district else None), aggregates

    appropriations = select(_sum(Appropriation.amount_fen), _sum(Appropriation.arrived_amount_fen)).where(
        Appropriation.program_id == program.id)
    for key, (amount, arrived) in grouped(appropriations, Appropriation.level, Appropriation.district_code):
        figures[key].update(appropriated=int(amount), arrived=int(arrived))

    is_paid, is_returned = Payment.status == "paid", Payment.status == "returned"
    payments = (select(_sum(case((is_paid, Payment.amount_fen), else_=0)),
                       _sum(case((is_returned, Payment.amount_fen), else_=0)),
                       _sum(case((is_paid, 1), else_=0)), _sum(case((is_returned, 1), else_=0)))
                .join(Application, col(Application.id) == Payment.application_id)
                .where(Application.program_id == program.id))
    for key, (paid, returned, paid_count, returned_count) in grouped(payments, Payment.level, Application.district_code):
        figures[key].update(paid=int(paid), returned=int(returned), paid_count=int(paid_count),
                            returned_count=int(returned_count))

    funded = select(func.count()).select_from(Application).where(
        Application.program_id == program.id, col(Application.status).in_(FUNDED_STATUSES))
    for award in awards:
        if award.level == "district":  # the city's budget is the programme's, not per application
            for key, (count,) in grouped(funded, award.level, Application.district_code):
                figures[key]["funded"] = int(count)
        for key, (count,) in grouped(_due_unpaid(program, award), award.level, Application.district_code):
            figures[key]["due_count"] = int(count)
    return figures


def _due_unpaid(program: Program, award: AwardTranche):  # noqa: ANN202
    """How many approved or paid applications have this tranche due and no live payment of it."""
    paid_already = select(Payment.id).where(Payment.application_id == Application.id,
                                            Payment.live_level == award.level).exists()
    stmt = (select(func.count()).select_from(Application)
            .where(Application.program_id == program.id, col(Application.status).in_(FUNDED_STATUSES), ~paid_already))
    if award.required_roster_year is not None:
        on_roster = select(RosterEntry.id).where(RosterEntry.uscc == Enterprise.uscc,
                                                 RosterEntry.year == award.required_roster_year).exists()
        stmt = stmt.join(Enterprise, col(Enterprise.id) == Application.enterprise_id).where(on_roster)
    return stmt


def funds_summary(session: Session, principal: Principal, program_code: str) -> dict:
    """Per level and per district: budget, appropriated, arrived, paid, returned and still to
    pay, all summed by the database (the level totals by a GROUP BY level, the districts' by
    a GROUP BY level, district).

    Budget: the city level's is the programme's city_budget; a district's is the district
    tranche's award × its applications that are approved or paid (what the district is
    committed to pay; its appropriations are reported beside it, so the two can be
    compared). Paid counts live payments only; returned, the money that came back; still to
    pay, the tranches due to approved or paid applications without a live payment. A
    district-bound caller sees its own district's district-level figures only: city-level
    money is the city's."""
    program = get_program(session, program_code)
    scope = principal.district_code
    awards = [award for award in tranches(session, program.id) if scope is None or award.level != "city"]
    totals = _aggregates(session, program, awards, by_district=False, scope=scope)
    by_district = _aggregates(session, program, awards, by_district=True, scope=scope)
    names = district_names(session)

    def row(award: AwardTranche, district: str | None, figures: dict[str, int]) -> dict:
        budget = program.city_budget_fen if award.level == "city" else award.amount_fen * figures["funded"]
        return {
            "level": award.level, "level_name": LEVEL_NAMES[award.level], "district_code": district,
            "district_name": names.get(district) if district else None,
            "budget": fen_to_yuan(budget), "appropriated": fen_to_yuan(figures["appropriated"]),
            "arrived": fen_to_yuan(figures["arrived"]), "paid": fen_to_yuan(figures["paid"]),
            "returned": fen_to_yuan(figures["returned"]),
            "still_to_pay": fen_to_yuan(award.amount_fen * figures["due_count"]),
            "paid_count": figures["paid_count"], "returned_count": figures["returned_count"],
            "due_count": figures["due_count"],
        }

    districts = {scope} if scope is not None else (
        program_district_codes(session, program.id) | {d for (_level, d) in by_district if d is not None})
    return {
        "program_code": program.code,
        "levels": [row(award, scope, totals[(award.level, None)]) for award in awards],
        "districts": [row(award, d, by_district[(award.level, d)])
                      for award in awards if award.level == "district" for d in sorted(districts)],
    }
