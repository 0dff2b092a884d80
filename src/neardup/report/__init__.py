"""Renderers: ScanResult -> str (or a stream, for large JSON). They never print and never compute findings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from neardup._lazy import lazy_getattr

if TYPE_CHECKING:
    from neardup.report.html import render_html
    from neardup.report.json import render_json, to_dict, write_json
    from neardup.report.text import render_text

__all__ = ["render_html", "render_json", "render_text", "to_dict", "write_json"]

_HOMES = {"render_html": "html", "render_json": "json", "to_dict": "json", "write_json": "json", "render_text": "text"}


# Each renderer loads on first use: the JSON one needs numpy, the CLI's start-up does not.
__getattr__ = lazy_getattr("neardup.report", _HOMES, globals())
