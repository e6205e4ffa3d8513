"""The demo data set is the seed's programme, and what `scaleup demo` prints works."""

from sqlalchemy import func
from sqlmodel import select

from app.applications.models import Application, EligibilityCheck
from app.demo import DEMO_ACCOUNTS, load_demo
from app.documents.models import Document
from app.enterprises.models import Enterprise
from app.enterprises.uscc import is_valid
from app.programs.models import Program
from app.roster.models import RosterEntry


def test_demo_reproduces_the_seed_programme(session, client):
    accounts = load_demo(session)
    session.commit()
    program = session.exec(select(Program).where(Program.code == "XSG-2023")).one()
    assert (program.cohort_year, program.budget_year, program.target_enterprise_count) == (2023, 2024, 41)
    assert program.city_budget_fen == 4_100_000_00

    apps = session.exec(select(Application).where(Application.program_id == program.id)).all()
    assert len(apps) == 41 and {a.status for a in apps} == {"submitted"}
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
    assert session.exec(select(func.count()).select_from(Document)).one() == 123
    outcomes = session.exec(select(EligibilityCheck.outcome).distinct()).all()
    assert outcomes == ["pass"]

    # one account per role, and the printed credentials sign in
    roles = {role for _u, _p, role, _d in accounts}
    assert {r.value for _u, r, _d in DEMO_ACCOUNTS} <= roles and "district_system" in roles
    r = client.post("/login", data={"username": "ts_industry", "password": "Demo-2024!"}, follow_redirects=False)
    assert r.status_code == 303
    listed = client.get("/api/v1/applications?limit=500").json()["items"]
    assert len(listed) == 6 and {i["district_code"] for i in listed} == {"650102"}

    # a second run changes nothing but the passwords
    load_demo(session)
    assert session.exec(select(func.count()).select_from(Application)).one() == 41
