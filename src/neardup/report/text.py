"""ScanResult -> a terminal report readable at 80 columns.

Corpus text is untrusted: control characters (including ANSI escapes) are shown as
``\\x..`` escapes so a document cannot repaint or hijack the user's terminal.
"""

from __future__ import annotations

import unicodedata

from neardup.model import Cluster, ScanResult

__all__ = ["escape_terminal", "preview", "render_text"]

WIDTH = 80


def escape_terminal(text: str) -> str:
    r"""Make untrusted text safe to print: control and format characters become escapes.

    >>> escape_terminal("ok\x1b[31mred\n")
    'ok\\x1b[31mred\\n'
    """
    out = []
    for ch in text:
        if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp"):
            out.append(ch.encode("unicode_escape").decode("ascii"))
        else:
            out.append(ch)
    return "".join(out)


def _width(ch: str) -> int:
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def preview(text: str, columns: int) -> str:
    """First ``columns`` display columns of ``text`` on one line (CJK counts double)."""
    flat = " ".join(text.split())
    out, used = [], 0
    for ch in escape_terminal(flat):
        w = _width(ch)
        if used + w > columns - 1:
            out.append("…")
            break
        out.append(ch)
        used += w
    return "".join(out)


def _cluster_lines(c: Cluster) -> list[str]:
    docs = len(c.doc_ids)
    head = f"Cluster {c.id}: {len(c.members)} copies in {docs} document{'s' if docs != 1 else ''}, {c.chars:,} chars"
    lines = [head, "-" * min(WIDTH, len(head))]
    for m in c.members:
        where = f"  {escape_terminal(m.doc_id)}:{m.line_start}-{m.line_end}"
        lines.append(f"{where}  [{m.start}, {m.end})  sim {m.similarity:.2f}")
        lines.append("    " + preview(m.text, WIDTH - 4))
    return lines


def render_text(result: ScanResult, *, limit: int | None = None) -> str:
    """The report: a one-line summary, then clusters (largest first)."""
    s = result.stats
    lines = [
        f"neardup: {s.documents} documents, {s.passages} passages, "
        f"{s.clusters} clusters, {s.duplicated_chars:,} duplicated chars",
    ]
    for w in result.warnings:
        lines.append("warning: " + escape_terminal(w))
    shown = result.clusters if limit is None else result.clusters[:limit]
    for c in shown:
        lines.append("")
        lines.extend(_cluster_lines(c))
    if limit is not None and len(result.clusters) > limit:
        lines.append("")
        lines.append(f"... {len(result.clusters) - limit} more clusters (use --format json for all)")
    if not result.clusters:
        lines.append("No near-duplicate passages found.")
    return "\n".join(lines) + "\n"
