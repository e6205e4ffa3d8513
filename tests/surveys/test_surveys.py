"""满意度调查: links only for awarded enterprises, unguessable and single-use, paper
questionnaires only for awarded enterprises, and a summary whose figures are exact."""

import base64
import hashlib
from datetime import date

from sqlmodel import col, select

from app.applications.models import Application
from app.audit.models import AuditEvent
from app.enterprises.models import Enterprise
from app.funds.models import Payment
from app.surveys.models import SurveyInvitation, SurveyResponse
from tests.factories import approve_applications, new_uscc

PROBLEM = "application/problem+json"
ALL_FIVES = {"policy_awareness": 5, "application_ease": 5, "review_transparency": 5, "payment_timeliness": 5,
             "service_quality": 5}


def _uscc(session, application_id: int) -> str:
    application = session.get(Application, application_id)
    return session.get(Enterprise, application.enterprise_id).uscc


def _invite(client, program, heads) -> dict[str, dict]:
    r = client.post(f"/api/v1/programs/{program}/surveys", headers=heads["c_ind"])
    assert r.status_code == 201, r.text
    return {i["uscc"]: i for i in r.json()}


def _responses(session) -> list[SurveyResponse]:
    session.expire_all()
    return list(session.exec(select(SurveyResponse).order_by(col(SurveyResponse.id))).all())


def _answer(client, token: str, overall: str = "very_satisfied", answers: dict | None = None, comment: str = ""):
    return client.post("/api/v1/survey-responses",
                       json={"token": token, "overall": overall, "answers": ALL_FIVES if answers is None else answers,
                             "comment": comment})


def _paper(client, program, heads, uscc: str, overall: str, collected_on: str = "2024-09-10", answers=None, **extra):
    body = {"uscc": uscc, "overall": overall, "answers": answers or {}, "comment": "", "collected_on": collected_on, **extra}
    return client.post(f"/api/v1/programs/{program}/survey-responses", json=body, headers=heads["c_ind"])


# ---------------------------------------------------------------- invitations and tokens


def test_links_go_to_awarded_enterprises_only_and_only_their_hash_is_stored(client, session, program, heads, awarded):
    paid = awarded("650102", "650103", "650104")
    [unpaid] = approve_applications(session, program, ["650105"])
    links = _invite(client, program, heads)
    assert set(links) == {_uscc(session, a) for a in paid}
    assert _uscc(session, unpaid) not in links
    for uscc, link in links.items():
        token = link["token"]
        assert link["url"] == f"http://testserver/survey/{token}"
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        assert len(raw) * 8 >= 128  # unguessable: at least 128 bits from the CSPRNG
    stored = session.exec(select(SurveyInvitation)).all()
    assert len(stored) == 3
    hashes = {i.token_hash for i in stored}
    assert hashes == {hashlib.sha256(link["token"].encode()).hexdigest() for link in links.values()}
    assert not any(link["token"] in h for link in links.values() for h in hashes)
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "survey.invite")).one()
    assert event.after == {"invited": 3, "already_answered": 0} and event.actor == "city-ind"


def test_many_tokens_are_all_different(client, session, program, heads, awarded):
    awarded(*(["650102"] * 12))
    tokens = set()
    for _ in range(5):  # each round revokes the previous links and issues new ones
        tokens |= {link["token"] for link in _invite(client, program, heads).values()}
    assert len(tokens) == 60


def test_a_link_answers_once_and_inviting_again_skips_those_who_answered(client, session, program, heads, awarded):
    first, second = (_uscc(session, a) for a in awarded("650102", "650103"))
    links = _invite(client, program, heads)
    r = _answer(client, links[first]["token"], "satisfied", comment="希望加强政策宣传")
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["uscc"] == first and body["overall"] == "satisfied" and body["overall_name"] == "满意"
    assert body["channel"] == "online" and body["answers"] == ALL_FIVES and body["comment"] == "希望加强政策宣传"

    again = _answer(client, links[first]["token"], "very_dissatisfied")
    assert again.status_code == 409 and again.headers["content-type"].startswith(PROBLEM)
    assert "只能提交一次" in again.json()["detail"]
    assert [r.overall for r in _responses(session)] == ["satisfied"]

    # a second round: only the enterprise that has not answered gets a link; its old link is void
    relinks = _invite(client, program, heads)
    assert set(relinks) == {second}
    old = _answer(client, links[second]["token"])
    assert old.status_code == 409 and "作废" in old.json()["detail"]
    assert _answer(client, relinks[second]["token"]).status_code == 201
    assert len(_responses(session)) == 2
    assert _invite(client, program, heads) == {}  # everyone answered: nothing to issue


def test_unknown_token_is_404_and_changes_nothing(client, session, program, heads, awarded):
    awarded("650102")
    _invite(client, program, heads)
    r = _answer(client, "x" * 32)
    assert r.status_code == 404 and r.headers["content-type"].startswith(PROBLEM)
    assert "问卷链接无效" in r.json()["detail"]
    assert _responses(session) == []


def test_a_link_is_refused_once_the_money_came_back(client, session, program, heads, awarded, token_for):
    [app_id] = awarded("650102")
    links = _invite(client, program, heads)
    payment = session.exec(select(Payment).where(Payment.application_id == app_id)).one()
    r = client.post(f"/api/v1/payments/{payment.id}/return", json={"returned_on": "2024-09-01", "reason": "企业注销，资金退回"},
                    headers=token_for("finance", name="fin"))
    assert r.status_code == 200, r.text
    [link] = links.values()
    refused = _answer(client, link["token"])
    assert refused.status_code == 409 and "未获本项目奖补" in refused.json()["detail"]
    assert _responses(session) == []
    session.expire_all()
    assert session.exec(select(SurveyInvitation)).one().used_at is None  # the link was not consumed


def test_invite_needs_awarded_enterprises_and_the_city_industry_role(client, session, program, heads):
    approve_applications(session, program, ["650102"])  # approved, never paid
    r = client.post(f"/api/v1/programs/{program}/surveys", headers=heads["c_ind"])
    assert r.status_code == 409 and "尚无获奖补企业" in r.json()["detail"]
    for role in ("c_stats", "finance", "d_ind", "auditor", "ts"):
        r = client.post(f"/api/v1/programs/{program}/surveys", headers=heads[role])
        assert r.status_code == 403, (role, r.text)
    assert client.post(f"/api/v1/programs/{program}/surveys").status_code == 401
    assert client.post("/api/v1/programs/NOPE/surveys", headers=heads["c_ind"]).status_code == 404
    assert session.exec(select(SurveyInvitation)).all() == []


# ---------------------------------------------------------------- paper questionnaires


def test_paper_questionnaire_for_an_awarded_enterprise_revokes_its_link(client, session, program, heads, awarded):
    uscc = _uscc(session, awarded("650102")[0])
    links = _invite(client, program, heads)
    r = _paper(client, program, heads, uscc, "very_satisfied", answers={"service_quality": 4})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["channel"] == "paper" and body["entered_by"] == "city-ind" and body["collected_on"] == "2024-09-10"
    assert body["answers"] == {"service_quality": 4}
    assert _answer(client, links[uscc]["token"]).status_code == 409  # answered on paper: the link is void
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "survey.paper")).one().actor == "city-ind"


def test_paper_questionnaire_for_a_non_awarded_enterprise_is_refused(client, session, program, heads, awarded):
    awarded("650102")
    [unpaid] = approve_applications(session, program, ["650103"])
    r = _paper(client, program, heads, _uscc(session, unpaid), "very_satisfied")
    assert r.status_code == 409 and r.headers["content-type"].startswith(PROBLEM)
    assert "未获本项目奖补" in r.json()["detail"]
    unknown = _paper(client, program, heads, new_uscc("650102"), "satisfied")
    assert unknown.status_code == 404 and "未找到" in unknown.json()["detail"]
    assert _responses(session) == []


def test_paper_questionnaire_validation_is_in_chinese_and_writes_nothing(client, session, program, heads, awarded):
    uscc = _uscc(session, awarded("650102")[0])
    cases = [
        {"overall": "great"},
        {"overall": "satisfied", "answers": {"policy_awareness": 6}},
        {"overall": "satisfied", "answers": {"favourite_colour": 3}},
        {"overall": "satisfied", "collected_on": "2999-01-01"},
        {"overall": "satisfied", "uscc": "123"},
    ]
    for case in cases:
        body = {"uscc": uscc, "answers": {}, "comment": "", "collected_on": "2024-09-10", **case}
        r = client.post(f"/api/v1/programs/{program}/survey-responses", json=body, headers=heads["c_ind"])
        assert r.status_code == 422, (case, r.text)
        assert r.headers["content-type"].startswith(PROBLEM)
        assert any("\u4e00" <= ch <= "\u9fff" for ch in r.json()["detail"]), r.json()
    assert _responses(session) == []
    assert client.post(f"/api/v1/programs/{program}/survey-responses", headers=heads["finance"],
                       json={"uscc": uscc, "overall": "satisfied", "collected_on": "2024-09-10"}).status_code == 403


# ---------------------------------------------------------------- summary


def _add(session, program_code: str, uscc: str, overall: str, collected_on: date, channel: str = "paper", **answers):
    from app.programs.models import Program

    program = session.exec(select(Program).where(Program.code == program_code)).one()
    enterprise = session.exec(select(Enterprise).where(Enterprise.uscc == uscc)).one()
    session.add(SurveyResponse(program_id=program.id, enterprise_id=enterprise.id, overall=overall, answers=answers,
                               channel=channel, collected_on=collected_on, entered_by="seed"))
    session.flush()


def test_summary_figures_are_exact_on_a_constructed_set(client, session, program, heads, awarded):
    a, b, c, d, e, f = (_uscc(session, x) for x in awarded("650102", "650102", "650102", "650103", "650103", "650104"))
    [outsider] = approve_applications(session, program, ["650104"])
    _add(session, program, a, "very_satisfied", date(2024, 9, 1), "online", policy_awareness=5, payment_timeliness=4)
    _add(session, program, b, "satisfied", date(2024, 9, 2), policy_awareness=4, payment_timeliness=4)
    _add(session, program, c, "neutral", date(2024, 9, 1), policy_awareness=2)
    _add(session, program, c, "satisfied", date(2024, 9, 5), "online", policy_awareness=3)  # c's latest
    _add(session, program, d, "dissatisfied", date(2024, 9, 3), policy_awareness=1, payment_timeliness=2)
    _add(session, program, f, "satisfied", date(2024, 9, 1))
    _add(session, program, f, "very_dissatisfied", date(2024, 9, 9))  # f's latest
    _add(session, program, _uscc(session, outsider), "very_satisfied", date(2024, 9, 1))  # not awarded: not counted
    assert e  # e never answered

    r = client.get(f"/api/v1/programs/{program}/surveys/summary", headers=heads["auditor"])
    assert r.status_code == 200, r.text
    s = r.json()
    assert (s["awarded"], s["responses"], s["online"], s["paper"], s["valid"], s["satisfied"]) == (6, 7, 2, 5, 5, 3)
    assert s["response_rate"] == 83.33  # 5 ÷ 6
    assert s["satisfaction_rate"] == 60.0  # (a very satisfied + b, c satisfied) ÷ 5 valid
    assert s["invited"] == 5
    assert {o["value"]: (o["count"], o["share"]) for o in s["overall"]} == {
        "very_satisfied": (1, 20.0), "satisfied": (2, 40.0), "neutral": (0, 0.0), "dissatisfied": (1, 20.0),
        "very_dissatisfied": (1, 20.0)}
    questions = {q["key"]: q for q in s["questions"]}
    awareness = questions["policy_awareness"]  # latest: a 5, b 4, c 3, d 1 (f none)
    assert awareness["answered"] == 4 and awareness["average"] == 3.25
    assert [(x["value"], x["label"], x["count"]) for x in awareness["counts"]] == [
        ("5", "非常了解", 1), ("4", "比较了解", 1), ("3", "一般", 1), ("2", "不太了解", 0), ("1", "不了解", 1)]
    timeliness = questions["payment_timeliness"]  # a 4, b 4, d 2
    assert timeliness["answered"] == 3 and timeliness["average"] == 3.33
    assert questions["service_quality"]["answered"] == 0 and questions["service_quality"]["average"] is None
    districts = {x["code"]: x for x in s["districts"]}
    assert (districts["650102"]["awarded"], districts["650102"]["responded"], districts["650102"]["satisfied"]) == (3, 3, 3)
    assert districts["650102"]["satisfaction_rate"] == 100.0
    assert (districts["650103"]["awarded"], districts["650103"]["responded"], districts["650103"]["response_rate"]) == (2, 1, 50.0)
    assert districts["650103"]["satisfaction_rate"] == 0.0
    assert districts["650104"]["awarded"] == 1 and districts["650104"]["satisfaction_rate"] == 0.0

    # a district official's summary is the district's
    own = client.get(f"/api/v1/programs/{program}/surveys/summary", headers=heads["d_ind"]).json()
    assert (own["awarded"], own["valid"], own["satisfaction_rate"]) == (3, 3, 100.0)


def test_summary_without_responses_says_why_the_rate_is_missing(client, session, program, heads, awarded):
    empty = client.get(f"/api/v1/programs/{program}/surveys/summary", headers=heads["evaluator"]).json()
    assert empty["awarded"] == 0 and empty["response_rate"] is None and "尚无获奖补企业" in empty["note"]
    awarded("650102")
    s = client.get(f"/api/v1/programs/{program}/surveys/summary", headers=heads["evaluator"]).json()
    assert s["awarded"] == 1 and s["valid"] == 0 and s["response_rate"] == 0.0
    assert s["satisfaction_rate"] is None and "尚未收回有效问卷" in s["note"]
    assert client.get(f"/api/v1/programs/{program}/surveys/summary", headers=heads["ts"]).status_code == 403


def test_invitation_status_and_response_list(client, session, program, heads, awarded):
    first, second, third = (_uscc(session, a) for a in awarded("650102", "650103", "650103"))
    links = _invite(client, program, heads)
    assert _answer(client, links[first]["token"], "satisfied").status_code == 201
    assert _paper(client, program, heads, second, "very_satisfied").status_code == 201
    status = {s["uscc"]: s for s in client.get(f"/api/v1/programs/{program}/surveys", headers=heads["c_stats"]).json()}
    assert (status[first]["link"], status[first]["responses"], status[first]["latest_overall"]) == ("used", 1, "satisfied")
    assert (status[second]["link"], status[second]["latest_overall"]) == ("revoked", "very_satisfied")
    assert (status[third]["link"], status[third]["responses"], status[third]["latest_overall"]) == ("open", 0, None)

    page1 = client.get(f"/api/v1/programs/{program}/survey-responses?limit=1", headers=heads["auditor"]).json()
    assert [i["uscc"] for i in page1["items"]] == [second] and page1["next_cursor"]
    page2 = client.get(f"/api/v1/programs/{program}/survey-responses?limit=1&cursor={page1['next_cursor']}",
                       headers=heads["auditor"]).json()
    assert [i["uscc"] for i in page2["items"]] == [first] and page2["next_cursor"] is None
    own = client.get(f"/api/v1/programs/{program}/survey-responses", headers=heads["d_ind"]).json()
    assert [i["uscc"] for i in own["items"]] == [first]  # 天山区 sees its own enterprise only
