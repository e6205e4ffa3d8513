"""Request and response bodies of the evaluation routes (the evaluation itself is documented
as a free-form object in the shape of spec/api.md: its rows carry their own inputs)."""

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field

from app.core.schemas import InputModel, text


class AssessmentIn(InputModel):
    """A qualitative row: tier, score and (below full marks) justification. A quantitative
    row whose completion reaches 130 %: deviation_note."""

    tier: Literal["achieved", "partial", "not_achieved"] | None = Field(
        default=None, description="达成 achieved [0.8w, w]；部分达成 partial [0.6w, 0.8w)；未达成 not_achieved [0, 0.6w)")
    score: Decimal | None = Field(default=None, ge=0, le=100, description="得分，最多两位小数，须在所选档次范围内")
    justification: text(4000, required=False) | None = Field(default=None, description="评分理由（低于满分时必填）")
    deviation_note: text(4000, required=False) | None = Field(default=None, description="偏差原因（定量指标完成率 ≥ 130% 时定稿前必填）")


class SnapshotSummary(BaseModel):
    id: int
    program_code: str
    scope: str
    sha256: str = Field(description="快照正文（规范化 JSON，UTF-8）的 sha256")
    rule_version: str
    total: float
    grade: str
    finalized_by: str
    created_at: str
    url: str


class Evaluation(BaseModel):
    """The live evaluation (see spec/api.md); `status` is provisional while a qualitative row
    is unscored, complete when every row is scored, final in a snapshot."""

    model_config = {"extra": "allow"}
    program: dict
    scope: str
    status: Literal["provisional", "complete", "final"]
    template: str
    rule_version: str
    indicators: list[dict]
    subtotals: list[dict]
    total: float
    grade: str
    analysis: dict
    findings: list[str]
