"""Thin routes for enterprises: the list and one enterprise's whole history."""

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1", tags=["enterprises"])
pages_router = APIRouter(include_in_schema=False)
