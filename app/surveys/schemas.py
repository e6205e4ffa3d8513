"""Request and response bodies of the survey routes."""

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, Field, field_validator

from app.core.schemas import InputModel, IsoDate, line, text
from app.enterprises.uscc import uscc_problem
from app.surveys.questions import QUESTION_KEYS, QUESTIONS, Overall

QUESTION_TOPICS = {q.key: q.topic for q in QUESTIONS}

Answer = Annotated[int, Field(ge=1, le=5, description="5 为最好，1 为最差")]
QuestionKey = Literal["policy_awareness", "application_ease", "review_transparency", "payment_timeliness",
                      "service_quality"]
assert QuestionKey.__args__ == QUESTION_KEYS  # noqa: S101 - one list of questions

ANSWERS_DESCRIPTION = (
    "各题得分 5…1（5 最好）：policy_awareness 政策知晓、application_ease 申报便利、review_transparency 审核透明、"
    "payment_timeliness 拨付及时、service_quality 服务质量；未作答的题可省略"
)


class _Answers(InputModel):
    overall: Overall = Field(description="总体满意度：very_satisfied 非常满意 … very_dissatisfied 非常不满意")
    answers: dict[QuestionKey, Answer] = Field(default_factory=dict, description=ANSWERS_DESCRIPTION)
    comment: text(2000, required=False) = Field(default="", description="意见和建议")


class OnlineResponseIn(_Answers):
    """Online, every question is answered (the form offers no blank); on paper a question
    may have been left blank."""

    token: line(100) = Field(description="问卷链接中的令牌")
    answers: dict[QuestionKey, Answer] = Field(description=ANSWERS_DESCRIPTION.replace("；未作答的题可省略", "；在线填写须全部作答"))

    @field_validator("answers")
    @classmethod
    def _all_answered(cls, value: dict) -> dict:
        missing = [QUESTION_TOPICS[k] for k in QUESTION_KEYS if k not in value]
        if missing:
            raise ValueError(f"请回答全部题目，尚未作答：{'、'.join(missing)}")
        return value


class PaperResponseIn(_Answers):
    uscc: line(18) = Field(description="获奖补企业的统一社会信用代码")
    collected_on: IsoDate = Field(description="纸质问卷的回收日期")

    @field_validator("uscc")
    @classmethod
    def _uscc(cls, value: str) -> str:
        problem = uscc_problem(value.upper())
        if problem:
            raise ValueError(problem)
        return value.upper()


class InvitationOut(BaseModel):
    uscc: str
    name: str
    district_code: str
    token: str = Field(description="只显示这一次；系统只保存其摘要")
    url: str


class InvitationStatus(BaseModel):
    uscc: str
    name: str
    district_code: str
    district_name: str
    invited_at: str | None = Field(description="当前有效链接的发放时间（ISO 8601 UTC）")
    link: Literal["none", "open", "used", "revoked"] = Field(description="none 未发放；open 待填写；used 已填写；revoked 已作废")
    responses: int
    latest_overall: Overall | None


class ResponseOut(BaseModel):
    id: int
    program_code: str
    uscc: str
    name: str
    district_code: str
    overall: Overall
    overall_name: str
    answers: dict[str, int]
    comment: str
    channel: Literal["online", "paper"]
    collected_on: date
    entered_by: str | None
    created_at: str


class ResponsePage(BaseModel):
    items: list[ResponseOut]
    next_cursor: str | None


class Count(BaseModel):
    value: str
    label: str
    count: int
    share: float | None = Field(description="占有效问卷的百分比，两位小数")


class QuestionDistribution(BaseModel):
    key: str
    topic: str
    text: str
    answered: int
    average: float | None = Field(description="平均分（5 分制），两位小数")
    counts: list[Count]


class DistrictSurvey(BaseModel):
    code: str
    name: str
    awarded: int
    responded: int
    satisfied: int
    response_rate: float | None
    satisfaction_rate: float | None


class SurveySummary(BaseModel):
    program_code: str
    awarded: int = Field(description="获奖补企业数（有已拨付且未退回的支付）")
    invited: int = Field(description="已发放有效问卷链接或已答卷的获奖补企业数")
    responses: int = Field(description="获奖补企业的问卷份数（含同一企业的多份）")
    online: int
    paper: int
    valid: int = Field(description="有效问卷数：已答卷的获奖补企业数，每家取最新一份")
    response_rate: float | None = Field(description="回收率：valid ÷ awarded × 100；无获奖补企业时为 null")
    satisfied: int = Field(description="有效问卷中“非常满意”与“满意”的份数")
    satisfaction_rate: float | None = Field(description="satisfied ÷ valid × 100；无有效问卷时为 null")
    note: str | None
    overall: list[Count]
    questions: list[QuestionDistribution]
    districts: list[DistrictSurvey]
