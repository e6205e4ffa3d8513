from fastapi import APIRouter

from app.core.db import SessionDep
from app.districts import service
from app.districts.models import DistrictPublic
from app.users.auth import CurrentPrincipal

router = APIRouter(prefix="/api/v1", tags=["districts"])


@router.get("/districts", response_model=list[DistrictPublic], summary="区县列表")
def list_districts(session: SessionDep, _: CurrentPrincipal) -> list[DistrictPublic]:
    return [DistrictPublic(code=d.code, name=d.name) for d in service.list_districts(session)]
