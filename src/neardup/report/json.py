"""ScanResult -> JSON, in the versioned schema ``neardup.scan/3`` (``schema/scan.schema.json``).

Byte-identical for the same input and options: keys sorted, floats rounded, documents
and clusters in a canonical order (the scan already sorts them by id).
"""

from __future__ import annotations

import json
from itertools import islice
from dataclasses import fields
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TextIO

import numpy as np
import orjson

from neardup.boilerplate import BoilerplateArray
from neardup.links import LinkArray
from neardup.model import Alignment, Boilerplate, Cluster, DocLink, Edit, Family, Member, ScanResult, Template, TemplateFamily
from neardup.passages import line_count

__all__ = ["SCHEMA_ID", "render_json", "to_dict", "write_json"]

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
        "jaccard": _score(m.jaccard, 4),
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
                "ratio": _score(s.ratio, 4),
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


def _boilerplate_section(records: Sequence[Boilerplate]) -> Iterator[dict[str, Any]]:
    """A scan's records are rows (:class:`~neardup.boilerplate.BoilerplateArray`): their
    dicts come straight from them."""
    if isinstance(records, BoilerplateArray):
        return records.dicts()
    return map(_boilerplate, records)


def _link(link: DocLink) -> dict[str, Any]:
    return {"a": link.a, "b": link.b, "content": link.content, "boilerplate": link.boilerplate, "template": _score(link.template, 3)}


def _link_section(links: Sequence[DocLink]) -> Iterator[dict[str, Any]]:
    """A scan's links are rows (:class:`~neardup.links.LinkArray`): their dicts come
    straight from them, their weights checked at once as :func:`_score` checks one."""
    if isinstance(links, LinkArray):
        weights = links.rows["template"]
        if len(weights):  # the smallest and the largest: a NaN is both
            _score(float(weights.min()), 3), _score(float(weights.max()), 3)
        return links.dicts()
    return map(_link, links)


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
        "weight": _score(f.weight, 2),
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
        "boilerplate": section(_boilerplate_section(result.boilerplate)),
        "families": section(_family(f) for f in result.families),
        "template_families": section(_template_family(f) for f in result.template_families),
        "links": section(_link_section(result.links)),
        "warnings": list(result.warnings),
    }


def render_json(result: ScanResult) -> str:
    """Serialise deterministically (sorted keys, UTF-8 text kept readable)."""
    parts: list[bytes] = []
    _write_document(_document(result, iter), parts.append)
    return b"".join(parts).decode("utf-8")


def write_json(result: ScanResult, out: TextIO) -> None:
    """:func:`render_json` written to ``out`` as it is made: the report of a 300 MB corpus
    is a gigabyte of JSON, and neither it nor its dict is ever whole in memory."""
    raw = getattr(out, "buffer", None)  # a text file: its bytes go straight to its buffer
    if raw is not None:
        out.flush()
        write = _Batched(raw.write)
    else:
        write = _Batched(lambda b: out.write(b.decode("utf-8")))
    _write_document(_document(result, iter), write)
    write.flush()


def _write_document(doc: dict[str, Any], write: Callable[[bytes], Any]) -> None:
    """``json.dumps(doc, ensure_ascii=False, sort_keys=True, indent=2)`` and a newline,
    in pieces. Each long section (a list or an iterator of records) goes through orjson
    a batch of records at a time: the standard library has no C encoder for ``indent``,
    and its Python one took 37 s on the gigabyte report of a 300 MB corpus. The other
    values (config, summary) are small and written by the standard library itself."""
    sep = b"{\n  "
    for key, value in sorted(doc.items()):
        write(sep + _exact(key, 1) + b": ")
        sep = b",\n  "
        if isinstance(value, (list, tuple, Iterator)):
            _write_section(value, write)
        else:
            write(_exact(value, 1))
    write(b"\n}\n" if doc else b"{}\n")


def _write_section(items: Iterable[Any], write: Callable[[bytes], Any]) -> None:
    """A top-level list, its records at level 2."""
    items = iter(items)
    sep = b"[\n"
    while batch := list(islice(items, _BATCH)):
        write(sep + _records(batch))
        sep = b",\n"
    write(b"[]" if sep == b"[\n" else b"\n  ]")


def _records(batch: list[Any]) -> bytes:
    """The items of ``batch`` as the items of a top-level section in ``indent=2`` JSON
    (indented four spaces), joined by ``,<newline>``. orjson writes exactly what ``json.dumps(...,
    ensure_ascii=False, sort_keys=True, indent=2)`` does for the report's values: strings,
    integers, floats that are 0 or between 1e-4 and 1e16 in size (the report's scores
    are rounded to at most four places, :func:`_score`), lists and dicts of them. What
    orjson refuses (a key not a string, an integer beyond 64 bits) goes to the standard
    library. No JSON string holds a raw newline, so indenting is a replace."""
    try:
        body = orjson.dumps(batch, option=_ORJSON)
    except TypeError:
        body = json.dumps(batch, ensure_ascii=False, sort_keys=True, indent=2).encode("utf-8")
    return b"  " + body[2:-2].replace(b"\n", b"\n  ")  # "[\n" ... "\n]", one level deeper


def _exact(value: Any, level: int) -> bytes:
    """``value`` written by the standard library, indented to ``level``."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, indent=2)
    return text.replace("\n", "\n" + "  " * level).encode("utf-8")


def _score(x: float, places: int) -> float:
    """``x`` rounded to ``places`` (at most four): what orjson writes as the standard
    library does (:func:`_records`). A score that is not finite is a defect upstream: it
    stops the report here rather than come out as ``NaN`` (not JSON) or ``null``."""
    r = round(float(x), places)
    if not -1e16 < r < 1e16:
        raise ValueError(f"a report score is not a finite number: {x!r}")
    return r


_ORJSON = orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS
#: Records go to orjson this many at a time.
_BATCH = 1024


class _Batched:
    """Collects pieces and writes them in batches of about a megabyte (one ``write``
    per piece costs more than the encoding)."""

    def __init__(self, write: Callable[[bytes], Any]) -> None:
        self.write = write
        self.parts: list[bytes] = []
        self.size = 0

    def __call__(self, part: bytes) -> None:
        self.parts.append(part)
        self.size += len(part)
        if self.size >= 1 << 20:
            self.flush()

    def flush(self) -> None:
        if self.parts:
            self.write(b"".join(self.parts))
            self.parts.clear()
            self.size = 0
