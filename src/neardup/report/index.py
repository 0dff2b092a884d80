"""Index results -> text and JSON: what ``neardup index add/query/stats`` print.

Rendering only: no I/O; the CLI prints what these return.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from neardup.report.text import count

if TYPE_CHECKING:
    from neardup.store import Added, IndexMatch, IndexStats

__all__ = ["render_added", "render_matches", "render_stats"]


def render_added(handled: Sequence[Added], read: int, held: int) -> str:
    """One line per document that joined, started or merged clusters (or was a near-copy),
    then a summary: added, skipped as already held, skipped as near-copies, total held."""
    lines = []
    for a in handled:
        if a.near_copy_of is not None:
            lines.append(f"{a.doc_id}: near-copy of {a.near_copy_of}, skipped")
        parts = []
        if a.joined:
            parts.append("joins cluster " + ", ".join(map(str, a.joined)))
        if a.started:
            parts.append("starts cluster " + ", ".join(map(str, a.started)))
        if a.merged:
            parts.append("merges cluster " + ", ".join(map(str, a.merged)) + f" into {a.joined[0]}")
        if parts:
            lines.append(f"{a.doc_id}: " + "; ".join(parts))
    added = [a for a in handled if a.near_copy_of is None]
    skipped = read - len(handled)
    copies = len(handled) - len(added)
    note = f" ({skipped} already held, skipped)" if skipped else ""
    note += f" ({copies:,} near-cop{'y' if copies == 1 else 'ies'} skipped)" if copies else ""
    lines.append(
        f"neardup: added {count(len(added), 'document')}, {count(sum(a.passages for a in added), 'passage')}"
        f"{note}; the index holds {count(held, 'document')}"
    )
    return "\n".join(lines) + "\n"


def _match_lines(doc_id: str, matches: Sequence[IndexMatch]) -> list[str]:
    if not matches:
        return [f"{doc_id}: no match"]
    lines = [f"{doc_id}: {count(len(matches), 'match', 'matches')}"]
    for m in matches:
        lines.append(f"  {m.doc_id}  similarity {m.score:.2f}  coverage {m.coverage:.2f}")
        for s in m.spans:
            lines.append(
                f"    [{s.a_start}, {s.a_end}) lines {s.a_line_start}-{s.a_line_end}"
                f"  ~  [{s.b_start}, {s.b_end}) lines {s.b_line_start}-{s.b_line_end}"
                f"  sim {s.score:.2f}"
            )
    return lines


def _match_dict(m: IndexMatch) -> dict[str, Any]:
    return {
        "doc_id": m.doc_id,
        "ratio": m.ratio,
        "jaccard": m.jaccard,
        "coverage": m.coverage,
        "meta": m.meta,
        "spans": [dataclasses.asdict(s) for s in m.spans],
    }


def render_matches(location: str, results: Sequence[tuple[str, Sequence[IndexMatch]]], fmt: str = "text") -> str:
    """The matches of each queried document (text), or ``{"index", "results"}`` (JSON)."""
    if fmt == "json":
        payload = {"index": location, "results": [{"id": d, "matches": [_match_dict(m) for m in ms]} for d, ms in results]}
        return json.dumps(payload, ensure_ascii=False, sort_keys=True, indent=2) + "\n"
    return "".join("\n".join(_match_lines(doc_id, matches)) + "\n" for doc_id, matches in results)


def render_stats(s: IndexStats, fmt: str = "text") -> str:
    """Size and parameters of an index."""
    if fmt == "json":
        data = dataclasses.asdict(s)
        data["bytes_per_passage"] = s.bytes_per_passage
        return json.dumps(data, ensure_ascii=False, sort_keys=True, indent=2) + "\n"
    size = "" if s.bytes is None else f", {s.bytes:,} bytes ({s.bytes_per_passage or 0:,.0f} per passage)"
    p = s.params
    return (
        f"{s.location} ({s.backend}): {count(s.documents, 'document')}, {count(s.passages, 'passage')},"
        f" {count(s.clusters, 'cluster')}, {count(s.matches, 'match', 'matches')}{size}\n"
        f"threshold {p['threshold']} (bands {p['bands']} x rows {p['rows']}), ngram {p['ngram']} {p['tokens']},"
        f" num_perm {p['num_perm']} ({p.get('minhash_scheme', 'affine32')}), seed {p['seed']},"
        f" passages {p['min_chars']}-{p['max_chars']} chars, texts {'kept' if p['keep_text'] else 'not kept'}\n"
    )
