"""What every page needs: who is signed in, in words; and the few display helpers the
templates share (times in Beijing time, yuan in 万元, Chinese names of codes)."""

from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation

from fastapi import Request
from sqlmodel import Session

from app.applications.lifecycle import STATUS_NAMES
from app.core.templating import templates
from app.districts.models import District
from app.documents.models import DOCUMENT_KINDS
from app.users.auth import Principal
from app.users.models import ROLE_NAMES_ZH

# Officials read times in Beijing time (UTC+8, no daylight saving); the API carries UTC.
BEIJING = timezone(timedelta(hours=8), "北京时间")

OUTCOME_NAMES = {"pass": "通过", "fail": "未通过", "warn": "待核实"}
STAGE_NAMES = {"district": "区县初审", "city": "市级复审"}
DEPARTMENT_NAMES = {"industry": "工信部门", "stats": "统计部门"}
DECISION_NAMES = {"approve": "同意", "reject": "不同意", "return": "退回补正"}
PAYMENT_LEVEL_NAMES = {"city": "市级", "district": "区县级"}
PAYMENT_STATUS_NAMES = {"paid": "已拨付", "returned": "已退回"}
# Audit actions in words; an unknown action is shown as its code.
ACTION_NAMES = {
    "application.submit": "提交申报",
    "application.resubmit": "补正后重新提交",
    "application.withdraw": "撤回申报",
    "application.review": "审核",
    "application.approve": "审核同意",
    "application.reject": "审核不通过",
    "application.return": "退回补正",
    "application.notice": "列入公示",
    "application.notice_close": "公示结束",
    "application.pay": "拨付资金",
    "document.upload": "上传材料",
    "payment.create": "拨付资金",
    "payment.return": "资金退回",
}


def local_time(value: str | datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """'2026-03-01T02:05:00.000Z' → '2026-03-01 10:05' (Beijing time). Unparseable → as given."""
    if not value:
        return ""
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    else:
        moment = value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(BEIJING).strftime(fmt)


def yuan_to_wan(value: str | None) -> str:
    """'35200000.00' (元) → '3,520.00' (万元)."""
    try:
        amount = Decimal(str(value)) / Decimal(10_000)
    except (InvalidOperation, TypeError):
        return str(value or "")
    return f"{amount.quantize(Decimal('0.01')):,}"


def file_size(size: int | None) -> str:
    if size is None:
        return ""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / 1024 / 1024:.1f} MB"


def _install(env) -> None:  # noqa: ANN001
    env.filters.setdefault("localtime", local_time)
    env.filters.setdefault("yuan_wan", yuan_to_wan)
    env.filters.setdefault("filesize", file_size)
    env.globals.setdefault("STATUS_NAMES", STATUS_NAMES)
    env.globals.setdefault("OUTCOME_NAMES", OUTCOME_NAMES)
    env.globals.setdefault("DOCUMENT_KINDS", DOCUMENT_KINDS)
    env.globals.setdefault("STAGE_NAMES", STAGE_NAMES)
    env.globals.setdefault("DEPARTMENT_NAMES", DEPARTMENT_NAMES)
    env.globals.setdefault("DECISION_NAMES", DECISION_NAMES)
    env.globals.setdefault("PAYMENT_LEVEL_NAMES", PAYMENT_LEVEL_NAMES)
    env.globals.setdefault("PAYMENT_STATUS_NAMES", PAYMENT_STATUS_NAMES)
    env.globals.setdefault("ACTION_NAMES", ACTION_NAMES)
    env.globals.setdefault("ROLE_NAMES", {r.value: n for r, n in ROLE_NAMES_ZH.items()})


_install(templates.env)


def page_context(request: Request, session: Session, principal: Principal | None, **extra) -> dict:
    district = session.get(District, principal.district_code) if principal and principal.district_code else None
    return {
        "principal": principal,
        "role_name": ROLE_NAMES_ZH.get(principal.role, "") if principal else "",
        "district_name": district.name if district else "",
        **extra,
    }
