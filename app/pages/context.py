"""What every page needs: who is signed in, in words."""

from fastapi import Request
from sqlmodel import Session

from app.districts.models import District
from app.users.auth import Principal
from app.users.models import ROLE_NAMES_ZH


def page_context(request: Request, session: Session, principal: Principal | None, **extra) -> dict:
    district = session.get(District, principal.district_code) if principal and principal.district_code else None
    return {
        "principal": principal,
        "role_name": ROLE_NAMES_ZH.get(principal.role, "") if principal else "",
        "district_name": district.name if district else "",
        **extra,
    }
