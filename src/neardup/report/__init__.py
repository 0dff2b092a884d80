"""Renderers: ScanResult -> str (or a stream, for large JSON). They never print and never compute findings."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from neardup.report.html import render_html
    from neardup.report.json import render_json, to_dict, write_json
    from neardup.report.text import render_text

__all__ = ["render_html", "render_json", "render_text", "to_dict", "write_json"]

_HOMES = {"render_html": "html", "render_json": "json", "to_dict": "json", "write_json": "json", "render_text": "text"}


def __getattr__(name: str) -> Any:
    """Each renderer loads on first use: the JSON one needs numpy, the CLI's start-up does not."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'neardup.report' has no attribute {name!r}")
    value = getattr(import_module(f"neardup.report.{home}"), name)
    globals()[name] = value
    return value
