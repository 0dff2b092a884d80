"""Renderers: ScanResult -> str. They never print and never compute findings."""

from __future__ import annotations

from neardup.report.html import render_html
from neardup.report.json import render_json, to_dict
from neardup.report.text import render_text

__all__ = ["render_html", "render_json", "render_text", "to_dict"]
