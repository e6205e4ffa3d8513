"""The evaluation: the programme's indicator table scored against live data, the
evaluators' judgement on the qualitative rows, and finalising into an immutable snapshot.

`evaluate()` builds the JSON of spec/api.md. Quantitative rows come from
app/evaluation/metrics.py (aggregate SQL), their scores from app/evaluation/scoring.py;
qualitative rows from the IndicatorAssessment an evaluator saved. A snapshot is the
canonical JSON of a complete evaluation (sorted keys, no spaces, UTF-8) and its sha256; it is
served byte for byte as stored."""

import hashlib
import json
from decimal import Decimal

from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from app.audit import service as audit
from app.core.db import iso, is_postgres, utcnow
from app.core.errors import Conflict, Forbidden, Invalid, NotFound
from app.core.numbers import json_number as number, round_half_up
from app.evaluation import analysis as analysis_block
from app.evaluation.metrics import Metric, Scope, compute
from app.evaluation.models import EvaluationCache, EvaluationSnapshot, IndicatorAssessment
from app.evaluation.scoring import RULE_VERSION, check_qualitative, needs_deviation_note, score_quantitative
from app.programs.models import Indicator, Program
from app.programs.service import get_indicators, get_program, grade_for, is_finalised, json_number, program_district_codes
from app.users.auth import Principal
from app.users.models import Role

STATE_NAMES = {"scored": "已评分", "unscored": "待评分", "not_computable": "无法计算"}


def parse_scope(session: Session, program: Program, text: str | None) -> Scope:
    return Scope.parse(text, program_district_codes(session, program.id))


def _assessments(session: Session, program_id: int) -> dict[str, IndicatorAssessment]:
    rows = session.exec(select(IndicatorAssessment).where(IndicatorAssessment.program_id == program_id)).scalars()
    return {a.key: a for a in rows}


def _target(row: Indicator) -> dict | None:
    if row.target_op is None or row.target_value is None:
        return None
    return {"op": row.target_op, "value": json_number(row.target_value), "unit": row.unit}


def effective_kind(row: Indicator, metric: Metric | None) -> str:
    """A quantitative row the data cannot back (above_scale_growth without both roster
    years) is judged by the evaluator instead."""
    if row.kind == "quantitative" and row.key == "above_scale_growth" and metric is not None and metric.actual is None:
        return "qualitative"
    return row.kind


def _row(row: Indicator, metric: Metric | None, assessment: IndicatorAssessment | None) -> dict:
    kind = effective_kind(row, metric)
    out = {
        "key": row.key, "level1": row.level1, "level2": row.level2, "name": row.name, "weight": row.weight,
        "kind": kind, "target": _target(row), "actual": None, "completion_rate": None, "score": None,
        "state": "unscored", "inputs": dict(metric.inputs) if metric else {}, "tier": None, "justification": None,
        "deviation_note": assessment.deviation_note if assessment and kind == "quantitative" else None,
        "deviation_required": False, "checkpoints": row.checkpoints, "explanation": row.explanation,
    }
    if kind == "qualitative":
        if metric is not None and metric.reason:
            out["inputs"]["reason"] = metric.reason
        if assessment is not None and assessment.tier is not None and assessment.score is not None:
            try:
                score = check_qualitative(assessment.tier, Decimal(assessment.score), row.weight, assessment.justification)
            except Invalid as exc:  # the weight changed since it was scored: score it again
                out["inputs"]["stale_assessment"] = exc.detail
            else:
                out.update(score=number(score), state="scored", tier=assessment.tier,
                           justification=assessment.justification)
        return out
    if metric is None:
        out.update(state="not_computable", score=0.0)
        out["inputs"]["reason"] = "系统没有该指标的计算口径，请在指标表中将其改为定性指标。"
        return out
    if metric.actual is None:
        out.update(state="not_computable", score=0.0)
        out["inputs"]["reason"] = metric.reason
        return out
    target = out["target"]
    if target is not None and metric.target is not None:
        target = out["target"] = {**target, "value": json_number(metric.target)}
    if target is None:
        out.update(state="not_computable", score=0.0, actual=number(metric.actual))
        out["inputs"]["reason"] = "指标表中没有该定量指标的目标值。"
        return out
    actual = round_half_up(metric.actual)
    goal = metric.target if metric.target is not None else Decimal(row.target_value)
    result = score_quantitative(row.target_op, goal, actual, row.weight)
    out.update(actual=number(actual), completion_rate=number(result.completion_rate), score=number(result.score),
               state="scored", deviation_required=needs_deviation_note(result.completion_rate))
    return out


def evaluate(session: Session, program: Program, scope: Scope, *, with_analysis: bool = True) -> dict:
    """The live evaluation of spec/api.md: rows, subtotals, total, grade, analysis, findings."""
    if is_postgres(session):
        # The median, bands and turnaround sort tens of thousands of rows: in memory, not on disk.
        session.execute(text("SET LOCAL work_mem = '32MB'"))
    indicators = get_indicators(session, program.id)
    metrics = compute(session, program, scope)
    assessments = _assessments(session, program.id)
    rows = [_row(r, metrics.get(r.key), assessments.get(r.key)) for r in indicators]

    subtotals: dict[str, dict] = {}
    for r in rows:
        sub = subtotals.setdefault(r["level1"], {"level1": r["level1"], "weight": 0, "score": Decimal(0)})
        sub["weight"] += r["weight"]
        sub["score"] += Decimal(str(r["score"] or 0))
    total = sum((Decimal(str(r["score"] or 0)) for r in rows), Decimal(0))
    unscored = [r["key"] for r in rows if r["state"] == "unscored"]
    missing_notes = [r["key"] for r in rows if r["deviation_required"] and not (r["deviation_note"] or "").strip()]
    body = {
        "program": {"code": program.code, "title": program.title, "cohort_year": program.cohort_year,
                    "budget_year": program.budget_year},
        "scope": scope.text,
        "status": "provisional" if unscored else "complete",
        "computed_at": iso(utcnow()),
        "template": program.template,
        "rule_version": RULE_VERSION,
        "indicators": rows,
        "subtotals": [{**s, "score": number(s["score"])} for s in subtotals.values()],
        "total": number(total),
        "grade": grade_for(program.grade_bands, total),
        "grade_bands": [{"grade": g, "min_score": m} for g, m in program.grade_bands],
        "unscored": unscored,
        "missing_deviation_notes": missing_notes,
    }
    if with_analysis:
        body["analysis"] = analysis_block.build(session, program, scope, metrics)
        body["findings"] = analysis_block.findings(body)
    return body


def current(session: Session, program: Program, scope: Scope) -> dict:
    """evaluate(), served from evaluation_cache while no state change has been committed
    since it was computed (audit.data_version). Computing takes seconds on a national data
    set, reading the cache a few milliseconds; a result is cached only when no change was
    committed while it was computed."""
    version = audit.data_version(session)
    if version is None:  # this transaction changed data: compute what it sees
        return evaluate(session, program, scope)
    cached = session.get(EvaluationCache, (program.id, scope.text))
    if cached is not None and cached.data_version == version and cached.rule_version == RULE_VERSION:
        return json.loads(cached.body)
    body = evaluate(session, program, scope)
    if audit.data_version(session) == version:
        cached = cached or EvaluationCache(program_id=program.id, scope=scope.text)
        cached.rule_version, cached.data_version, cached.computed_at = RULE_VERSION, version, utcnow()
        cached.body = canonical(body).decode()
        try:
            with session.begin_nested():  # a concurrent request may have stored it first
                session.add(cached)
        except IntegrityError:
            pass
    return body


def live(session: Session, code: str, scope_text: str | None) -> dict:
    program = get_program(session, code)
    return current(session, program, parse_scope(session, program, scope_text))


# ---------------------------------------------------------------- the evaluators' judgement


def assess(session: Session, principal: Principal, code: str, key: str, body: dict) -> dict:
    """Save an evaluator's score (qualitative row) or deviation note (quantitative row);
    answers the row as the live city evaluation now shows it."""
    if principal.role != Role.evaluator:
        raise Forbidden("只有评价人员可以评分。")
    program = get_program(session, code)
    row = session.scalar(select(Indicator).where(Indicator.program_id == program.id, Indicator.key == key))
    if row is None:
        raise NotFound(f"本项目的指标表中没有指标 {key}。")
    if is_finalised(session, program.id):
        raise Conflict("本项目的绩效评价已定稿，评分不能再修改。")
    metric = compute(session, program, Scope("city")).get(key) if row.kind == "quantitative" else None
    kind = effective_kind(row, metric)
    assessment = session.scalar(select(IndicatorAssessment).where(
        IndicatorAssessment.program_id == program.id, IndicatorAssessment.key == key)) or IndicatorAssessment(
        program_id=program.id, key=key, assessed_by=principal.name)
    before = {"tier": assessment.tier, "score": assessment.score, "justification": assessment.justification,
              "deviation_note": assessment.deviation_note}
    if kind == "qualitative":
        if body.get("tier") is None or body.get("score") is None:
            raise Invalid(f"“{row.name}”是定性指标，请提交 tier（评价档次）和 score（得分）。",
                          errors=[{"loc": ["body", "tier" if body.get("tier") is None else "score"], "msg": "定性指标必填",
                                   "code": "required"}])
        if body.get("deviation_note"):
            raise Invalid("定性指标没有偏差原因，请只提交 tier、score 和 justification。",
                          errors=[{"loc": ["body", "deviation_note"], "msg": "定性指标不适用", "code": "not_applicable"}])
        score = check_qualitative(body["tier"], body["score"], row.weight, body.get("justification"))
        assessment.tier, assessment.score = body["tier"], score
        assessment.justification = (body.get("justification") or "").strip() or None
    else:
        if any(body.get(f) is not None for f in ("tier", "score", "justification")):
            raise Invalid(f"“{row.name}”是定量指标，得分由系统按数据计算；只能填写 deviation_note（偏差原因）。",
                          errors=[{"loc": ["body", "score"], "msg": "定量指标不能人工评分", "code": "not_applicable"}])
        if body.get("deviation_note") is None:
            raise Invalid("请填写 deviation_note（偏差原因）。",
                          errors=[{"loc": ["body", "deviation_note"], "msg": "必填", "code": "required"}])
        assessment.deviation_note = body["deviation_note"].strip() or None
    assessment.assessed_by = principal.name
    assessment.updated_at = utcnow()
    session.add(assessment)
    session.flush()
    audit.record(session, actor=principal.name, role=principal.role.value, action="evaluation.assess",
                 entity_type="program", entity_id=program.code,
                 before={"key": key, **before},
                 after={"key": key, "tier": assessment.tier, "score": assessment.score,
                        "justification": assessment.justification, "deviation_note": assessment.deviation_note})
    evaluation = evaluate(session, program, Scope("city"), with_analysis=False)
    return next(r for r in evaluation["indicators"] if r["key"] == key)


# ---------------------------------------------------------------- snapshots


def canonical(body: dict) -> bytes:
    return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False).encode()


def finalize(session: Session, principal: Principal, code: str, scope_text: str | None) -> EvaluationSnapshot:
    """Freeze the evaluation of one scope: refused (409) while a qualitative row is unscored
    or a deviation note is missing, and once that scope has been finalised."""
    if principal.role != Role.evaluator:
        raise Forbidden("只有评价人员可以定稿。")
    program = get_program(session, code)
    # One finaliser at a time per programme (a second one then finds the first's snapshot).
    session.execute(select(Program.id).where(Program.id == program.id).with_for_update())
    scope = parse_scope(session, program, scope_text)
    existing = session.scalar(select(EvaluationSnapshot).where(
        EvaluationSnapshot.program_id == program.id, EvaluationSnapshot.scope == scope.text))
    if existing is not None:
        raise Conflict(f"该范围的绩效评价已于 {iso(existing.created_at)} 定稿（快照 {existing.id}），不能重复定稿。",
                       snapshot_id=existing.id)
    body = evaluate(session, program, scope)
    problems = []
    names = {r["key"]: r["name"] for r in body["indicators"]}
    if body["unscored"]:
        problems.append("尚未评分的定性指标：" + "、".join(names[k] for k in body["unscored"]))
    if body["missing_deviation_notes"]:
        problems.append("完成率达到 130% 以上、尚未说明偏差原因的指标：" + "、".join(names[k] for k in body["missing_deviation_notes"]))
    if problems:
        raise Conflict("评价尚不能定稿。" + "；".join(problems) + "。",
                       unscored=body["unscored"], missing_deviation_notes=body["missing_deviation_notes"])
    now = utcnow()
    body.update(status="final", finalized_at=iso(now), finalized_by=principal.name)
    del body["computed_at"]
    raw = canonical(body)
    snapshot = EvaluationSnapshot(program_id=program.id, scope=scope.text, rule_version=RULE_VERSION,
                                  body=raw.decode(), sha256=hashlib.sha256(raw).hexdigest(),
                                  finalized_by=principal.name, created_at=now)
    session.add(snapshot)
    session.flush()
    audit.record(session, actor=principal.name, role=principal.role.value, action="evaluation.finalize",
                 entity_type="evaluation_snapshot", entity_id=snapshot.id,
                 after={"program": program.code, "scope": scope.text, "sha256": snapshot.sha256,
                        "total": body["total"], "grade": body["grade"]})
    return snapshot


def snapshot_summary(snapshot: EvaluationSnapshot, program: Program) -> dict:
    body = json.loads(snapshot.body)
    return {"id": snapshot.id, "program_code": program.code, "scope": snapshot.scope, "sha256": snapshot.sha256,
            "rule_version": snapshot.rule_version, "total": body["total"], "grade": body["grade"],
            "finalized_by": snapshot.finalized_by, "created_at": iso(snapshot.created_at),
            "url": f"/api/v1/evaluations/{snapshot.id}"}


def get_snapshot(session: Session, snapshot_id: int) -> tuple[EvaluationSnapshot, Program]:
    snapshot = session.get(EvaluationSnapshot, snapshot_id)
    if snapshot is None:
        raise NotFound("未找到该绩效评价快照。")
    return snapshot, session.get(Program, snapshot.program_id)


def list_snapshots(session: Session, code: str) -> list[dict]:
    program = get_program(session, code)
    rows = session.scalars(select(EvaluationSnapshot).where(EvaluationSnapshot.program_id == program.id)
                           .order_by(col(EvaluationSnapshot.id).desc())).all()
    return [snapshot_summary(s, program) for s in rows]

