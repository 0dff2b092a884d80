"""ScanResult -> one self-contained HTML page (inline CSS, JS and SVG; no network).

Corpus text is untrusted. Every piece of it, in element content and in attributes, goes
through :func:`html.escape` (quotes included), so a document containing ``<script>`` or
``"><img onerror=…>`` shows as text. A strict Content-Security-Policy allows only this
page's own style and script, pinned by their SHA-256 hashes: even if escaping were ever
missed, an injected script or inline handler would not run. The page is byte-identical
for the same result (no clock, no randomness; the graph layout is a fixed circle).
"""

from __future__ import annotations

import base64
import hashlib
import math
from collections.abc import Iterable, Sequence
from html import escape

from neardup.model import Alignment, Cluster, DocLink, Family, ReuseSpan, ScanResult, Template, TemplateFamily
from neardup.report.text import count

__all__ = ["CSP", "SCRIPT", "STYLE", "render_html"]

STYLE = """
:root { --ink: #1d2430; --muted: #5b6675; --line: #d5dbe3; --a: #fde2e1; --b: #dff3e4; --sub: #fff1b8; --slot: #e4ddff; }
* { box-sizing: border-box; }
body { font: 15px/1.55 "Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei", sans-serif; color: var(--ink); margin: 0; background: #f7f8fa; }
header, section { max-width: 1280px; margin: 0 auto; padding: 12px 20px; }
header { border-bottom: 1px solid var(--line); background: #fff; max-width: none; }
h1 { font-size: 22px; margin: 4px 0; } h2 { font-size: 18px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 15px; margin: 14px 0 6px; } .muted { color: var(--muted); }
nav a { margin-right: 14px; color: #2457a6; }
.charts { display: flex; flex-wrap: wrap; gap: 18px; } .chart { background: #fff; border: 1px solid var(--line); padding: 8px; }
.sbs { display: grid; grid-template-columns: 1fr 1fr; gap: 10px; margin-bottom: 18px; }
.side { background: #fff; border: 1px solid var(--line); min-width: 0; }
.side h4 { margin: 0; padding: 6px 8px; font-size: 13px; background: #eef1f5; border-bottom: 1px solid var(--line); overflow-wrap: anywhere; }
.text { white-space: pre-wrap; overflow-wrap: anywhere; margin: 0; padding: 8px; max-height: 420px; overflow: auto; font: inherit; }
.del { background: var(--a); text-decoration: line-through; } .ins { background: var(--b); }
.sub { background: var(--sub); } .gap { color: #b42318; font-weight: bold; } .mov { background: var(--slot); text-decoration: underline dotted; }
.slot { background: var(--slot); border-radius: 3px; padding: 0 2px; }
.hl { outline: 2px solid #d92d20; }
table { border-collapse: collapse; width: 100%; background: #fff; } td, th { border: 1px solid var(--line); padding: 4px 6px; text-align: left; vertical-align: top; font-size: 13px; }
td.t { overflow-wrap: anywhere; } .kind { font-weight: bold; }
.fam1 { color: #2f6fc0; } .fam2 { color: #c0392b; } .fam3 { color: #27ae60; } .fam4 { color: #8e44ad; }
.fam5 { color: #d68910; } .fam6 { color: #16a085; } .fam7 { color: #7f8c8d; }
"""

SCRIPT = """
(function () {
  document.documentElement.setAttribute("data-ready", "1");
  var lit = [];
  document.addEventListener("mouseover", function (ev) {
    var t = ev.target instanceof Element ? ev.target.closest("[data-edit]") : null;
    lit.forEach(function (n) { n.classList.remove("hl"); });
    lit = [];
    if (!t) { return; }
    var id = t.getAttribute("data-edit");
    document.querySelectorAll("[data-edit]").forEach(function (n) {
      if (n.getAttribute("data-edit") === id) { n.classList.add("hl"); lit.push(n); }
    });
  });
})();
"""


def _sha256(source: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode("utf-8")).digest()).decode("ascii") + "'"


#: Only this page's own style and script (by hash) may apply; nothing may be fetched.
CSP = (
    f"default-src 'none'; style-src {_sha256(STYLE)}; script-src {_sha256(SCRIPT)}; "
    "img-src 'none'; font-src 'none'; connect-src 'none'; base-uri 'none'; form-action 'none'"
)

MAX_SPANS = 200  # side-by-side views; the JSON report has them all
MAX_GRAPH_NODES = 120


def _e(text: str) -> str:
    return escape(text, quote=True)


def _short(doc_id: str) -> str:
    return doc_id.rstrip("/").rsplit("/", 1)[-1]


def label_width(text: str, font_size: float = 11) -> float:
    """A generous width of ``text`` in pixels: a full em per CJK character, 0.62 em otherwise."""
    import unicodedata

    return sum(font_size if unicodedata.east_asian_width(ch) in ("W", "F") else 0.62 * font_size for ch in text)


# --------------------------------------------------------------------------- charts


def _histogram(values: Sequence[float], bins: int = 20) -> str:
    w, h, pad = 420, 220, 34
    counts = [0] * bins
    for v in values:
        counts[min(bins - 1, max(0, int(v * bins)))] += 1
    top = max(counts) if counts and max(counts) > 0 else 1
    bw = (w - 2 * pad) / bins
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" aria-labelledby="hist-t">',
        '<title id="hist-t">Histogram of verified passage-pair similarities (Jaccard)</title>',
        f'<line x1="{pad}" y1="{h - pad}" x2="{w - pad}" y2="{h - pad}" stroke="#5b6675"/>',
    ]
    for i, c in enumerate(counts):
        bh = (h - 2 * pad) * c / top
        x = pad + i * bw
        out.append(
            f'<rect x="{x + 1:.1f}" y="{h - pad - bh:.1f}" width="{bw - 2:.1f}" height="{bh:.1f}" fill="#2f6fc0">'
            f"<title>{i / bins:.2f}–{(i + 1) / bins:.2f}: {c} pairs</title></rect>"
        )
    for t in (0.0, 0.25, 0.5, 0.75, 1.0):
        x = pad + t * (w - 2 * pad)
        out.append(f'<text x="{x:.1f}" y="{h - pad + 16}" font-size="11" text-anchor="middle" fill="#5b6675">{t:.2f}</text>')
    out.append(f'<text x="{pad}" y="{pad - 14}" font-size="11" fill="#5b6675">max {top} pairs per bin; {len(values)} pairs</text>')
    out.append(f'<text x="{w / 2:.0f}" y="{h - 4}" font-size="11" text-anchor="middle" fill="#5b6675">similarity</text>')
    out.append("</svg>")
    return "".join(out)


#: Family colours (``.fam1`` … ``.fam7`` in STYLE are the same, in this order).
PALETTE = ["#2f6fc0", "#c0392b", "#27ae60", "#8e44ad", "#d68910", "#16a085", "#7f8c8d"]


def _color(family: int | None) -> str:
    return PALETTE[(family - 1) % len(PALETTE)] if family else "#b6bec9"


def _graph(
    doc_ids: Sequence[str], links: Sequence[DocLink], families: Sequence[Family], template_families: Sequence[TemplateFamily] = ()
) -> str:
    """Documents on a circle, grouped and filled by template family, ringed by content family."""
    size, r = 440, 170
    family_of = {d: f.id for f in families for d in f.doc_ids}
    template_of = {d: f.id for f in template_families for d in f.doc_ids}
    degree: dict[str, int] = {}
    for link in links:
        degree[link.a] = degree.get(link.a, 0) + 1
        degree[link.b] = degree.get(link.b, 0) + 1
    nodes = sorted(doc_ids, key=lambda d: (-degree.get(d, 0), d))[:MAX_GRAPH_NODES]
    nodes.sort(key=lambda d: (template_of.get(d, 10**9), family_of.get(d, 10**9), d))
    n = max(len(nodes), 1)
    pos = {
        d: (size / 2 + r * math.cos(2 * math.pi * i / n - math.pi / 2), size / 2 + r * math.sin(2 * math.pi * i / n - math.pi / 2))
        for i, d in enumerate(nodes)
    }
    labels = {d: _short(d)[:24] for d in nodes}
    # room on both sides for the longest label beside its node: none is cut at the edge
    margin = max(math.ceil(max((label_width(t) for t in labels.values()), default=0) + 10 + 8 + 4 - (size / 2 - r)), 0)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size + 2 * margin}" height="{size}" viewBox="{-margin} 0 {size + 2 * margin} {size}" role="img" aria-labelledby="graph-t">',
        '<title id="graph-t">Document graph: fill colour = template family, ring colour = content family; '
        "solid edges share content, dashed edges share boilerplate or template text</title>",
    ]
    for link in links:
        if link.a not in pos or link.b not in pos:
            continue
        (x1, y1), (x2, y2) = pos[link.a], pos[link.b]
        what = f"{count(link.content, 'content char')}, {count(link.boilerplate, 'boilerplate char')}, template weight {link.template:.1f}"
        if link.content > 0:
            width = 1 + math.log10(1 + link.content)
            out.append(
                f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="#2f6fc0" stroke-width="{width:.1f}">'
                f"<title>{_e(link.a)} — {_e(link.b)}: {what}</title></line>"
            )
        else:
            fam = template_of.get(link.a)
            same = fam is not None and fam == template_of.get(link.b)
            width = 1 + math.log10(1 + link.template) / 2
            out.append(
                f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{_color(fam) if same else "#9aa4b2"}" '
                f'stroke-width="{width:.1f}" stroke-dasharray="4 3" stroke-opacity="0.7">'
                f"<title>{_e(link.a)} — {_e(link.b)}: boilerplate and template text only ({what})</title></line>"
            )
    for d in nodes:
        x, y = pos[d]
        fam, tfam = family_of.get(d), template_of.get(d)
        anchor = "start" if x >= size / 2 else "end"
        dx = 10 if x >= size / 2 else -10
        ring = f' stroke="{_color(fam)}" stroke-width="3"' if fam else ""
        title = d + (f" · template family {tfam}" if tfam else "") + (f" · content family {fam}" if fam else "")
        out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="7" fill="{_color(tfam)}"{ring}><title>{_e(title)}</title></circle>')
        out.append(f'<text x="{x + dx:.1f}" y="{y + 4:.1f}" font-size="11" text-anchor="{anchor}" fill="#1d2430">{_e(labels[d])}</text>')
    if len(doc_ids) > len(nodes):
        out.append(f'<text x="0" y="{size - 6}" font-size="11" fill="#5b6675">{len(nodes):,} of {count(len(doc_ids), "document")} shown</text>')
    out.append("</svg>")
    return "".join(out)


# --------------------------------------------------------------------------- text with marks


def _marked(text: str, start: int, end: int, marks: Iterable[tuple[int, int, str, str, str]]) -> str:
    """``text[start:end]`` escaped, with ``(s, e, class, title, edit_id)`` marks (points: s == e)."""
    out = []
    pos = start
    for s, e, cls, title, edit_id in sorted(marks, key=lambda m: (m[0], m[1])):
        s, e = max(s, pos), max(e, pos)
        out.append(_e(text[pos:s]))
        attrs = f' class="{cls}" title="{_e(title)}" data-edit="{_e(edit_id)}"'
        if e > s:
            out.append(f"<span{attrs}>{_e(text[s:e])}</span>")
        else:
            out.append(f"<span{attrs}>⁁</span>")
        pos = e
    out.append(_e(text[pos:end]))
    return "".join(out)


def _span_view(n: int, k: int, al: Alignment, span: ReuseSpan, ta: str, tb: str) -> str:
    a_marks, b_marks = [], []
    for i, ed in enumerate(span.edits):
        eid = f"p{n}s{k}e{i}"
        if ed.kind == "insert":
            a_marks.append((ed.a_start, ed.a_end, "gap", f"B inserts: {ed.b_text}", eid))
            b_marks.append((ed.b_start, ed.b_end, "ins", "only in B", eid))
        elif ed.kind == "delete":
            a_marks.append((ed.a_start, ed.a_end, "del", "only in A", eid))
            b_marks.append((ed.b_start, ed.b_end, "gap", f"A has: {ed.a_text}", eid))
        elif ed.kind == "move":
            a_marks.append((ed.a_start, ed.a_end, "mov", f"moved in B (offset {ed.b_start})", eid))
            b_marks.append((ed.b_start, ed.b_end, "mov", f"moved from A (offset {ed.a_start})", eid))
        else:
            a_marks.append((ed.a_start, ed.a_end, "sub", f"B has: {ed.b_text}", eid))
            b_marks.append((ed.b_start, ed.b_end, "sub", f"A has: {ed.a_text}", eid))
    head_a = f"A · {al.a}:{span.a_line_start}-{span.a_line_end} [{span.a_start}, {span.a_end})"
    head_b = f"B · {al.b}:{span.b_line_start}-{span.b_line_end} [{span.b_start}, {span.b_end})"
    return (
        f'<h3>Span {k + 1}: similarity {span.ratio:.2f}, {count(len(span.edits), "edit")}</h3>'
        '<div class="sbs">'
        f'<div class="side a"><h4>{_e(head_a)}</h4><pre class="text">{_marked(ta, span.a_start, span.a_end, a_marks)}</pre></div>'
        f'<div class="side b"><h4>{_e(head_b)}</h4><pre class="text">{_marked(tb, span.b_start, span.b_end, b_marks)}</pre></div>'
        "</div>"
    )


def _template_view(t: Template, c: Cluster) -> str:
    ref = c.members[0]
    marks = []
    for slot in t.slots:
        f0 = slot.fills[0]
        marks.append((f0.start - ref.start, f0.end - ref.start, slot))
    out = []
    pos = 0
    for s, e, slot in marks:
        out.append(_e(ref.text[pos:s]))
        label = "{" + " | ".join(v if v else "∅" for v in slot.values) + "}"
        title = " | ".join(f"member {f.member + 1}: {f.text or '∅'}" for f in slot.fills)
        out.append(f'<mark class="slot" title="{_e(title)}">{_e(label)}</mark>')
        pos = e
    out.append(_e(ref.text[pos:]))
    return f'<pre class="text">{"".join(out)}</pre>'


def _cluster_section(result: ScanResult) -> str:
    templates = {t.cluster: t for t in result.templates}
    parts = ['<section id="clusters"><h2>Clusters</h2>']
    if not result.clusters:
        parts.append('<p class="muted">No near-duplicate passages found.</p>')
    for c in result.clusters:
        parts.append(f'<h3 id="cluster-{c.id}">Cluster {c.id}: {count(len(c.members), "copy", "copies")} in {count(len(c.doc_ids), "document")}, {count(c.chars, "char")}</h3>')
        parts.append("<table><tr><th>#</th><th>document</th><th>lines</th><th>[start, end)</th><th>similarity</th></tr>")
        for i, m in enumerate(c.members):
            parts.append(
                f"<tr><td>{i + 1}</td><td class=\"t\">{_e(m.doc_id)}</td><td>{m.line_start}-{m.line_end}</td>"
                f"<td>[{m.start}, {m.end})</td><td>{m.jaccard:.2f}</td></tr>"
            )
        parts.append("</table>")
        t = templates.get(c.id)
        if t is not None:
            parts.append(
                f'<p>Template: {count(len(t.slots), "slot")}, {count(t.shared, "shared character")}. '
                '<span class="muted">Slots show each member\'s fill, first member first.</span></p>'
            )
            parts.append(_template_view(t, c))
    parts.append("</section>")
    return "".join(parts)


def _pairs_section(result: ScanResult) -> str:
    texts = {d.id: d.text for d in result.documents}
    parts = ['<section id="pairs"><h2>Reused spans, side by side</h2>',
             '<p class="muted"><span class="sub">substituted</span> <span class="del">only in A</span> '
             '<span class="ins">only in B</span> <span class="mov">moved</span> <span class="gap">⁁</span> where the other side has more. '
             "Differences that normalisation ignores (punctuation, 繁/简, pinyin glosses) are not marked.</p>"]
    shown = 0
    for n, al in enumerate(result.alignments):
        parts.append(f'<h3 class="pair">{_e(al.a)} ⟷ {_e(al.b)}: {count(len(al.spans), "span")}</h3>')
        for k, span in enumerate(al.spans):
            if shown >= MAX_SPANS:
                break
            parts.append(_span_view(n, k, al, span, texts[al.a], texts[al.b]))
            shown += 1
    total = sum(len(a.spans) for a in result.alignments)
    if total > shown:
        parts.append(f'<p class="muted">{total - shown} more spans in the JSON report.</p>')
    if not result.alignments:
        parts.append('<p class="muted">No reused spans.</p>')
    parts.append("</section>")
    return "".join(parts)


def _families_section(result: ScanResult) -> str:
    parts = ['<section id="families"><h2>Template families</h2>',
             '<p class="muted">Documents that share boilerplate and template text: page chrome, stock formulas, '
             "--base text and sentence skeletons (places, names and numbers folded), each piece weighted by how rare it is. "
             "Colours match the document graph.</p>"]
    if not result.template_families:
        parts.append('<p class="muted">No documents share boilerplate or template text.</p>')
    else:
        parts.append("<table><tr><th>family</th><th>documents</th><th>shared chars each</th><th>weight</th><th>keywords</th><th>what they share</th></tr>")
        for t in result.template_families:
            shared = "<br>".join(
                f'<span class="kind">{_e(label.kind)}</span> ({label.documents} docs, {label.chars} chars): {_e(label.text)}' for label in t.boilerplate
            )
            parts.append(
                f'<tr><td><span class="fam{(t.id - 1) % len(PALETTE) + 1}">●</span> {t.id}</td><td class="t">{"<br>".join(_e(d) for d in t.doc_ids)}</td>'
                f"<td>{t.chars:,}</td><td>{t.weight:,.1f}</td><td>{_e(' '.join(t.keywords))}</td><td class=\"t\">{shared}</td></tr>"
            )
        parts.append("</table>")
    parts.append("<h2>Content families</h2>")
    if not result.families:
        parts.append('<p class="muted">No two documents share content beyond boilerplate.</p>')
    else:
        parts.append("<table><tr><th>family</th><th>documents</th><th>shared chars</th><th>keywords</th><th>shared boilerplate</th></tr>")
        for f in result.families:
            parts.append(
                f"<tr><td>{f.id}</td><td class=\"t\">{'<br>'.join(_e(d) for d in f.doc_ids)}</td><td>{f.content:,}</td>"
                f"<td>{_e(' '.join(f.keywords))}</td><td class=\"t\">{'<br>'.join(_e(b) for b in f.boilerplate)}</td></tr>"
            )
        parts.append("</table>")
    parts.append("</section>")
    return "".join(parts)


def _boilerplate_section(result: ScanResult) -> str:
    parts = ['<section id="boilerplate"><h2>Boilerplate</h2>',
             '<p class="muted">corpus: carried by many distinct documents; page: a page\'s menus, bylines and footers; '
             "base: shared with a --base file.</p>"]
    if not result.boilerplate:
        parts.append('<p class="muted">None found.</p>')
    else:
        parts.append("<table><tr><th>document</th><th>lines</th><th>kind</th><th>documents</th><th>text</th></tr>")
        for b in result.boilerplate:
            text = b.text if len(b.text) <= 300 else b.text[:300] + "…"
            parts.append(
                f"<tr><td class=\"t\">{_e(b.doc_id)}</td><td>{b.line_start}-{b.line_end}</td><td class=\"kind\">{b.kind}</td>"
                f"<td>{b.documents}</td><td class=\"t\">{_e(text)}</td></tr>"
            )
        parts.append("</table>")
    parts.append("</section>")
    return "".join(parts)


def render_html(result: ScanResult) -> str:
    """The whole report as one HTML document (UTF-8 text)."""
    s = result.stats
    summary = (
        f"{count(s.documents, 'document')}, {count(s.passages, 'passage')}, {count(s.matches, 'verified pair')}, "
        f"{count(s.clusters, 'cluster')}, {count(s.duplicated_chars, 'duplicated char')}, "
        f"{count(len(result.boilerplate), 'boilerplate run')}, {count(len(result.template_families), 'template family', 'template families')}, "
        f"{count(len(result.families), 'content family', 'content families')}"
    )
    warnings = "".join(f'<p class="muted">warning: {_e(w)}</p>' for w in result.warnings)
    charts = (
        '<section id="charts"><h2>Overview</h2><div class="charts">'
        f'<div class="chart"><h3>Pair similarities</h3>{_histogram([m.jaccard for m in result.matches])}</div>'
        f'<div class="chart"><h3>Document graph</h3>{_graph([d.id for d in result.documents], result.links, result.families, result.template_families)}</div>'
        "</div></section>"
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="zh"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_e(CSP)}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>neardup report</title>"
        f"<style>{STYLE}</style></head><body>"
        f'<header><h1>neardup report</h1><p>{_e(summary)}</p>{warnings}'
        '<nav><a href="#charts">overview</a><a href="#clusters">clusters</a><a href="#pairs">side by side</a>'
        '<a href="#families">families</a><a href="#boilerplate">boilerplate</a></nav></header>'
        f"{charts}{_cluster_section(result)}{_pairs_section(result)}{_families_section(result)}{_boilerplate_section(result)}"
        f"<script>{SCRIPT}</script></body></html>\n"
    )
