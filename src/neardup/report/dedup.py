"""A dedup's findings as text: the ``--removed`` JSONL records and the summary line."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping

from neardup.dedup import DedupResult

__all__ = ["removed_records", "render_removed", "render_summary"]


def removed_records(result: DedupResult, texts: Mapping[str, str] | None = None) -> Iterator[dict[str, object]]:
    """One record per removed document (``id``, ``duplicate_of``, ``share``, ``similarity``),
    then, for ``passages=True``, one per cut (``id``, ``start``, ``end``, ``kind``, the kept
    copy it repeats, and the ``text`` cut when ``texts`` gives the original texts)."""
    for r in result.removed:
        yield {"id": r.doc_id, "duplicate_of": r.duplicate_of, "share": r.share, "similarity": r.similarity}
    removed = {r.doc_id for r in result.removed}
    for c in result.cuts:
        if c.doc_id in removed:
            continue
        record: dict[str, object] = {"id": c.doc_id, "start": c.start, "end": c.end, "kind": c.kind}
        if c.kind == "repeat":
            record.update(duplicate_of=c.duplicate_of, duplicate_start=c.duplicate_start, duplicate_end=c.duplicate_end, similarity=c.similarity)
        if texts is not None and c.doc_id in texts:
            record["text"] = texts[c.doc_id][c.start : c.end]
        yield record


def render_removed(result: DedupResult, texts: Mapping[str, str] | None = None) -> str:
    """``--removed`` as JSONL (keys sorted, UTF-8 text as is)."""
    return "".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in removed_records(result, texts))


def render_summary(result: DedupResult, *, dry_run: bool = False) -> str:
    """``neardup dedup: 1,000 documents in, 900 kept, 100 removed, 123,456 characters removed``.

    >>> from neardup.dedup import DedupStats
    >>> render_summary(DedupResult((), (), DedupStats(1000, 900, 100, 123456)), dry_run=True)
    'neardup dedup (dry run): 1,000 documents in, 900 kept, 100 removed, 123,456 characters removed'
    """
    s = result.stats
    cut = f" ({len(result.cuts):,} passages cut)" if result.cuts else ""
    head = "neardup dedup (dry run)" if dry_run else "neardup dedup"
    return f"{head}: {s.documents:,} documents in, {s.kept:,} kept, {s.removed:,} removed, {s.chars_removed:,} characters removed{cut}"
