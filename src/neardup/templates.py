"""Clusters -> templates with slots and fills; text -> keywords.

**Template and slots.** The copies in a cluster share most of their text and differ in a
few places: a year (``2018`` / ``20xx``), a city (``鄂州`` / ``xx``), a clause added to
a title. Every member is diffed against the cluster's representative
(:func:`neardup.align.diff`, on normalised text), never against each other, so the cost
is one diff per member; a reference character that some member changes, or a point
where some member inserts text, belongs to a slot. The template is the
representative's original text with each slot written ``{fill | fill …}``, and every
member's fill is reported in its own original text and offsets.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence

from neardup.align import Opcode, diff, original_range
from neardup.config import AlignConfig
from neardup.model import Cluster, Fill, Slot, Template
from neardup.normalize import SLOT, normalize

__all__ = ["keywords", "template_of"]

#: How an empty fill is written in a template's text.
EMPTY_FILL = "∅"


# --------------------------------------------------------------------------- templates


def _map_left(ops: Sequence[Opcode], p: int) -> int:
    for tag, i1, i2, j1, _ in ops:
        if i1 <= p <= i2:
            return j1 + (p - i1) if tag == "equal" else j1
    return ops[-1][4] if ops else 0


def _map_right(ops: Sequence[Opcode], p: int) -> int:
    for tag, i1, i2, j1, j2 in reversed(ops):
        if i1 <= p <= i2:
            return j1 + (p - i1) if tag == "equal" else j2
    return ops[0][3] if ops else 0


def _slot_ranges(n: int, all_ops: Sequence[Sequence[Opcode]]) -> list[tuple[int, int]]:
    """Reference ``[s, e)`` ranges where some member differs (empty: an insertion point)."""
    intervals: list[tuple[int, int]] = []
    for ops in all_ops:
        intervals.extend((i1, i2) for tag, i1, i2, _, _ in ops if tag != "equal")
    intervals.sort()
    merged: list[tuple[int, int]] = []
    for s, e in intervals:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return merged


def template_of(cluster: Cluster, *, config: AlignConfig | None = None) -> Template:
    """The cluster's shared text with slots, and every member's fill of each slot.

    >>> from neardup.model import Member
    >>> a = "鄂州市2018年创建全国文明城市工作取得明显成效，群众满意度持续提升。"
    >>> b = a.replace("鄂州", "xx").replace("2018", "20xx")
    >>> c = Cluster(1, (Member("a", 0, len(a), 1, 1, (0,), 1.0, a), Member("b", 0, len(b), 1, 1, (0,), 1.0, b)))
    >>> t = template_of(c)
    >>> t.text
    '{鄂州 | xx}市{2018 | 20xx}年创建全国文明城市工作取得明显成效，群众满意度持续提升。'
    >>> [s.values for s in t.slots]
    [('鄂州', 'xx'), ('2018', '20xx')]
    """
    config = config or AlignConfig()
    members = cluster.members
    rep = cluster.representative
    norms = [normalize(m.text, config.normalize) for m in members]
    ref = norms[rep]
    all_ops = [[] if k == rep else diff(ref.text, n.text, ngram=config.ngram) for k, n in enumerate(norms)]
    ranges = _slot_ranges(len(ref.text), all_ops)
    changed = sum(e - s for s, e in ranges)
    slots = []
    pieces = []
    prev = 0
    ref_text = members[rep].text
    for index, (s, e) in enumerate(ranges):
        fills = []
        for k, (m, norm) in enumerate(zip(members, norms)):
            if k == rep:
                js, je = s, e
            else:
                ops = all_ops[k]
                js, je = _map_left(ops, s), _map_right(ops, e)
            o0, o1 = original_range(norm, js, je)
            fills.append(Fill(k, m.start + o0, m.start + o1, m.text[o0:o1]))
        slot = Slot(index, tuple(fills))
        slots.append(slot)
        r0, r1 = original_range(ref, s, e)
        pieces.append(ref_text[prev:r0])
        pieces.append("{" + " | ".join(v if v else EMPTY_FILL for v in slot.values) + "}")
        prev = r1
    pieces.append(ref_text[prev:])
    return Template(cluster.id, "".join(pieces), tuple(slots), len(ref.text) - changed)


# --------------------------------------------------------------------------- keywords


def keywords(texts: Sequence[str], top: int = 6) -> tuple[str, ...]:
    """Top TF-IDF keywords (jieba.analyse) of some texts, simplified and without digits.

    >>> keywords(["鄂州市创建全国文明城市，文明城市创建工作推进会议在鄂州召开"], 2)
    ('文明城市', '创建')
    """
    if top <= 0:
        return ()
    import jieba
    import jieba.analyse

    jieba.setLogLevel(logging.WARNING)
    joined = "\n".join(normalize(t).text.replace(SLOT, " ") for t in texts)
    if not joined.strip():
        return ()
    tags = jieba.analyse.extract_tags(joined, topK=top * 3)
    out = [t for t in tags if not re.fullmatch(r"[0-9a-z._-]+", t) and len(t) > 1]
    return tuple(out[:top])
