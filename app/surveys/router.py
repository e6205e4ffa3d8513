"""Thin routes for satisfaction surveys (满意度问卷)."""

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1", tags=["surveys"])
pages_router = APIRouter(include_in_schema=False)
