"""The application lifecycle as data: (state, action) → next state and the roles that may
take the action. Every change of status goes through `transition()`, which checks this
table, the caller's district and the If-Match version, bumps the version and writes the
audit event — in the caller's transaction. No other code assigns Application.status."""

from dataclasses import dataclass

from sqlmodel import Session

from app.applications.models import Application
from app.audit import service as audit
from app.core.db import utcnow
from app.core.errors import Conflict, Forbidden, PreconditionFailed, PreconditionRequired
from app.users.auth import Principal
from app.users.models import Role

STATUS_NAMES = {
    "submitted": "已提交",
    "returned": "退回补正",
    "district_approved": "初审通过",
    "city_approved": "复审通过",
    "in_notice": "公示中",
    "approved": "已审定",
    "paid": "已拨付",
    "rejected": "未通过",
    "withdrawn": "已撤回",
}
# Statuses in which an application holds its enterprise's place in the programme.
LIVE_STATUSES = frozenset(STATUS_NAMES) - {"rejected", "withdrawn"}

SUBMITTERS = frozenset({Role.district_system, Role.district_industry})
DISTRICT_REVIEWERS = frozenset({Role.district_industry, Role.district_stats})
CITY_REVIEWERS = frozenset({Role.city_industry, Role.city_stats})
NOTICE_KEEPERS = frozenset({Role.city_industry})
TREASURY = frozenset({Role.finance})


@dataclass(frozen=True)
class Rule:
    """`to` lists the states the action may lead to; the first is the usual one. An
    approval, for instance, keeps the state until the stage's second department approves."""

    to: tuple[str, ...]
    roles: frozenset[Role]


# The whole lifecycle of spec/domain.md: (from state, action) → rule.
TRANSITIONS: dict[tuple[str, str], Rule] = {
    # 初审: both district departments; 复审: both city departments (reviews.service decides
    # whether an approval completes the stage).
    ("submitted", "approve"): Rule(("submitted", "district_approved"), DISTRICT_REVIEWERS),
    ("submitted", "reject"): Rule(("rejected",), DISTRICT_REVIEWERS),
    ("submitted", "return"): Rule(("returned",), DISTRICT_REVIEWERS),
    ("district_approved", "approve"): Rule(("district_approved", "city_approved"), CITY_REVIEWERS),
    ("district_approved", "reject"): Rule(("rejected",), CITY_REVIEWERS),
    ("district_approved", "return"): Rule(("returned",), CITY_REVIEWERS),
    ("returned", "resubmit"): Rule(("submitted",), SUBMITTERS),
    # 公示 and 审定
    ("city_approved", "publish"): Rule(("in_notice",), NOTICE_KEEPERS),
    ("in_notice", "confirm"): Rule(("approved",), NOTICE_KEEPERS),
    ("in_notice", "uphold_objection"): Rule(("rejected",), NOTICE_KEEPERS),
    # 拨付: paid once every tranche due is paid; a returned payment reopens it
    ("approved", "pay"): Rule(("approved", "paid"), TREASURY),
    ("paid", "return_payment"): Rule(("approved",), TREASURY),
    ("approved", "return_payment"): Rule(("approved",), TREASURY),  # a partly paid one: recorded in its history
    **{(state, "withdraw"): Rule(("withdrawn",), SUBMITTERS)
       for state in ("submitted", "returned", "district_approved", "city_approved")},
}


def parse_if_match(header: str | None) -> int:
    """`"7"` → 7. Missing → 428; unparseable → 412 (it cannot match any version)."""
    if header is None or not header.strip():
        raise PreconditionRequired("此操作须带 If-Match 请求头，值为申报当前版本（ETag），如 If-Match: \"7\"。")
    value = header.strip().removeprefix("W/").strip('"')
    if not value.isdigit():
        raise PreconditionFailed(f"If-Match 值无效：{header}，应为当前版本号，如 \"7\"。")
    return int(value)


def allowed(status: str, action: str, role: Role) -> bool:
    rule = TRANSITIONS.get((status, action))
    return rule is not None and role in rule.roles


def actions_for(status: str, role: Role) -> list[str]:
    """What this role may do to an application in this state (for the pages)."""
    return [action for (state, action), rule in TRANSITIONS.items() if state == status and role in rule.roles]


def check(application: Application, action: str, principal: Principal, *, expected_version: int) -> Rule:
    """May this principal take this action on this application at this version? Raises
    404 (another district), 409 (not in this state), 403 (not this role), 412 (stale)."""
    principal.ensure_district(application.district_code)
    rule = TRANSITIONS.get((application.status, action))
    if rule is None:
        raise Conflict(f"申报当前状态为“{STATUS_NAMES.get(application.status, application.status)}”，不能执行此操作（{action}）。")
    if principal.role not in rule.roles:
        raise Forbidden(f"当前角色无权在“{STATUS_NAMES.get(application.status, application.status)}”阶段对申报执行此操作（{action}）。")
    if expected_version != application.version:
        raise PreconditionFailed(f"申报已被他人修改：当前版本为 {application.version}，请求基于版本 {expected_version}。请刷新后重试。")
    return rule


def transition(
    session: Session,
    application: Application,
    action: str,
    principal: Principal,
    *,
    expected_version: int,
    to: str | None = None,
    details: dict | None = None,
) -> Application:
    """Apply one lifecycle action. `to` names the target when an action may lead to more
    than one state (the second approval of a stage); it must be one of the table's."""
    rule = check(application, action, principal, expected_version=expected_version)
    target = to or rule.to[0]
    if target not in rule.to:
        raise ValueError(f"{action} cannot lead from {application.status} to {target}")
    before = {"status": application.status, "version": application.version}
    application.status = target
    application.version += 1
    application.updated_at = utcnow()
    if target not in LIVE_STATUSES:
        application.live_enterprise_id = None
    session.add(application)
    session.flush()
    audit.record(
        session, actor=principal.name, role=principal.role.value, action=f"application.{action}",
        entity_type="application", entity_id=application.id, before=before,
        after={"status": application.status, "version": application.version, **(details or {})},
    )
    return application
