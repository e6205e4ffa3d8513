"""Response bodies of the enterprise API: the list and one enterprise's whole history across
programmes (table models are never bodies). Money is yuan text with two places, dates
YYYY-MM-DD, times ISO 8601 UTC."""

from typing import Any

from pydantic import BaseModel

from app.followups.schemas import FollowUpPublic


class EnterpriseSummary(BaseModel):
    uscc: str
    name: str
    district_code: str
    district_name: str
    industry_code: str
    application_count: int
    awarded_programs: list[str]  # programme codes under which a payment stands


class EnterprisePage(BaseModel):
    items: list[EnterpriseSummary]
    next_cursor: str | None


class EnterpriseApplication(BaseModel):
    id: int
    program_code: str
    status: str
    status_name: str
    district_code: str
    external_ref: str
    declared_revenue: str
    first_above_scale_period: str
    created_at: str
    updated_at: str


class EnterpriseDecision(BaseModel):
    application_id: int
    program_code: str
    submission_no: int
    stage: str
    department: str
    decision: str
    opinion: str
    reviewer: str
    decided_at: str


class EnterprisePayment(BaseModel):
    id: int
    application_id: int
    program_code: str
    level: str
    amount: str
    voucher_no: str
    paid_on: str
    status: str
    returned_on: str | None


class EnterpriseRosterYear(BaseModel):
    year: int
    name: str
    district_code: str
    industry_code: str
    first_included: str
    main_revenue: str
    change_pct: float | None  # against the previous year's row when there is one, rounded to 0.1


class EnterpriseSurvey(BaseModel):
    program_code: str
    overall: str
    overall_name: str
    answers: dict[str, Any]
    comment: str
    channel: str
    collected_on: str


class EnterpriseHistory(BaseModel):
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
    created_at: str
    updated_at: str
    awarded_programs: list[str]
    applications: list[EnterpriseApplication]
    decisions: list[EnterpriseDecision]
    payments: list[EnterprisePayment]
    roster: list[EnterpriseRosterYear]
    surveys: list[EnterpriseSurvey]
    follow_ups: list[FollowUpPublic]
