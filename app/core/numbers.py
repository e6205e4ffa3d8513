"""Rates and scores as the evaluation writes them: decimal arithmetic rounded half-up to
two places (4.545 → 4.55), never binary floats until the JSON number at the very end."""

from decimal import ROUND_HALF_UP, Decimal

TWO_PLACES = Decimal("0.01")


def round_half_up(value: Decimal | int | str, places: Decimal = TWO_PLACES) -> Decimal:
    return Decimal(value).quantize(places, rounding=ROUND_HALF_UP)


def percent(numerator: int, denominator: int) -> float | None:
    """numerator ÷ denominator × 100, two places half-up (38/41 → 92.68); None when the
    denominator is zero — the caller says why."""
    if not denominator:
        return None
    return float(round_half_up(Decimal(numerator) * 100 / Decimal(denominator)))


def json_number(value: Decimal | float | int | None) -> float | None:
    """A value as the API writes it: a JSON number rounded half-up to two places."""
    return None if value is None else float(round_half_up(Decimal(str(value))))
