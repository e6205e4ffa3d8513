"""Thin routes for the follow-up service (跟踪服务) records of an enterprise."""

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1", tags=["follow-ups"])
