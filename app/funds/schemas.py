"""Request and response bodies of the funds API: appropriations, payments, receipts, the
funds summary (table models are never bodies)."""

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from app.core.money import Yuan
from app.core.schemas import InputModel, IsoDate

Level = Literal["city", "district"]
# Printable text without control characters (a voucher number is matched against bank statements).
_PRINTABLE = r"^[^\x00-\x1f\x7f]+$"
VoucherNo = Annotated[str, Field(min_length=1, max_length=64, pattern=_PRINTABLE,
                                 description="国库支付凭证号", examples=["乌财库〔2024〕0808-001"])]


class AppropriationCreate(InputModel):
    level: Annotated[Level, Field(description="city 市级；district 区（县）级")]
    district_code: Annotated[str | None, Field(pattern=r"^\d{6}$", description="区级资金的区县代码；市级不填")] = None
    amount: Annotated[Yuan, Field(description="批复金额（元）")]
    document_no: Annotated[str, Field(min_length=1, max_length=100, pattern=_PRINTABLE,
                                      description="财政批复文号", examples=["乌财建〔2024〕169号"])]
    approved_on: Annotated[IsoDate, Field(description="批复日期")]
    arrived_amount: Annotated[Yuan | None, Field(description="到位金额（元），与 arrived_on 同时填写")] = None
    arrived_on: Annotated[IsoDate | None, Field(description="到位日期")] = None


class AppropriationArrival(InputModel):
    arrived_amount: Annotated[Yuan, Field(description="到位金额（元）")]
    arrived_on: Annotated[IsoDate, Field(description="到位日期")]


class AppropriationPublic(BaseModel):
    id: int
    program_code: str
    level: Level
    level_name: str
    district_code: str | None
    district_name: str | None
    amount: str
    document_no: str
    approved_on: str
    arrived_amount: str | None
    arrived_on: str | None
    version: int
    created_by: str
    created_at: str


class AppropriationPage(BaseModel):
    items: list[AppropriationPublic]
    next_cursor: str | None


class PaymentCreate(InputModel):
    level: Annotated[Level, Field(description="拨付的奖补档次：city 市级，district 区（县）级")]
    amount: Annotated[Yuan, Field(description="拨付金额（元），须等于项目该档次的奖补标准")]
    voucher_no: VoucherNo
    paid_on: Annotated[IsoDate, Field(description="支付日期")]


class PaymentBatchCreate(InputModel):
    level: Annotated[Level, Field(description="本批拨付的奖补档次")]
    paid_on: Annotated[IsoDate, Field(description="支付日期")]
    voucher_no: Annotated[VoucherNo, Field(description="国库批量支付凭证号：本批每笔支付均记此凭证号")]
    application_ids: Annotated[list[Annotated[int, Field(ge=1, le=2_147_483_647)]],
                               Field(min_length=1, max_length=500, description="要拨付的申报 id（最多 500 个）")]


class PaymentReturn(InputModel):
    returned_on: Annotated[IsoDate, Field(description="资金退回日期")]
    reason: Annotated[str, Field(min_length=2, max_length=500, description="退回原因")]


class ReceiptPublic(BaseModel):
    id: int
    kind: str
    filename: str
    content_type: str
    size: int
    sha256: str
    uploaded_at: str


class PaymentPublic(BaseModel):
    id: int
    application_id: int
    application_status: str
    program_code: str
    district_code: str
    enterprise_uscc: str
    enterprise_name: str
    level: Level
    level_name: str
    amount: str
    voucher_no: str
    paid_on: str
    payee_bank_name: str
    payee_account: str  # in full for finance only, masked otherwise
    status: Literal["paid", "returned"]
    returned_on: str | None
    return_reason: str | None
    recorded_by: str
    created_at: str
    receipt: ReceiptPublic | None  # the latest bank e-receipt
    receipt_count: int


class PaymentPage(BaseModel):
    items: list[PaymentPublic]
    next_cursor: str | None


class PaymentBatchPublic(BaseModel):
    program_code: str
    level: Level
    voucher_no: str
    paid_on: str
    count: int
    total: str
    payments: list[PaymentPublic]


class FundsFigures(BaseModel):
    level: Level
    level_name: str
    district_code: str | None
    district_name: str | None
    budget: str
    appropriated: str
    arrived: str
    paid: str
    returned: str
    still_to_pay: str
    paid_count: int
    returned_count: int
    due_count: int  # approved or paid applications with this tranche due and not yet paid


class FundsSummary(BaseModel):
    program_code: str
    levels: list[FundsFigures]  # one per tranche level, over the caller's scope
    districts: list[FundsFigures]  # the district tranche, one per district of the caller's scope
