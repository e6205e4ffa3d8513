"""The questionnaire's own pages without a browser: the form, a missing answer shown beside
the form with what was already chosen kept, post/redirect/get to the thanks page, and clear
pages for a used, replaced or unknown link. And the officials' survey page."""

import re

from sqlmodel import select

from app.surveys.models import SurveyResponse
from tests.browser.test_fragments import HX, _sign_in

FORM = {"overall": "satisfied", "answers.policy_awareness": "5", "answers.application_ease": "4",
        "answers.review_transparency": "5", "answers.payment_timeliness": "3", "answers.service_quality": "5",
        "comment": "希望简化申报材料"}


def _links(client, program, heads) -> list[dict]:
    r = client.post(f"/api/v1/programs/{program}/surveys", headers=heads["c_ind"])
    assert r.status_code == 201, r.text
    return r.json()


def test_the_enterprise_fills_the_form_once(client, session, program, heads, awarded):
    awarded("650102")
    [link] = _links(client, program, heads)
    page = client.get(f"/survey/{link['token']}")
    assert page.status_code == 200
    assert "满意度调查问卷" in page.text and link["name"] in page.text and f"{program} 测试项目" in page.text
    assert 'name="answers.payment_timeliness"' in page.text and "非常及时" in page.text

    # one question left out: 422, the form again with a Chinese message and the choices kept
    partial = {k: v for k, v in FORM.items() if k != "answers.service_quality"}
    r = client.post(f"/survey/{link['token']}", data=partial)
    assert r.status_code == 422
    assert "还有题目没有作答" in r.text and "服务质量" in r.text
    assert re.search(r'value="satisfied" required\s+checked', r.text)  # the choice made is kept
    assert "希望简化申报材料" in r.text
    assert session.exec(select(SurveyResponse)).all() == []

    r = client.post(f"/survey/{link['token']}", data=FORM, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/survey/{link['token']}?done=1"
    thanks = client.get(r.headers["location"])
    assert thanks.status_code == 200 and "提交成功" in thanks.text
    session.expire_all()
    [saved] = session.exec(select(SurveyResponse)).all()
    assert saved.overall == "satisfied" and saved.channel == "online" and saved.comment == "希望简化申报材料"
    assert saved.answers == {"policy_awareness": 5, "application_ease": 4, "review_transparency": 5,
                             "payment_timeliness": 3, "service_quality": 5}

    used = client.get(f"/survey/{link['token']}")
    assert used.status_code == 410 and "已经提交过" in used.text and "<form" not in used.text
    again = client.post(f"/survey/{link['token']}", data=FORM)
    assert again.status_code == 410 and "已经提交过" in again.text
    assert len(session.exec(select(SurveyResponse)).all()) == 1


def test_unknown_and_replaced_links_have_their_own_pages(client, session, program, heads, awarded):
    awarded("650102")
    [old] = _links(client, program, heads)
    [new] = _links(client, program, heads)
    replaced = client.get(f"/survey/{old['token']}")
    assert replaced.status_code == 410 and "已作废" in replaced.text and "<form" not in replaced.text
    unknown = client.get("/survey/not-a-real-token")
    assert unknown.status_code == 404 and "问卷链接无效" in unknown.text
    assert client.get(f"/survey/{new['token']}").status_code == 200


def test_the_officials_page_shows_the_rates_and_records_paper_through_htmx(client, session, program, heads, awarded,
                                                                           user_for):
    awarded("650102", "650103")
    links = _links(client, program, heads)
    assert client.post(f"/survey/{links[0]['token']}", data=FORM, follow_redirects=False).status_code == 303
    username, password = user_for("city_industry")
    assert _sign_in(client, username, password).status_code == 303
    page = client.get(f"/programs/{program}/surveys")
    assert page.status_code == 200
    html = page.text
    assert "满意度调查 · " + program in html
    assert 'data-figure="awarded">2<' in html and 'data-figure="response_rate">50.00' in html
    assert 'data-figure="satisfaction_rate">100.00' in html
    assert "录入纸质问卷" in html and "生成问卷链接（1 家）" in html

    csrf = client.cookies.get("scaleup_csrf") or _csrf(html)
    r = client.post(f"/api/v1/programs/{program}/survey-responses", headers={**HX, "X-CSRF-Token": csrf},
                    data={"uscc": links[1]["uscc"], "overall": "neutral", "collected_on": "2024-09-12",
                          "answers.service_quality": "3", "answers.policy_awareness": ""})
    assert r.status_code == 201, r.text
    assert "<html" not in r.text and "已录入" in r.text
    assert 'data-figure="satisfaction_rate">50.00' in r.text and 'data-figure="response_rate">100.00' in r.text
    session.expire_all()
    paper = session.exec(select(SurveyResponse).where(SurveyResponse.channel == "paper")).one()
    assert paper.answers == {"service_quality": 3} and paper.entered_by == username


def _csrf(html: str) -> str:
    marker = '"X-CSRF-Token": "'
    start = html.index(marker) + len(marker)
    return html[start:html.index('"', start)]
