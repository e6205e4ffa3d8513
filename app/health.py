from fastapi import APIRouter
from sqlalchemy import text

from app.core.db import SessionDep

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="存活检查")
def healthz() -> dict:
    return {"status": "ok"}


@router.get("/readyz", summary="就绪检查（含数据库）")
def readyz(session: SessionDep) -> dict:
    session.execute(text("SELECT 1"))
    return {"status": "ok", "database": "ok"}
