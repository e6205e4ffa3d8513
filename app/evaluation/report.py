"""The evaluation report (绩效评价报告) as structured content, in the seed report's structure:
一、基本情况 … 六、有关建议, and the indicator table as an appendix. The HTML page and the
.docx render the very same content, so the two never say different things.

Every figure comes from the evaluation dict (a live evaluation or a snapshot's body) and
the database (the programme, its award tranches, policy documents, appropriations,
applications and public notices) — nothing about a particular programme is written here.
The seed's wording is the style: fixed paragraphs are the national framework's
(财预〔2020〕10号), the rest is assembled from the data.

Content: {"title", "sections": [{"id", "heading", "blocks": [...]}], "appendix": {...}, …}.
A block is one of
  {"type": "heading", "level": 2|3, "text"}
  {"type": "paragraph", "text", "lead"?}          lead: a bold run before the text
  {"type": "list", "items": [str]}
  {"type": "note", "text"}                        small print under a table or conclusion
  {"type": "table", "name", "title", "columns": [{"text", "num"}], "rows": [[cell | None]], "widths"?}
A row has one entry per column. A cell is {"text", "rowspan"?, "colspan"?, "num"?, "strong"?};
None marks a position covered by a merged cell (above it, or to its left), so both renderers
merge cells the same way."""

import hashlib
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import func, select
from sqlmodel import Session, col

from app.applications.models import Application
from app.core.clock import BEIJING
from app.districts.service import district_names
from app.evaluation import analysis as analysis_rules
from app.evaluation.metrics import Scope
from app.evaluation.models import EvaluationSnapshot
from app.funds.models import Appropriation
from app.notices.models import Notice, NoticeEntry, Objection
from app.programs.models import Program
from app.programs.service import policy_documents, program_district_codes, tranches

SECTION_HEADINGS = (
    "一、基本情况",
    "二、绩效评价工作开展情况",
    "三、综合评价情况及评价结论",
    "四、绩效评价指标分析",
    "五、主要经验及做法、存在的问题及原因分析",
    "六、有关建议",
)
CN_NUMBERS = "一二三四五六七八九十"
LEVEL1_SECTION = {"决策": "项目决策情况", "过程": "项目过程情况", "产出": "项目产出情况", "效益": "项目效益情况",
                  "满意度": "满意度指标完成情况"}
LEVEL1_NAME = {"决策": "项目决策", "过程": "项目过程", "产出": "项目产出", "效益": "项目效益", "满意度": "项目满意度"}
OPS = {">=": "≥", "=": "=", "<=": "≤"}
TIER_NAMES = {"achieved": "达成", "partial": "部分达成", "not_achieved": "未达成"}
LEVEL_NAMES = {"city": "市级", "district": "区（县）级"}
COUNT_UNITS = ("家", "个", "份", "笔", "人", "项")
COMPLIANCE_FAILURES = {
    "passed_notice": "未经公示审定", "amount_equals_award": "金额与奖补标准不一致", "voucher_present": "缺少国库支付凭证号",
    "receipt_attached": "未附银行电子回单", "paid_after_appropriation": "支付日期早于资金批复日期",
}
# Where each problem's suggestion goes in 六、有关建议, in this order.
SUGGESTION_HEADS = (
    "对项目决策的建议", "对绩效目标设置的建议", "对预算安排与执行的建议", "对资金管理的建议", "对企业跟踪服务的建议",
    "对评价工作的建议",
)
ORDINALS = "一二三四五六七八九十"
STALE_PAYMENT_DAYS = 60  # as analysis.findings: longer from 审定 to payment is a problem


# ---------------------------------------------------------------- formatting


def _dec(value) -> Decimal | None:  # noqa: ANN001
    if value is None:
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def fixed(value, places: int = 2) -> str:  # noqa: ANN001
    """57111 → '57111.00'."""
    number = _dec(value)
    return "—" if number is None else f"{number:.{places}f}"


def compact(value) -> str:  # noqa: ANN001
    """A score or amount as prose writes it: 10 → '10', 9.5 → '9.50'."""
    number = _dec(value)
    if number is None:
        return "—"
    return f"{number:.0f}" if number == number.to_integral_value() else f"{number:.2f}"


def wan(yuan, *, table: bool = False) -> str:  # noqa: ANN001
    """Yuan (the API's decimal string) as 万元: '4100000.00' → '410' in prose, '410.00' in a table."""
    amount = _dec(yuan)
    if amount is None:
        return "—"
    amount = amount / 10_000
    return f"{amount:,.2f}" if table else compact(amount)


def day_text(value) -> str:  # noqa: ANN001
    """date(2024, 8, 8) or '2024-08-08' → '2024年8月8日'."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value[:10])
        except ValueError:
            return value
    return f"{value.year}年{value.month}月{value.day}日"


def moment_text(value: str | None) -> str:
    """An API timestamp (UTC) in Beijing time: '2026-11-27T16:12:14.710Z' → '2026年11月28日 00:12'."""
    if not value:
        return ""
    try:
        moment = datetime.fromisoformat(value).astimezone(BEIJING)
    except ValueError:
        return value
    return f"{day_text(moment.date())} {moment:%H:%M}"


def target_text(target: dict | None) -> str:
    """{"op": ">=", "value": 2000, "unit": "万元/家"} → '≥2000万元/家'."""
    if not target:
        return "—"
    return f"{OPS.get(target['op'], target['op'])}{compact(target['value'])}{target.get('unit') or ''}"


def actual_text(row: dict) -> str:
    """The actual value with its unit: 57111 → '57111.00万元/家', 41 家 → '41家'."""
    if row["kind"] == "qualitative":
        return TIER_NAMES.get(row.get("tier"), "待评分") if row["state"] == "scored" else "待评分"
    if row["actual"] is None:
        return "无法计算"
    unit = (row.get("target") or {}).get("unit") or ""
    value = _dec(row["actual"])
    text = compact(value) if unit in COUNT_UNITS and value == value.to_integral_value() else fixed(value)
    return f"{text}{unit}"


def rate_text(value) -> str:  # noqa: ANN001
    return "—" if value is None else f"{fixed(value)}%"


def score_rate(score, weight) -> str:  # noqa: ANN001
    if score is None or not weight:
        return "—"
    return f"{fixed(Decimal(str(score)) * 100 / Decimal(weight))}%"


def cn_index(n: int) -> str:
    """1 → '（一）'."""
    return f"（{CN_NUMBERS[n - 1] if n <= len(CN_NUMBERS) else n}）"


def _sentence(text: str) -> str:
    text = (text or "").strip()
    return text if not text or text[-1] in "。！？；" else text + "。"


def _ordinal_join(items: list[str]) -> str:
    """['a', 'b'] → '一是a。二是b。'; a single item stays as it is."""
    items = [_sentence(i).rstrip("。") for i in items if i]
    if len(items) == 1:
        return _sentence(items[0])
    return "".join(f"{ORDINALS[n] if n < len(ORDINALS) else n + 1}是{item}。" for n, item in enumerate(items))


def _quoted(name: str) -> str:
    """An indicator name in the report's quotes; inner “” become ‘’ as the seed writes them."""
    return "“" + name.replace("“", "‘").replace("”", "’") + "”"


def cell(text, **extra) -> dict:  # noqa: ANN001
    return {"text": "" if text is None else str(text), **{k: v for k, v in extra.items() if v}}


def paragraph(text: str, lead: str | None = None) -> dict:
    block = {"type": "paragraph", "text": text}
    if lead:
        block["lead"] = lead
    return block


def heading(text: str, level: int = 2) -> dict:
    return {"type": "heading", "level": level, "text": text}


def table(name: str, title: str, columns: list[tuple[str, bool]], rows: list[list], **extra) -> dict:
    """name says which table it is (the page sizes its columns by it)."""
    return {"type": "table", "name": name, "title": title, "columns": [{"text": t, "num": n} for t, n in columns],
            "rows": rows, **extra}


# ---------------------------------------------------------------- facts from the database


def _scope(session: Session, program: Program, text: str) -> Scope:
    return Scope.parse(text, program_district_codes(session, program.id) | _district_of(text))


def _district_of(text: str) -> set[str]:
    return {text.split(":", 1)[1]} if text.startswith("district:") else set()


def scope_name(scope: Scope, names: dict[str, str]) -> str:
    """city → '市级资金', district:650102 → '天山区区县级资金', all → '市、区（县）两级资金'."""
    if scope.kind == "city":
        return "市级资金"
    if scope.kind == "district":
        return f"{names.get(scope.district_code, scope.district_code)}区县级资金"
    return "市、区（县）两级资金"


def _facts(session: Session, program: Program, evaluation: dict) -> dict:
    scope = _scope(session, program, evaluation["scope"])
    names = district_names(session)
    appropriations = session.scalars(scope.appropriations(
        select(Appropriation).where(Appropriation.program_id == program.id))
        .order_by(col(Appropriation.approved_on), col(Appropriation.id))).all()
    status_query = select(Application.status, func.count()).where(Application.program_id == program.id)
    if scope.kind == "district":
        status_query = status_query.where(Application.district_code == scope.district_code)
    statuses = dict(session.execute(status_query.group_by(Application.status)).all())
    notices = session.scalars(select(Notice).where(Notice.program_id == program.id)
                              .order_by(col(Notice.starts_on), col(Notice.id))).all()
    objections = dict(session.execute(
        select(Objection.upheld, func.count()).join(Notice, Notice.id == Objection.notice_id)
        .where(Notice.program_id == program.id).group_by(Objection.upheld)).all())
    approved_in_notice = session.scalar(
        select(func.count()).select_from(NoticeEntry).join(Notice, Notice.id == NoticeEntry.notice_id)
        .where(Notice.program_id == program.id, NoticeEntry.outcome == "approved")) or 0
    awards = {t.level: t.amount_fen for t in tranches(session, program.id)}
    documents = policy_documents(session, program.id)
    level_words = {"city": "市本级", "all": "市、区（县）两级"}.get(
        scope.kind, f"{names.get(scope.district_code or '', scope.district_code)}区县级")
    return {
        "scope": scope, "scope_name": scope_name(scope, names), "level_words": level_words, "names": names,
        "appropriations": appropriations, "statuses": statuses, "notices": notices, "objections": objections,
        "approved_in_notice": approved_in_notice, "awards": awards, "documents": documents,
    }


def _snapshot_for(session: Session, program: Program, evaluation: dict,
                  snapshot: EvaluationSnapshot | None) -> EvaluationSnapshot | None:
    if snapshot is not None or evaluation.get("status") != "final":
        return snapshot
    return session.scalar(select(EvaluationSnapshot).where(
        EvaluationSnapshot.program_id == program.id, EvaluationSnapshot.scope == evaluation["scope"]))


# ---------------------------------------------------------------- the report


def project_name(program: Program | dict) -> str:
    title = program.title if isinstance(program, Program) else program["title"]
    return title if title.endswith("项目") else f"{title}项目"


def report_content(session: Session, program: Program, evaluation: dict, *,
                   snapshot: EvaluationSnapshot | None = None) -> dict:
    """The report of one evaluation (live, or a snapshot's body) as structured content.

    A snapshot's report is final and quotes the snapshot's id and sha256 (checked against
    its body); a live evaluation's is a draft: 征求意见稿 when every row is scored, 草稿
    while it is provisional."""
    snapshot = _snapshot_for(session, program, evaluation, snapshot)
    facts = _facts(session, program, evaluation)
    rows = evaluation["indicators"]
    by_key = {r["key"]: r for r in rows}
    final = evaluation.get("status") == "final" and snapshot is not None
    draft_label = None if final else ("征求意见稿" if evaluation.get("status") == "complete" else "草稿")
    ctx = {"session": session, "program": program, "ev": evaluation, "rows": rows, "by_key": by_key,
           "facts": facts, "project": project_name(program), "analysis": evaluation.get("analysis") or {},
           "final": final}
    problems = _problems(ctx)
    sections = [
        {"id": "basic", "heading": SECTION_HEADINGS[0], "blocks": _basic(ctx)},
        {"id": "work", "heading": SECTION_HEADINGS[1], "blocks": _work(ctx)},
        {"id": "conclusion", "heading": SECTION_HEADINGS[2], "blocks": _conclusion(ctx)},
        {"id": "indicators", "heading": SECTION_HEADINGS[3], "blocks": _indicator_analysis(ctx)},
        {"id": "problems", "heading": SECTION_HEADINGS[4], "blocks": _experience(ctx) + _problem_blocks(problems)},
        {"id": "suggestions", "heading": SECTION_HEADINGS[5], "blocks": _suggestions(problems)},
    ]
    snap = None
    if snapshot is not None:
        snap = {"id": snapshot.id, "sha256": snapshot.sha256, "rule_version": snapshot.rule_version,
                "finalized_by": evaluation.get("finalized_by") or snapshot.finalized_by,
                "finalized_at": moment_text(evaluation.get("finalized_at")),
                "verified": hashlib.sha256(snapshot.body.encode()).hexdigest() == snapshot.sha256}
    title = f"{ctx['project']}支出绩效评价报告"
    suffix = "" if facts["scope"].kind == "city" else f"（{facts['scope_name']}）"
    filename = f"{program.code}绩效评价报告{suffix}{'' if final else '（' + draft_label + '）'}.docx"
    return {
        "title": title,
        "subtitle": facts["scope_name"] if facts["scope"].kind != "city" else "",
        "project": ctx["project"],
        "program": {"code": program.code, "title": program.title, "cohort_year": program.cohort_year,
                    "budget_year": program.budget_year},
        "scope": evaluation["scope"],
        "scope_name": facts["scope_name"],
        "status": evaluation.get("status"),
        "final": final,
        "draft_label": draft_label,
        "draft_note": None if final else _draft_note(evaluation),
        "total": fixed(evaluation["total"]),
        "grade": evaluation["grade"],
        "rule_version": evaluation.get("rule_version"),
        "computed_at": moment_text(evaluation.get("computed_at")),
        "snapshot": snap,
        "provenance": _provenance(evaluation, snap, draft_label),
        "filename": filename,
        "sections": sections,
        "appendix": {"id": "appendix", "heading": "附表：绩效评价指标及得分表",
                     "blocks": [_score_table(ctx)]},
    }


def _draft_note(ev: dict) -> str:
    text = f"本稿依据 {moment_text(ev.get('computed_at'))}（北京时间）的实时数据生成，数据变动后结果随之变化，不作为正式评价结论。"
    if ev.get("unscored"):
        text += f"尚有 {len(ev['unscored'])} 项定性指标待评价小组评分，评价结果为暂定。"
    if ev.get("missing_deviation_notes"):
        text += f"尚有 {len(ev['missing_deviation_notes'])} 项完成率超过 130% 的指标待说明偏差原因。"
    return text


def _provenance(ev: dict, snap: dict | None, draft_label: str | None) -> list[str]:
    if snap is None:
        return [(f"本报告为{draft_label}，由系统根据实时评价结果生成（评分规则版本 {ev.get('rule_version')}）。"
                 "评价人员定稿后，以定稿快照生成正式报告。")]
    lines = [(f"本报告依据绩效评价定稿快照（编号 {snap['id']}）生成，评分规则版本 {snap['rule_version']}，"
              f"由 {snap['finalized_by']} 于 {snap['finalized_at']}（北京时间）定稿；快照定稿后不再变化。"),
             f"快照 SHA-256：{snap['sha256']}"]
    lines.append("报告生成时已核对快照内容与上述 SHA-256 一致。" if snap["verified"]
                 else "注意：快照内容与记录的 SHA-256 不一致，请联系系统管理员核查。")
    return lines


# ---------------------------------------------------------------- 一、基本情况


def _inputs(ctx: dict, key: str) -> dict:
    row = ctx["by_key"].get(key)
    return row["inputs"] if row else {}


def _money(ctx: dict) -> dict:
    """Budget, arrived and spent (yuan strings) as the evaluation computed them."""
    inputs = _inputs(ctx, "funds_arrival_rate") or _inputs(ctx, "budget_execution_rate")
    return {k: inputs.get(k) for k in ("budget", "arrived", "spent")}


def _award_words(ctx: dict) -> str:
    """'市级层面给予每家企业10万元奖励' (or both levels) for the scope."""
    awards, kind = ctx["facts"]["awards"], ctx["facts"]["scope"].kind
    levels = ["city", "district"] if kind == "all" else [kind]
    parts = [f"{LEVEL_NAMES[lv]}层面给予每家企业{wan(Decimal(awards[lv]) / 100)}万元奖励" for lv in levels if lv in awards]
    return "、".join(parts)


def _award_per(ctx: dict) -> str | None:
    awards, kind = ctx["facts"]["awards"], ctx["facts"]["scope"].kind
    if kind == "all":
        fen = sum(awards.values())
    else:
        fen = awards.get(kind)
    return None if fen is None else wan(Decimal(fen) / 100)


def _document_ref(ctx: dict, document_no: str) -> str:
    """'《关于拨付…的通知》（乌财建〔2024〕169号）' when the programme lists the document, else its number."""
    for doc in ctx["facts"]["documents"]:
        if doc.document_no == document_no:
            return f"《{doc.title}》（{doc.document_no}）"
    return f"资金批复文件（{document_no}）"


def _basis_documents(ctx: dict) -> list:
    """The programme's policy documents that are not the funds' approvals."""
    approvals = {a.document_no for a in ctx["facts"]["appropriations"]}
    return [d for d in ctx["facts"]["documents"] if d.document_no not in approvals]


def _paid_dates(ctx: dict) -> str:
    timeline = (ctx["analysis"].get("payments") or {}).get("timeline") or []
    if not timeline:
        return ""
    first, last = timeline[0]["paid_on"], timeline[-1]["paid_on"]
    if first == last:
        return f"于{day_text(first)}"
    return f"于{day_text(first)}至{day_text(last)}分 {len(timeline)} 个支付日"


def _awarded_count(ctx: dict) -> int | None:
    inputs = _inputs(ctx, "awarded_enterprise_count") or _inputs(ctx, "award_per_enterprise")
    count = inputs.get("awarded_enterprises")
    if count is None:
        count = (ctx["analysis"].get("revenue") or {}).get("enterprises")
    return count


def _basic(ctx: dict) -> list[dict]:
    program, facts = ctx["program"], ctx["facts"]
    money = _money(ctx)
    blocks = [heading("（一）项目概况"), heading("1.项目背景、主要内容及实施情况", 3)]
    basis = _basis_documents(ctx)
    cited = "、".join(f"《{d.title}》（{d.document_no}）" for d in basis)
    background = ("培育工业企业升规入统，是壮大工业经济总量的重要途径，也是促进小微企业高质量发展的重要举措。"
                  + (f"为落实{cited}等文件要求，" if cited else "")
                  + "对首次纳入规模以上工业统计的工业企业给予一次性奖补，加强政策支持，提升政策实效，"
                  "激励企业扩大生产规模、提升经营业绩，推动工业提质扩量增效。")
    blocks.append(paragraph(background, lead="该项目实施背景："))

    approvals = sorted({a.document_no for a in facts["appropriations"]})
    by = f"按照{'、'.join(_document_ref(ctx, n) for n in approvals)}，" if approvals else ""
    if facts["scope"].kind == "district":  # the district's own enterprises, not the programme's target
        funded = facts["statuses"].get("approved", 0) + facts["statuses"].get("paid", 0)
        whom = f"{facts['names'].get(facts['scope'].district_code, '')}{funded}家"
    else:
        whom = f"{program.target_enterprise_count}家"
    content = f"{by}针对{program.cohort_year}年首次升规的{whom}工业企业，{_award_words(ctx)}。"
    steps = []
    opens, closes = program.application_opens_on, program.application_closes_on
    window = f"于{day_text(opens)}至{day_text(closes)}" if opens and closes else ""
    steps.append(f"企业申报与审核：{window}组织{program.cohort_year}年首次升规企业申报“小升规”专项奖补资金，"
                 "符合条件的企业向注册地区（县）工信部门提出申请，区（县）工信部门和统计局联合初审，"
                 "市工信局和市统计局复审，确定拟奖补企业名单。")
    notice_words = _notice_words(ctx)
    if notice_words:
        steps.append(f"公示与审定：{notice_words}")
    steps.append("奖补资金发放：财政部门批复资金后，通过财政国库集中支付将奖补资金直接支付到企业账户。")
    steps.append("企业跟踪服务：对获得奖补资金的企业开展满意度问卷调查，并依据以后年度规上工业企业名录跟踪企业保规情况。")
    content += "".join(f"{n}.{s}" for n, s in enumerate(steps, start=1))
    blocks.append(paragraph(content, lead=f"项目{program.budget_year}年的主要实施内容："))
    blocks.append(paragraph(_completion_words(ctx, money), lead="实际完成情况："))

    blocks.append(heading("2.资金投入和使用情况", 3))
    blocks.extend(_funds_blocks(ctx, money))

    blocks.append(heading("（二）项目绩效目标"))
    blocks.append(paragraph(
        "本项目依据《中共中央 国务院关于全面实施预算绩效管理的意见》（中发〔2018〕34号）和《项目支出绩效评价管理办法》"
        "（财预〔2020〕10号）等文件要求，结合项目开展情况，按照“谁申请资金，谁编制目标”的原则编制绩效目标。"
        "按照指向明确、细化量化、合理可行和相应匹配的要求，设定数量、质量、时效、成本、效益和满意度等三级绩效指标，"
        "以反映财政资金在使用期内预期达到的产出和效果。"))
    blocks.append(paragraph(
        "助力中小微工业企业扩大规模发展，提高企业竞争力，有效激发工业经济发展活力和创造力，推动工业提质扩量增效，"
        "不断壮大规模以上工业企业队伍。", lead="该项目总体绩效目标："))
    targets = [r for r in ctx["rows"] if r["target"]]
    stage = (f"在{program.budget_year}年对{program.cohort_year}年度首次升规的{program.target_enterprise_count}家"
             "工业企业进行资金奖补，通过资金扶持激发企业发展活力，助力工业经济增长。")
    if targets:
        stage += "其中，" + "；".join(f"{r['level2']}{_quoted(r['name'])}目标值“{target_text(r['target'])}”"
                                     for r in targets) + "。"
    blocks.append(paragraph(stage, lead="该项目阶段性目标："))
    if targets:
        blocks.append(table("targets", f"{ctx['project']}绩效目标", [("一级指标", False), ("二级指标", False), ("三级指标", False),
                                                        ("指标值", False)],
                            _merged_rows(targets, lambda r: [cell(r["name"]), cell(target_text(r["target"]))])))
    return blocks


def _notice_words(ctx: dict) -> str:
    notices = ctx["facts"]["notices"]
    if not notices:
        return ""
    parts = []
    for n in notices:
        where = f"在{'、'.join(n.channels)}" if n.channels else ""
        parts.append(f"{day_text(n.starts_on)}至{day_text(n.ends_on)}{where}公示拟奖补企业名单（{n.working_days}个工作日）")
    text = "；".join(parts)
    objections = ctx["facts"]["objections"]
    total = sum(objections.values())
    if total:
        upheld = objections.get(True, 0)
        pending = objections.get(None, 0)
        text += f"，公示期间收到异议 {total} 件"
        if upheld:
            text += f"，其中 {upheld} 件经核查成立、相应企业不予奖补"
        elif not pending:
            text += "，经核查均不成立"
        if pending:
            text += f"，{pending} 件尚在处理"
    else:
        text += "，公示期间未收到异议"
    if ctx["facts"]["approved_in_notice"]:
        text += f"；公示期满审定奖补企业 {ctx['facts']['approved_in_notice']} 家"
    return text + "。"


def _completion_words(ctx: dict, money: dict) -> str:
    statuses = ctx["facts"]["statuses"]
    total = sum(statuses.values())
    parts = []
    if total:
        funded = statuses.get("paid", 0) + statuses.get("approved", 0)
        text = f"共受理企业申报 {total} 家，审定奖补 {funded} 家"
        others = [(statuses.get(s, 0), w) for s, w in (("rejected", "未通过审核"), ("withdrawn", "企业撤回"))]
        in_progress = total - funded - sum(n for n, _w in others)
        text += "".join(f"，{w} {n} 家" for n, w in others if n)
        if in_progress:
            text += f"，尚在办理 {in_progress} 家"
        parts.append(text)
    count = _awarded_count(ctx)
    if money.get("spent") is not None and count:
        parts.append(f"{_paid_dates(ctx)}通过财政国库集中支付向 {count} 家企业支付{ctx['facts']['level_words']}"
                     f"专项奖补资金共计 {wan(money['spent'])} 万元")
    elif not count:
        parts.append("截至评价时尚未拨付奖补资金")
    figures = []
    if money.get("budget") is not None:
        figures.append(f"项目总预算 {wan(money['budget'])} 万元")
    for key, words in (("funds_arrival_rate", "资金到位率"), ("budget_execution_rate", "预算执行率")):
        row = ctx["by_key"].get(key)
        if row and row["actual"] is not None:
            figures.append(f"{words} {rate_text(row['actual'])}")
    if figures:
        parts.append("，".join(figures))
    return "；".join(parts) + "。"


def _funds_blocks(ctx: dict, money: dict) -> list[dict]:
    program, facts = ctx["program"], ctx["facts"]
    approvals = facts["appropriations"]
    blocks = []
    if money.get("budget") is not None:
        refs = "、".join(sorted({_document_ref(ctx, a.document_no) for a in approvals}))
        text = (f"经{refs}批准，" if refs else "") + \
            f"项目系{program.budget_year}年{facts['level_words']}资金，共安排预算 {wan(money['budget'])} 万元。"
        blocks.append(paragraph(text, lead="该项目资金投入情况："))
    use = f"本项目总预算 {wan(money.get('budget'))} 万元"
    if approvals:
        first = approvals[0]
        arrived_fen = sum(a.arrived_amount_fen or 0 for a in approvals)
        approved_fen = sum(a.amount_fen for a in approvals)
        if len(approvals) == 1:
            use += f"，于{day_text(first.approved_on)}经财政部门批复 {wan(Decimal(first.amount_fen) / 100)} 万元"
            if first.arrived_on:
                use += f"，{day_text(first.arrived_on)}实际到位 {wan(Decimal(arrived_fen) / 100)} 万元"
        else:
            use += (f"，财政部门共批复 {len(approvals)} 笔 {wan(Decimal(approved_fen) / 100)} 万元，"
                    f"实际到位 {wan(Decimal(arrived_fen) / 100)} 万元")
    else:
        use += "，截至评价时尚无资金批复记录"
    per = _award_per(ctx)
    count = _awarded_count(ctx)
    use += (f"。资金主要用于对{program.cohort_year}年度首次升规的工业企业给予一次性奖励，以激励企业扩大生产规模、提升经营业绩，"
            "进一步壮大规模以上工业企业总量")
    if per:
        use += f"，每家企业{facts['level_words']}奖励 {per} 万元"
    if count:
        use += f"，共惠及 {count} 家工业企业"
    use += "。"
    if not _dec(money.get("spent")):
        use += "截至评价时，尚未发放企业奖补资金。"
    else:
        use += f"截至评价时，已发放企业奖补资金 {wan(money['spent'])} 万元"
        row = ctx["by_key"].get("budget_execution_rate")
        if row and row["actual"] is not None:
            use += f"，预算执行率 {rate_text(row['actual'])}"
        use += "。"
    use += "奖补资金发放严格按照企业申报、审核公示、资金拨付的流程进行。"
    blocks.append(paragraph(use, lead="该项目资金使用情况："))

    if approvals:
        names = facts["names"]
        rows = []
        for a in approvals:
            level = LEVEL_NAMES.get(a.level, a.level)
            if a.district_code:
                level += f"（{names.get(a.district_code, a.district_code)}）"
            rows.append([cell(level), cell(a.document_no), cell(a.approved_on.isoformat()),
                         cell(wan(Decimal(a.amount_fen) / 100, table=True), num=True),
                         cell(wan(Decimal(a.arrived_amount_fen or 0) / 100, table=True), num=True),
                         cell(a.arrived_on.isoformat() if a.arrived_on else "未到位")])
        if len(approvals) > 1:
            rows.append([cell("合计", strong=True), cell(""), cell(""),
                         cell(wan(Decimal(sum(a.amount_fen for a in approvals)) / 100, table=True), num=True, strong=True),
                         cell(wan(Decimal(sum(a.arrived_amount_fen or 0 for a in approvals)) / 100, table=True),
                              num=True, strong=True), cell("")])
        blocks.append(table("appropriations", "资金批复与到位情况（万元）", [("资金层级", False), ("批复文号", False), ("批复日期", False),
                                                  ("批复金额", True), ("到位金额", True), ("到位日期", False)], rows))
    districts = ctx["analysis"].get("districts") or []
    if districts:
        rows = [[cell(d["name"]), cell(d["awarded_enterprises"], num=True), cell(wan(d["amount"], table=True), num=True)]
                for d in districts]
        total_yuan = sum((Decimal(d["amount"]) for d in districts), Decimal(0))
        rows.append([cell("合计", strong=True), cell(sum(d["awarded_enterprises"] for d in districts), num=True, strong=True),
                     cell(wan(total_yuan, table=True), num=True, strong=True)])
        blocks.append(table("districts", "各区（县）奖补企业及拨付金额", [("区（县）", False), ("奖补企业（家）", True),
                                                   ("拨付金额（万元）", True)], rows))
    return blocks


def _merged_rows(rows: list[dict], tail) -> list[list]:  # noqa: ANN001
    """Table rows led by 一级 and 二级 cells merged down over their run of indicators."""
    out: list[list] = []
    for n, r in enumerate(rows):
        first1 = n == 0 or rows[n - 1]["level1"] != r["level1"]
        first2 = first1 or rows[n - 1]["level2"] != r["level2"]
        lead = []
        if first1:
            span = next((k for k in range(n, len(rows)) if rows[k]["level1"] != r["level1"]), len(rows)) - n
            lead.append(cell(r["level1"], rowspan=span if span > 1 else None))
        else:
            lead.append(None)
        if first2:
            end = next((k for k in range(n, len(rows))
                        if rows[k]["level1"] != r["level1"] or rows[k]["level2"] != r["level2"]), len(rows))
            lead.append(cell(r["level2"], rowspan=end - n if end - n > 1 else None))
        else:
            lead.append(None)
        out.append(lead + tail(r))
    return out


# ---------------------------------------------------------------- 二、绩效评价工作开展情况


def _work(ctx: dict) -> list[dict]:
    program, facts, ev, project = ctx["program"], ctx["facts"], ctx["ev"], ctx["project"]
    rows = ctx["rows"]
    money = _money(ctx)
    blocks = [heading("（一）绩效评价目的、对象和范围"), heading("1.评价目的", 3)]
    blocks.append(paragraph(
        "本项工作旨在落实《中共中央 国务院关于全面实施预算绩效管理的意见》（中发〔2018〕34号）文件精神，全面推进预算绩效管理工作，"
        "落实预算执行及绩效管理主体责任。具体包括以下两点："))
    blocks.append(paragraph(
        f"（1）通过对项目设立的背景、项目内容、绩效目标、资金投入、资金管理、组织实施、产出和效益等进行分析，了解{project}的实施情况，"
        "考察项目实施过程和效果。"))
    blocks.append(paragraph(
        "（2）通过评价，客观公正反映项目立项科学性、项目管理规范性、项目实施有效性和项目效果，总结项目实施的经验，"
        "发现项目实施过程中存在的问题，提高财政资金使用效益。"))
    blocks.append(heading("2.评价对象", 3))
    blocks.append(paragraph(f"绩效评价的对象：{project}（评价范围：{facts['scope_name']}）。"))
    blocks.append(heading("3.评价范围", 3))
    blocks.append(paragraph(f"（1）时间范围：{program.budget_year}年1月1日至{program.budget_year}年12月31日。"))
    count = _awarded_count(ctx)
    scope_words = {"city": "市本级预算、市级资金批复和市级国库支付",
                   "district": f"{facts['scope_name']}的资金批复和区（县）级国库支付",
                   "all": "市、区（县）两级的资金批复和国库支付"}[facts["scope"].kind]
    text = (f"（2）项目范围：{project}是对{program.cohort_year}年首次升规的工业企业在{program.budget_year}年进行资金奖补")
    if count:
        text += f"，实际奖补 {count} 家企业"
    per = _award_per(ctx)
    if per:
        text += f"，每家企业 {per} 万元"
    if _dec(money.get("spent")):
        text += f"，共计 {wan(money['spent'])} 万元"
    text += f"。本次评价的资金范围为{scope_words}。"
    blocks.append(paragraph(text))

    blocks.append(heading("（二）绩效评价原则、指标体系、方法及标准"))
    blocks.append(heading("1.评价原则", 3))
    for lead, text in (
        ("（一）科学公正。", "绩效评价应当运用科学合理的方法，按照规范的程序，对项目绩效进行客观、公正的反映。"),
        ("（二）统筹兼顾。", "单位自评、部门评价和财政评价应职责明确，各有侧重，相互衔接。"),
        ("（三）激励约束。", ("绩效评价结果应与预算安排、政策调整、改进管理实质性挂钩，体现奖优罚劣和激励相容导向，"
                        "有效要安排、低效要压减、无效要问责。")),
        ("（四）公开透明。", "绩效评价结果应依法依规公开，并自觉接受社会监督。"),
    ):
        blocks.append(paragraph(text, lead=lead))
    blocks.append(heading("2.评价指标体系", 3))
    level1 = list(dict.fromkeys(r["level1"] for r in rows))
    level2 = list(dict.fromkeys((r["level1"], r["level2"]) for r in rows))
    quantitative = sum(1 for r in rows if r["kind"] == "quantitative")
    weights = "、".join(f"{s['level1']} {compact(s['weight'])} 分" for s in ev["subtotals"])
    blocks.append(paragraph(
        f"绩效评价指标体系遵循相关性、重要性、可比性、系统性和经济性原则，将定量指标与定性指标相结合。本项目的评价指标体系由 "
        f"{len(level1)} 个一级指标、{len(level2)} 个二级指标和 {len(rows)} 个三级指标构成，其中定量指标 {quantitative} 个、"
        f"定性指标 {len(rows) - quantitative} 个，权重合计 {compact(sum(r['weight'] for r in rows))} 分（{weights}），"
        "如下表所示。"))
    blocks.append(table(
        "system", f"{project}支出绩效评价指标体系",
        [("一级指标", False), ("二级指标", False), ("三级指标", False), ("指标解释", False), ("指标说明 / 评价要点", False)],
        _merged_rows(rows, lambda r: [cell(r["name"]), cell(r.get("explanation") or ""),
                                      cell(r.get("checkpoints") or "")]),
        widths=[8, 10, 14, 28, 40]))
    blocks.append(heading("3.评价方法", 3))
    blocks.append(paragraph(
        "《项目支出绩效评价管理办法》（财预〔2020〕10号）规定的评价方法主要包括成本效益分析法、比较法、因素分析法、最低成本法、"
        "公众评判法和标杆管理法等。"))
    blocks.append(paragraph(
        f"根据{project}的特点，本次评价主要采用比较法和公众评判法：定量指标将实际完成值与绩效目标比较，由系统依据申报、审核、公示、"
        "拨付、统计名录和满意度问卷等业务数据计算；满意度指标依据获奖补企业的问卷调查结果；定性指标由评价小组对照评价要点逐项评分并说明理由。"))
    blocks.append(heading("4.评价标准", 3))
    blocks.append(paragraph(
        "绩效评价标准主要包括计划标准、行业标准、历史标准等。本次评价以预先制定的绩效目标为计划标准；定量指标按完成率计分："
        "“≥”类指标实际值达到目标值得满分，未达到按实际值与目标值之比计分；“=”类指标按偏离目标值的程度扣分；"
        "定性指标按达成（得分不低于权重的 80%）、部分达成（60%—80%）、未达成（60% 以下）三档评分。"))
    blocks.append(paragraph(_bands_words(ev)))
    national = [("中发〔2018〕34号", "中共中央 国务院关于全面实施预算绩效管理的意见"),
                ("财预〔2020〕10号", "项目支出绩效评价管理办法")]
    items = [f"《{title}》（{no}）" for no, title in national]
    items += [f"《{d.title}》（{d.document_no}）" for d in facts["documents"] if d.document_no not in dict(national)]
    blocks.append(paragraph("在上述评价标准的基础上，本次评价依据以下文件："))
    blocks.append({"type": "list", "items": items})

    blocks.append(heading("（三）绩效评价工作过程"))
    process = ("评价小组根据项目绩效目标，查阅有关佐证资料，重点关注项目预算和绩效目标的匹配情况、项目资金的管理和使用情况、"
               "项目实施和监督情况以及项目产生的实际效益。评价工作分为前期准备、数据采集与材料审核、综合分析评价和报告撰写四个阶段：")
    process += ("前期准备阶段研读相关文件，结合项目绩效目标确定评价指标体系和评分标准；数据采集阶段由系统汇总企业申报、两级联合审核、"
                "公示、资金批复与国库支付、银行回单、统计部门规上工业企业名录和满意度问卷等数据，并逐项核对；"
                "综合分析阶段计算定量指标、对定性指标逐项评分，对完成率明显偏离目标的指标说明偏差原因；最后形成评价报告。")
    blocks.append(paragraph(process))
    survey = ctx["analysis"].get("survey") or {}
    if survey.get("awarded"):
        blocks.append(paragraph(
            f"满意度问卷调查面向 {survey['awarded']} 家获奖补企业，回收 {survey['responded']} 家"
            f"（回收率 {rate_text(survey.get('response_rate'))}），每家企业以最新一份有效问卷计。"))
    if ctx["final"]:
        blocks.append(paragraph(
            f"评价结果经评价小组确认后于{moment_text(ev.get('finalized_at'))}定稿，评分规则版本 {ev.get('rule_version')}。"))
    else:
        blocks.append(paragraph(
            f"本稿的指标数据计算于{moment_text(ev.get('computed_at'))}，评分规则版本 {ev.get('rule_version')}，尚未定稿。"))
    return blocks


def _bands_words(ev: dict) -> str:
    bands = sorted(ev.get("grade_bands") or [], key=lambda b: b["min_score"], reverse=True)
    if not bands:
        return ""
    parts, upper = [], None
    for band in bands:
        low = compact(band["min_score"])
        if upper is None:
            parts.append(f"{low}（含）—100 分为{band['grade']}")
        elif band["min_score"] > 0:
            parts.append(f"{low}（含）—{upper} 分为{band['grade']}")
        else:
            parts.append(f"{upper} 分以下为{band['grade']}")
        upper = low
    return f"本次绩效评价结果实行百分制和{CN_NUMBERS[len(bands) - 1]}级分类，其中" + "、".join(parts) + "。"


# ---------------------------------------------------------------- 三、综合评价情况及评价结论


def _conclusion(ctx: dict) -> list[dict]:
    ev, project = ctx["ev"], ctx["project"]
    blocks = [heading("（一）评价结论")]
    text = (f"结合项目特点，制定符合项目实际的绩效评价指标体系及评分标准，通过数据采集、问卷调查及资料核查等形式，对{project}"
            f"进行客观评价，最终评分结果为：总分为 {fixed(ev['total'])} 分，绩效评级为“{ev['grade']}”。")
    if ev.get("status") == "provisional":
        text += f"（尚有 {len(ev.get('unscored') or [])} 项定性指标待评分，以上结果为暂定。）"
    elif not ctx["final"]:
        text += "（以上结果为征求意见稿，以定稿为准。）"
    blocks.append(paragraph(text))
    blocks.append({"type": "note", "text": _bands_words(ev)})
    blocks.append(paragraph("项目各部分权重和绩效分值如下表所示："))
    rows = []
    names = {}
    for r in ctx["rows"]:
        names.setdefault(r["level1"], set()).add(r["level2"])
    counts = {lv: sum(1 for r in ctx["rows"] if r["level1"] == lv) for lv in names}
    for s in ev["subtotals"]:
        rows.append([cell(s["level1"]), cell(len(names.get(s["level1"], ())), num=True),
                     cell(counts.get(s["level1"], 0), num=True), cell(compact(s["weight"]), num=True),
                     cell(fixed(s["score"]), num=True), cell(score_rate(s["score"], s["weight"]), num=True)])
    weight = sum(s["weight"] for s in ev["subtotals"])
    rows.append([cell("合计", strong=True), cell(sum(len(v) for v in names.values()), num=True, strong=True),
                 cell(len(ctx["rows"]), num=True, strong=True), cell(compact(weight), num=True, strong=True),
                 cell(fixed(ev["total"]), num=True, strong=True), cell(score_rate(ev["total"], weight), num=True, strong=True)])
    blocks.append(table("subtotals", f"{project}各部分权重和绩效分值", [("一级指标", False), ("二级指标数", True), ("三级指标数", True),
                                                       ("分值", True), ("得分", True), ("得分率", True)], rows))
    blocks.append({"type": "note", "text": "各三级指标的指标值、实际完成值和得分见附表。"})
    blocks.append(heading("（二）主要绩效"))
    blocks.append(paragraph(_performance_words(ctx)))
    return blocks


def _performance_words(ctx: dict) -> str:
    program, analysis, by_key = ctx["program"], ctx["analysis"], ctx["by_key"]
    money = _money(ctx)
    count = _awarded_count(ctx)
    parts = []
    if count and money.get("spent") is not None:
        text = (f"项目{_paid_dates(ctx)}对{program.cohort_year}年首次升规的 {count} 家工业企业进行了专项资金奖补，"
                f"拨付{ctx['facts']['level_words']}资金共 {wan(money['spent'])} 万元")
        row = by_key.get("budget_execution_rate")
        if row and row["actual"] is not None:
            text += f"，预算执行率 {rate_text(row['actual'])}"
        parts.append(text)
    else:
        parts.append(f"截至评价时，{program.cohort_year}年首次升规企业的奖补资金尚未拨付")
    revenue = analysis.get("revenue") or {}
    if revenue.get("mean_wan") is not None:
        text = f"获奖补企业平均营业收入 {fixed(revenue['mean_wan'])} 万元/家"
        if revenue.get("median_wan") is not None:
            text += f"（中位数 {fixed(revenue['median_wan'])} 万元/家）"
        parts.append(text)
    growth = by_key.get("above_scale_growth")
    if growth and growth["kind"] == "quantitative" and growth["actual"] is not None:
        inputs = growth["inputs"]
        if inputs.get("count") is not None and inputs.get("previous_count"):
            change = Decimal(inputs["count"]) - Decimal(inputs["previous_count"])
            parts.append(f"{inputs['year']}年全市规模以上工业企业 {inputs['count']} 家，较上年{'增加' if change >= 0 else '减少'} "
                         f"{abs(change)} 家（为上年的 {rate_text(growth['actual'])}）")
    satisfaction = by_key.get("beneficiary_satisfaction")
    if satisfaction and satisfaction["actual"] is not None:
        n = satisfaction["inputs"].get("valid_responses")
        parts.append(f"奖补企业满意度 {rate_text(satisfaction['actual'])}" + (f"（有效问卷 {n} 份）" if n else ""))
    for year in (analysis.get("retention") or {}).get("years", [])[:1]:
        if year.get("rate") is not None:
            parts.append(f"{year['year']}年统计名录中仍为规上企业的 {year['retained']} 家，保规率 {rate_text(year['rate'])}")
    text = "；".join(parts) + "。"
    if count:
        text += "项目通过资金奖补激发了企业发展活力，助力工业经济增长，壮大了规模以上工业企业队伍。"
    return text


# ---------------------------------------------------------------- 四、绩效评价指标分析


def _indicator_analysis(ctx: dict) -> list[dict]:
    ev, rows = ctx["ev"], ctx["rows"]
    blocks = []
    for n, sub in enumerate(ev["subtotals"], start=1):
        level1 = sub["level1"]
        members = [r for r in rows if r["level1"] == level1]
        level2s = list(dict.fromkeys(r["level2"] for r in members))
        blocks.append(heading(f"{cn_index(n)}{LEVEL1_SECTION.get(level1, level1 + '指标情况')}"))
        blocks.append(paragraph(
            f"{LEVEL1_NAME.get(level1, level1)}指标由 {len(level2s)} 个二级指标和 {len(members)} 个三级指标构成，"
            f"权重为 {compact(sub['weight'])} 分，实际得分 {compact(sub['score'])} 分。"))
        for k, level2 in enumerate(level2s, start=1):
            group = [r for r in members if r["level2"] == level2]
            if len(level2s) > 1:
                blocks.append(heading(f"{k}.{level2}", 3))
            for m, r in enumerate(group, start=1):
                blocks.append(_indicator_paragraph(ctx, r, _label(r, m if len(group) > 1 else None)))
            weight = sum(r["weight"] for r in group)
            score = sum((Decimal(str(r["score"] or 0)) for r in group), Decimal(0))
            blocks.append(paragraph(f"综上，该指标满分 {compact(weight)} 分，得分 {compact(score)} 分。"))
    return blocks


def _label(r: dict, n: int | None) -> str:
    """The seed's lead of a row's paragraph: '数量指标1' under a 二级 named …指标, else the row's name."""
    if r["level2"].endswith("指标"):
        return f"{r['level2']}{n or ''}"
    return r["name"]


def _indicator_paragraph(ctx: dict, r: dict, label: str) -> dict:
    name = r["name"]
    if r["kind"] == "qualitative":
        if r["state"] != "scored":
            reason = r["inputs"].get("reason") or r["inputs"].get("stale_assessment") or ""
            return paragraph(f"该指标为定性指标，尚待评价小组评分。{_sentence(reason)}", lead=f"{name}：")
        justification = _sentence(r.get("justification") or "经评价小组核查，该指标各项评价要点均已达到")
        tier = "" if r["tier"] == "achieved" else f"评价档次为“{TIER_NAMES.get(r['tier'], r['tier'])}”，"
        return paragraph(f"{justification}{tier}故{name}指标得分 {compact(r['score'])} 分。", lead=f"{name}：")
    head = f"评价指标{_quoted(name)}，指标值：{target_text(r['target'])}，"
    if r["state"] == "not_computable":
        reason = _sentence(r["inputs"].get("reason") or "缺少计算所需的数据")
        actual = f"实际完成值：{actual_text(r)}" if r["actual"] is not None else "实际完成值无法计算"
        return paragraph(f"{head}{actual}。{reason}故该指标得分 0 分。", lead=f"{label}：")
    text = f"{head}实际完成值：{actual_text(r)}，实际完成率：{rate_text(r['completion_rate'])}。"
    text += _evidence(ctx, r)
    note = (r.get("deviation_note") or "").strip()
    if note:
        text += f"本指标实际完成值超过指标值的原因：{_sentence(note)}"
    elif r["deviation_required"]:
        text += "本指标完成率超过 130%，偏差原因尚待评价小组说明。"
    if r["score"] is not None and Decimal(str(r["score"])) < r["weight"]:
        text += f"未达到目标值，按评分规则得分 {compact(r['score'])} 分（满分 {compact(r['weight'])} 分）。"
    else:
        text += f"故得分 {compact(r['score'])} 分。"
    return paragraph(text, lead=f"{label}：")


def _evidence(ctx: dict, r: dict) -> str:
    """What the figure rests on, from the metric's inputs."""
    i, key = r["inputs"], r["key"]
    facts = ctx["facts"]
    if key == "funds_arrival_rate" and i.get("budget") is not None:
        text = f"预算资金 {wan(i['budget'])} 万元，实际到位资金 {wan(i.get('arrived'))} 万元"
        dated = [a for a in facts["appropriations"] if a.arrived_on]
        if len(dated) == 1:
            text += f"，于{day_text(dated[0].arrived_on)}到位"
        return text + "。"
    if key == "budget_execution_rate" and i.get("arrived") is not None:
        count = _awarded_count(ctx)
        text = f"实际到位资金 {wan(i['arrived'])} 万元，{_paid_dates(ctx)}通过财政国库集中支付拨付 {wan(i.get('spent'))} 万元"
        return text + (f"，直接支付到 {count} 家企业银行账户。" if count else "。")
    if key == "awarded_enterprise_count" and i.get("awarded_enterprises") is not None:
        return f"经审核、公示并已拨付奖补资金的企业共 {i['awarded_enterprises']} 家（按企业去重，国库支付 {i.get('paid_payments', 0)} 笔）。"
    if key == "awarded_enterprise_revenue" and i.get("enterprises"):
        text = f"获奖补企业 {i['enterprises']} 家营业收入合计 {wan(i.get('total_revenue'))} 万元"
        if i.get("roster_year"):
            text += f"（取自{i['roster_year']}年统计名录 {i.get('from_roster', 0)} 家、企业申报数 {i.get('from_declaration', 0)} 家）"
        revenue = ctx["analysis"].get("revenue") or {}
        if revenue.get("median_wan") is not None:
            text += f"，中位数 {fixed(revenue['median_wan'])} 万元/家"
        return text + "。"
    if key == "funds_compliance_rate" and i.get("paid_payments") is not None:
        text = f"已拨付 {i['paid_payments']} 笔中合规 {i.get('compliant', 0)} 笔"
        failing = [f"{COMPLIANCE_FAILURES.get(k, k)} {v} 笔" for k, v in (i.get("failing") or {}).items() if v]
        if failing:
            text += "，不合规情形：" + "、".join(failing)
        if i.get("rule"):
            text += f"（合规条件：{i['rule']}）"
        return text + "。"
    if key == "disbursement_timeliness_rate" and i.get("paid_payments") is not None:
        deadline = f"规定拨付期限为{day_text(i['payment_deadline'])}，" if i.get("payment_deadline") else ""
        return f"{deadline}已拨付 {i['paid_payments']} 笔中按期拨付 {i.get('on_time', 0)} 笔、逾期 {i.get('late', 0)} 笔。"
    if key == "award_per_enterprise" and i.get("spent") is not None:
        return f"实际支出 {wan(i['spent'])} 万元，获奖补企业 {i.get('awarded_enterprises', 0)} 家，无超支情况。"
    if key == "above_scale_growth" and i.get("count") is not None:
        return (f"统计部门规上工业企业名录显示，{i['year']}年全市规模以上工业企业 {i['count']} 家，"
                f"{i.get('previous_year')}年 {i.get('previous_count')} 家。")
    if key == "beneficiary_satisfaction" and i.get("valid_responses") is not None:
        return (f"本指标通过问卷调查评价，有效问卷 {i['valid_responses']} 份（每家获奖补企业取最新一份），"
                f"其中选择“非常满意”或“满意”的 {i.get('satisfied', 0)} 份。")
    return f"计算口径：{_sentence(i['formula'])}" if i.get("formula") else ""


# ---------------------------------------------------------------- 五、经验、问题及原因


def _experience(ctx: dict) -> list[dict]:
    by_key, analysis = ctx["by_key"], ctx["analysis"]
    items = []

    def full(key: str) -> bool:
        r = by_key.get(key)
        return bool(r and r["state"] == "scored" and r["score"] is not None and Decimal(str(r["score"])) >= r["weight"])

    if full("funds_compliance_rate"):
        text = "严格执行申报、审核、公示、拨付程序，企业申报经区（县）、市两级工信和统计部门联合审核"
        if ctx["facts"]["notices"]:
            text += "并经公示审定"
        text += f"，奖补资金通过财政国库集中支付直达企业账户，资金使用合规率 {rate_text(by_key['funds_compliance_rate']['actual'])}"
        items.append(text)
    if full("disbursement_timeliness_rate"):
        days = (analysis.get("payments") or {}).get("approval_to_payment_days") or {}
        text = "资金拨付及时，全部奖补资金在规定期限内拨付到位"
        if days.get("mean") is not None:
            text += f"，自公示期满审定至拨付平均 {compact(days['mean'])} 天"
        items.append(text)
    if full("beneficiary_satisfaction"):
        r = by_key["beneficiary_satisfaction"]
        items.append(f"注重服务对象感受，对获奖补企业开展满意度问卷调查，有效问卷 {r['inputs'].get('valid_responses', 0)} 份，"
                     f"满意度 {rate_text(r['actual'])}")
    blocks = [heading("（一）主要经验及做法")]
    blocks.append(paragraph(_ordinal_join(items) if items else "本次评价期间，项目的主要做法见前文各指标分析，暂未归纳出需单独推广的经验。"))
    return blocks


def _match(findings: list[str], used: set[int], predicate) -> str | None:  # noqa: ANN001
    """The first unused finding the predicate accepts (marked used)."""
    for n, text in enumerate(findings):
        if n not in used and predicate(text):
            used.add(n)
            return text
    return None


def _problems(ctx: dict) -> list[dict]:
    """What is wrong, each with its cause and the suggestion it leads to. The evaluation's
    findings are quoted where they say it; every finding appears once."""
    ev, rows, analysis = ctx["ev"], ctx["rows"], ctx["analysis"]
    findings = list(ev.get("findings") or [])
    used: set[int] = set()
    problems: list[dict] = []

    revenue = analysis.get("revenue") or {}
    share, mean, median = revenue.get("top_two_share"), revenue.get("mean_wan"), revenue.get("median_wan")
    if share is not None and revenue.get("enterprises", 0) > 2 and Decimal(str(share)) >= analysis_rules.CONCENTRATION_SHARE:
        names = [t["name"] for t in revenue.get("top_two") or []]
        said = _match(findings, used, lambda t: "营业收入" in t and all(n in t for n in names))
        text = said or f"收入最高的两家企业（{'、'.join(names)}）占获奖补企业营业收入合计的 {fixed(share)}%。"
        bands = "、".join(f"{b['label']} {b['count']} 家" for b in revenue.get("bands") or [] if b["count"])
        if bands:
            text += f"获奖补企业营业收入分布为：{bands}。"
        cause = "原因是“小升规”企业年营业收入指标以平均值衡量，少数规模较大的企业显著拉高了平均值，而目标值按入规门槛设定、未设上限。"
        problems.append({"title": "获奖补企业营业收入高度集中，平均值不能反映多数企业的规模", "text": text + cause,
                         "suggest": ("对绩效目标设置的建议",
                                     "将“小升规”企业年营业收入指标改为以中位数或“营业收入达到入规标准的企业占比”衡量，"
                                     f"并对营业收入特别高的企业（如{'、'.join(names)}）单独列示，避免少数企业拉高平均值"
                                     + (f"（本次平均值 {fixed(mean)} 万元/家，中位数 {fixed(median)} 万元/家）" if mean and median else ""))})

    deviating = [r for r in rows if r["deviation_required"]]
    if deviating:
        parts, causes = [], []
        for r in deviating:
            said = _match(findings, used, lambda t, r=r: t.startswith(f"{r['name']}：") and "130%" in t)
            parts.append(said or f"{r['name']}完成率 {rate_text(r['completion_rate'])}，超过目标值 130% 以上。")
            if (r.get("deviation_note") or "").strip():
                causes.append(f"{_quoted(r['name'])}的偏差原因已由评价小组说明（见“四、绩效评价指标分析”）。")
        names = "、".join(_quoted(r["name"]) for r in deviating)
        problems.append({"title": "部分绩效目标设定偏保守", "text": "".join(parts) + "".join(causes),
                         "suggest": ("对绩效目标设置的建议",
                                     f"结合历年实际完成情况重新测算{names}的目标值，使目标既有激励性又切实可行，完成率保持在合理区间")})

    shortfalls = [r for r in rows if r["kind"] == "quantitative" and r["state"] == "scored" and r["score"] is not None
                  and Decimal(str(r["score"])) < r["weight"]]
    for r in shortfalls:
        said = _match(findings, used, lambda t, r=r: t.startswith(f"{r['name']}："))
        text = said or (f"{r['name']}实际 {actual_text(r)}，目标 {target_text(r['target'])}，"
                        f"得分 {compact(r['score'])} 分（满分 {compact(r['weight'])} 分）。")
        head, suggestion = _shortfall_advice(r)
        problems.append({"title": f"{_quoted(r['name'])}未达到绩效目标", "text": text + _evidence(ctx, r),
                         "suggest": (head, suggestion)})

    missing = [r for r in rows if r["state"] == "not_computable"]
    if missing:
        parts = []
        for r in missing:
            said = _match(findings, used, lambda t, r=r: t.startswith(f"{r['name']}："))
            parts.append(said or f"{r['name']}：{_sentence(r['inputs'].get('reason') or '缺少计算所需的数据')}")
        problems.append({"title": "部分指标缺少数据，无法计算", "text": "".join(_sentence(p) for p in parts),
                         "suggest": ("对评价工作的建议",
                                     ("及时补录资金批复、国库支付、银行回单、统计名录和满意度问卷等基础数据，"
                                      f"使{'、'.join(_quoted(r['name']) for r in missing)}等指标可依据数据计算"))})

    weak = [r for r in rows if r["kind"] == "qualitative" and r["state"] == "scored" and r["tier"] != "achieved"]
    if weak:
        text = "".join(f"{_quoted(r['name'])}评价为“{TIER_NAMES.get(r['tier'], r['tier'])}”，得分 {compact(r['score'])} 分"
                       f"（满分 {compact(r['weight'])} 分）：{_sentence(r.get('justification') or '')}" for r in weak)
        problems.append({"title": "部分定性指标未完全达成", "text": text,
                         "suggest": ("对项目决策的建议" if all(r["level1"] == "决策" for r in weak) else "对资金管理的建议",
                                     f"针对{'、'.join(_quoted(r['name']) for r in weak)}评价中指出的不足逐项整改，完善相关制度和程序")})

    if ev.get("unscored"):
        said = _match(findings, used, lambda t: "定性指标" in t and "评分" in t)
        names = {r["key"]: r["name"] for r in rows}
        text = said or f"尚有 {len(ev['unscored'])} 项定性指标待评价人员评分，评价结果为暂定。"
        text += "待评分指标：" + "、".join(_quoted(names.get(k, k)) for k in ev["unscored"]) + "。"
        problems.append({"title": "定性指标尚未全部评分", "text": text,
                         "suggest": ("对评价工作的建议", "评价小组尽快完成定性指标评分并说明理由，核对无误后定稿")})

    for year in (analysis.get("retention") or {}).get("years", []):
        if not year.get("dropped"):
            continue
        said = _match(findings, used, lambda t, y=year: t.startswith((f"{y['year']} 年", f"{y['year']}年")))
        text = said or (f"{year['year']} 年统计名录中，{year['dropped']} 家获奖补企业已不在规上名录"
                        f"（保规率 {rate_text(year.get('rate'))}）。")
        dropouts = year.get("dropouts") or []
        if dropouts:
            text += "退出规上名录的企业：" + "、".join(f"{d['name']}（{d.get('district_name') or d.get('district_code')}）"
                                              for d in dropouts) + "。"
        districts = [f"{d['name']} {d['dropped']} 家" for d in year.get("districts") or [] if d.get("dropped")]
        if districts:
            text += "分区（县）看：" + "、".join(districts) + "。"
        text += ("原因主要是部分企业升规后未能及时适应规模扩大带来的管理和市场挑战，市场竞争加剧、自身管理水平有限，"
                 "经营状况出现波动，缺乏持续发展的动力。")
        names = "、".join(d["name"] for d in dropouts[:5])
        problems.append({"title": "部分企业升规后后续发展能力不足", "text": text,
                         "suggest": ("对企业跟踪服务的建议",
                                     (f"对已退出规上名录的 {year['dropped']} 家企业（{names}{'等' if len(dropouts) > 5 else ''}）"
                                      if dropouts else f"对已退出规上名录的 {year['dropped']} 家企业")
                                     + "开展回访，了解经营困难，有针对性地提供政策咨询、市场对接等服务；"
                                     "建立升规企业保规监测机制，按年度跟踪获奖补企业在统计名录中的情况")})

    survey = analysis.get("survey") or {}
    if survey.get("awarded") and survey.get("response_rate") is not None and survey["response_rate"] < 100:
        said = _match(findings, used, lambda t: "回收率" in t)
        missing_n = survey["awarded"] - survey["responded"]
        problems.append({"title": "满意度问卷未覆盖全部获奖补企业",
                         "text": said or f"满意度问卷回收率 {rate_text(survey['response_rate'])}，尚有 {missing_n} 家获奖补企业未答卷。",
                         "suggest": ("对企业跟踪服务的建议",
                                     f"对尚未答卷的 {missing_n} 家企业补充电话或上门回访，提高问卷回收率，使满意度评价覆盖全部获奖补企业")})

    days = ((analysis.get("payments") or {}).get("approval_to_payment_days") or {})
    if days.get("max") is not None and days["max"] > STALE_PAYMENT_DAYS:
        said = _match(findings, used, lambda t: "拨付" in t and "天" in t)
        problems.append({"title": "资金拨付周期偏长",
                         "text": said or f"审定后最长 {compact(days['max'])} 天才完成拨付（平均 {compact(days['mean'])} 天）。",
                         "suggest": ("对预算安排与执行的建议",
                                     "公示期满审定后及时申请资金批复，优化资金拨付流程，缩短审定至拨付的时间")})

    for n, text in enumerate(findings):  # whatever the evaluation found that is not said above
        if n not in used:
            problems.append({"title": _sentence(text).split("：")[0].split("，")[0].rstrip("。"), "text": _sentence(text),
                             "suggest": None})
    return problems


def _shortfall_advice(r: dict) -> tuple[str, str]:
    key, name = r["key"], _quoted(r["name"])
    if key in ("funds_arrival_rate", "budget_execution_rate"):
        return ("对预算安排与执行的建议",
                "对预算执行情况进行持续跟踪和监控，督促资金及时到位和拨付，加快预算执行进度")
    if key == "funds_compliance_rate":
        failing = [COMPLIANCE_FAILURES.get(k, k) for k, v in (r["inputs"].get("failing") or {}).items() if v]
        what = f"（{'、'.join(failing)}）" if failing else ""
        return ("对资金管理的建议", f"对不合规的支付{what}逐笔核查整改，补齐凭证和银行回单，强化资金使用监管，确保专款专用")
    if key == "disbursement_timeliness_rate":
        return ("对预算安排与执行的建议", "明确拨付时间节点，逾期拨付的逐笔说明原因，确保奖补资金在规定期限内拨付到位")
    if key == "beneficiary_satisfaction":
        return ("对企业跟踪服务的建议", "对不满意的企业逐一回访，了解诉求，改进申报、审核和拨付服务")
    if key in ("awarded_enterprise_count", "above_scale_growth"):
        return ("对项目决策的建议", "进一步加强政策宣传引导，消除企业升规顾虑，增强企业升规动力")
    return ("对资金管理的建议", f"分析{name}未达目标的原因并制定整改措施")


def _problem_blocks(problems: list[dict]) -> list[dict]:
    blocks = [heading("（二）存在的问题及原因分析")]
    if not problems:
        blocks.append(paragraph("本次评价未发现需要重点说明的问题。"))
    for n, p in enumerate(problems, start=1):
        blocks.append(paragraph(p["text"], lead=f"{n}.{_sentence(p['title'])}"))
    return blocks


# ---------------------------------------------------------------- 六、有关建议


def _suggestions(problems: list[dict]) -> list[dict]:
    grouped: dict[str, list[str]] = {}
    for p in problems:
        if p.get("suggest"):
            head, text = p["suggest"]
            if text not in grouped.setdefault(head, []):
                grouped[head].append(text)
    if not grouped:
        grouped = {
            "对预算安排与执行的建议": ["对预算执行情况进行持续跟踪和监控，确保项目按计划顺利完成"],
            "对资金管理的建议": ["强化资金使用监管，确保专款专用，提高资金使用效率",
                          "对项目预算的绩效进行评估分析，总结经验，为以后年度的项目预算管理提供参考"],
        }
    heads = [h for h in SUGGESTION_HEADS if h in grouped] + [h for h in grouped if h not in SUGGESTION_HEADS]
    return [paragraph(_ordinal_join(grouped[h]), lead=f"{h}：") for h in heads]


# ---------------------------------------------------------------- 附表


def _score_table(ctx: dict) -> dict:
    rows = _merged_rows(ctx["rows"], lambda r: [
        cell(r["name"]), cell(compact(r["weight"]), num=True), cell(target_text(r["target"]) if r["target"] else "定性"),
        cell(actual_text(r)), cell(fixed(r["score"]) if r["score"] is not None else "待评分", num=True)])
    weight = sum(r["weight"] for r in ctx["rows"])
    rows.append([cell("合计", colspan=3, strong=True), None, None, cell(compact(weight), num=True, strong=True), cell(""),
                 cell(f"评价等级：{ctx['ev']['grade']}", strong=True), cell(fixed(ctx["ev"]["total"]), num=True, strong=True)])
    return table("scores", f"{ctx['project']}绩效评价指标及得分", [
        ("一级指标", False), ("二级指标", False), ("三级指标", False), ("权重", True), ("指标值", False),
        ("实际完成值", False), ("得分", True)], rows, widths=[9, 12, 29, 8, 15, 16, 11])
