"""Calendar days are Chinese calendar days: Beijing time (UTC+8, no daylight saving) decides
what "today" is, not the server's clock zone (at 07:00 in Urumqi the UTC date may still be
yesterday's)."""

from datetime import date, datetime, timedelta, timezone

BEIJING = timezone(timedelta(hours=8), "北京时间")


def beijing_today() -> date:
    return datetime.now(BEIJING).date()
