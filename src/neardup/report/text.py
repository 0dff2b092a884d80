"""ScanResult -> a terminal report readable at 80 columns.

Corpus text is untrusted: control characters (including ANSI escapes) are shown as
``\\x..`` escapes so a document cannot repaint or hijack the user's terminal.
"""

from __future__ import annotations

import unicodedata

from neardup.model import Cluster, ScanResult, Template

__all__ = ["count", "escape_terminal", "preview", "render_text"]

WIDTH = 80


def count(n: int, noun: str, plural: str | None = None) -> str:
    """``n`` with thousands separators and the noun in the right number.

    >>> count(1, "document"), count(79462, "passage"), count(2, "copy", "copies")
    ('1 document', '79,462 passages', '2 copies')
    """
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"


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
    head = f"Cluster {c.id}: {count(len(c.members), 'copy', 'copies')} in {count(docs, 'document')}, {count(c.chars, 'char')}"
    lines = [head, "-" * min(WIDTH, len(head))]
    for m in c.members:
        where = f"  {escape_terminal(m.doc_id)}:{m.line_start}-{m.line_end}"
        lines.append(f"{where}  [{m.start}, {m.end})  sim {m.jaccard:.2f}")
        lines.append("    " + preview(m.text, WIDTH - 4))
    return lines


def _slot_lines(t: Template, c: Cluster, limit: int = 12) -> list[str]:
    head = f"  template: {count(len(t.slots), 'slot')}, {count(t.shared, 'shared char')}"
    lines = [head]
    ref = c.members[0]
    for slot in t.slots[:limit]:
        f0 = slot.fills[0]
        s, e = f0.start - ref.start, f0.end - ref.start
        before = " ".join(ref.text[max(0, s - 8) : s].split())
        after = " ".join(ref.text[e : e + 8].split())
        marked = "{" + " | ".join(v if v else "∅" for v in slot.values) + "}"
        lines.append("    " + preview(f"…{before}{marked}{after}…", WIDTH - 4))
    if len(t.slots) > limit:
        lines.append(f"    ... {count(len(t.slots) - limit, 'more slot')} (use --format json for all)")
    return lines


def _extra_sections(result: ScanResult) -> list[str]:
    lines: list[str] = []
    if result.alignments:
        lines += ["", "Reused spans", "------------"]
        for al in result.alignments:
            for sp in al.spans:
                lines.append(
                    f"  {escape_terminal(al.a)}:{sp.a_line_start}-{sp.a_line_end}"
                    f"  [{sp.a_start}, {sp.a_end})  sim {sp.ratio:.2f}, {count(len(sp.edits), 'edit')}"
                )
                lines.append(
                    f"    ~ {escape_terminal(al.b)}:{sp.b_line_start}-{sp.b_line_end}"
                    f"  [{sp.b_start}, {sp.b_end})"
                )
    if result.boilerplate:
        lines += ["", "Boilerplate", "-----------"]
        for b in result.boilerplate:
            where = f"  {escape_terminal(b.doc_id)}:{b.line_start}-{b.line_end}  {b.kind}"
            if b.kind != "page":
                where += f" ({count(b.documents, 'doc')})"
            lines.append(where)
            lines.append("    " + preview(b.text, WIDTH - 4))
    if result.families:
        lines += ["", "Content families", "----------------"]
        for f in result.families:
            lines.append(f"  Family {f.id}: {count(len(f.doc_ids), 'document')}, {count(f.content, 'shared char')}")
            if f.keywords:
                lines.append("    keywords: " + preview(" ".join(f.keywords), WIDTH - 14))
            for d in f.doc_ids:
                lines.append("    " + escape_terminal(d))
            for bp in f.boilerplate:
                lines.append("    boilerplate: " + preview(bp, WIDTH - 17))
    if result.template_families:
        lines += ["", "Template families", "-----------------"]
        for t in result.template_families:
            lines.append(f"  Family {t.id}: {len(t.doc_ids)} documents, {t.chars:,} shared chars each (weight {t.weight:,.1f})")
            for label in t.boilerplate:
                lines.append(f"    {label.kind} ({label.documents} docs, {label.chars} chars): " + preview(label.text, WIDTH - 34))
            if t.keywords:
                lines.append("    keywords: " + preview(" ".join(t.keywords), WIDTH - 14))
            for d in t.doc_ids:
                lines.append("    " + escape_terminal(d))
    return lines


def render_text(result: ScanResult, *, limit: int | None = None) -> str:
    """The report: a one-line summary, then clusters (largest first)."""
    s = result.stats
    lines = [
        f"neardup: {count(s.documents, 'document')}, {count(s.passages, 'passage')}, "
        f"{count(s.clusters, 'cluster')}, {count(s.duplicated_chars, 'duplicated char')}",
    ]
    for w in result.warnings:
        lines.append("warning: " + escape_terminal(w))
    shown = result.clusters if limit is None else result.clusters[:limit]
    templates = {t.cluster: t for t in result.templates}
    for c in shown:
        lines.append("")
        lines.extend(_cluster_lines(c))
        if c.id in templates and templates[c.id].slots:
            lines.extend(_slot_lines(templates[c.id], c))
    if limit is not None and len(result.clusters) > limit:
        lines.append("")
        lines.append(f"... {count(len(result.clusters) - limit, 'more cluster')} (use --format json for all)")
    if not result.clusters:
        lines.append("No near-duplicate passages found.")
    lines.extend(_extra_sections(result))
    return "\n".join(lines) + "\n"
