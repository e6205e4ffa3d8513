"""Money is integer fen. The API carries yuan as decimal strings with two places."""

import re
from decimal import Decimal
from typing import Annotated

from pydantic import BeforeValidator, WithJsonSchema

_YUAN = re.compile(r"^(0|[1-9]\d{0,13})(\.\d{1,2})?$")


def yuan_to_fen(text: str) -> int:
    """'100000.00' → 10000000. Refuses anything that is not a plain non-negative amount."""
    if not isinstance(text, str) or not _YUAN.match(text):
        raise ValueError("金额须为以元为单位、最多两位小数的非负数字字符串，如 \"100000.00\"")
    whole, _, frac = text.partition(".")
    return int(whole) * 100 + int((frac + "00")[:2])


def fen_to_yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return f"{sign}{fen // 100}.{fen % 100:02d}"


FEN_PER_WAN = Decimal(1_000_000)  # 万元 = 10,000 yuan = 1,000,000 fen


def fen_to_wan(fen: int) -> str:
    """Fen shown as 万元 with two places (officials read money in 万元)."""
    q = (Decimal(fen) / FEN_PER_WAN).quantize(Decimal("0.01"))
    return f"{q:,}"


def _parse(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, str):
        raise ValueError("金额须为字符串，如 \"100000.00\"")
    return yuan_to_fen(value)


YUAN_PATTERN = r"^(0|[1-9]\d{0,13})(\.\d{1,2})?$"

# A request field: yuan text on the wire, integer fen inside. Responses carry fen_to_yuan(...).
Yuan = Annotated[
    int,
    BeforeValidator(_parse),
    WithJsonSchema({"type": "string", "pattern": YUAN_PATTERN, "examples": ["100000.00"]}),
]
