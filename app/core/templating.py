"""Jinja2 templates. A page and its HTMX fragment come from one template: the fragment is
a block of the page (jinja2-fragments), so the two never drift apart."""

from pathlib import Path

from jinja2_fragments.fastapi import Jinja2Blocks

from app.core.money import fen_to_wan, fen_to_yuan

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates"

templates = Jinja2Blocks(directory=str(TEMPLATES_DIR))
templates.env.filters["yuan"] = fen_to_yuan
templates.env.filters["wan"] = fen_to_wan
templates.env.globals["HTMX_JS"] = "/static/vendor/htmx-2.0.11.min.js"
