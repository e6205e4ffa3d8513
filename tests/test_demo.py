"""The demo data set is the seed's programme, and what `scaleup demo` prints works."""

from sqlalchemy import func
from sqlmodel import select

from app.applications.models import Application, EligibilityCheck
from app.demo import DEMO_ACCOUNTS, load_demo
from app.documents.models import Document
from app.enterprises.models import Enterprise
from app.enterprises.uscc import is_valid
from app.funds.models import Appropriation, Payment
from app.notices.models import Notice
from app.programs.models import Program
from app.reviews.models import ReviewDecision
from app.roster.models import RosterEntry


def test_demo_reproduces_the_seed_programme(session, client, token_for):
    accounts = load_demo(session)
    session.commit()
    program = session.exec(select(Program).where(Program.code == "XSG-2023")).one()
    assert (program.cohort_year, program.budget_year, program.target_enterprise_count) == (2023, 2024, 41)
    assert program.city_budget_fen == 4_100_000_00

    apps = session.exec(select(Application).where(Application.program_id == program.id)).all()
    # both review stages, a closed public notice, both tranches paid
    assert len(apps) == 41 and {a.status for a in apps} == {"paid"}
    usccs = [session.get(Enterprise, a.enterprise_id).uscc for a in apps]
    assert all(is_valid(u) for u in usccs) and len(set(usccs)) == 41

    # roster rows back every enterprise; revenues average exactly 57111 万元, two firms ≈ 87 %
    revenues = session.exec(
        select(RosterEntry.main_revenue_fen).where(RosterEntry.year == 2023, RosterEntry.uscc.in_(usccs))
    ).all()
    assert len(revenues) == 41
    total = sum(revenues)
    assert total == 57111 * 41 * 1_000_000
    top_two = sorted(revenues)[-2:]
    assert 0.86 < sum(top_two) / total < 0.88

    # documents complete and every rule passes
    assert session.exec(select(func.count()).select_from(Document).where(Document.application_id.in_([a.id for a in apps]))).one() == 123
    outcomes = session.exec(select(EligibilityCheck.outcome).distinct().where(EligibilityCheck.application_id.in_([a.id for a in apps]))).all()
    assert outcomes == ["pass"]
    decisions = session.exec(select(ReviewDecision.stage, ReviewDecision.department, func.count()).join(
        Application, Application.id == ReviewDecision.application_id).where(Application.program_id == program.id)
        .group_by(ReviewDecision.stage, ReviewDecision.department)).all()
    assert sorted(decisions) == [("city", "industry", 41), ("city", "stats", 41), ("district", "industry", 41), ("district", "stats", 41)]
    notice = session.exec(select(Notice).where(Notice.program_id == program.id)).one()
    assert (notice.starts_on.isoformat(), notice.ends_on.isoformat(), notice.status) == ("2024-06-11", "2024-06-17", "closed")

    # the money: 410万 approved 2024-06-26 and arrived; 41 × 10万 paid 2024-08-08 with receipts
    city = session.exec(select(Appropriation).where(Appropriation.program_id == program.id, Appropriation.level == "city")).one()
    assert (city.document_no, city.approved_on.isoformat(), city.amount_fen, city.arrived_amount_fen) == (
        "乌财建〔2024〕169号", "2024-06-26", 4_100_000_00, 4_100_000_00)
    paid = session.exec(select(Payment).join(Application, Application.id == Payment.application_id)
                        .where(Application.program_id == program.id, Payment.level == "city")).all()
    assert len(paid) == 41 and sum(p.amount_fen for p in paid) == 4_100_000_00
    assert {p.paid_on.isoformat() for p in paid} == {"2024-08-08"}
    receipts = session.exec(select(func.count()).select_from(Document).where(Document.payment_id.in_([p.id for p in paid]))).one()
    assert receipts == 41

    # the seed's survey: 41 questionnaires, all valid, every one 满意 — online and on paper
    ci = client.get("/api/v1/programs/XSG-2023/surveys/summary", headers=token_for("city_industry", name="demo-ci"))
    survey = ci.json()
    assert (survey["awarded"], survey["valid"], survey["response_rate"], survey["satisfaction_rate"]) == (41, 41, 100.0, 100.0)
    assert {o["value"]: o["count"] for o in survey["overall"]}["satisfied"] == 41
    assert survey["online"] > 0 and survey["paper"] > 0 and survey["online"] + survey["paper"] == 41

    # follow-up service after the award, and the three of the cohort that left the 2024 roster
    follow_ups = client.get("/api/v1/follow-ups?limit=100", headers=token_for("city_industry", name="demo-ci-2")).json()
    assert len(follow_ups["items"]) == 9 and sum(f["status"] == "resolved" for f in follow_ups["items"]) == 4
    retention = client.get("/api/v1/programs/XSG-2023/retention", headers=token_for("auditor", name="demo-au")).json()
    [later] = retention["years"]
    assert (later["year"], later["retained"], later["dropped"], later["rate"]) == (2024, 38, 3, 92.68)
    assert {d["uscc"] for d in later["dropouts"]} == {f["uscc"] for f in follow_ups["items"] if f["kind"] != "policy_consultation"
                                                     and f["status"] == "open" and f["occurred_on"] < "2024-10-30"}

    # the 2024 cohort is in progress, with an application at every stage
    second = session.exec(select(Program).where(Program.code == "XSG-2024")).one()
    statuses = set(session.exec(select(Application.status).where(Application.program_id == second.id)).all())
    assert statuses == {"submitted", "district_approved", "city_approved", "in_notice", "returned", "rejected", "withdrawn"}

    # one account per role, and the printed credentials sign in
    roles = {role for _u, _p, role, _d in accounts}
    assert {r.value for _u, r, _d in DEMO_ACCOUNTS} <= roles and "district_system" in roles
    r = client.post("/login", data={"username": "ts_industry", "password": "Demo-2024!"}, follow_redirects=False)
    assert r.status_code == 303
    listed = client.get("/api/v1/applications?limit=500").json()["items"]
    assert len(listed) == 6 + 7 and {i["district_code"] for i in listed} == {"650102"}

    # a second run changes nothing but the passwords
    load_demo(session)
    assert session.exec(select(func.count()).select_from(Application)).one() == 41 + 13
