"""Evaluation report routes (being written)."""

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1", tags=["evaluation"])
pages_router = APIRouter(include_in_schema=False)
