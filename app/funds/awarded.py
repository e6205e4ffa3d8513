"""Who counts as awarded (获奖补企业): an enterprise with a payment under the programme that
stands — paid and not come back. Surveys, post-award tracking, enterprise histories and the
evaluation all ask this one question, so it is one subquery here."""

from sqlalchemy import Select, exists, select
from sqlmodel import Session, col

from app.applications.models import Application
from app.enterprises.models import Enterprise
from app.funds.models import Payment


def awarded_enterprise_ids(program_id: int, district_code: str | None = None) -> Select:
    """SELECT DISTINCT enterprise_id of the programme's awarded enterprises (optionally one
    district's), for use as a subquery: `col(X.enterprise_id).in_(awarded_enterprise_ids(p))`."""
    query = (
        select(Application.enterprise_id)
        .join(Payment, Payment.application_id == Application.id)
        .where(Application.program_id == program_id, Payment.status == "paid")
    )
    if district_code is not None:
        query = query.where(Application.district_code == district_code)
    return query.distinct()


def is_awarded(session: Session, program_id: int, enterprise_id: int) -> bool:
    return bool(session.scalar(select(exists().where(
        Application.program_id == program_id, Application.enterprise_id == enterprise_id,
        Payment.application_id == Application.id, Payment.status == "paid"))))


def awarded_enterprises(session: Session, program_id: int, district_code: str | None = None) -> list[Enterprise]:
    """The awarded enterprises themselves, by district and name."""
    query = select(Enterprise).where(col(Enterprise.id).in_(awarded_enterprise_ids(program_id, district_code)))
    return list(session.scalars(query.order_by(Enterprise.district_code, Enterprise.name, Enterprise.id)).all())
