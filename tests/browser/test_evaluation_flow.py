"""The evaluation page in a real headless Chromium: an evaluator opens a programme still in
progress, sees it 暂定 with 定稿 disabled and the charts drawn, scores a qualitative row through
the page (a score outside its tier is refused in Chinese first), explains the revenue row's
deviation, has the rest scored through the API, finalises with the button, sees 已定稿 with
the snapshot's sha256, and downloads the .docx report. No CSP violation on the way (ECharts
draws on canvas under script-src 'self'; style-src 'self'). Screenshots in tests/artifacts/."""

import uuid
from datetime import date

import httpx
import pytest
from sqlmodel import select

from app.applications.models import Application
from app.enterprises.models import Enterprise
from app.evaluation.models import EvaluationSnapshot, IndicatorAssessment
from app.programs.models import Program
from app.users.service import create_token, create_user
from tests.browser.conftest import ARTIFACTS, csp_problems, expect, sign_in
from tests.factories import award_applications, make_program

pytestmark = [pytest.mark.browser, pytest.mark.live]

PASSWORD = "Evaluate-2025!"
ANSWERS = {"policy_awareness": 5, "application_ease": 4, "review_transparency": 5, "payment_timeliness": 4,
           "service_quality": 5}


@pytest.fixture(scope="module")
def world(live_server) -> dict:
    """A programme with four awarded enterprises (two paid on 2024-08-08, two on 2024-08-20),
    the city's budget appropriated and arrived, three paper questionnaires: every
    quantitative row computes; the qualitative rows wait for the evaluator."""
    tag = uuid.uuid4().hex[:6].upper()
    code = f"EVB-{tag}"
    username = f"evaluator-{tag.lower()}"
    with live_server.session() as s:
        make_program(s, code, target=4, indicators=True)
        create_user(s, username=username, role="evaluator", password=PASSWORD, display_name="赵评价")
        tokens = {role: create_token(s, name=f"{role}-{tag}", role=role)[1]
                  for role in ("evaluator", "finance", "city_industry")}
        s.commit()
        ids = award_applications(s, code, ["650102", "650103"], revenue="35200000.00")
        ids += award_applications(s, code, ["650104"], revenue="268000000.00", paid_on=date(2024, 8, 20))
        ids += award_applications(s, code, ["650109"], revenue="52600000.00", paid_on=date(2024, 8, 20))
        usccs = s.exec(select(Enterprise.uscc).join(Application, Application.enterprise_id == Enterprise.id)
                       .where(Application.id.in_(ids))).all()
    heads = {role: {"Authorization": f"Bearer {raw}"} for role, raw in tokens.items()}
    r = httpx.post(f"{live_server.url}/api/v1/programs/{code}/appropriations", headers=heads["finance"], json={
        "level": "city", "amount": "4100000.00", "document_no": f"乌财建〔2024〕{tag}号", "approved_on": "2024-07-01",
        "arrived_amount": "4100000.00", "arrived_on": "2024-07-05"})
    assert r.status_code == 201, r.text
    for n, uscc in enumerate(usccs[:3]):
        r = httpx.post(f"{live_server.url}/api/v1/programs/{code}/survey-responses", headers=heads["city_industry"], json={
            "uscc": uscc, "overall": "satisfied" if n else "very_satisfied", "answers": ANSWERS, "comment": "",
            "collected_on": "2024-09-20"})
        assert r.status_code == 201, r.text
    return {"code": code, "username": username, "heads": heads}


def shot(pg, backend: str, name: str):
    """tests/browser/conftest.py's shot(), but leaving the caret alone: Playwright hides it by
    writing a style attribute on every input and textarea, which htmx's settle step then
    copies (setAttribute) onto the swapped-in form fields of the same id — a CSP violation
    of the test's own making."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{backend}-{name}.png"
    pg.screenshot(path=str(path), full_page=True, caret="initial")
    return path


def _program_id(s, code: str) -> int:
    return s.exec(select(Program.id).where(Program.code == code)).one()


def test_an_evaluator_scores_finalises_and_downloads_the_report(live_server, backend, world, page):
    pg, code = page, world["code"]
    sign_in(pg, live_server, world["username"], PASSWORD)
    expect(pg.get_by_role("navigation", name="主导航").get_by_role("link", name="绩效评价")).to_have_attribute(
        "href", "/evaluation")
    pg.goto(live_server.url + f"/programs/{code}/evaluation")
    expect(pg.get_by_role("heading", level=1)).to_have_text(f"绩效评价 · {code}")
    expect(pg.locator('[data-figure="status"]')).to_have_text("暂定")
    expect(pg.locator("#finalize-button")).to_be_disabled()
    expect(pg.locator("#finalize-blocked")).to_contain_text("尚未评分的定性指标：立项依据充分性")
    # every chart drawn, on canvas
    for name in ("levels", "revenue", "payments"):
        expect(pg.locator(f'[data-chart="{name}"] canvas')).to_have_count(1)
    expect(pg.locator('#row-awarded_enterprise_count [data-figure="score"]')).to_have_text("10.00")
    expect(pg.locator('#row-beneficiary_satisfaction [data-figure="actual"]')).to_have_text("100.00%")
    shot(pg, backend, "evaluation-01-provisional")

    # a score outside its tier: the Chinese reason in #flash, nothing saved
    form = pg.locator("#assess-basis_sufficiency")
    form.get_by_label("评价档次").select_option("partial")
    form.get_by_label("得分（满分 4）").fill("3.5")
    form.get_by_label("评分理由").fill("立项依据基本充分，部分政策文件未列明。")
    form.get_by_role("button", name="保存评分").click()
    expect(pg.locator("#flash")).to_contain_text("“部分达成”档的得分应在 [2.4, 3.2) 之间，收到 3.5")
    expect(pg.locator('#row-basis_sufficiency [data-figure="score"]')).to_have_text("待评分")
    shot(pg, backend, "evaluation-02-out-of-tier")

    form.get_by_label("得分（满分 4）").fill("3.00")
    form.get_by_role("button", name="保存评分").click()
    expect(pg.locator("#flash")).to_contain_text("已保存“立项依据充分性”的评分：3.00 分（部分达成）")
    row = pg.locator("#row-basis_sufficiency")
    expect(row.locator('[data-figure="score"]')).to_have_text("3.00")
    expect(row).to_have_attribute("data-state", "scored")
    expect(row.locator(".tier")).to_have_text("部分达成")
    expect(pg.locator('[data-chart="levels"] canvas')).to_have_count(1)  # redrawn after the swap
    with live_server.session() as s:
        saved = s.exec(select(IndicatorAssessment).where(
            IndicatorAssessment.program_id == _program_id(s, code), IndicatorAssessment.key == "basis_sufficiency")).one()
        assert (saved.tier, str(saved.score), saved.assessed_by) == ("partial", "3.00", world["username"])

    # the revenue row's completion is far over 130 %: its deviation note, through the page
    deviation = pg.locator("#deviation-awarded_enterprise_revenue")
    deviation.get_by_role("textbox", name="偏差原因").fill("绩效目标对应国家规上标准 2000 万元/家且未设上限；一家企业营业收入较高，拉高了平均值。")
    deviation.get_by_role("button", name="保存偏差原因").click()
    expect(pg.locator("#flash")).to_contain_text("偏差原因")
    expect(pg.locator("#row-awarded_enterprise_revenue .deviation-note")).to_contain_text("拉高了平均值")
    shot(pg, backend, "evaluation-03-scored-row")

    # the evaluation team's other rows, through the API; then the page offers 定稿
    heads = world["heads"]["evaluator"]
    live = httpx.get(f"{live_server.url}/api/v1/programs/{code}/evaluation", headers=heads).json()
    for r in live["indicators"]:
        if r["kind"] == "qualitative" and r["state"] == "unscored":
            answer = httpx.put(f"{live_server.url}/api/v1/programs/{code}/evaluation/indicators/{r['key']}", headers=heads,
                               json={"tier": "achieved", "score": r["weight"], "justification": "材料齐全，符合要求。"})
            assert answer.status_code == 200, answer.text
    pg.reload()
    expect(pg.locator('[data-figure="status"]')).to_have_text("待定稿")
    expect(pg.locator("#finalize-button")).to_be_enabled()

    pg.once("dialog", lambda dialog: dialog.accept())
    pg.locator("#finalize-button").click()
    expect(pg.locator('[data-figure="status"]')).to_have_text("已定稿")
    with live_server.session() as s:
        snapshot = s.exec(select(EvaluationSnapshot).where(EvaluationSnapshot.program_id == _program_id(s, code))).one()
    expect(pg.locator('[data-figure="sha256"]')).to_have_text(snapshot.sha256)
    expect(pg.locator("#flash")).to_contain_text(f"已定稿：快照 #{snapshot.id}")
    expect(pg.locator("form.assess-form")).to_have_count(0)
    expect(pg.locator("#finalize-button")).to_have_count(0)
    for name in ("levels", "revenue", "payments"):
        expect(pg.locator(f'[data-chart="{name}"] canvas')).to_have_count(1)
    # a tooltip (drawn on canvas, not as HTML with style attributes)
    box = pg.locator('[data-chart="levels"]').bounding_box()
    pg.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.6)
    pg.wait_for_timeout(300)
    shot(pg, backend, "evaluation-04-finalised")
    print("CSP", [p for p in csp_problems(pg) if not p.startswith("error:")])
    assert csp_problems(pg) == []

    # the snapshot as JSON and the editable report
    expect(pg.locator('#snapshot a[data-figure="snapshot"]')).to_have_attribute("href", f"/api/v1/evaluations/{snapshot.id}")
    link = pg.locator("#report-docx")
    expect(link).to_have_attribute("href", f"/api/v1/evaluations/{snapshot.id}/report.docx")
    with pg.expect_download() as download_info:
        link.click()
    download = download_info.value
    assert download.failure() is None
    assert download.suggested_filename.endswith(".docx")
    assert download.path().read_bytes()[:2] == b"PK"  # a .docx is a zip
    assert csp_problems(pg) == []
