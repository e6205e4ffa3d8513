"""The whole notice flow over HTTP against a real uvicorn on a committed database, with
requests racing each other where two officials could: exactly one close and one
resolution win, and the audit chain stays intact."""

import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from app.audit.service import verify_chain
from app.users.service import create_token
from tests.factories import application_body, complete_documents, make_program, new_uscc

pytestmark = pytest.mark.live


def _race(calls) -> list[httpx.Response]:
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(lambda call: call(), calls))


def test_publish_object_resolve_close_with_races(live_server):
    tag = uuid.uuid4().hex[:6].upper()
    code = f"NL-{tag}"
    raw = {}
    with live_server.session() as s:
        make_program(s, code)
        for role, district in (("district_system", "650102"), ("district_industry", "650102"), ("district_stats", "650102"),
                               ("city_industry", None), ("city_stats", None)):
            _tok, raw[role] = create_token(s, name=f"nl-{role}-{tag}", role=role, district_code=district)
        _tok, raw["city_industry_2"] = create_token(s, name=f"nl-city2-{tag}", role="city_industry")
        s.commit()

    def api(role: str) -> httpx.Client:
        return httpx.Client(base_url=live_server.url, headers={"Authorization": f"Bearer {raw[role]}"}, timeout=30)

    app_ids = []
    for i in range(3):
        r = api("district_system").post(f"/api/v1/programs/{code}/applications",
                                        json=application_body(new_uscc(), ref=f"NL-{tag}-{i}"))
        assert r.status_code == 201, r.text
        app_ids.append(r.json()["id"])
        with live_server.session() as s:
            complete_documents(s, app_ids[-1])
        for version, role in enumerate(("district_industry", "district_stats", "city_industry", "city_stats"), start=1):
            r = api(role).post(f"/api/v1/applications/{app_ids[-1]}/reviews", json={"decision": "approve", "opinion": "同意"},
                               headers={"If-Match": f'"{version}"'})
            assert r.status_code == 201, r.text

    # two officials publish at once: one notice lists all three, the other finds nothing left
    body = {"title": f"{code} 公示", "starts_on": "2025-09-29"}
    published = _race([lambda: api("city_industry").post(f"/api/v1/programs/{code}/notices", json=body),
                       lambda: api("city_industry_2").post(f"/api/v1/programs/{code}/notices", json=body)])
    assert sorted(r.status_code for r in published) == [201, 409], [r.text for r in published]
    notice = next(r.json() for r in published if r.status_code == 201)
    assert [e["application_id"] for e in notice["entries"]] == app_ids and notice["ends_on"] == "2025-10-11"

    keeper = api("city_industry")
    objection = keeper.post(f"/api/v1/notices/{notice['id']}/objections", json={
        "application_id": app_ids[1], "objector_name": "某公司", "contact": "0991-1111111",
        "content": "该企业与另一受奖企业系同一实际控制人拆分设立。", "channel": "letter"}).json()

    # two officials resolve the same objection at once: one decision stands
    resolved = _race([
        lambda: api("city_industry").post(f"/api/v1/objections/{objection['id']}/resolution",
                                          json={"upheld": True, "note": "经核查属实。"}),
        lambda: api("city_industry_2").post(f"/api/v1/objections/{objection['id']}/resolution",
                                            json={"upheld": False, "note": "经核查不属实。"}),
    ])
    assert sorted(r.status_code for r in resolved) == [200, 409], [r.text for r in resolved]
    upheld = next(r.json() for r in resolved if r.status_code == 200)["upheld"]

    closed = _race([lambda: api("city_industry").post(f"/api/v1/notices/{notice['id']}/close"),
                    lambda: api("city_industry_2").post(f"/api/v1/notices/{notice['id']}/close")])
    assert sorted(r.status_code for r in closed) == [200, 409], [r.text for r in closed]
    final = next(r.json() for r in closed if r.status_code == 200)
    outcome = {e["application_id"]: e["outcome"] for e in final["entries"]}
    assert outcome == {app_ids[0]: "approved", app_ids[1]: "rejected" if upheld else "approved", app_ids[2]: "approved"}
    for app_id in app_ids:
        status = keeper.get(f"/api/v1/applications/{app_id}").json()["status"]
        assert status == outcome[app_id]

    with live_server.session() as s:
        report = verify_chain(s)
    assert report.ok, report
