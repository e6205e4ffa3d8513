"""The evaluation report (绩效评价报告) as officials get it: the .docx they download and edit,
and the page they read and print. The demo is the seed's programme, finalised (100.00, 优),
so its snapshot's report must say what the seed's does, in the seed's order."""

import io
import re
from urllib.parse import unquote

import docx
import pytest
from docx.oxml.ns import qn

from app.evaluation import service
from app.evaluation.report import SECTION_HEADINGS
from app.evaluation.seed_judgement import DEVIATION_NOTES
from tests.factories import award_applications, make_program

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PROBLEM = "application/problem+json"
SCORE_HEADER = ["一级指标", "二级指标", "三级指标", "权重", "指标值", "实际完成值", "得分"]
APPENDIX = "附表：绩效评价指标及得分表"


@pytest.fixture
def engine(demo_engine):
    """These tests read the demo: its database, loaded once per backend (tests/conftest.py)."""
    return demo_engine


@pytest.fixture
def demo(session) -> dict:
    latest = service.list_snapshots(session, "XSG-2023")[0]
    names = [r["name"] for r in service.live(session, "XSG-2023", "city")["indicators"]]
    return {"snapshot": latest, "names": names}


def _sign_in(client, user_for, role: str, district: str | None = None) -> None:
    username, password = user_for(role, district)
    r = client.post("/login", data={"username": username, "password": password, "next": "/"}, follow_redirects=False)
    assert r.status_code == 303


def _filename(disposition: str) -> str:
    return unquote(disposition.split("filename*=UTF-8''", 1)[1])


def _open(r) -> docx.document.Document:  # noqa: ANN001
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == DOCX
    return docx.Document(io.BytesIO(r.content))


def _text(document) -> str:  # noqa: ANN001
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        parts += [cell.text for row in table.rows for cell in row.cells]
    return "\n".join(parts)


def _score_table(document):  # noqa: ANN001, ANN202
    return next(t for t in document.tables if [c.text for c in t.rows[0].cells] == SCORE_HEADER)


def _visible(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# ---------------------------------------------------------------- the .docx


def test_snapshot_report_docx_is_the_final_report_in_the_seed_order(client, session, token_for, demo):
    snapshot = demo["snapshot"]
    r = client.get(f"/api/v1/evaluations/{snapshot['id']}/report.docx", headers=token_for("city_industry"))
    document = _open(r)
    disposition = r.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    assert 'filename="XSG-2023-evaluation-report.docx"' in disposition
    assert _filename(disposition) == "XSG-2023绩效评价报告.docx"

    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert headings == [*SECTION_HEADINGS, APPENDIX]
    assert document.paragraphs[0].text == "2023年度“小升规”专项奖补资金项目支出绩效评价报告"
    subheads = [p.text for p in document.paragraphs if p.style.name == "Heading 2"]
    assert subheads[:2] == ["（一）项目概况", "（二）项目绩效目标"]
    assert [h for h in subheads if h.endswith("情况") and h.startswith("（")][-5:] == [
        "（一）项目决策情况", "（二）项目过程情况", "（三）项目产出情况", "（四）项目效益情况", "（五）满意度指标完成情况"]

    # the appendix: every indicator row, merged 一级 cells, the total and the grade
    table = _score_table(document)
    assert len(table.rows) == 1 + 18 + 1
    assert [row.cells[2].text for row in table.rows[1:19]] == demo["names"]
    revenue = next(row for row in table.rows if row.cells[2].text == "“小升规”企业年营业收入")
    assert [c.text for c in revenue.cells[3:]] == ["10", "≥2000万元/家", "57111.00万元/家", "10.00"]
    assert table.rows[2].cells[0].text == "决策"  # merged down from the first row
    last = [c.text for c in table.rows[-1].cells]
    assert last[0] == "合计" and last[-1] == "100.00" and "评价等级：优" in last

    text = _text(document)
    assert "总分为 100.00 分，绩效评级为“优”" in text
    assert "评价指标“‘小升规’企业年营业收入”，指标值：≥2000万元/家，实际完成值：57111.00万元/家，实际完成率：2855.55%" in text
    assert DEVIATION_NOTES["awarded_enterprise_revenue"] in text
    assert "综上，该指标满分 8 分，得分 8 分。" in text
    assert snapshot["sha256"] in text and f"编号 {snapshot['id']}" in text
    assert "征求意见稿" not in text and "草稿" not in text
    # problems from the analysis: two firms' revenue share, enterprises that left the roster
    problems = text.split(SECTION_HEADINGS[4], 1)[1].split(SECTION_HEADINGS[5], 1)[0]
    assert "87.00%" in problems and "已不在规上名录" in problems
    suggestions = text.split(SECTION_HEADINGS[5], 1)[1]
    assert "对绩效目标设置的建议：" in suggestions and "对企业跟踪服务的建议：" in suggestions


def test_docx_is_a4_with_chinese_fonts_and_page_numbers(client, token_for, demo):
    r = client.get(f"/api/v1/evaluations/{demo['snapshot']['id']}/report.docx", headers=token_for("auditor"))
    document = _open(r)
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)  # A4
    body = document.styles["Body Text"].element.rPr.find(qn("w:rFonts"))
    assert body.get(qn("w:eastAsia")) == "仿宋_GB2312" and body.get(qn("w:ascii")) == "仿宋_GB2312"
    heading = document.styles["Heading 1"].element.rPr.find(qn("w:rFonts"))
    assert heading.get(qn("w:eastAsia")) == "黑体" and heading.get(qn("w:eastAsiaTheme")) is None
    run = next(p for p in document.paragraphs if p.style.name == "Body Text").runs[-1]
    assert run._r.rPr.find(qn("w:rFonts")).get(qn("w:eastAsia")) == "仿宋_GB2312"  # noqa: SLF001
    assert "PAGE" in "".join(t.text for t in section.footer._element.iter(qn("w:instrText")))  # noqa: SLF001


def test_live_report_docx_is_the_draft(client, token_for, demo):
    r = client.get("/api/v1/programs/XSG-2023/evaluation/report.docx", headers=token_for("evaluator"))
    document = _open(r)
    assert _filename(r.headers["content-disposition"]) == "XSG-2023绩效评价报告（征求意见稿）.docx"
    text = _text(document)
    assert "（征求意见稿）" in text and "征求意见稿" in document.sections[0].header.paragraphs[0].text
    assert demo["snapshot"]["sha256"] not in text
    assert [p.text for p in document.paragraphs if p.style.name == "Heading 1"] == [*SECTION_HEADINGS, APPENDIX]


def test_a_district_official_gets_the_district_fund_report_only(client, token_for, demo):
    official = token_for("district_industry", "650102")
    r = client.get("/api/v1/programs/XSG-2023/evaluation/report.docx", headers=official)
    document = _open(r)
    assert _filename(r.headers["content-disposition"]) == "XSG-2023绩效评价报告（天山区区县级资金）（征求意见稿）.docx"
    assert "评价范围：天山区区县级资金" in _text(document)
    r = client.get(f"/api/v1/evaluations/{demo['snapshot']['id']}/report.docx", headers=official)
    assert r.status_code == 403 and r.headers["content-type"] == PROBLEM


def test_report_docx_roles_and_unknown_snapshot(client, token_for, demo):
    url = f"/api/v1/evaluations/{demo['snapshot']['id']}/report.docx"
    assert client.get(url, headers=token_for("auditor")).status_code == 200
    r = client.get(url, headers=token_for("district_system", "650102"))
    assert r.status_code == 403 and r.headers["content-type"] == PROBLEM
    r = client.get(url)
    assert r.status_code == 401 and r.headers["content-type"] == PROBLEM
    r = client.get("/api/v1/evaluations/999999/report.docx", headers=token_for("auditor"))
    assert r.status_code == 404 and r.headers["content-type"] == PROBLEM
    assert r.json()["detail"] == "未找到该绩效评价快照。"
    r = client.get("/api/v1/programs/NOPE-1/evaluation/report.docx", headers=token_for("auditor"))
    assert r.status_code == 404 and r.headers["content-type"] == PROBLEM


def test_report_of_other_data_is_drawn_from_that_data(client, session, token_for):
    """Nothing of the seed's programme leaks into another programme's report: a fresh
    programme with two paid enterprises and nothing scored is a 草稿 with its own figures."""
    make_program(session, "RPT-1", target=2, indicators=True)
    session.commit()
    award_applications(session, "RPT-1", ["650102", "650103"])
    r = client.get("/api/v1/programs/RPT-1/evaluation/report.docx", headers=token_for("auditor"))
    document = _open(r)
    text = _text(document)
    assert document.paragraphs[0].text == "RPT-1 测试项目支出绩效评价报告"
    assert "（草稿）" in text and _filename(r.headers["content-disposition"]) == "RPT-1绩效评价报告（草稿）.docx"
    assert "向 2 家企业支付市本级专项奖补资金共计 20 万元" in text
    assert "定性指标尚未全部评分" in text and "待评分" in [c.text for c in _score_table(document).rows[1].cells]
    for seed_fact in ("乌财建", "57111", "2855.55", "XSG-2023", "新疆天润"):
        assert seed_fact not in text, seed_fact


# ---------------------------------------------------------------- the page


def test_report_page_shows_the_snapshot_report(client, user_for, demo):
    _sign_in(client, user_for, "city_stats")
    r = client.get("/programs/XSG-2023/evaluation/report")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    html = r.text
    text = _visible(html)
    positions = [text.index(h) for h in SECTION_HEADINGS]
    assert positions == sorted(positions)
    assert "2023年度“小升规”专项奖补资金项目支出绩效评价报告" in text
    assert demo["snapshot"]["sha256"] in text
    assert "100.00 分" in text and "绩效评级为“优”" in text
    assert DEVIATION_NOTES["awarded_enterprise_revenue"] in text
    assert f'href="/api/v1/evaluations/{demo["snapshot"]["id"]}/report.docx"' in html
    assert "征求意见稿" not in text and "草稿" not in text
    appendix = html.split('id="sec-appendix"', 1)[1]
    assert appendix.count("<tr") == 1 + 18 + 1 and 'rowspan="6"' in appendix  # 决策's six rows merged
    assert 'src="/static/js/print.js"' in html and "data-print" in html
    assert " style=" not in html and not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)


def test_report_page_live_draft_and_provisional(client, user_for, demo):
    _sign_in(client, user_for, "evaluator")
    text = _visible(client.get("/programs/XSG-2023/evaluation/report?live=1").text)
    assert "征求意见稿" in text and "（未定稿）" in text and demo["snapshot"]["sha256"] not in text
    r = client.get("/programs/XSG-2024/evaluation/report")  # nothing finalised yet: the live draft
    assert r.status_code == 200
    text = _visible(r.text)
    assert "草稿" in text and "尚有 9 项定性指标待评价小组评分" in text


def test_report_page_access(client, anon, user_for, demo):
    r = anon.get("/programs/XSG-2023/evaluation/report", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")
    _sign_in(client, user_for, "auditor")
    assert client.get("/programs/XSG-2023/evaluation/report").status_code == 200
    r = client.get("/programs/XSG-2023/evaluation/report?snapshot=999999")
    assert r.status_code == 404 and "没有编号为 999999 的绩效评价快照" in r.text
    client.cookies.clear()
    _sign_in(client, user_for, "district_industry", "650102")
    r = client.get("/programs/XSG-2023/evaluation/report")
    assert r.status_code == 200 and "天山区区县级资金" in _visible(r.text) and "征求意见稿" in r.text
    assert client.get(f"/programs/XSG-2023/evaluation/report?snapshot={demo['snapshot']['id']}").status_code == 404


def test_report_page_refuses_a_district_system(client, token_for, demo):
    r = client.get("/programs/XSG-2023/evaluation/report", headers=token_for("district_system", "650102"))
    assert r.status_code == 403 and "无权查看绩效评价报告" in r.text
