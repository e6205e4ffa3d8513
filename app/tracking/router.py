"""Post-award tracking: which awarded enterprises are still 规上 in later roster years (保规率)."""

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1", tags=["tracking"])
pages_router = APIRouter(include_in_schema=False)
