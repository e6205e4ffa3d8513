"""HTML pages that are not the HTML face of an API route."""

from fastapi import APIRouter
from fastapi.responses import RedirectResponse

from app.users.auth import OptionalPrincipal

router = APIRouter(include_in_schema=False)


@router.get("/")
def home(principal: OptionalPrincipal):
    return RedirectResponse("/applications" if principal else "/login", status_code=303)
