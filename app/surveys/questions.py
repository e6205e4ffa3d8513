"""The questionnaire (满意度调查问卷): the overall five-point satisfaction the evaluation
counts, and five questions on the programme's own steps, each answered 5 (best) … 1."""

from dataclasses import dataclass
from enum import StrEnum


class Overall(StrEnum):
    very_satisfied = "very_satisfied"
    satisfied = "satisfied"
    neutral = "neutral"
    dissatisfied = "dissatisfied"
    very_dissatisfied = "very_dissatisfied"


OVERALL_NAMES = {
    "very_satisfied": "非常满意",
    "satisfied": "满意",
    "neutral": "一般",
    "dissatisfied": "不满意",
    "very_dissatisfied": "非常不满意",
}
# What the satisfaction rate counts as satisfied: (非常满意 + 满意) ÷ valid responses.
SATISFIED = ("very_satisfied", "satisfied")
CHANNEL_NAMES = {"online": "在线填写", "paper": "纸质问卷"}


@dataclass(frozen=True)
class Question:
    key: str
    topic: str  # a short name for tables
    text: str  # as the enterprise reads it
    options: tuple[str, str, str, str, str]  # the labels of 5, 4, 3, 2, 1

    def label(self, value: int) -> str:
        return self.options[5 - value]


_SATISFACTION = ("非常满意", "满意", "一般", "不满意", "非常不满意")

QUESTIONS: tuple[Question, ...] = (
    Question("policy_awareness", "政策知晓", "您对“小升规”奖补政策内容和申报条件的了解程度",
             ("非常了解", "比较了解", "一般", "不太了解", "不了解")),
    Question("application_ease", "申报便利", "您认为申报流程和所需材料是否便捷",
             ("非常便捷", "比较便捷", "一般", "比较繁琐", "非常繁琐")),
    Question("review_transparency", "审核透明", "您对审核、公示过程公开透明的满意程度", _SATISFACTION),
    Question("payment_timeliness", "拨付及时", "您认为奖补资金拨付是否及时",
             ("非常及时", "比较及时", "一般", "不太及时", "很不及时")),
    Question("service_quality", "服务质量", "您对工信、统计、财政部门服务质量的满意程度", _SATISFACTION),
)
QUESTION_KEYS = tuple(q.key for q in QUESTIONS)
