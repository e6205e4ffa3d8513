"""Pick the representation of a route: JSON for API clients, an HTML fragment for HTMX."""

from fastapi import Request, Response

VARY = "HX-Request, HX-History-Restore-Request, Accept"


def wants_fragment(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true" and request.headers.get("HX-History-Restore-Request") != "true"


def set_vary(response: Response) -> None:
    response.headers["Vary"] = VARY
