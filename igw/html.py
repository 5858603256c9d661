"""The HTML files igw writes (payout statements, the monthly report): one jinja2 setup."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import jinja2

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"


def load_template(name: str, filters: dict[str, Callable]) -> jinja2.Template:
    """Autoescaped, strict: every text is escaped and a misspelt field fails loudly."""
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters.update(filters)
    return environment.get_template(name)
