"""The scoring rules of spec/evaluation.md as pure functions on Decimals.

Every computation rounds once, at its end, half-up to two places (app/core/numbers.py); a
row's score is rounded and the total is the sum of the rounded row scores, so the table
always adds up. Nothing here touches the database."""

from dataclasses import dataclass
from decimal import Decimal

from app.core.errors import Invalid
from app.core.numbers import round_half_up

RULE_VERSION = "2020-10.1"  # 财预〔2020〕10号 as implemented here; bumped when a rule changes
DEVIATION_THRESHOLD = Decimal(130)  # completion ≥ 130 % needs a deviation note (偏差原因)
HUNDRED = Decimal(100)

TIERS = {"achieved": "达成", "partial": "部分达成", "not_achieved": "未达成"}
OPS = (">=", "=", "<=")


@dataclass(frozen=True)
class Quantified:
    completion_rate: Decimal | None  # actual ÷ target × 100, rounded; None for a zero target
    score: Decimal  # rounded


def completion(actual: Decimal, target: Decimal) -> Decimal | None:
    if target == 0:
        return None
    return round_half_up(actual / target * HUNDRED)


def score_quantitative(op: str, target: Decimal, actual: Decimal, weight: int | Decimal) -> Quantified:
    """The score of a quantitative row against its target.

    `>=`: full weight when reached, else weight × actual ÷ target.
    `=`:  full weight when equal, else weight × max(0, 1 − |actual − target| ÷ target).
    `<=` (reverse): full weight when within; else weight × (1 − (actual − target) ÷ target)
          while actual < 2 × target; else 0.
    A target of 0: full weight when the comparison holds, else 0."""
    w = Decimal(weight)
    if op not in OPS:
        raise ValueError(f"unknown comparison {op!r}")
    holds = {">=": actual >= target, "=": actual == target, "<=": actual <= target}[op]
    if holds:
        raw = w
    elif target == 0:
        raw = Decimal(0)
    elif op == ">=":
        raw = w * max(actual, Decimal(0)) / target
    elif op == "=":
        raw = w * max(Decimal(0), 1 - abs(actual - target) / target)
    elif actual < 2 * target:  # "<=" missed
        raw = w * (1 - (actual - target) / target)
    else:
        raw = Decimal(0)
    return Quantified(completion(actual, target), round_half_up(raw))


def needs_deviation_note(completion_rate: Decimal | None) -> bool:
    return completion_rate is not None and completion_rate >= DEVIATION_THRESHOLD


def tier_bounds(tier: str, weight: int | Decimal) -> tuple[Decimal, Decimal, bool]:
    """(low, high, high_inclusive) of a qualitative tier: 达成 [0.8w, w], 部分达成
    [0.6w, 0.8w), 未达成 [0, 0.6w)."""
    w = Decimal(weight)
    if tier == "achieved":
        return w * Decimal("0.8"), w, True
    if tier == "partial":
        return w * Decimal("0.6"), w * Decimal("0.8"), False
    if tier == "not_achieved":
        return Decimal(0), w * Decimal("0.6"), False
    raise ValueError(tier)


def check_qualitative(tier: str, score: Decimal, weight: int | Decimal, justification: str | None) -> Decimal:
    """The evaluator's score, validated: inside its tier (else 422), two places at most, and a
    justification whenever the score is below the full weight."""
    if tier not in TIERS:
        raise Invalid("评价档次应为 achieved（达成）、partial（部分达成）或 not_achieved（未达成）。",
                      errors=[{"loc": ["body", "tier"], "msg": "未知的评价档次", "code": "tier"}])
    if score != round_half_up(score):
        raise Invalid("得分最多保留两位小数。", errors=[{"loc": ["body", "score"], "msg": "最多两位小数", "code": "places"}])
    low, high, inclusive = tier_bounds(tier, weight)
    inside = low <= score <= high if inclusive else low <= score < high
    if not inside:
        upper = "]" if inclusive else ")"
        raise Invalid(
            f"“{TIERS[tier]}”档的得分应在 [{_plain(low)}, {_plain(high)}{upper} 之间，收到 {_plain(score)}。",
            errors=[{"loc": ["body", "score"], "msg": f"得分超出“{TIERS[tier]}”档的范围", "code": "tier_bounds"}])
    if score < Decimal(weight) and not (justification or "").strip():
        raise Invalid("得分低于满分时必须填写评分理由。",
                      errors=[{"loc": ["body", "justification"], "msg": "低于满分须说明理由", "code": "required"}])
    return score


def _plain(value: Decimal) -> str:
    """4.80 → '4.8', 4 → '4' (for messages)."""
    text = f"{round_half_up(value):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text

