"""ScanResult -> JSON, in the versioned schema ``neardup.scan/3`` (``schema/scan.schema.json``).

Byte-identical for the same input and options: keys sorted, floats rounded, documents
and clusters in a canonical order (the scan already sorts them by id).
"""

from __future__ import annotations

import json
from itertools import chain, islice
from dataclasses import fields
from json.encoder import encode_basestring as _encode_str  # the C version when available
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TextIO

import numpy as np

from neardup.model import Alignment, Boilerplate, Cluster, Edit, Family, Member, ScanResult, Template, TemplateFamily
from neardup.passages import line_count

__all__ = ["SCHEMA_ID", "dumps", "render_json", "to_dict", "write_json"]

#: Version 2 added ``template_families`` and each link's ``template`` weight; version 3
#: names each score by its metric: a member's ``jaccard``, a reused span's ``ratio``.
SCHEMA_ID = "neardup.scan/3"


def _flat(obj: Any) -> dict[str, Any]:
    """A dataclass of plain values as a dict: ``dataclasses.asdict`` deep-copies every
    value, a quarter of the report's time on a large corpus."""
    names = _FIELDS.get(type(obj))
    if names is None:
        names = _FIELDS[type(obj)] = tuple(f.name for f in fields(obj))
    return {n: getattr(obj, n) for n in names}


_FIELDS: dict[type, tuple[str, ...]] = {}


def _member(m: Member) -> dict[str, Any]:
    return {
        "doc_id": m.doc_id,
        "start": m.start,
        "end": m.end,
        "line_start": m.line_start,
        "line_end": m.line_end,
        "passages": list(m.passages),
        "jaccard": round(m.jaccard, 4),
        "text": m.text,
    }


def _cluster(c: Cluster) -> dict[str, Any]:
    return {
        "id": c.id,
        "size": len(c.members),
        "chars": c.chars,
        "documents": list(c.doc_ids),
        "representative": c.representative,
        "members": [_member(m) for m in c.members],
    }


def _edit(e: Edit) -> dict[str, Any]:
    return _flat(e)


def _alignment(al: Alignment) -> dict[str, Any]:
    return {
        "a": al.a,
        "b": al.b,
        "spans": [
            {
                "a_start": s.a_start,
                "a_end": s.a_end,
                "b_start": s.b_start,
                "b_end": s.b_end,
                "ratio": round(s.ratio, 4),
                "matched": s.matched,
                "edits": [_edit(e) for e in s.edits],
            }
            for s in al.spans
        ],
    }


def _template(t: Template, cluster: Cluster) -> dict[str, Any]:
    return {
        "cluster": t.cluster,
        "shared": t.shared,
        "text": t.text,
        "slots": [
            {
                "index": s.index,
                "values": list(s.values),
                "fills": [
                    {"member": f.member, "doc_id": cluster.members[f.member].doc_id, "start": f.start, "end": f.end, "text": f.text}
                    for f in s.fills
                ],
            }
            for s in t.slots
        ],
    }


def _boilerplate(b: Boilerplate) -> dict[str, Any]:
    return _flat(b)


def _family(f: Family) -> dict[str, Any]:
    return {
        "id": f.id,
        "documents": list(f.doc_ids),
        "content": f.content,
        "keywords": list(f.keywords),
        "boilerplate": list(f.boilerplate),
    }


def _template_family(f: TemplateFamily) -> dict[str, Any]:
    return {
        "id": f.id,
        "documents": list(f.doc_ids),
        "weight": round(f.weight, 2),
        "chars": f.chars,
        "keywords": list(f.keywords),
        "boilerplate": [_flat(label) for label in f.boilerplate],
    }


def to_dict(result: ScanResult) -> dict[str, Any]:
    """The JSON document as Python data (what :func:`render_json` serialises)."""
    return _document(result, list)


def _document(result: ScanResult, section: Callable[[Iterable[Any]], Iterable[Any]]) -> dict[str, Any]:
    """The JSON document; ``section`` makes each long section (``list``, or ``iter`` to stream it)."""
    from neardup import __version__

    rows = getattr(result.passages, "rows", None)  # a scan's PassageArray: count without objects
    if rows is not None:
        per_doc = dict(enumerate(np.bincount(rows["doc"], minlength=len(result.documents)).tolist()))
    else:
        per_doc = {}
        for p in result.passages:
            per_doc[p.doc] = per_doc.get(p.doc, 0) + 1
    s = result.stats
    return {
        "schema": SCHEMA_ID,
        "neardup_version": __version__,
        "config": result.config,
        "summary": {
            "documents": s.documents,
            "passages": s.passages,
            "candidates": s.candidates,
            "matches": s.matches,
            "clusters": s.clusters,
            "duplicated_chars": s.duplicated_chars,
        },
        "documents": section(
            {
                "id": d.id,
                "path": d.path,
                "encoding": d.encoding,
                "chars": len(d.text),
                "lines": line_count(d.text),
                "passages": per_doc.get(i, 0),
            }
            for i, d in enumerate(result.documents)
        ),
        "clusters": section(_cluster(c) for c in result.clusters),
        "templates": section(_template(t, c) for t, c in zip(result.templates, result.clusters)),
        "alignments": section(_alignment(a) for a in result.alignments),
        "boilerplate": section(_boilerplate(b) for b in result.boilerplate),
        "families": section(_family(f) for f in result.families),
        "template_families": section(_template_family(f) for f in result.template_families),
        "links": section(
            {"a": link.a, "b": link.b, "content": link.content, "boilerplate": link.boilerplate, "template": round(link.template, 3)}
            for link in result.links
        ),
        "warnings": list(result.warnings),
    }


def render_json(result: ScanResult) -> str:
    """Serialise deterministically (sorted keys, UTF-8 text kept readable)."""
    return dumps(to_dict(result)) + "\n"


def write_json(result: ScanResult, out: TextIO) -> None:
    """:func:`render_json` written to ``out`` as it is made: the report of a 300 MB corpus
    is a gigabyte of JSON, and neither it nor its dict is ever whole in memory."""
    writer = _Writer(out)
    _encode(_document(result, iter), 0, writer)
    writer.flush()
    out.write("\n")


def dumps(obj: Any) -> str:
    """Exactly ``json.dumps(obj, ensure_ascii=False, sort_keys=True, indent=2)``, faster.

    With ``indent``, the standard library falls back to its pure-Python encoder, whose
    generators cost about 10 s on the report of a 300 MB corpus; this writes the same
    bytes with one recursive function and C-level string escaping.

    >>> dumps({"b": [1, 2.5, None], "a": "文明", "c": {}}) == json.dumps(
    ...     {"b": [1, 2.5, None], "a": "文明", "c": {}}, ensure_ascii=False, sort_keys=True, indent=2)
    True
    """
    parts: list[str] = []
    _encode(obj, 0, parts.append)
    return "".join(parts)


class _Writer:
    """Collects small strings and writes them to a file in batches (one ``write`` per
    string costs more than the encoding)."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.parts: list[str] = []

    def __call__(self, part: str) -> None:
        self.parts.append(part)
        if len(self.parts) >= 4096:
            self.out.write("".join(self.parts))
            self.parts.clear()

    def flush(self) -> None:
        if self.parts:
            self.out.write("".join(self.parts))
            self.parts.clear()


def _encode(obj: Any, level: int, append: Callable[[str], None]) -> None:
    """Write ``obj`` as ``json.dumps(..., indent=2, sort_keys=True, ensure_ascii=False)``
    would; an iterator is written as the list it yields."""
    o = obj
    if isinstance(o, str):
        append(_encode_str(o))
    elif o is None:
        append("null")
    elif o is True:
        append("true")
    elif o is False:
        append("false")
    elif isinstance(o, int):
        append(int.__repr__(o))
    elif isinstance(o, float):
        append(_encode_float(o))
    elif isinstance(o, dict):
        if not o:
            append("{}")
            return
        if not _STR.issuperset(map(type, o)):  # map/issuperset: C loops, no generator per dict
            append(json.dumps(o, ensure_ascii=False, sort_keys=True, indent=2).replace("\n", "\n" + "  " * level))
            return
        if _SCALARS.issuperset(map(type, o.values())):  # a leaf: the C encoder, indented by its separator
            append("{\n" + "  " * (level + 1) + _leaf_encoder(level + 1).encode(o)[1:-1] + "\n" + "  " * level + "}")
            return
        inner = ",\n" + "  " * (level + 1)
        sep = "{\n" + "  " * (level + 1)
        for key, value in sorted(o.items()):
            append(sep + _encode_str(key) + ": ")
            sep = inner
            _encode(value, level + 1, append)
        append("\n" + "  " * level + "}")
    elif isinstance(o, (list, tuple, Iterator)):
        items = iter(o)
        first = next(items, _END)
        if first is _END:
            append("[]")
            return
        inner = ",\n" + "  " * (level + 1)
        sep = "[\n" + "  " * (level + 1)
        items = chain([first], items)
        while batch := list(islice(items, _BATCH)):
            if all(type(v) is dict and v and _STR.issuperset(map(type, v)) and _SCALARS.issuperset(map(type, v.values())) for v in batch):
                append(sep + _leaf_list(batch, level + 1))
                sep = inner
                continue
            for value in batch:
                append(sep)
                sep = inner
                _encode(value, level + 1, append)
        append("\n" + "  " * level + "]")
    else:
        raise TypeError(f"Object of type {type(o).__name__} is not JSON serializable")


_END = object()
#: List items are written this many at a time: a run of flat records (boilerplate,
#: links, edits) goes through the C encoder in one call.
_BATCH = 512


def _leaf_list(items: list[dict[str, Any]], level: int) -> str:
    """Non-empty dicts of scalars, written as list items at ``level`` as ``indent=2`` would,
    with one C encoder call. The encoder's item separator holds the newline, so between two
    records it writes ``},<newline><indent>{``; no scalar's JSON ends with ``}`` and no JSON
    string holds a raw newline, so that sequence is always a record boundary, and it is
    rewritten to the indented form."""
    ind, deeper = "  " * level, "  " * (level + 1)
    body = _leaf_encoder(level + 1).encode(items)[2:-2]
    body = body.replace("},\n" + deeper + "{", "\n" + ind + "},\n" + ind + "{\n" + deeper)
    return "{\n" + deeper + body + "\n" + ind + "}"
_SCALARS = frozenset((str, int, float, bool, type(None)))
_STR = frozenset((str,))
_LEAF_ENCODERS: dict[int, json.JSONEncoder] = {}


def _leaf_encoder(level: int) -> json.JSONEncoder:
    """The C encoder writing a dict of scalars on one line per key at ``level``: the item
    separator carries the newline and the indentation (the same bytes as ``indent=2``)."""
    encoder = _LEAF_ENCODERS.get(level)
    if encoder is None:
        encoder = _LEAF_ENCODERS[level] = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",\n" + "  " * level, ": "))
    return encoder


def _encode_float(o: float) -> str:
    if o != o:
        return "NaN"
    if o in (float("inf"), float("-inf")):
        return "Infinity" if o > 0 else "-Infinity"
    return float.__repr__(o)
