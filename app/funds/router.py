"""Thin routes for funds: appropriations, payments (single and batch), returns, bank
e-receipts, the payment list and the programme's funds summary."""

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, File, Header, Path, Query, UploadFile
from fastapi.responses import JSONResponse

from app.applications.service import body_sha256
from app.core.db import SessionDep
from app.core.idempotency import run_idempotent
from app.core.pagination import INT32_MAX, Limit
from app.core.openapi import problem as _problem
from app.documents.service import public as document_public
from app.funds import service
from app.funds.schemas import (
    AppropriationArrival,
    AppropriationCreate,
    AppropriationPage,
    AppropriationPublic,
    FundsSummary,
    PaymentBatchCreate,
    PaymentBatchPublic,
    PaymentCreate,
    PaymentPage,
    PaymentPublic,
    PaymentReturn,
    ReceiptPublic,
)
from app.users.auth import OFFICIALS, Principal, require_roles
from app.users.models import Role

router = APIRouter(prefix="/api/v1", tags=["funds"])

Finance = Annotated[Principal, Depends(require_roles(Role.finance))]
# Funds are read by finance, the other officials and audit (district-bound ones: their district).
FundsReader = Annotated[Principal, Depends(require_roles(*OFFICIALS, Role.auditor))]
ReceiptUploader = Annotated[Principal, Depends(require_roles(Role.finance, Role.district_system))]
PaymentReader = Annotated[Principal, Depends(require_roles(*OFFICIALS, Role.auditor, Role.district_system))]
RowId = Annotated[int, Path(ge=1, le=INT32_MAX)]
Code = Annotated[str, Path(max_length=32, description="项目编号，如 XSG-2023")]
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=200,
                                              description="重试时带同一键与同一请求体，返回首次的响应")]


READ_ERRORS = {401: _problem("未登录或令牌无效"), 403: _problem("角色无权"), 404: _problem("不存在或不可见"),
               422: _problem("参数校验未通过")}
WRITE_ERRORS = {**READ_ERRORS, 403: _problem("角色、资金层级或区县无权"), 409: _problem("与现有数据冲突（如已拨付、状态不允许）"),
                422: _problem("数据校验未通过（detail 为中文说明，errors 列出各字段或各行）")}


def _principal_key(principal: Principal) -> str:
    return f"{principal.via}:{principal.role.value}:{principal.district_code}:{principal.name}"


# ---------------------------------------------------------------- appropriations


@router.post("/programs/{code}/appropriations", status_code=201, response_model=AppropriationPublic,
             summary="登记资金拨付（财政批复，可同时登记到位）", responses=WRITE_ERRORS)
def create_appropriation(code: Code, body: AppropriationCreate, session: SessionDep, principal: Finance):
    row = service.create_appropriation(session, principal, code, body)
    return JSONResponse(service.describe_appropriation(session, row), status_code=201,
                        headers={"ETag": f'"{row.version}"'})


@router.patch("/appropriations/{appropriation_id}", response_model=AppropriationPublic, summary="登记资金到位",
              responses={**WRITE_ERRORS, 412: _problem("If-Match 版本已过期")})
def record_arrival(
    appropriation_id: RowId,
    body: AppropriationArrival,
    session: SessionDep,
    principal: Finance,
    if_match: Annotated[str | None, Header(alias="If-Match", max_length=20, description="可选：当前版本")] = None,
):
    row = service.record_arrival(session, principal, appropriation_id, body, if_match)
    return JSONResponse(service.describe_appropriation(session, row), headers={"ETag": f'"{row.version}"'})


@router.get("/programs/{code}/appropriations", response_model=AppropriationPage, summary="项目的资金拨付记录（键集分页）",
            responses=READ_ERRORS)
def list_appropriations(
    code: Code,
    session: SessionDep,
    principal: FundsReader,
    limit: Limit = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
):
    rows, next_cursor = service.list_appropriations(session, principal, code, limit=limit, cursor=cursor or None)
    return {"items": [service.appropriation_public(row, code, name) for row, name in rows], "next_cursor": next_cursor}


# ---------------------------------------------------------------- payments


def _payment_response(status_code: int, body: dict) -> JSONResponse:
    return JSONResponse(body, status_code=status_code, headers={"Location": f"/api/v1/payments/{body['id']}"})


@router.post("/applications/{application_id}/payments", status_code=201, response_model=PaymentPublic,
             summary="登记国库支付（一档奖补）", responses=WRITE_ERRORS)
def record_payment(
    application_id: RowId,
    body: PaymentCreate,
    session: SessionDep,
    principal: Finance,
    idempotency_key: IdempotencyKey = None,
):
    application = service.lock_application(session, principal, application_id)

    def handle() -> tuple[int, dict]:
        payment = service.record_payment(session, principal, application, body)
        return 201, service.describe_payments(session, principal, [payment.id])[0]

    status_code, payload = run_idempotent(
        session, principal_key=_principal_key(principal), key=idempotency_key,
        scope=f"POST /applications/{application_id}/payments", request_sha256=body_sha256(body), handler=handle,
    )
    return _payment_response(status_code, payload)


@router.post("/programs/{code}/payment-batches", status_code=201, response_model=PaymentBatchPublic,
             summary="批量登记国库支付（同一批量凭证，全部成功或全部不登记）", responses=WRITE_ERRORS)
def record_batch(code: Code, body: PaymentBatchCreate, session: SessionDep, principal: Finance,
                 idempotency_key: IdempotencyKey = None):
    def handle() -> tuple[int, dict]:
        payments = service.record_batch(session, principal, code, body)
        return 201, service.describe_batch(session, principal, code, body, payments)

    status_code, payload = run_idempotent(
        session, principal_key=_principal_key(principal), key=idempotency_key,
        scope=f"POST /programs/{code}/payment-batches", request_sha256=body_sha256(body), handler=handle,
    )
    return JSONResponse(payload, status_code=status_code)


@router.get("/programs/{code}/payments", response_model=PaymentPage, summary="支付列表（可筛选，键集分页）",
            responses=READ_ERRORS)
def list_payments(
    code: Code,
    session: SessionDep,
    principal: FundsReader,
    district: Annotated[str | None, Query(pattern=r"^\d{6}$", description="区县代码")] = None,
    level: Annotated[Literal["city", "district"] | None, Query(description="奖补档次")] = None,
    status: Annotated[Literal["paid", "returned"] | None, Query(description="支付状态")] = None,
    missing_receipt: Annotated[bool | None, Query(description="true：只列缺少银行回单的支付；false：只列已有回单的")] = None,
    limit: Limit = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
):
    items, next_cursor = service.list_payments(
        session, principal, code, district=district, level=level, status=status, missing_receipt=missing_receipt,
        limit=limit, cursor=cursor or None,
    )
    return {"items": items, "next_cursor": next_cursor}


@router.get("/payments/{payment_id}", response_model=PaymentPublic, summary="支付详情", responses=READ_ERRORS)
def get_payment(payment_id: RowId, session: SessionDep, principal: PaymentReader):
    return service.get_payment(session, principal, payment_id)


@router.post("/payments/{payment_id}/return", response_model=PaymentPublic, summary="登记资金退回",
             responses=WRITE_ERRORS)
def return_payment(payment_id: RowId, body: PaymentReturn, session: SessionDep, principal: Finance):
    payment = service.return_payment(session, principal, payment_id, body)
    return service.describe_payments(session, principal, [payment.id])[0]


@router.post(
    "/payments/{payment_id}/receipt", status_code=201, response_model=ReceiptPublic, summary="上传银行电子回单",
    responses={**WRITE_ERRORS, 413: _problem("文件超过 20 MB"),
               415: _problem("文件类型不在 PDF、OFD、JPEG、PNG、XLSX、DOCX 之内（按内容识别）")},
)
def upload_receipt(
    payment_id: RowId,
    session: SessionDep,
    principal: ReceiptUploader,
    file: Annotated[UploadFile, File(description="银行电子回单：PDF、OFD、JPEG、PNG、XLSX 或 DOCX，不超过 20 MB")],
):
    document = service.upload_receipt(session, principal, payment_id, file)
    return JSONResponse(document_public(document), status_code=201,
                        headers={"Location": f"/api/v1/documents/{document.id}/content"})


# ---------------------------------------------------------------- summary


@router.get("/programs/{code}/funds", response_model=FundsSummary, summary="项目资金汇总（按层级、按区县）",
            responses=READ_ERRORS)
def funds_summary(code: Code, session: SessionDep, principal: FundsReader):
    return service.funds_summary(session, principal, code)
