from app.core.schemas import InputModel
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field


class ReviewCreate(InputModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    decision: Annotated[Literal["approve", "reject", "return"], Field(description="approve 同意 / reject 不同意 / return 退回补正")]
    opinion: Annotated[str, Field(max_length=2000, description="审核意见；不同意或退回时必填")] = ""


class ReviewListItem(BaseModel):
    id: int
    application_id: int
    program_code: str
    district_code: str
    enterprise_name: str
    stage: str
    department: str
    decision: str
    opinion: str
    reviewer: str
    decided_at: str
    submission_no: int


class ReviewPage(BaseModel):
    items: list[ReviewListItem]
    next_cursor: str | None
