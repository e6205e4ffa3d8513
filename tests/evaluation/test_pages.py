"""The evaluation page without a browser: the demo's finalised XSG-2023 as officials read it
(rows grouped by 一级, the seed's figures, 100.00 优 已定稿 with the snapshot), the scope
switch as an htmx fragment, who may open the page, an evaluator scoring through the htmx
forms (a score outside its tier refused in Chinese with nothing written), and 定稿 from the
page refused while rows are unscored, then done."""

import json
import re
from decimal import Decimal
from itertools import count

import pytest
from sqlmodel import select

from app.evaluation.models import EvaluationSnapshot, IndicatorAssessment
from app.programs.models import Program
from tests.browser.test_fragments import HX, _sign_in
from tests.factories import award_applications, make_program

_codes = count(1)

LEVELS = ["决策", "过程", "产出", "效益", "满意度"]
# spec/evaluation.md's golden case: key → (actual as shown, completion, score)
GOLDEN = {
    "funds_arrival_rate": ("100.00%", "100.00%", "5.00"),
    "budget_execution_rate": ("100.00%", "100.00%", "5.00"),
    "awarded_enterprise_count": ("41 家", "100.00%", "10.00"),
    "awarded_enterprise_revenue": ("57,111.00 万元/家", "2855.55%", "10.00"),
    "funds_compliance_rate": ("100.00%", "100.00%", "10.00"),
    "disbursement_timeliness_rate": ("100.00%", "100.00%", "10.00"),
    "award_per_enterprise": ("10.00 万元/家", "100.00%", "10.00"),
    "beneficiary_satisfaction": ("100.00%", "111.11%", "5.00"),
}


@pytest.fixture
def engine(demo_engine):
    """These tests read the demo: its database, loaded once per backend (tests/conftest.py)."""
    return demo_engine


def _text(fragment: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment)).strip()


def _row(html: str, key: str) -> str:
    start = html.index(f'id="row-{key}"')
    return html[start:html.index("</tr>", start)]


def _figure(segment: str, name: str) -> str:
    match = re.search(rf'data-figure="{name}">(.*?)</td>', segment, re.DOTALL)
    assert match, (name, segment[:300])
    return _text(match.group(1)).replace(" %", "%")


def _csrf(html: str) -> str:
    marker = '"X-CSRF-Token": "'
    start = html.index(marker) + len(marker)
    return html[start:html.index('"', start)]


def _chart_data(html: str) -> dict:
    marker = '<script type="application/json" id="evaluation-chart-data">'
    start = html.index(marker) + len(marker)
    return json.loads(html[start:html.index("</script>", start)])


def _program(session) -> str:
    """Two awarded enterprises (city tranche paid): the quantitative rows compute, the
    revenue row's 176 % needs a deviation note, the ten qualitative rows wait."""
    code = f"EVP-{next(_codes):03d}"
    make_program(session, code, target=2, indicators=True)
    award_applications(session, code, ["650102", "650103"])
    return code


def _assessments(session, code: str) -> dict[str, IndicatorAssessment]:
    session.expire_all()
    program = session.exec(select(Program).where(Program.code == code)).one()
    rows = session.exec(select(IndicatorAssessment).where(IndicatorAssessment.program_id == program.id)).all()
    return {a.key: a for a in rows}


def _snapshots(session, code: str) -> list[EvaluationSnapshot]:
    session.expire_all()
    program = session.exec(select(Program).where(Program.code == code)).one()
    return session.exec(select(EvaluationSnapshot).where(EvaluationSnapshot.program_id == program.id)).all()


# ---------------------------------------------------------------- the demo, as officials read it


def test_the_demo_evaluation_reads_as_the_seed(client, session, user_for):
    [snapshot] = _snapshots(session, "XSG-2023")
    username, password = user_for("auditor")
    assert _sign_in(client, username, password, "/").status_code == 303

    # the navigation's 绩效评价 opens the newest programme
    r = client.get("/evaluation", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/programs/XSG-2024/evaluation"

    r = client.get("/programs/XSG-2023/evaluation")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "HX-Request" in r.headers["vary"]
    html = r.text
    assert "<h1>绩效评价 · XSG-2023</h1>" in html
    assert 'data-figure="total">100.00<' in html and 'data-figure="grade">优<' in html
    assert 'data-figure="status">已定稿<' in html
    assert f'data-figure="sha256">{snapshot.sha256}<' in html
    assert f'href="/api/v1/evaluations/{snapshot.id}"' in html
    assert f'href="/api/v1/evaluations/{snapshot.id}/report.docx"' in html
    assert 'href="/programs/XSG-2023/evaluation/report"' in html

    # grouped by 一级 in the table's order, each with its subtotal, then the total
    assert re.findall(r'<tbody class="eval-level" data-level="([^"]+)"', html) == LEVELS
    subtotals = re.findall(r'<tr class="subtotal" data-level="([^"]+)">.*?data-figure="subtotal">([^<]+)<', html, re.DOTALL)
    assert subtotals == [("决策", "20.00"), ("过程", "20.00"), ("产出", "50.00"), ("效益", "5.00"), ("满意度", "5.00")]
    assert re.search(r'<tfoot>.*data-figure="total">100.00<', html, re.DOTALL)
    for key, (actual, completion, score) in GOLDEN.items():
        row = _row(html, key)
        assert (_figure(row, "actual"), _figure(row, "completion"), _figure(row, "score")) == (actual, completion, score), key
    assert "= 41 家" in _row(html, "awarded_enterprise_count") and "≥ 2,000 万元/家" in _row(html, "awarded_enterprise_revenue")
    revenue_row = html[html.index('id="row-awarded_enterprise_revenue"'):html.index('id="row-funds_compliance_rate"')]
    assert "偏差原因（完成率 ≥ 130%）" in revenue_row and "87%" in revenue_row  # the seed's explanation
    qualitative = _row(html, "basis_sufficiency")
    assert _figure(qualitative, "score") == "4.00" and "达成" in qualitative and "定性评价" in qualitative
    assert "营业收入高度集中" in html  # a finding

    # the auditor reads: no forms, no 定稿
    assert 'class="assess-form' not in html and 'id="finalize-button"' not in html

    # the charts' figures, in a data block; the scripts are files (CSP: no inline script or style)
    chart = _chart_data(html)
    assert [(s["name"], s["weight"], s["score"]) for s in chart["levels"]] == [
        ("决策", 20, 20.0), ("过程", 20, 20.0), ("产出", 50, 50.0), ("效益", 5, 5.0), ("满意度", 5, 5.0)]
    assert chart["revenue"]["median_wan"] == 7885.0 and chart["revenue"]["mean_wan"] == 57111.0
    assert chart["revenue"]["top_two_share"] == 87.0 and len(chart["revenue"]["top_two"]) == 2
    assert chart["revenue"]["median_band"] == "5000万–1亿元" and chart["revenue"]["mean_band"] == "5亿–10亿元"
    assert chart["payments"]["timeline"] == [
        {"date": "2024-08-08", "payments": 41, "amount_wan": 410.0, "cumulative_wan": 410.0}]
    assert chart["payments"]["deadline"] == "2024-09-30" and chart["payments"]["budget_wan"] == 410.0
    assert '<script src="/static/vendor/echarts-5.6.0.min.js" defer></script>' in html
    assert '<script src="/static/js/charts.js" defer></script>' in html
    assert re.findall(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", html) == []
    assert " style=" not in html
    assert client.get("/static/vendor/echarts-5.6.0.min.js").status_code == 200

    # the analysis block as tables
    assert _text(re.search(r'data-figure="median">(.*?)</td>', html).group(1)) == "7,885.00"
    assert _text(re.search(r'data-figure="top_two_share">(.*?)</td>', html).group(1)) == "87.00%"
    assert _text(re.search(r'data-figure="response_rate">(.*?)</td>', html).group(1)) == "100.00%"
    assert _text(re.search(r'data-figure="approval_to_payment">(.*?)</td>', html).group(1)) == "52 / 52.0 / 52 天"
    assert re.search(r'<tr data-year="2024">.*?92.68%', html, re.DOTALL)
    assert re.search(r'<tr data-district="650104"><th scope="row">新市区</th><td class="num">8</td>', html)

    # the scope switch: the block alone for htmx, another scope not yet finalised
    r = client.get("/programs/XSG-2023/evaluation", params={"scope": "all"}, headers=HX)
    assert r.status_code == 200 and "<html" not in r.text and "<h1>" not in r.text
    assert "HX-Request" in r.headers["vary"]
    assert 'data-figure="scope">市、区两级资金<' in r.text and 'data-figure="status">待定稿<' in r.text
    assert 'data-figure="sha256"' not in r.text
    assert 'id="flash" hx-swap-oob="innerHTML"' in r.text  # an old message is cleared
    r = client.get("/programs/XSG-2023/evaluation", params={"scope": "district:650102"}, headers=HX)
    assert "天山区（区县级资金）" in r.text and 'aria-current="true"' in r.text
    r = client.get("/programs/XSG-2023/evaluation", params={"scope": "district:999999"}, headers=HX)
    assert r.status_code == 422 and r.headers["hx-retarget"] == "#flash" and "scope" in r.text

    # XSG-2024, in progress: provisional, rows waiting
    html = client.get("/programs/XSG-2024/evaluation").text
    assert 'data-figure="status">暂定<' in html and "待评分" in html


def test_the_evaluator_sees_the_demo_frozen_and_may_finalise_another_scope(client, session, user_for):
    username, password = user_for("evaluator")
    _sign_in(client, username, password, "/")
    html = client.get("/programs/XSG-2023/evaluation").text
    assert 'data-figure="status">已定稿<' in html
    assert 'class="assess-form' not in html and 'id="finalize-button"' not in html  # frozen: no forms

    html = client.get("/programs/XSG-2023/evaluation", params={"scope": "all"}).text
    assert 'data-figure="status">待定稿<' in html
    # both tranches per enterprise measured against both tranches: 20万 of 20万
    award = _row(html, "award_per_enterprise")
    assert "= 20 万元/家" in award and _figure(award, "completion") == "100.00%"
    button = re.search(r'<button[^>]*id="finalize-button".*?>', html, re.DOTALL).group(0)
    assert 'hx-post="/programs/XSG-2023/evaluation/finalize?scope=all"' in button and "hx-confirm=" in button
    assert "disabled" not in button and 'id="finalize-blocked"' not in html
    assert 'class="assess-form' not in html

    r = client.post("/programs/XSG-2023/evaluation/finalize", params={"scope": "all"},
                    headers={**HX, "X-CSRF-Token": _csrf(html)})
    assert r.status_code == 201, r.text
    snapshots = {s.scope: s for s in _snapshots(session, "XSG-2023")}
    assert set(snapshots) == {"city", "all"}
    assert f'data-figure="sha256">{snapshots["all"].sha256}<' in r.text and "市、区两级资金" in r.text


def test_who_may_open_the_page(client, session, user_for):
    code = _program(session)
    assert client.get(f"/programs/{code}/evaluation", follow_redirects=False).headers["location"] == (
        f"/login?next=%2Fprograms%2F{code}%2Fevaluation")
    assert client.get("/evaluation", follow_redirects=False).headers["location"].startswith("/login")

    username, password = user_for("district_system", "650102")
    _sign_in(client, username, password, "/")
    r = client.get(f"/programs/{code}/evaluation", headers={"Accept": "text/html"})
    assert r.status_code == 403 and "无权访问" in r.text and "当前角色无权查看绩效评价" in r.text
    client.post("/logout", headers={"X-CSRF-Token": _csrf(client.get("/").text)})

    # a district official reads the own district's fund only, whatever the address asks
    username, password = user_for("district_industry", "650102")
    _sign_in(client, username, password, "/")
    html = client.get(f"/programs/{code}/evaluation", params={"scope": "all"}).text
    assert 'data-figure="scope">天山区（区县级资金）<' in html
    assert 'class="chips eval-scopes"' not in html
    assert 'class="assess-form' not in html and 'id="finalize-button"' not in html
    r = client.get("/programs/NOPE-1/evaluation")
    assert r.status_code == 404 and "项目不存在" in r.text


# ---------------------------------------------------------------- scoring through the page


def test_an_evaluator_scores_through_the_htmx_forms(client, session, user_for):
    code = _program(session)
    username, password = user_for("evaluator")
    _sign_in(client, username, password, "/")
    html = client.get(f"/programs/{code}/evaluation").text
    assert 'data-figure="status">暂定<' in html
    form = html[html.index('id="assess-basis_sufficiency"'):html.index("</tr>", html.index('id="assess-basis_sufficiency"'))]
    assert f'hx-post="/programs/{code}/evaluation/indicators/basis_sufficiency"' in form
    assert "达成（3.2–4 分）" in form and "部分达成（2.4–3.2 分，不含 3.2）" in form and "未达成（0–2.4 分，不含 2.4）" in form
    assert 'step="0.01"' in form and 'max="4"' in form and "评价要点" in form and "项目立项是否符合" in form
    # the revenue row's 176 % asks for a deviation note; 定稿 is disabled with the reason
    assert 'id="deviation-awarded_enterprise_revenue"' in html and "定稿前须说明偏差原因" in html
    button = re.search(r'<button[^>]*id="finalize-button".*?>', html, re.DOTALL).group(0)
    assert "disabled" in button and "暂不能定稿：尚未评分的定性指标：立项依据充分性" in html
    # not computable rows say why
    assert "尚无到位资金，预算执行率无法计算。" in _row(html, "budget_execution_rate")
    csrf = _csrf(html)

    # a score inside 达成, below full marks, with its reason
    r = client.post(f"/programs/{code}/evaluation/indicators/basis_sufficiency",
                    data={"tier": "achieved", "score": "3.60", "justification": "立项依据充分，个别文件引用不够完整。"},
                    headers={**HX, "X-CSRF-Token": csrf})
    assert r.status_code == 200, r.text
    assert "<html" not in r.text
    assert "已保存“立项依据充分性”的评分：3.60 分（达成）。" in r.text
    row = _row(r.text, "basis_sufficiency")
    assert _figure(row, "score") == "3.60" and 'data-state="scored"' in row and "just-saved" in row
    saved = _assessments(session, code)["basis_sufficiency"]
    assert (saved.tier, saved.score, saved.justification, saved.assessed_by) == (
        "achieved", Decimal("3.60"), "立项依据充分，个别文件引用不够完整。", username)

    # outside its tier: a Chinese problem for #flash, nothing written
    r = client.post(f"/programs/{code}/evaluation/indicators/approval_procedure",
                    data={"tier": "partial", "score": "3.5", "justification": "程序基本规范"},
                    headers={**HX, "X-CSRF-Token": csrf})
    assert r.status_code == 422
    assert r.headers["hx-retarget"] == "#flash"
    assert "“部分达成”档的得分应在 [2.4, 3.2) 之间，收到 3.5。" in r.text
    assert "approval_procedure" not in _assessments(session, code)

    # below full marks without a reason; a score that is not a number: Chinese, nothing written
    r = client.post(f"/programs/{code}/evaluation/indicators/approval_procedure",
                    data={"tier": "achieved", "score": "3.5", "justification": ""}, headers={**HX, "X-CSRF-Token": csrf})
    assert r.status_code == 422 and "得分低于满分时必须填写评分理由" in r.text
    r = client.post(f"/programs/{code}/evaluation/indicators/approval_procedure",
                    data={"tier": "achieved", "score": "四分"}, headers={**HX, "X-CSRF-Token": csrf})
    assert r.status_code == 422 and r.headers["hx-retarget"] == "#flash" and "得分" in r.text
    # without the CSRF token
    r = client.post(f"/programs/{code}/evaluation/indicators/approval_procedure",
                    data={"tier": "achieved", "score": "4"}, headers=HX)
    assert r.status_code == 403 and "CSRF" in r.text
    assert "approval_procedure" not in _assessments(session, code)

    # the deviation note on the quantitative row
    r = client.post(f"/programs/{code}/evaluation/indicators/awarded_enterprise_revenue",
                    data={"deviation_note": "目标值对应国家规上标准 2000 万元，未设上限。"}, headers={**HX, "X-CSRF-Token": csrf})
    assert r.status_code == 200 and "已保存““小升规”企业年营业收入”的偏差原因。" in r.text
    assert "目标值对应国家规上标准 2000 万元" in r.text and "定稿前须说明偏差原因" not in r.text
    note = _assessments(session, code)["awarded_enterprise_revenue"].deviation_note
    assert note == "目标值对应国家规上标准 2000 万元，未设上限。"


def test_finalise_through_the_page(client, session, user_for, token_for):
    code = _program(session)
    username, password = user_for("evaluator")
    _sign_in(client, username, password, "/")
    csrf = _csrf(client.get(f"/programs/{code}/evaluation").text)

    # refused while rows are unscored and the note is missing: 409 for #flash, no snapshot
    r = client.post(f"/programs/{code}/evaluation/finalize", headers={**HX, "X-CSRF-Token": csrf})
    assert r.status_code == 409 and r.headers["hx-retarget"] == "#flash"
    assert "评价尚不能定稿" in r.text and "立项依据充分性" in r.text and "偏差原因" in r.text
    assert _snapshots(session, code) == []

    # the rest scored through the API (as a team would), then the page offers 定稿
    api = token_for("evaluator", name="evaluation-team")
    live = client.get(f"/api/v1/programs/{code}/evaluation", headers=api).json()
    for row in live["indicators"]:
        if row["kind"] == "qualitative":
            body = {"tier": "achieved", "score": row["weight"]}
        elif row["deviation_required"]:
            body = {"deviation_note": "目标设定偏保守。"}
        else:
            continue
        assert client.put(f"/api/v1/programs/{code}/evaluation/indicators/{row['key']}", json=body,
                          headers=api).status_code == 200
    html = client.get(f"/programs/{code}/evaluation").text
    assert 'data-figure="status">待定稿<' in html
    button = re.search(r'<button[^>]*id="finalize-button".*?>', html, re.DOTALL).group(0)
    assert "disabled" not in button

    # an auditor cannot finalise
    r = client.post(f"/programs/{code}/evaluation/finalize", headers={**HX, "X-CSRF-Token": csrf, "Authorization":
                    token_for("auditor")["Authorization"]})
    assert r.status_code == 403 and _snapshots(session, code) == []

    r = client.post(f"/programs/{code}/evaluation/finalize", headers={**HX, "X-CSRF-Token": csrf})
    assert r.status_code == 201, r.text
    [snapshot] = _snapshots(session, code)
    assert snapshot.scope == "city" and snapshot.finalized_by == username
    html = r.text
    assert "<html" not in html and f"已定稿：快照 #{snapshot.id}，sha256 {snapshot.sha256}" in html
    assert 'data-figure="status">已定稿<' in html and f'data-figure="sha256">{snapshot.sha256}<' in html
    assert f'href="/api/v1/evaluations/{snapshot.id}/report.docx"' in html
    assert 'class="assess-form' not in html and 'id="finalize-button"' not in html
    assert json.loads(snapshot.body)["total"] == float(_text(re.search(r'data-figure="total">([^<]+)<', html).group(1)))

    # once only; and the scores are frozen
    r = client.post(f"/programs/{code}/evaluation/finalize", headers={**HX, "X-CSRF-Token": csrf})
    assert r.status_code == 409 and "不能重复定稿" in r.text
    r = client.post(f"/programs/{code}/evaluation/indicators/basis_sufficiency",
                    data={"tier": "partial", "score": "3", "justification": "改分"}, headers={**HX, "X-CSRF-Token": csrf})
    assert r.status_code == 409 and "已定稿" in r.text
    assert len(_snapshots(session, code)) == 1 and _assessments(session, code)["basis_sufficiency"].tier == "achieved"
