"""Appropriations (资金拨付): finance approves money per level under a document number, then
records its arrival. City finance handles city-level money, a district's finance its own
district-level money."""

from sqlmodel import col, select

from app.audit.models import AuditEvent
from app.funds.models import Appropriation
from app.programs.models import Program, ProgramDistrict

CITY = {"level": "city", "amount": "4100000.00", "document_no": "乌财建〔2024〕169号", "approved_on": "2024-06-26"}
TS = {"level": "district", "district_code": "650102", "amount": "500000.00", "document_no": "天财建〔2024〕31号",
      "approved_on": "2024-07-02"}


def _events(session, appropriation_id: int) -> list[AuditEvent]:
    return list(session.exec(select(AuditEvent).where(AuditEvent.entity_type == "appropriation",
                                                      AuditEvent.entity_id == str(appropriation_id))
                             .order_by(col(AuditEvent.id))).all())


def test_city_appropriation_approved_then_arrived(client, session, heads, program):
    r = client.post(f"/api/v1/programs/{program}/appropriations", json=CITY, headers=heads["finance"])
    assert r.status_code == 201, r.text
    created = r.json()
    assert r.headers["etag"] == '"1"'
    assert {k: created[k] for k in ("program_code", "level", "level_name", "district_code", "amount", "document_no",
                                    "approved_on", "arrived_amount", "arrived_on", "version", "created_by")} == {
        "program_code": program, "level": "city", "level_name": "市级", "district_code": None, "amount": "4100000.00",
        "document_no": "乌财建〔2024〕169号", "approved_on": "2024-06-26", "arrived_amount": None, "arrived_on": None,
        "version": 1, "created_by": "city-finance"}

    arrival = {"arrived_amount": "4100000.00", "arrived_on": "2024-07-10"}
    stale = client.patch(f"/api/v1/appropriations/{created['id']}", json=arrival,
                         headers={**heads["finance"], "If-Match": '"7"'})
    assert stale.status_code == 412 and stale.headers["etag"] == '"1"'
    r = client.patch(f"/api/v1/appropriations/{created['id']}", json=arrival, headers={**heads["finance"], "If-Match": '"1"'})
    assert r.status_code == 200, r.text
    assert r.json()["arrived_amount"] == "4100000.00" and r.json()["arrived_on"] == "2024-07-10"
    assert r.json()["version"] == 2 and r.headers["etag"] == '"2"'
    row = session.get(Appropriation, created["id"])
    session.refresh(row)
    assert row.arrived_amount_fen == 4_100_000_00 and row.amount_fen == 4_100_000_00

    events = _events(session, created["id"])
    assert [e.action for e in events] == ["appropriation.create", "appropriation.arrival"]
    assert events[0].after["document_no"] == "乌财建〔2024〕169号" and events[0].after["amount"] == "4100000.00"
    assert events[1].before["arrived_amount"] is None and events[1].after["arrived_amount"] == "4100000.00"

    listed = client.get(f"/api/v1/programs/{program}/appropriations", headers=heads["auditor"])
    assert listed.status_code == 200 and [a["id"] for a in listed.json()["items"]] == [created["id"]]
    assert listed.json()["next_cursor"] is None


def test_district_appropriation_with_arrival_in_one_go(client, session, heads, program):
    body = {**TS, "arrived_amount": "300000.00", "arrived_on": "2024-07-05"}
    r = client.post(f"/api/v1/programs/{program}/appropriations", json=body, headers=heads["fin_ts"])
    assert r.status_code == 201, r.text
    assert r.json()["district_code"] == "650102" and r.json()["district_name"] == "天山区"
    assert r.json()["arrived_amount"] == "300000.00"
    # each district sees its own; the city sees all
    city = client.post(f"/api/v1/programs/{program}/appropriations", json=CITY, headers=heads["finance"]).json()
    assert [a["id"] for a in client.get(f"/api/v1/programs/{program}/appropriations",
                                        headers=heads["d_ind"]).json()["items"]] == [r.json()["id"]]
    assert [a["id"] for a in client.get(f"/api/v1/programs/{program}/appropriations",
                                        headers=heads["c_ind"]).json()["items"]] == [r.json()["id"], city["id"]]
    assert client.get(f"/api/v1/programs/{program}/appropriations", headers=heads["fin_sb"]).json()["items"] == []
    page = client.get(f"/api/v1/programs/{program}/appropriations?limit=1", headers=heads["finance"]).json()
    rest = client.get(f"/api/v1/programs/{program}/appropriations?limit=1&cursor={page['next_cursor']}",
                      headers=heads["finance"]).json()
    assert [a["id"] for a in page["items"] + rest["items"]] == [r.json()["id"], city["id"]] and rest["next_cursor"] is None


def test_scope_of_each_finance(client, session, heads, program):
    url = f"/api/v1/programs/{program}/appropriations"
    assert client.post(url, json=TS, headers=heads["finance"]).status_code == 403  # the city does not handle districts'
    assert client.post(url, json=CITY, headers=heads["fin_ts"]).status_code == 403  # nor a district the city's
    r = client.post(url, json=TS, headers=heads["fin_sb"])  # nor another district's
    assert r.status_code == 403 and "650103" in r.json()["detail"]
    for who in ("c_ind", "auditor", "admin", "ts"):
        assert client.post(url, json=CITY, headers=heads[who]).status_code == 403, who
    assert client.get(url, headers=heads["ts"]).status_code == 403
    assert session.exec(select(Appropriation)).all() == []

    ts = client.post(url, json=TS, headers=heads["fin_ts"]).json()
    arrival = {"arrived_amount": "500000.00", "arrived_on": "2024-07-09"}
    assert client.patch(f"/api/v1/appropriations/{ts['id']}", json=arrival, headers=heads["fin_sb"]).status_code == 404
    assert client.patch(f"/api/v1/appropriations/{ts['id']}", json=arrival, headers=heads["finance"]).status_code == 403
    assert client.patch(f"/api/v1/appropriations/{ts['id']}", json=arrival, headers=heads["c_ind"]).status_code == 403
    assert client.patch("/api/v1/appropriations/2147483647", json=arrival, headers=heads["finance"]).status_code == 404
    assert client.patch(f"/api/v1/appropriations/{ts['id']}", json=arrival, headers=heads["fin_ts"]).status_code == 200


def test_validation(client, session, heads, program, token_for):
    url = f"/api/v1/programs/{program}/appropriations"
    cases = [
        ({**CITY, "district_code": "650102"}, "finance", "district_code"),
        ({k: v for k, v in TS.items() if k != "district_code"}, "fin_ts", "district_code"),
        ({**CITY, "amount": "0.00"}, "finance", "amount"),
        ({**CITY, "arrived_amount": "100.00"}, "finance", "arrived_on"),
        ({**CITY, "arrived_on": "2024-07-01"}, "finance", "arrived_amount"),
        ({**CITY, "arrived_amount": "4100000.01", "arrived_on": "2024-07-01"}, "finance", "arrived_amount"),
        ({**CITY, "arrived_amount": "100.00", "arrived_on": "2024-06-25"}, "finance", "arrived_on"),
        ({**CITY, "document_no": "  "}, "finance", "document_no"),
        ({**CITY, "amount": 4100000}, "finance", "amount"),
        ({**CITY, "level": "province"}, "finance", "level"),
    ]
    for body, who, field in cases:
        r = client.post(url, json=body, headers=heads[who])
        assert r.status_code == 422, (body, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert any(e["loc"] == ["body", field] for e in r.json()["errors"]), (body, r.json())
    r = client.post(url, json={**TS, "district_code": "650103"}, headers=heads["fin_sb"])
    assert r.status_code == 201  # every seeded district is in the programme

    # a district outside the programme gets no district-level money
    program_id = session.exec(select(Program.id).where(Program.code == program)).one()
    session.delete(session.get(ProgramDistrict, (program_id, "650104")))
    session.commit()
    r = client.post(url, json={**TS, "district_code": "650104"}, headers=token_for("finance", "650104"))
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "unknown_district"
    assert client.post("/api/v1/programs/NOPE/appropriations", json=CITY, headers=heads["finance"]).status_code == 404
    assert len(session.exec(select(Appropriation)).all()) == 1
