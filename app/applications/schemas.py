"""Request and response bodies of the application API (table models are never bodies)."""

from app.core.schemas import InputModel

import re
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.core.money import Yuan
from app.enterprises.uscc import uscc_problem

_PERIOD = re.compile(r"^(19|20)\d{2}-(0[1-9]|1[0-2])$")


class EnterpriseIn(InputModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    uscc: Annotated[str, Field(description="统一社会信用代码（GB 32100-2015）", examples=["916501005605186765"])]
    name: Annotated[str, Field(min_length=2, max_length=200)]
    district_code: Annotated[str, Field(pattern=r"^\d{6}$")]
    industry_code: Annotated[str, Field(pattern=r"^\d{4}$", description="GB/T 4754 行业代码（4 位）")]
    address: Annotated[str, Field(max_length=300)] = ""
    legal_representative: Annotated[str, Field(max_length=100)] = ""
    contact_name: Annotated[str, Field(max_length=100)] = ""
    contact_phone: Annotated[str, Field(max_length=50)] = ""
    bank_name: Annotated[str, Field(max_length=100)] = ""
    bank_account: Annotated[str, Field(max_length=64, pattern=r"^[0-9 \-]*$")] = ""

    @field_validator("uscc")
    @classmethod
    def _uscc(cls, value: str) -> str:
        problem = uscc_problem(value)
        if problem:
            raise ValueError(problem)
        return value


class ApplicationSubmit(InputModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    external_ref: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._\-/]+$",
                                       description="区县系统内的申报编号；与区县一起构成天然幂等键")]
    declared_revenue: Annotated[Yuan, Field(description="申报年主营业务收入（元）")]
    first_above_scale_period: Annotated[str, Field(description="首次入规年月 YYYY-MM", examples=["2023-06"])]
    enterprise: EnterpriseIn

    @field_validator("first_above_scale_period")
    @classmethod
    def _period(cls, value: str) -> str:
        if not _PERIOD.match(value):
            raise ValueError("首次入规年月格式应为 YYYY-MM，如 2023-06")
        return value


class WithdrawBody(InputModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    reason: Annotated[str, Field(min_length=2, max_length=500, description="撤回原因")]


class EnterprisePublic(BaseModel):
    uscc: str
    name: str
    district_code: str
    district_name: str
    industry_code: str
    address: str
    legal_representative: str
    contact_name: str
    contact_phone: str
    bank_name: str
    bank_account: str  # masked except for finance


class EligibilityPublic(BaseModel):
    rule: str
    name: str
    outcome: str
    message: str


class DocumentPublic(BaseModel):
    id: int
    kind: str
    filename: str
    content_type: str
    size: int
    sha256: str
    uploaded_at: datetime | str


class ReviewPublic(BaseModel):
    stage: str
    department: str
    decision: str
    opinion: str
    reviewer: str
    decided_at: str
    submission_no: int


class PaymentPublic(BaseModel):
    id: int
    level: str
    amount: str
    voucher_no: str
    paid_on: str
    status: str


class HistoryPublic(BaseModel):
    at: str
    actor: str
    role: str
    action: str
    summary: dict | None = None


class ApplicationPublic(BaseModel):
    id: int
    program_code: str
    status: str
    status_name: str
    version: int
    external_ref: str
    district_code: str
    submission_no: int
    enterprise: EnterprisePublic
    declared_revenue: str
    first_above_scale_period: str
    eligibility: list[EligibilityPublic]
    documents: list[DocumentPublic]
    reviews: list[ReviewPublic]
    payments: list[PaymentPublic]
    history: list[HistoryPublic]
    created_at: str
    updated_at: str


class ApplicationSummary(BaseModel):
    id: int
    program_code: str
    status: str
    status_name: str
    version: int
    external_ref: str
    district_code: str
    enterprise_uscc: str
    enterprise_name: str
    declared_revenue: str
    created_at: str
    updated_at: str


class ApplicationPage(BaseModel):
    items: list[ApplicationSummary]
    next_cursor: str | None
