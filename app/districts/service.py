from sqlmodel import Session, select

from app.districts.models import District


def list_districts(session: Session) -> list[District]:
    return list(session.exec(select(District).order_by(District.code)).all())


def district_names(session: Session) -> dict[str, str]:
    return {d.code: d.name for d in list_districts(session)}
