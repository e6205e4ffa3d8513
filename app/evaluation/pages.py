"""The evaluation page (绩效评价) for officials, evaluators and auditors: the indicator table
grouped by 一级 with subtotals and the total, the evaluators' scoring and deviation-note
forms, finalising, the findings, three charts and the analysis block.

The page and its fragment are one template (block "evaluation"); the scope switch asks this
page route for the block, and GET /api/v1/programs/{code}/evaluation can answer the same block
to HTMX through `evaluation_fragment`. The JSON API takes PUT and answers JSON, so the forms
have their HTML face here: they run the very same service (role, frozen check, tier bounds,
audit, CSRF) and answer the refreshed block; a problem goes to #flash (app/core/errors.py)
and nothing is written."""

import json
from decimal import Decimal
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from sqlmodel import Session

from app.core.db import SessionDep
from app.core.errors import DomainError, NotFound, Unauthorized
from app.core.forms import InlineProblem, request_body
from app.core.htmx import set_vary, wants_fragment
from app.core.templating import templates
from app.districts.service import district_names
from app.evaluation import service
from app.evaluation.schemas import AssessmentIn
from app.evaluation.scoring import TIERS, tier_bounds
from app.pages.context import local_time, page_context, yuan_to_wan
from app.pages.router import _error_page, _login_redirect
from app.programs.service import get_program, list_programs, program_district_codes
from app.users.auth import OFFICIALS, OptionalPrincipal, Principal
from app.users.models import Role

router = APIRouter(include_in_schema=False)

TEMPLATE = "pages/evaluation/page.html"
READERS = (*OFFICIALS, Role.auditor)
LEVELS = ("决策", "过程", "产出", "效益", "满意度")
STATUS_NAMES = {"provisional": "暂定", "complete": "待定稿", "final": "已定稿"}
STATE_NAMES = service.STATE_NAMES
OPS = {">=": "≥", "=": "=", "<=": "≤"}

Code = Annotated[str, Path(max_length=32)]
Key = Annotated[str, Path(max_length=64)]
ScopeQuery = Annotated[str | None, Query(max_length=20)]

# The inputs behind a computed row, in words (money in 万元); unknown keys are shown as sent.
INPUT_NAMES = {
    "budget": "预算资金", "arrived": "到位资金", "spent": "实际支出", "city_budget": "市级预算",
    "district_award": "区级奖补标准", "funded_applications": "审定申报数", "total_revenue": "营业收入合计",
    "awarded_enterprises": "获奖补企业（家）", "paid_payments": "已拨付支付（笔）", "enterprises": "企业数（家）",
    "from_roster": "取自统计名录（家）", "from_declaration": "取自申报数（家）", "roster_year": "名录年度",
    "compliant": "合规支付（笔）", "on_time": "按期拨付（笔）", "late": "逾期拨付（笔）", "payment_deadline": "拨付期限",
    "year": "本年度", "count": "本年度规上企业数", "previous_year": "上年度", "previous_count": "上年度规上企业数",
    "valid_responses": "有效问卷（份）", "satisfied": "满意及以上（份）", "source": "口径", "target_basis": "目标口径",
}
MONEY_INPUTS = frozenset({"budget", "arrived", "spent", "city_budget", "district_award", "total_revenue"})
TEXT_INPUTS = {"formula": "计算公式", "rule": "合规标准", "definition": "统计口径"}
FAILING_NAMES = {"passed_notice": "未通过公示", "amount_equals_award": "金额不等于奖补标准", "voucher_present": "缺国库支付凭证号",
                 "receipt_attached": "缺银行回单", "paid_after_appropriation": "早于资金批复日期支付"}
LABELS = {"tier": "评价档次", "score": "得分", "justification": "评分理由", "deviation_note": "偏差原因"}

_assessment, _ = request_body(AssessmentIn, inline_for_htmx=True, labels=LABELS)


# ---------------------------------------------------------------- display helpers


def _plain(value: Decimal) -> str:
    text = f"{value.quantize(Decimal('0.01')):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def figure(value: float | None, unit: str | None = None) -> str:
    """41.0 家 → '41'; 57111.0 万元/家 → '57,111.00'; None → '—'."""
    if value is None:
        return "—"
    if unit == "家" and float(value).is_integer():
        return f"{int(value):,}"
    return f"{Decimal(str(value)):,.2f}"


templates.env.filters.setdefault("eval_figure", figure)


def _scope_name(scope: str, names: dict[str, str]) -> str:
    if scope == "city":
        return "市级资金"
    if scope == "all":
        return "市、区两级资金"
    code = scope.removeprefix("district:")
    return f"{names.get(code, code)}（区县级资金）"


def _target_text(target: dict | None) -> str:
    """{"op": ">=", "value": 2000, "unit": "万元/家"} → '≥ 2,000 万元/家' (targets as written in the table)."""
    if not target:
        return "—"
    value = Decimal(str(target["value"]))
    shown = f"{int(value):,}" if value == value.to_integral_value() else f"{value.normalize():,f}"
    return f"{OPS.get(target['op'], target['op'])} {shown} {target.get('unit') or ''}".strip()


def _inputs(inputs: dict) -> dict:
    """The 计算依据 of a row: its formula lines and its figures, in words."""
    texts = [(TEXT_INPUTS[k], inputs[k]) for k in TEXT_INPUTS if inputs.get(k)]
    figures = []
    for key, value in inputs.items():
        if key in TEXT_INPUTS or key in ("reason", "stale_assessment"):
            continue
        if key == "budget_basis" and isinstance(value, dict):
            for sub, sub_value in value.items():
                shown = f"{yuan_to_wan(sub_value)} 万元" if sub in MONEY_INPUTS else sub_value
                figures.append((f"预算口径 · {INPUT_NAMES.get(sub, sub)}", shown))
            continue
        if key == "failing" and isinstance(value, dict):
            failing = [f"{FAILING_NAMES.get(k, k)} {n} 笔" for k, n in value.items() if n]
            figures.append(("不合规原因", "、".join(failing) if failing else "无"))
            continue
        if value is None:
            continue
        shown = f"{yuan_to_wan(value)} 万元" if key in MONEY_INPUTS else value
        figures.append((INPUT_NAMES.get(key, key), shown))
    return {"texts": texts, "figures": figures}


def _tiers(weight: int) -> list[dict]:
    """The tier choices of a qualitative row with their score bands for its weight."""
    out = []
    for tier, name in TIERS.items():
        low, high, inclusive = tier_bounds(tier, weight)
        band = f"{_plain(low)}–{_plain(high)} 分" + ("" if inclusive else f"，不含 {_plain(high)}")
        out.append({"value": tier, "name": name, "band": band, "low": _plain(low), "high": _plain(high)})
    return out


def _band_of(value: float | None, bands: list[dict]) -> str | None:
    if value is None or not bands:
        return None
    label = bands[0]["label"]
    for band in bands:
        if value >= band["min_wan"]:
            label = band["label"]
    return label


def _wan_number(yuan: str | None) -> float:
    return float((Decimal(yuan or 0) / 10_000).quantize(Decimal("0.01")))


def chart_data(body: dict) -> dict:
    """What static/js/charts.js draws, as a JSON data block in the page (not executed)."""
    analysis = body.get("analysis") or {}
    revenue = analysis.get("revenue") or {}
    payments = analysis.get("payments") or {}
    bands = revenue.get("bands") or []
    top_two = revenue.get("top_two") or []
    arrival = next((r for r in body["indicators"] if r["key"] == "funds_arrival_rate"), None)
    budget = (arrival or {}).get("inputs", {}).get("budget")
    return {
        "levels": [{"name": s["level1"], "weight": s["weight"], "score": s["score"]} for s in body["subtotals"]],
        "revenue": {
            "enterprises": revenue.get("enterprises", 0),
            "bands": [{"label": b["label"], "count": b["count"]} for b in bands],
            "median_wan": revenue.get("median_wan"), "mean_wan": revenue.get("mean_wan"),
            "median_band": _band_of(revenue.get("median_wan"), bands),
            "mean_band": _band_of(revenue.get("mean_wan"), bands),
            "top_two": [t["name"] for t in top_two],
            "top_two_wan": sum(t["revenue_wan"] or 0 for t in top_two),
            "total_wan": revenue.get("total_wan"),
            "top_two_share": revenue.get("top_two_share"),
        },
        "payments": {
            "timeline": [{"date": p["paid_on"], "payments": p["payments"], "amount_wan": _wan_number(p["amount"]),
                          "cumulative_wan": _wan_number(p["cumulative"])} for p in payments.get("timeline") or []],
            "deadline": payments.get("deadline"),
            "budget_wan": _wan_number(budget) if budget else None,
        },
    }


# ---------------------------------------------------------------- the page's context


def _scope_text(principal: Principal, scope: str | None) -> str | None:
    """A district-bound official reads the own district's fund whatever the address says
    (the API answers 403 to another scope; a page simply shows the own one)."""
    return f"district:{principal.district_code}" if principal.district_code is not None else scope


def _context(request: Request, session: Session, principal: Principal, code: str, scope_text: str | None, *,
             page: bool, **extra) -> dict:
    program = get_program(session, code)
    scope = service.parse_scope(session, program, _scope_text(principal, scope_text))
    names = district_names(session)
    snapshots = service.list_snapshots(session, code)
    snapshot = next((s for s in snapshots if s["scope"] == scope.text), None)
    if snapshot is not None:  # finalised: the frozen record, byte for byte what was signed off
        stored, _program = service.get_snapshot(session, snapshot["id"])
        body = json.loads(stored.body)
    else:
        body = service.current(session, program, scope)
    rows = body["indicators"]
    groups = []
    subtotals = {s["level1"]: s for s in body["subtotals"]}
    order = [level for level in LEVELS if level in subtotals] + [s for s in subtotals if s not in LEVELS]
    for level in order:
        members = [r for r in rows if r["level1"] == level]
        for r in members:
            r["shown_inputs"] = _inputs(r.get("inputs") or {})
            r["tiers"] = _tiers(r["weight"]) if r["kind"] == "qualitative" else []
            r["target_text"] = _target_text(r.get("target"))
        groups.append({"level1": level, "rows": members, "weight": subtotals[level]["weight"],
                       "score": subtotals[level]["score"]})
    weight_total = sum(s["weight"] for s in body["subtotals"])
    frozen = bool(snapshots)
    evaluator = principal.role == Role.evaluator
    row_names = {r["key"]: r["name"] for r in rows}
    blockers = []
    if body.get("unscored"):
        blockers.append("尚未评分的定性指标：" + "、".join(row_names.get(k, k) for k in body["unscored"]))
    if body.get("missing_deviation_notes"):
        blockers.append("完成率达到 130% 以上、尚未说明偏差原因的指标："
                        + "、".join(row_names.get(k, k) for k in body["missing_deviation_notes"]))
    if principal.district_code is not None:
        scopes = [{"value": scope.text, "name": _scope_name(scope.text, names)}]
    else:
        codes = sorted(program_district_codes(session, program.id))
        scopes = [{"value": "city", "name": "市级资金"}, {"value": "all", "name": "市、区两级"}] + [
            {"value": f"district:{c}", "name": names.get(c, c)} for c in codes]
    status = "final" if snapshot is not None else body["status"]
    return page_context(
        request, session, principal, program=program, code=program.code, evaluation=body, groups=groups,
        weight_total=weight_total, scope=scope.text, scope_name=_scope_name(scope.text, names), scopes=scopes,
        snapshot=snapshot, snapshots=snapshots, status=status, status_name=STATUS_NAMES.get(status, status),
        can_assess=evaluator and not frozen, can_finalize=evaluator and snapshot is None, blockers=blockers,
        state_names=STATE_NAMES, chart=chart_data(body), programs=list_programs(session, limit=20) if page else [],
        computed_at=local_time(body.get("computed_at")), finalized_at=local_time(body.get("finalized_at")),
        scope_query="" if scope.text == "city" else f"?scope={quote(scope.text, safe='')}",
        page=page, **extra,
    )


def _render(request: Request, ctx: dict, *, fragment: bool, status_code: int = 200):
    if fragment:
        response = templates.TemplateResponse(request, TEMPLATE, ctx, block_name="evaluation", status_code=status_code)
    else:
        response = templates.TemplateResponse(request, TEMPLATE, ctx, status_code=status_code)
    set_vary(response)
    return response


def evaluation_fragment(request: Request, session: Session, principal: Principal, code: str, scope: str | None,
                        status_code: int = 200, **extra) -> Response:
    """The evaluation block for HTMX (also the HTML face of GET /api/v1/programs/{code}/evaluation)."""
    ctx = _context(request, session, principal, code, scope, page=False, **extra)
    return _render(request, ctx, fragment=True, status_code=status_code)


# ---------------------------------------------------------------- routes


@router.get("/programs/{code}/evaluation")
def evaluation_page(code: Code, request: Request, session: SessionDep, principal: OptionalPrincipal,
                    scope: ScopeQuery = None):
    """The page; for HTMX (the scope switch) its evaluation block."""
    if principal is None:
        return _login_redirect(request)
    if principal.role not in READERS:
        return _error_page(request, session, principal, 403, "无权访问", "当前角色无权查看绩效评价。")
    if wants_fragment(request):
        return evaluation_fragment(request, session, principal, code, scope)
    try:
        ctx = _context(request, session, principal, code, scope, page=True)
    except NotFound as exc:
        return _error_page(request, session, principal, 404, "未找到", exc.detail)
    except DomainError as exc:
        return _error_page(request, session, principal, exc.status, exc.title, exc.detail)
    return _render(request, ctx, fragment=False)


def _inline_problem(request: Request, problem: InlineProblem):
    body = problem.body()
    response = templates.TemplateResponse(request, "fragments/error.html", {"problem": body}, status_code=422)
    response.headers["HX-Retarget"] = "#flash"
    response.headers["HX-Reswap"] = "innerHTML"
    set_vary(response)
    return response


@router.post("/programs/{code}/evaluation/indicators/{key}")
def assess_form(code: Code, key: Key, request: Request, session: SessionDep, principal: OptionalPrincipal,
                body: Annotated[AssessmentIn | InlineProblem, _assessment], scope: ScopeQuery = None):
    """An evaluator's score (qualitative row) or deviation note (quantitative row) from the
    page: PUT /api/v1/programs/{code}/evaluation/indicators/{key}'s service, then the
    refreshed evaluation block with a note in #flash."""
    if principal is None:
        raise Unauthorized()
    if isinstance(body, InlineProblem):
        return _inline_problem(request, body)
    row = service.assess(session, principal, code, key, body.model_dump())
    if row["kind"] == "qualitative":
        message = f"已保存“{row['name']}”的评分：{figure(row['score'])} 分（{TIERS.get(row['tier'], row['tier'])}）。"
    else:
        message = f"已保存“{row['name']}”的偏差原因。"
    return evaluation_fragment(request, session, principal, code, scope, saved_key=key, flash_ok=message)


@router.post("/programs/{code}/evaluation/finalize", status_code=201)
def finalize_form(code: Code, request: Request, session: SessionDep, principal: OptionalPrincipal,
                  scope: ScopeQuery = None):
    """定稿 from the page: POST /api/v1/programs/{code}/evaluation/finalize's service (409 while
    a row is unscored or a deviation note missing, or once finalised), then the block."""
    if principal is None:
        raise Unauthorized()
    snapshot = service.finalize(session, principal, code, _scope_text(principal, scope))
    message = f"已定稿：快照 #{snapshot.id}，sha256 {snapshot.sha256}。定稿后评分不能再修改。"
    return evaluation_fragment(request, session, principal, code, scope, status_code=201, flash_ok=message)
