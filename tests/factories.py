"""Builders for test data. Programmes and roster rows are inserted directly (their own
routes are tested in their folders); applications go through the API like a district's."""

from datetime import date
from itertools import count

from sqlmodel import Session, select

from app.districts.models import District
from app.enterprises.uscc import make_uscc
from app.programs.models import AwardTranche, Program, ProgramDistrict
from app.roster.models import RosterEntry

_serial = count(1000)

# Tiny but real files: the magic bytes are what the upload check reads.
PDF_BYTES = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def make_program(session: Session, code: str = "T-2023", *, cohort_year: int = 2023, opens: date | None = None,
                 closes: date | None = None, target: int = 41, indicators: bool = False) -> Program:
    """A programme with 10万 + 10万 tranches and a 410万 city budget; with `indicators`, its own
    copy of the xsg-default indicator table too (as the programme route makes it)."""
    program = Program(
        code=code, title=f"{code} 测试项目", cohort_year=cohort_year, budget_year=cohort_year + 1,
        revenue_threshold_fen=20_000_000_00, city_budget_fen=4_100_000_00, target_enterprise_count=target,
        application_opens_on=opens, application_closes_on=closes, payment_deadline=date(cohort_year + 1, 9, 30),
        grade_bands=[["优", 90], ["良", 80], ["中", 70], ["差", 0]],
    )
    session.add(program)
    session.flush()
    for d in session.exec(select(District)).all():
        session.add(ProgramDistrict(program_id=program.id, district_code=d.code))
    session.add(AwardTranche(program_id=program.id, level="city", amount_fen=100_000_00))
    session.add(AwardTranche(program_id=program.id, level="district", amount_fen=100_000_00))
    if indicators:
        from app.programs import indicator_templates
        from app.programs.service import _indicator_row

        params = indicator_templates.ProgramParameters(cohort_year=cohort_year, target_enterprise_count=target,
                                                       revenue_threshold_fen=program.revenue_threshold_fen,
                                                       city_award_fen=100_000_00)
        for position, row in enumerate(indicator_templates.filled_rows("xsg-default", params), start=1):
            session.add(_indicator_row(program.id, position, row))
    session.flush()
    return program


def new_uscc(district: str = "650102") -> str:
    return make_uscc(district, next(_serial))


def application_body(uscc: str | None = None, *, district: str = "650102", ref: str | None = None,
                     revenue: str = "35200000.00", industry: str = "3421", period: str = "2023-06", **enterprise) -> dict:
    uscc = uscc or new_uscc(district)
    return {
        "external_ref": ref or f"REF-{uscc[-8:]}",
        "declared_revenue": revenue,
        "first_above_scale_period": period,
        "enterprise": {
            "uscc": uscc, "name": enterprise.pop("name", f"新疆测试机械制造有限公司{uscc[-4:]}"), "district_code": district,
            "industry_code": industry, "address": "乌鲁木齐市天山区测试路 1 号", "legal_representative": "张三",
            "contact_name": "李四", "contact_phone": "0991-1234567", "bank_name": "中国银行乌鲁木齐分行",
            "bank_account": "6217000012345678", **enterprise,
        },
    }


def add_roster(session: Session, uscc: str, *, year: int = 2023, district: str = "650102", revenue_fen: int = 35_200_000_00,
               first_included: str = "2023-06", industry: str = "3421") -> RosterEntry:
    row = RosterEntry(uscc=uscc, year=year, name="名录企业", district_code=district, industry_code=industry,
                      first_included=first_included, main_revenue_fen=revenue_fen)
    session.add(row)
    session.flush()
    return row


def complete_documents(session: Session, application_id: int) -> None:
    """Attach the three required documents — real files in storage, rows as the upload
    route writes them — and recompute eligibility. The upload route itself is tested in
    tests/documents."""
    import io

    from app.applications import eligibility
    from app.applications.models import Application
    from app.documents import storage
    from app.documents.models import Document

    for kind in eligibility.REQUIRED_DOCUMENTS:
        stored = storage.save_stream(io.BytesIO(PDF_BYTES), len(PDF_BYTES), inspect=lambda _path: ".pdf")
        session.add(Document(application_id=application_id, kind=kind, filename=f"{kind}.pdf", content_type="application/pdf",
                             size=stored.size, sha256=stored.sha256, storage_key=stored.storage_key,
                             uploaded_by="test"))
    session.flush()
    eligibility.recompute(session, session.get(Application, application_id))
    session.commit()


def _principal(role, district: str | None = None):  # noqa: ANN001, ANN202
    from app.users.auth import Principal

    return Principal(name=f"{role.value}-{district or 'city'}", role=role, district_code=district, via="token")


def approve_applications(session: Session, program_code: str, districts: list[str], **enterprise) -> list[int]:
    """One application per entry of `districts` (a district code each), all `approved` the way
    the districts and the city do it — submitted, documents attached, approved by both
    departments of both stages, listed in a notice that is then closed — through the
    services, with the notice's dates injected so the tests do not depend on today.
    Commits what it builds (inside the test's savepoint, or for real on the live server)."""
    from app.applications.schemas import ApplicationSubmit
    from app.applications.service import submit
    from app.notices.service import close_notice, create_notice
    from app.reviews.service import decide
    from app.users.models import Role

    ids = []
    for district in districts:
        body = ApplicationSubmit.model_validate(application_body(new_uscc(district), district=district, **enterprise))
        application, _created = submit(session, _principal(Role.district_system, district), program_code, body)
        complete_documents(session, application.id)
        for reviewer in (_principal(Role.district_industry, district), _principal(Role.district_stats, district),
                         _principal(Role.city_industry), _principal(Role.city_stats)):
            decide(session, reviewer, application.id, decision="approve", opinion="同意",
                   if_match=f'"{application.version}"')
        ids.append(application.id)
    keeper = _principal(Role.city_industry)
    notice = create_notice(session, keeper, program_code, f"{program_code} 拟奖补企业公示", date(2024, 6, 3))
    close_notice(session, keeper, notice.id, today=date(2024, 7, 1))
    session.commit()
    return ids


def award_applications(session: Session, program_code: str, districts: list[str], *, paid_on: date = date(2024, 8, 8),
                       **enterprise) -> list[int]:
    """Like approve_applications, then the city tranche paid to each: awarded enterprises
    (a paid payment that has not come back). Commits."""
    from app.applications.models import Application
    from app.funds.schemas import PaymentCreate
    from app.funds.service import record_payment
    from app.users.models import Role

    ids = approve_applications(session, program_code, districts, **enterprise)
    finance = _principal(Role.finance)
    for n, application_id in enumerate(ids, 1):
        body = PaymentCreate(level="city", amount="100000.00", voucher_no=f"GKZF-T-{application_id}-{n}", paid_on=paid_on)
        record_payment(session, finance, session.get(Application, application_id), body)
    session.commit()
    return ids
