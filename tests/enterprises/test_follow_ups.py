"""Follow-up service records (跟踪服务): the city industry bureau records for any enterprise,
a district industry bureau for its own district's; kinds and dates are checked with Chinese
messages; resolving records who and when; every change is an audit event; the city lists
every open need."""

from datetime import timedelta

from sqlmodel import col, select

from app.audit.models import AuditEvent
from app.core.clock import beijing_today
from app.followups.models import FollowUp
from tests.enterprises.conftest import enterprise_of
from tests.factories import application_body, award_applications, new_uscc


def _enterprise(client, heads, program, district="650102", name=None) -> str:
    who = "ts" if district == "650102" else "sb"
    extra = {"name": name} if name else {}
    r = client.post(f"/api/v1/programs/{program}/applications",
                    json=application_body(new_uscc(district), district=district, **extra), headers=heads[who])
    assert r.status_code == 201, r.text
    return r.json()["enterprise"]["uscc"]


def _body(**overrides) -> dict:
    return {"occurred_on": "2024-11-05", "kind": "visit", "needs": "希望对接本地高校解决焊接工艺难题",
            "notes": "已联系新疆大学机械工程学院", **overrides}


def _rows(session, uscc: str | None = None) -> list[FollowUp]:
    session.expire_all()
    return list(session.exec(select(FollowUp).order_by(col(FollowUp.id))).all())


def _events(session, action: str) -> list[AuditEvent]:
    return list(session.exec(select(AuditEvent).where(AuditEvent.action == action).order_by(col(AuditEvent.id))).all())


def test_create_answers_201_and_writes_the_audit_event(client, session, heads, program):
    [app_id] = award_applications(session, program, ["650102"], name="天山跟踪服务企业有限公司")
    uscc = enterprise_of(session, app_id).uscc
    r = client.post(f"/api/v1/enterprises/{uscc}/follow-ups", json=_body(program_code=program), headers=heads["c_ind"])
    assert r.status_code == 201, r.text
    body = r.json()
    assert r.headers["location"] == f"/api/v1/follow-ups/{body['id']}"
    assert body["uscc"] == uscc and body["enterprise_name"] == "天山跟踪服务企业有限公司" and body["district_code"] == "650102"
    assert (body["program_code"], body["occurred_on"], body["kind"], body["kind_name"]) == (program, "2024-11-05", "visit", "走访")
    assert (body["needs"], body["notes"]) == ("希望对接本地高校解决焊接工艺难题", "已联系新疆大学机械工程学院")
    assert (body["status"], body["status_name"], body["resolved_on"], body["resolved_by"]) == ("open", "待办结", None, None)
    assert body["created_by"] == "city-ind" and body["created_at"].endswith("Z")

    [row] = session.exec(select(FollowUp).where(FollowUp.id == body["id"])).all()
    assert (row.kind, row.status, row.created_by, row.occurred_on.isoformat()) == ("visit", "open", "city-ind", "2024-11-05")
    [event] = _events(session, "follow_up.create")
    assert (event.entity_type, event.entity_id, event.actor, event.role) == ("follow_up", str(row.id), "city-ind", "city_industry")
    assert event.after["uscc"] == uscc and event.after["kind"] == "visit" and event.after["program"] == program
    assert client.get(f"/api/v1/follow-ups/{row.id}", headers=heads["c_ind"]).json() == body

    # Recorded as settled on the spot: resolved the day the service took place, by its recorder.
    r = client.post(f"/api/v1/enterprises/{uscc}/follow-ups", headers=heads["d_ind"],
                    json=_body(kind="policy_consultation", status="resolved", occurred_on="2024-12-02"))
    assert r.status_code == 201, r.text
    assert (r.json()["status"], r.json()["resolved_on"], r.json()["resolved_by"]) == ("resolved", "2024-12-02", "ts-ind")


def test_kinds_dates_and_programmes_are_checked_in_chinese(client, session, heads, program):
    uscc = _enterprise(client, heads, program)
    r = client.post(f"/api/v1/enterprises/{uscc}/follow-ups", json=_body(kind="lunch"), headers=heads["c_ind"])
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    [error] = r.json()["errors"]
    assert error["loc"] == ["body", "kind"] and error["msg"].startswith("服务方式应为以下之一：visit（走访）")
    assert "kind" in r.json()["detail"] and "校验未通过" in r.json()["detail"]

    tomorrow = (beijing_today() + timedelta(days=1)).isoformat()
    r = client.post(f"/api/v1/enterprises/{uscc}/follow-ups", json=_body(occurred_on=tomorrow), headers=heads["c_ind"])
    assert r.status_code == 422
    assert r.json()["detail"].startswith(f"服务日期 {tomorrow} 晚于今天")
    assert r.json()["errors"][0]["loc"] == ["body", "occurred_on"]
    today = beijing_today().isoformat()
    assert client.post(f"/api/v1/enterprises/{uscc}/follow-ups", json=_body(occurred_on=today),
                       headers=heads["c_ind"]).status_code == 201

    for bad, field in ((_body(status="closed"), "status"), (_body(needs="   "), "needs"), (_body(occurred_on="2024-13-01"), "occurred_on"),
                       (_body(occurred_on=0), "occurred_on"), (_body(occurred_on="2024-11-05T08:00:00"), "occurred_on"),
                       (_body(needs="问题\x00"), "needs"), ({**_body(), "extra": 1}, "extra")):
        r = client.post(f"/api/v1/enterprises/{uscc}/follow-ups", json=bad, headers=heads["c_ind"])
        assert r.status_code == 422, bad
        assert r.json()["errors"][0]["loc"][:2] == ["body", field], r.json()
    r = client.post(f"/api/v1/enterprises/{uscc}/follow-ups", json=_body(program_code="NO-SUCH"), headers=heads["c_ind"])
    assert r.status_code == 422 and r.json()["detail"] == "奖补项目不存在：NO-SUCH。"
    assert client.post(f"/api/v1/enterprises/{uscc[:17]}0/follow-ups", json=_body(), headers=heads["c_ind"]).status_code == 422
    assert len(_rows(session)) == 1  # only the one dated today


def test_who_may_record(client, session, heads, program):
    uscc = _enterprise(client, heads, program)
    r = client.post(f"/api/v1/enterprises/{uscc}/follow-ups", json=_body(), headers=heads["sb_ind"])
    assert r.status_code == 404  # another district's enterprise does not exist for it
    assert client.get(f"/api/v1/enterprises/{uscc}/follow-ups", headers=heads["sb_ind"]).status_code == 404
    for who in ("finance", "ts", "d_sta", "c_sta", "evaluator", "auditor", "admin"):
        r = client.post(f"/api/v1/enterprises/{uscc}/follow-ups", json=_body(), headers=heads[who])
        assert r.status_code == 403 and r.headers["content-type"].startswith("application/problem+json"), who
        assert client.get(f"/api/v1/enterprises/{uscc}/follow-ups", headers=heads[who]).status_code == 403, who
        assert client.get("/api/v1/follow-ups", headers=heads[who]).status_code == 403, who
    assert client.post(f"/api/v1/enterprises/{uscc}/follow-ups", json=_body()).status_code == 401
    assert _rows(session) == [] and _events(session, "follow_up.create") == []

    assert client.post(f"/api/v1/enterprises/{uscc}/follow-ups", json=_body(), headers=heads["d_ind"]).status_code == 201
    assert client.post(f"/api/v1/enterprises/{uscc}/follow-ups", json=_body(), headers=heads["c_ind"]).status_code == 201
    r = client.get(f"/api/v1/enterprises/{uscc}/follow-ups", headers=heads["d_ind"])
    assert [f["created_by"] for f in r.json()["items"]] == ["city-ind", "ts-ind"] and r.json()["next_cursor"] is None


def test_a_form_post_is_the_same_route(client, heads, program):
    uscc = _enterprise(client, heads, program)
    r = client.post(f"/api/v1/enterprises/{uscc}/follow-ups", headers=heads["c_ind"], data={
        "occurred_on": "2024-11-05", "kind": "market_matching", "needs": "寻找疆外销售渠道", "notes": "", "program_code": ""})
    assert r.status_code == 201, r.text
    assert (r.json()["kind_name"], r.json()["program_code"], r.json()["notes"]) == ("市场对接", None, "")


def test_resolve_reopen_and_amend(client, session, heads, program):
    uscc = _enterprise(client, heads, program)
    created = client.post(f"/api/v1/enterprises/{uscc}/follow-ups", json=_body(), headers=heads["c_ind"]).json()
    url = f"/api/v1/follow-ups/{created['id']}"

    r = client.patch(url, json={"status": "resolved", "notes": "已促成校企合作协议"}, headers=heads["d_ind"])
    assert r.status_code == 200, r.text
    today = beijing_today().isoformat()
    assert (r.json()["status"], r.json()["resolved_on"], r.json()["resolved_by"], r.json()["notes"]) == (
        "resolved", today, "ts-ind", "已促成校企合作协议")
    row = _rows(session)[0]
    assert (row.status, row.resolved_on.isoformat(), row.resolved_by) == ("resolved", today, "ts-ind")
    assert row.updated_at >= row.created_at
    [event] = _events(session, "follow_up.resolve")
    assert event.entity_id == str(created["id"]) and event.actor == "ts-ind"
    assert event.before["status"] == "open" and event.after["status"] == "resolved" and event.after["resolved_on"] == today

    # A resolved record keeps who resolved it when only its notes change; a date can be corrected.
    r = client.patch(url, json={"notes": "协议已签署"}, headers=heads["c_ind"])
    assert (r.json()["notes"], r.json()["resolved_by"]) == ("协议已签署", "ts-ind")
    assert _events(session, "follow_up.update")[0].actor == "city-ind"
    r = client.patch(url, json={"resolved_on": "2024-11-20"}, headers=heads["c_ind"])
    assert (r.json()["resolved_on"], r.json()["resolved_by"]) == ("2024-11-20", "city-ind")

    for bad, message in (({"resolved_on": "2024-11-01", "status": "resolved"}, "早于服务日期"),
                         ({"resolved_on": (beijing_today() + timedelta(days=1)).isoformat()}, "晚于今天"),
                         ({"status": "open", "resolved_on": "2024-11-20"}, "只有办结"),
                         ({}, "至少提供一项"), ({"status": "done"}, "校验未通过")):
        r = client.patch(url, json=bad, headers=heads["c_ind"])
        assert r.status_code == 422 and message in r.json()["detail"] + str(r.json().get("errors")), (bad, r.json())

    r = client.patch(url, json={"status": "open"}, headers=heads["c_ind"])
    assert (r.json()["status"], r.json()["resolved_on"], r.json()["resolved_by"]) == ("open", None, None)
    assert len(_events(session, "follow_up.reopen")) == 1

    # Scope and roles, as for creating.
    assert client.patch(url, json={"status": "resolved"}, headers=heads["sb_ind"]).status_code == 404
    assert client.patch(url, json={"status": "resolved"}, headers=heads["finance"]).status_code == 403
    assert client.patch("/api/v1/follow-ups/2147483647", json={"status": "resolved"}, headers=heads["c_ind"]).status_code == 404
    assert client.patch("/api/v1/follow-ups/2147483648", json={"status": "resolved"}, headers=heads["c_ind"]).status_code == 422
    assert client.get(url, headers=heads["sb_ind"]).status_code == 404
    assert _rows(session)[0].status == "open"


def test_the_city_lists_every_open_need(client, session, heads, program):
    ts = _enterprise(client, heads, program, name="天山需求企业有限公司")
    sb = _enterprise(client, heads, program, "650103", name="沙区需求企业有限公司")
    ids = {}
    for key, uscc, who, kind in (("ts-visit", ts, "d_ind", "visit"), ("ts-fin", ts, "c_ind", "financing"),
                                 ("sb-tech", sb, "sb_ind", "technical_guidance"), ("sb-fin", sb, "c_ind", "financing")):
        r = client.post(f"/api/v1/enterprises/{uscc}/follow-ups", json=_body(kind=kind), headers=heads[who])
        ids[key] = r.json()["id"]
    client.patch(f"/api/v1/follow-ups/{ids['ts-fin']}", json={"status": "resolved"}, headers=heads["c_ind"])

    def listed(query: str, who: str = "c_ind") -> list[int]:
        r = client.get(f"/api/v1/follow-ups{query}", headers=heads[who])
        assert r.status_code == 200, r.text
        return [f["id"] for f in r.json()["items"]]

    assert listed("?status=open") == [ids["sb-fin"], ids["sb-tech"], ids["ts-visit"]]  # newest first, all districts
    assert listed("?status=resolved") == [ids["ts-fin"]]
    assert listed("?status=open", "d_ind") == [ids["ts-visit"]]  # a district sees its own
    assert listed("?status=open&district=650102", "sb_ind") == []
    assert listed("?status=open&district=650103") == [ids["sb-fin"], ids["sb-tech"]]
    assert listed("?kind=financing") == [ids["sb-fin"], ids["ts-fin"]]
    assert listed("?status=&district=&kind=") == [ids["sb-fin"], ids["sb-tech"], ids["ts-fin"], ids["ts-visit"]]

    page = client.get("/api/v1/follow-ups?status=open&limit=2", headers=heads["c_ind"]).json()
    assert [f["id"] for f in page["items"]] == [ids["sb-fin"], ids["sb-tech"]] and page["next_cursor"]
    item = page["items"][0]
    assert (item["enterprise_name"], item["district_code"], item["kind_name"]) == ("沙区需求企业有限公司", "650103", "融资服务")
    rest = client.get(f"/api/v1/follow-ups?status=open&limit=2&cursor={page['next_cursor']}", headers=heads["c_ind"]).json()
    assert [f["id"] for f in rest["items"]] == [ids["ts-visit"]] and rest["next_cursor"] is None

    for bad in ("?status=closed", "?kind=lunch", "?district=65", "?cursor=xyz"):
        r = client.get(f"/api/v1/follow-ups{bad}", headers=heads["c_ind"])
        assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json"), bad
