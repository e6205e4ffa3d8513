"""统一社会信用代码 per GB 32100-2015: 18 characters from a 31-character alphabet (no I, O,
S, V, Z); the 18th is a check character over the first 17 with weights 3^(i-1) mod 31."""

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
WEIGHTS = [pow(3, i, 31) for i in range(17)]


def check_character(first17: str) -> str:
    total = sum(_VALUE[ch] * w for ch, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def uscc_problem(code: object) -> str | None:
    """None when valid, else the reason in Chinese."""
    if not isinstance(code, str) or len(code) != 18:
        return "统一社会信用代码应为 18 位"
    bad = sorted({ch for ch in code if ch not in _VALUE})
    if bad:
        return f"统一社会信用代码含非法字符：{''.join(bad)}（只能为数字和除 I、O、S、V、Z 外的大写字母）"
    if check_character(code[:17]) != code[17]:
        return "统一社会信用代码校验位不正确（GB 32100-2015）"
    return None


def is_valid(code: object) -> bool:
    return uscc_problem(code) is None


def make_uscc(district_code: str, serial: int, *, registry: str = "91") -> str:
    """A valid code for synthetic data: registry prefix, district, a 9-character serial."""
    body = registry + district_code[:6]
    digits = ""
    n = serial
    for _ in range(9):
        digits = ALPHABET[n % 31] + digits
        n //= 31
    first17 = body + digits
    return first17 + check_character(first17)
