"""The programme's payments page (拨付): the funds summary, the payment list (rows without a
bank e-receipt highlighted) and, for finance, batch entry. htmx posts forms url-encoded and
the JSON API (POST /api/v1/programs/{code}/payment-batches) takes JSON, so the batch form
has its own HTML face here that runs the very same service and answers the refreshed body."""

from typing import Annotated


from fastapi import APIRouter, Form, Path, Request
from pydantic import ValidationError
from sqlmodel import col, select

from app.applications import service as applications
from app.applications.models import Application
from app.core.db import SessionDep
from app.core.errors import DomainError, NotFound, Unauthorized, validation_errors
from app.core.htmx import set_vary
from app.core.money import fen_to_yuan
from app.core.templating import templates
from app.districts.service import district_names
from app.funds import service
from app.funds.models import Payment
from app.funds.schemas import PaymentBatchCreate
from app.pages.context import page_context
from app.pages.router import _error_page, _login_redirect
from app.programs.service import get_program, tranche
from app.users.auth import OFFICIALS, OptionalPrincipal, Principal
from app.users.models import Role

router = APIRouter(include_in_schema=False)

Code = Annotated[str, Path(max_length=32)]
READERS = (*OFFICIALS, Role.auditor)
FIELD_NAMES = {"level": "奖补档次", "paid_on": "支付日期", "voucher_no": "凭证号", "application_ids": "拨付申报"}


def _finance_level(principal: Principal) -> str:
    return "city" if principal.district_code is None else "district"


def _entry(session, principal: Principal, code: str) -> dict | None:  # noqa: ANN001
    """Finance's batch entry: the programme's approved applications still without a live
    payment of the finance user's level (None for other roles, or without that tranche)."""
    if principal.role != Role.finance:
        return None
    program = get_program(session, code)
    level = _finance_level(principal)
    award = tranche(session, program.id, level)
    if award is None:
        return None
    rows, _next = applications.list_page(session, principal, program=code, status="approved", limit=500)
    ids = [a.id for a, _e, _c in rows]
    paid = set(session.exec(select(Payment.application_id).where(
        col(Payment.application_id).in_(ids), Payment.live_level == level)).all()) if ids else set()
    return {
        "level": level, "level_name": service.LEVEL_NAMES[level], "amount": fen_to_yuan(award.amount_fen),
        "items": [applications.summary(a, e, c) for a, e, c in reversed(rows) if a.id not in paid],
    }


def _body_context(request: Request, session, principal: Principal, code: str, **extra) -> dict:  # noqa: ANN001
    program = get_program(session, code)
    items, next_cursor = service.list_payments(session, principal, code, limit=200)
    ids = {p["application_id"] for p in items}
    refs = dict(session.exec(select(Application.id, Application.external_ref).where(col(Application.id).in_(ids))).all()) if ids else {}
    return page_context(
        request, session, principal, program=program, code=code, summary=service.funds_summary(session, principal, code),
        payments=items, refs=refs, more=next_cursor is not None, missing=sum(1 for p in items if p["receipt"] is None),
        districts=district_names(session), entry=_entry(session, principal, code), **extra,
    )


@router.get("/programs/{code}/payments")
def payments_page(code: Code, request: Request, session: SessionDep, principal: OptionalPrincipal):
    if principal is None:
        return _login_redirect(request)
    if principal.role not in READERS:
        return _error_page(request, session, principal, 403, "无权访问", "当前角色无权查看资金拨付。")
    try:
        ctx = _body_context(request, session, principal, code)
    except NotFound as exc:
        return _error_page(request, session, principal, 404, "未找到", exc.detail)
    response = templates.TemplateResponse(request, "pages/funds/payments.html", ctx)
    set_vary(response)
    return response


def _problem(request: Request, status: int, title: str, detail: str, errors: list[str]):
    response = templates.TemplateResponse(
        request, "pages/funds/_problem.html", {"status": status, "title": title, "detail": detail, "errors": errors},
        status_code=status)
    response.headers["HX-Retarget"] = "#flash"
    response.headers["HX-Reswap"] = "innerHTML"
    return response


@router.post("/programs/{code}/payment-batches", status_code=201)
def batch_form(
    code: Code,
    request: Request,
    session: SessionDep,
    principal: OptionalPrincipal,
    level: Annotated[str, Form(max_length=20)] = "",
    paid_on: Annotated[str, Form(max_length=20)] = "",
    voucher_no: Annotated[str, Form(max_length=200)] = "",
    application_ids: Annotated[list[str], Form()] = [],  # noqa: B006 - FastAPI copies defaults
):
    """批量录入 from the page: the form's fields as the JSON API's body, the same service
    (scope, all-or-nothing, audit, CSRF), then the refreshed body. A problem — every row
    that cannot be paid, in Chinese — goes to #flash and nothing is written."""
    if principal is None:
        raise Unauthorized()
    if not application_ids:
        return _problem(request, 422, "数据校验未通过", "请至少勾选一个要拨付的申报。", [])
    try:
        body = PaymentBatchCreate.model_validate({
            "level": level, "paid_on": paid_on, "voucher_no": voucher_no.strip(), "application_ids": application_ids})
    except ValidationError as exc:
        errors = validation_errors(list(exc.errors()))
        lines = [f"{FIELD_NAMES.get(str(e['loc'][0]), e['loc'][0]) if e['loc'] else ''}：{e['msg']}" for e in errors]
        return _problem(request, 422, "数据校验未通过", "请检查本批的填写内容。", lines)
    try:
        payments = service.record_batch(session, principal, code, body)
    except DomainError as exc:
        session.rollback()
        return _problem(request, exc.status, exc.title, exc.detail, [e.get("msg", "") for e in exc.errors or []])
    total = fen_to_yuan(sum(p.amount_fen for p in payments))
    ctx = _body_context(request, session, principal, code, recorded={
        "count": len(payments), "total": total, "voucher_no": body.voucher_no, "paid_on": body.paid_on.isoformat()})
    return templates.TemplateResponse(request, "pages/funds/_body.html", ctx, status_code=201)

