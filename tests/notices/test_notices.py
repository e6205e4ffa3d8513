"""Public notices end to end: publish every city_approved application, object inside the
period (and only then), resolve, close, and see who ends approved or rejected — with an
audit event for every step."""

from datetime import date, timedelta
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from app.applications.models import Application
from app.audit.models import AuditEvent
from app.audit.service import verify_chain
from app.core.errors import Conflict, Forbidden, Invalid, TooManyRequests
from app.notices import service
from app.notices.models import Notice, NoticeEntry, Objection
from app.notices.schemas import ObjectionCreate
from tests.factories import application_body
from tests.notices.conftest import KEEPER

NATIONAL_DAY_2025 = {"title": "2023年度“小升规”专项奖补资金拟奖补企业名单公示", "starts_on": "2025-09-29"}


def _objection(application_id: int, **kw) -> dict:
    return {"application_id": application_id, "objector_name": kw.pop("objector_name", "王某"),
            "contact": kw.pop("contact", "13899990000"), "content": kw.pop("content", "该企业 2023 年并未达到规上标准。"), **kw}


def _events(session, entity_type, entity_id) -> list[AuditEvent]:
    return list(session.exec(select(AuditEvent).where(AuditEvent.entity_type == entity_type,
                                                      AuditEvent.entity_id == str(entity_id)).order_by(AuditEvent.id)).all())


def _status(session, app_id) -> str:
    session.expire_all()
    return session.get(Application, app_id).status


# ---------------------------------------------------------------- publishing


def test_create_lists_every_city_approved_application(client, session, heads, program, city_approved):
    a = city_approved(name="新疆天润乳品加工有限公司")
    b = city_approved("650103", name="乌鲁木齐众和精密机械有限公司")
    # not yet city_approved: stays out of the notice
    r = client.post(f"/api/v1/programs/{program}/applications", json=application_body(), headers=heads["ts"])
    pending = r.json()

    r = client.post(f"/api/v1/programs/{program}/notices", json=NATIONAL_DAY_2025, headers=heads["c_ind"])
    assert r.status_code == 201, r.text
    notice = r.json()
    assert notice["ends_on"] == "2025-10-11"  # 5 working days across the National Day holiday
    assert notice["working_days"] == 5 and notice["status"] == "open" and notice["program_code"] == program
    assert notice["channels"] == ["本系统公示页面"]
    assert r.headers["etag"] == '"1"' and r.headers["location"] == f"/api/v1/notices/{notice['id']}"
    assert [(e["application_id"], e["enterprise_name"], e["district_name"], e["award"]) for e in notice["entries"]] == [
        (a["id"], "新疆天润乳品加工有限公司", "天山区", "200000.00"),
        (b["id"], "乌鲁木齐众和精密机械有限公司", "沙依巴克区", "200000.00"),
    ]
    assert notice["entry_count"] == 2 and notice["total_award"] == "400000.00"
    assert all(e["status"] == "in_notice" and e["outcome"] is None for e in notice["entries"])
    assert _status(session, a["id"]) == _status(session, b["id"]) == "in_notice"
    assert _status(session, pending["id"]) == "submitted"

    # each transition went through the lifecycle: version bumped and audited
    for app in (a, b):
        row = session.get(Application, app["id"])
        assert row.version == app["version"] + 1
        publish = [e for e in _events(session, "application", app["id"]) if e.action == "application.publish"]
        assert len(publish) == 1 and publish[0].before["status"] == "city_approved"
        assert publish[0].after["status"] == "in_notice" and publish[0].after["notice_id"] == notice["id"]
    created = _events(session, "notice", notice["id"])
    assert [e.action for e in created] == ["notice.create"]
    assert created[0].after["application_ids"] == [a["id"], b["id"]] and created[0].after["ends_on"] == "2025-10-11"

    # nothing left to publish
    again = client.post(f"/api/v1/programs/{program}/notices", json=NATIONAL_DAY_2025, headers=heads["c_ind"])
    assert again.status_code == 409 and "没有复审通过" in again.json()["detail"]

    listed = client.get(f"/api/v1/programs/{program}/notices", headers=heads["d_ind"]).json()
    assert [n["id"] for n in listed["items"]] == [notice["id"]] and listed["next_cursor"] is None
    assert "entries" not in listed["items"][0] and listed["items"][0]["entry_count"] == 2


def test_create_with_options_and_roles(client, heads, program, city_approved):
    city_approved()
    body = {**NATIONAL_DAY_2025, "working_days": 3, "channels": ["市工信局门户网站", "政务公开栏"]}
    for who in ("c_sta", "d_ind", "ts", "admin", "finance"):
        assert client.post(f"/api/v1/programs/{program}/notices", json=body, headers=heads[who]).status_code == 403
    assert client.post(f"/api/v1/programs/{program}/notices", json=body).status_code == 401
    assert client.post("/api/v1/programs/NOPE/notices", json=body, headers=heads["c_ind"]).status_code == 404
    for bad in ({**body, "working_days": 0}, {**body, "starts_on": "2025-02-30"}, {**body, "title": " "},
                {**body, "channels": ["a\nb"]}, {"title": "x"}, {**body, "extra": 1}):
        r = client.post(f"/api/v1/programs/{program}/notices", json=bad, headers=heads["c_ind"])
        assert r.status_code == 422, bad
        assert r.headers["content-type"].startswith("application/problem+json") and r.json()["errors"]
    r = client.post(f"/api/v1/programs/{program}/notices", content=b"{not json", headers=heads["c_ind"])
    assert r.status_code == 422 and r.json()["detail"] == "请求体不是有效的 JSON。"
    r = client.post(f"/api/v1/programs/{program}/notices", json=body, headers=heads["c_ind"])
    assert r.status_code == 201
    assert r.json()["ends_on"] == "2025-10-09" and r.json()["channels"] == ["市工信局门户网站", "政务公开栏"]


def test_notice_into_2027_needs_the_holiday_table(client, session, heads, program, city_approved):
    a = city_approved()
    body = {"title": "跨年公示", "starts_on": "2026-12-28"}
    events_before = len(session.exec(select(AuditEvent)).all())
    r = client.post(f"/api/v1/programs/{program}/notices", json=body, headers=heads["c_ind"])
    assert r.status_code == 409
    problem = r.json()
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "2027 年的法定节假日安排尚未录入" in problem["detail"] and problem["missing_year"] == 2027
    assert problem["type"].endswith("/holiday_calendar_missing")
    # nothing written
    assert session.exec(select(Notice)).all() == [] and session.exec(select(NoticeEntry)).all() == []
    assert _status(session, a["id"]) == "city_approved"
    assert len(session.exec(select(AuditEvent)).all()) == events_before

    # officials enter New Year's Day 2027; the rest of 2027 follows Monday–Friday
    put = client.put("/api/v1/workdays/2027-01-01", json={"is_workday": False, "name": "元旦"}, headers=heads["c_ind"])
    assert put.status_code == 201
    r = client.post(f"/api/v1/programs/{program}/notices", json=body, headers=heads["c_ind"])
    assert r.status_code == 201, r.text
    assert r.json()["ends_on"] == "2027-01-04"  # 12-28..12-31, then 1-1 holiday and the weekend, 1-4
    assert _status(session, a["id"]) == "in_notice"


# ---------------------------------------------------------------- objections


@pytest.fixture
def ended_notice(client, heads, program, city_approved) -> dict:
    """Two applications in a notice that ran 2025-09-29 .. 2025-10-11 (long over)."""
    apps = [city_approved(name="甲机械有限公司"), city_approved("650103", name="乙食品有限公司")]
    r = client.post(f"/api/v1/programs/{program}/notices", json=NATIONAL_DAY_2025, headers=heads["c_ind"])
    assert r.status_code == 201, r.text
    return {"notice": r.json(), "apps": apps}


@pytest.fixture
def current_notice(client, heads, program, city_approved, known_calendar) -> dict:
    """Two applications in a notice that starts today (Beijing time) and runs 5 working days."""
    apps = [city_approved(name="丙新材料有限公司"), city_approved(name="丁电子有限公司")]
    r = client.post(f"/api/v1/programs/{program}/notices",
                    json={"title": "本期公示", "starts_on": known_calendar.isoformat()}, headers=heads["c_ind"])
    assert r.status_code == 201, r.text
    return {"notice": r.json(), "apps": apps}


def test_public_objection_inside_the_period(client, session, current_notice):
    notice, apps = current_notice["notice"], current_notice["apps"]
    r = client.post(f"/api/v1/notices/{notice['id']}/objections", json=_objection(apps[0]["id"]))
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["channel"] == "online" and body["state"] == "pending" and body["recorded_by"] is None
    assert body["enterprise_name"] == "丙新材料有限公司" and body["application_id"] == apps[0]["id"]
    row = session.get(Objection, body["id"])
    assert row.notice_id == notice["id"] and row.content == "该企业 2023 年并未达到规上标准。"
    event = _events(session, "objection", body["id"])[0]
    assert event.actor == "public" and event.action == "objection.create" and event.after["client_ip"] == "testclient"


def test_public_objection_outside_the_period(client, session, ended_notice):
    notice, apps = ended_notice["notice"], ended_notice["apps"]
    r = client.post(f"/api/v1/notices/{notice['id']}/objections", json=_objection(apps[0]["id"]))
    assert r.status_code == 409
    assert r.json()["detail"] == "公示期为 2025-09-29 至 2025-10-11，当前不在公示期内，不能在线提交异议。"
    assert session.exec(select(Objection)).all() == []


def test_objection_before_the_period_via_service(session, ended_notice):
    notice, apps = ended_notice["notice"], ended_notice["apps"]
    body = ObjectionCreate.model_validate(_objection(apps[0]["id"]))
    for today in (date(2025, 9, 28), date(2025, 10, 12)):
        with pytest.raises(Conflict, match="当前不在公示期内"):
            service.object_publicly(session, notice["id"], body, "10.0.0.1", today=today)
    for today in (date(2025, 9, 29), date(2025, 10, 1), date(2025, 10, 11)):  # holidays inside the period count
        assert service.object_publicly(session, notice["id"], body, "10.0.0.1", today=today).channel == "online"


def test_objection_must_name_a_listed_application(client, program, current_notice, city_approved):
    notice = current_notice["notice"]
    outsider = city_approved()  # city_approved after the notice was published
    r = client.post(f"/api/v1/notices/{notice['id']}/objections", json=_objection(outsider["id"]))
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["body", "application_id"]
    r = client.post(f"/api/v1/notices/{notice['id']}/objections", json=_objection(2_147_483_647))
    assert r.status_code == 422
    for bad in (_objection(1, content=""), _objection(1, contact="   "), _objection(1, objector_name="名\x00"),
                {"application_id": 1}, _objection(0)):
        assert client.post(f"/api/v1/notices/{notice['id']}/objections", json=bad).status_code == 422, bad
    assert client.post("/api/v1/notices/999999/objections", json=_objection(1)).status_code == 404
    assert client.post("/api/v1/notices/2147483648/objections", json=_objection(1)).status_code == 422


def test_public_objections_are_rate_limited(client, session, heads, current_notice):
    notice, apps = current_notice["notice"], current_notice["apps"]
    for i in range(service.OBJECTIONS_PER_HOUR):
        r = client.post(f"/api/v1/notices/{notice['id']}/objections", json=_objection(apps[i % 2]["id"]))
        assert r.status_code == 201, (i, r.text)
    r = client.post(f"/api/v1/notices/{notice['id']}/objections", json=_objection(apps[0]["id"]))
    assert r.status_code == 429
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "每小时最多在线提交 5 条异议" in r.json()["detail"] and int(r.headers["retry-after"]) > 0
    assert len(session.exec(select(Objection)).all()) == service.OBJECTIONS_PER_HOUR
    # a signed-in user other than the keeper objects as the public: limited too
    r = client.post(f"/api/v1/notices/{notice['id']}/objections", json=_objection(apps[0]["id"]), headers=heads["d_ind"])
    assert r.status_code == 429
    # the bureau recording letters and calls is not limited
    r = client.post(f"/api/v1/notices/{notice['id']}/objections", json=_objection(apps[0]["id"], channel="letter"),
                    headers=heads["c_ind"])
    assert r.status_code == 201


def test_rate_limit_is_per_address(session, current_notice):
    notice, apps = current_notice["notice"], current_notice["apps"]
    body = ObjectionCreate.model_validate(_objection(apps[0]["id"]))
    for _ in range(service.OBJECTIONS_PER_HOUR):
        service.object_publicly(session, notice["id"], body, "10.0.0.7")
    with pytest.raises(TooManyRequests):
        service.object_publicly(session, notice["id"], body, "10.0.0.7")
    assert service.object_publicly(session, notice["id"], body, "10.0.0.8").id


def test_keeper_records_letters_and_calls_any_time_before_close(client, session, heads, ended_notice):
    notice, apps = ended_notice["notice"], ended_notice["apps"]
    url = f"/api/v1/notices/{notice['id']}/objections"
    # after ends_on, the public may not, but a letter received in time may still be recorded
    r = client.post(url, json=_objection(apps[1]["id"], channel="letter"), headers=heads["c_ind"])
    assert r.status_code == 201, r.text
    assert r.json()["channel"] == "letter" and r.json()["recorded_by"] == "city-ind"
    r = client.post(url, json=_objection(apps[1]["id"], channel="phone", objector_name="匿名来电"), headers=heads["c_ind"])
    assert r.status_code == 201 and r.json()["channel"] == "phone"
    for channel in (None, "online"):
        body = _objection(apps[1]["id"], **({"channel": channel} if channel else {}))
        r = client.post(url, json=body, headers=heads["c_ind"])
        assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["body", "channel"]
    assert client.post(url, json=_objection(apps[1]["id"], channel="fax"), headers=heads["c_ind"]).status_code == 422
    events = [e for o in session.exec(select(Objection)).all() for e in _events(session, "objection", o.id)]
    assert {(e.actor, e.action) for e in events} == {("city-ind", "objection.create")}


# ---------------------------------------------------------------- resolving and closing


def test_resolution_rules(client, session, heads, ended_notice):
    notice, apps = ended_notice["notice"], ended_notice["apps"]
    r = client.post(f"/api/v1/notices/{notice['id']}/objections", json=_objection(apps[0]["id"], channel="letter"),
                    headers=heads["c_ind"])
    objection_id = r.json()["id"]
    url = f"/api/v1/objections/{objection_id}/resolution"
    assert client.post(url, json={"upheld": True, "note": "核实"}, headers=heads["c_sta"]).status_code == 403
    r = client.post(url, json={"upheld": True, "note": "   "}, headers=heads["c_ind"])
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["body", "note"] and "处理意见" in r.json()["detail"]
    assert client.post(url, json={"upheld": True}, headers=heads["c_ind"]).status_code == 422
    r = client.post(url, json={"upheld": False, "note": "经核查统计名录，该企业 2023 年 6 月入库，异议不成立。"},
                    headers=heads["c_ind"])
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "dismissed" and r.json()["upheld"] is False and r.json()["resolved_by"] == "city-ind"
    twice = client.post(url, json={"upheld": True, "note": "改判"}, headers=heads["c_ind"])
    assert twice.status_code == 409 and "不能重复处理" in twice.json()["detail"]
    assert client.post("/api/v1/objections/999999/resolution", json={"upheld": True, "note": "x"},
                       headers=heads["c_ind"]).status_code == 404
    event = _events(session, "objection", objection_id)[-1]
    assert event.action == "objection.resolve" and event.before["state"] == "pending" and event.after["state"] == "dismissed"


def test_close_before_the_end_is_refused(client, session, heads, current_notice):
    notice = current_notice["notice"]
    r = client.post(f"/api/v1/notices/{notice['id']}/close", headers=heads["c_ind"])
    assert r.status_code == 409 and f"公示期至 {notice['ends_on']} 结束" in r.json()["detail"]
    assert all(_status(session, a["id"]) == "in_notice" for a in current_notice["apps"])
    # the day after ends_on is the first day it may close (service, with today injected)
    ends_on = date.fromisoformat(notice["ends_on"])
    with pytest.raises(Conflict):
        service.close_notice(session, KEEPER, notice["id"], today=ends_on)
    assert service.close_notice(session, KEEPER, notice["id"], today=ends_on + timedelta(days=1)).status == "closed"


def test_close_with_an_unresolved_objection_is_refused(client, session, heads, ended_notice):
    notice, apps = ended_notice["notice"], ended_notice["apps"]
    for app in apps:
        client.post(f"/api/v1/notices/{notice['id']}/objections", json=_objection(app["id"], channel="phone"),
                    headers=heads["c_ind"])
    r = client.post(f"/api/v1/notices/{notice['id']}/close", headers=heads["c_ind"])
    assert r.status_code == 409 and "还有 2 条异议尚未处理" in r.json()["detail"] and r.json()["pending_objections"] == 2
    assert all(_status(session, a["id"]) == "in_notice" for a in apps)


def test_upheld_objection_rejects_its_application_and_the_rest_are_approved(client, session, heads, program,
                                                                            ended_notice):
    notice, (a, b) = ended_notice["notice"], ended_notice["apps"]
    url = f"/api/v1/notices/{notice['id']}/objections"
    first = client.post(url, json=_objection(a["id"], channel="letter"), headers=heads["c_ind"]).json()
    second = client.post(url, json=_objection(b["id"], channel="phone"), headers=heads["c_ind"]).json()
    client.post(f"/api/v1/objections/{first['id']}/resolution",
                json={"upheld": True, "note": "经核查，该企业 2022 年已纳入规上名录，不属首次升规。"}, headers=heads["c_ind"])
    client.post(f"/api/v1/objections/{second['id']}/resolution",
                json={"upheld": False, "note": "反映情况与事实不符。"}, headers=heads["c_ind"])

    for who in ("c_sta", "d_ind", "admin"):
        assert client.post(f"/api/v1/notices/{notice['id']}/close", headers=heads[who]).status_code == 403
    r = client.post(f"/api/v1/notices/{notice['id']}/close", headers=heads["c_ind"])
    assert r.status_code == 200, r.text
    closed = r.json()
    assert closed["status"] == "closed" and closed["closed_at"] and closed["version"] == 2 and r.headers["etag"] == '"2"'
    assert {e["application_id"]: (e["status"], e["outcome"]) for e in closed["entries"]} == {
        a["id"]: ("rejected", "rejected"), b["id"]: ("approved", "approved")}
    assert _status(session, a["id"]) == "rejected" and _status(session, b["id"]) == "approved"
    # the rejected enterprise may apply again in a later round (its place is freed)
    assert session.get(Application, a["id"]).live_enterprise_id is None

    ev_a = [e for e in _events(session, "application", a["id"]) if e.action.startswith("application.uphold")]
    assert len(ev_a) == 1 and ev_a[0].after["status"] == "rejected" and ev_a[0].after["objection_ids"] == [first["id"]]
    ev_b = [e for e in _events(session, "application", b["id"]) if e.action == "application.confirm"]
    assert len(ev_b) == 1 and ev_b[0].before["status"] == "in_notice" and ev_b[0].after["status"] == "approved"
    close_event = _events(session, "notice", notice["id"])[-1]
    assert close_event.action == "notice.close" and close_event.after["approved"] == [b["id"]]
    assert close_event.after["rejected"] == [a["id"]]
    assert verify_chain(session).ok

    # closed is final
    again = client.post(f"/api/v1/notices/{notice['id']}/close", headers=heads["c_ind"])
    assert again.status_code == 409
    late = client.post(url, json=_objection(b["id"], channel="letter"), headers=heads["c_ind"])
    assert late.status_code == 409 and "已" in late.json()["detail"]
    assert client.post(f"/api/v1/objections/{second['id']}/resolution", json={"upheld": True, "note": "x"},
                       headers=heads["c_ind"]).status_code == 409


def test_get_notice_for_signed_in_users(client, heads, ended_notice):
    notice, apps = ended_notice["notice"], ended_notice["apps"]
    client.post(f"/api/v1/notices/{notice['id']}/objections", json=_objection(apps[0]["id"], channel="phone"),
                headers=heads["c_ind"])
    r = client.get(f"/api/v1/notices/{notice['id']}", headers=heads["ts"])
    assert r.status_code == 200 and r.headers["etag"] == '"1"'
    body = r.json()
    assert [e["uscc"] for e in body["entries"]] == [a["enterprise"]["uscc"] for a in apps]
    assert body["pending_objections"] == 1 and body["objections"][0]["contact"] == "138******00"  # district users: masked
    as_auditor = client.get(f"/api/v1/notices/{notice['id']}", headers=heads["auditor"]).json()
    assert as_auditor["objections"][0]["contact"] == "13899990000"
    assert client.get(f"/api/v1/notices/{notice['id']}").status_code == 401
    assert client.get("/api/v1/notices/424242", headers=heads["ts"]).status_code == 404
    assert client.get("/api/v1/notices/0", headers=heads["ts"]).status_code == 422


def test_xlsx_matches_the_entries(client, heads, ended_notice):
    notice = ended_notice["notice"]
    r = client.get(f"/api/v1/notices/{notice['id']}/entries.xlsx", headers=heads["finance"])
    assert r.status_code == 200
    assert r.headers["content-type"] == service.XLSX_MEDIA_TYPE
    assert r.headers["content-disposition"].startswith("attachment;")
    sheet = load_workbook(BytesIO(r.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == notice["title"]
    assert rows[1][0] == "公示期：2025-09-29 至 2025-10-11（5 个工作日）"
    assert list(rows[2]) == ["序号", "企业名称", "统一社会信用代码", "所在区县", "奖补金额（万元）"]
    body = [list(row) for row in rows[3:-1]]
    assert body == [[i, e["enterprise_name"], e["uscc"], e["district_name"], 20]
                    for i, e in enumerate(notice["entries"], start=1)]
    assert rows[-1][0] == "合计" and rows[-1][1] == "2 家" and rows[-1][4] == 40
    assert client.get(f"/api/v1/notices/{notice['id']}/entries.xlsx", headers=heads["ts"]).status_code == 403
    assert client.get(f"/api/v1/notices/{notice['id']}/entries.xlsx").status_code == 401


def test_service_refuses_other_roles(session, ended_notice):
    from app.users.auth import Principal
    from app.users.models import Role

    stats = Principal(name="city-stats", role=Role.city_stats, district_code=None, via="token")
    notice = ended_notice["notice"]
    with pytest.raises(Forbidden):
        service.close_notice(session, stats, notice["id"], today=date(2025, 10, 12))
    with pytest.raises(Invalid):
        service.resolve_objection(session, KEEPER, 1, True, "  ")


ROLES = [("district_system", "650102"), ("district_industry", "650102"), ("district_stats", "650102"),
         ("city_industry", None), ("city_stats", None), ("finance", None), ("evaluator", None), ("auditor", None),
         ("admin", None)]


@pytest.mark.parametrize("role,district", ROLES)
def test_authorization_matrix(client, token_for, ended_notice, program, role, district):
    h = token_for(role, district, name=f"matrix-{role}")
    notice_id = ended_notice["notice"]["id"]
    got = {
        "read": client.get(f"/api/v1/notices/{notice_id}", headers=h).status_code,
        "list": client.get(f"/api/v1/programs/{program}/notices", headers=h).status_code,
        "xlsx": client.get(f"/api/v1/notices/{notice_id}/entries.xlsx", headers=h).status_code,
        "holiday_read": client.get("/api/v1/workdays", params={"year": 2027}, headers=h).status_code,
        "holiday_write": client.put("/api/v1/workdays/2027-05-01", json={"is_workday": False, "name": "劳动节"},
                                    headers=h).status_code,
        # nothing left to publish and nothing to resolve: the keeper gets past the role check to a 409/404
        "create": client.post(f"/api/v1/programs/{program}/notices", json=NATIONAL_DAY_2025, headers=h).status_code,
        "resolve": client.post("/api/v1/objections/999999/resolution", json={"upheld": True, "note": "x"},
                               headers=h).status_code,
    }
    keeper = role == "city_industry"
    assert got == {
        "read": 200, "list": 200,
        "xlsx": 403 if role in ("district_system", "admin") else 200,
        "holiday_read": 200,
        "holiday_write": 201 if role in ("city_industry", "admin") else 403,
        "create": 409 if keeper else 403,
        "resolve": 404 if keeper else 403,
    }
    close = client.post(f"/api/v1/notices/{notice_id}/close", headers=h)
    assert close.status_code == (200 if keeper else 403)
