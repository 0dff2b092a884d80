"""The document graph's links, kept as rows until the report writes them.

A link (:class:`~neardup.model.DocLink`) joins two documents by the content they reuse,
the boilerplate they both carry and the template text they share. A redundant 300 MB
corpus has two million of them: as objects, and again as the report's dicts, they cost
seconds and hundreds of megabytes; as rows, tens of bytes each.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from neardup.arrays import unique
from neardup.model import DocLink
from neardup.passages import Records

__all__ = ["LINK_DTYPE", "LinkArray", "PairWeights", "merged_links"]


#: Weighted document pairs as arrays ``(x, y, weight)`` of document numbers, ``x < y``.
PairWeights = tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float64]]

#: A link as a row: its documents' numbers, its weights (``template`` unrounded).
LINK_DTYPE = np.dtype([("a", np.int64), ("b", np.int64), ("content", np.int64), ("boilerplate", np.int64), ("template", np.float64)])


class LinkArray(Records[DocLink]):
    """The document graph's links kept as rows; each is a :class:`DocLink` (``template``
    rounded to three places) when looked at."""

    __slots__ = ("ids",)

    def __init__(self, rows: npt.NDArray[np.void], ids: Sequence[str]) -> None:
        super().__init__(rows)
        self.ids = ids

    def _item(self, fields: tuple[Any, ...]) -> DocLink:
        a, b, content, boilerplate, template = fields
        return DocLink(self.ids[a], self.ids[b], content, boilerplate, round(template, 3))

    def _with(self, rows: npt.NDArray[np.void]) -> LinkArray:
        return LinkArray(rows, self.ids)

    def dicts(self) -> Iterator[dict[str, Any]]:
        """Each link as the dict of its fields, without making the link (for the report)."""
        ids = self.ids
        for a, b, content, boilerplate, template in self.tuples():
            yield {"a": ids[a], "b": ids[b], "content": content, "boilerplate": boilerplate, "template": round(template, 3)}


def merged_links(
    ids: Sequence[str],
    index: Mapping[str, int],
    links: Sequence[DocLink],
    template: PairWeights,
) -> LinkArray:
    """The content and boilerplate ``links`` and the template graph's pairs as one sorted
    sequence of :class:`DocLink` (a pair in both: one link with all its weights). Merged
    as sorted pair numbers, without a dictionary keyed by millions of pairs, and kept as
    rows: a redundant 300 MB corpus has two million links.

    ``ids``: the documents' ids in order (``index`` maps each to its number); ``links``:
    sorted by id pair; ``template``: the template graph's pairs, sorted.
    """
    n = max(len(ids), 1)
    have = np.fromiter((index[link.a] * n + index[link.b] for link in links), dtype=np.int64, count=len(links))
    x, y, w = template
    extra = np.asarray(x, dtype=np.int64) * n + np.asarray(y, dtype=np.int64)
    keys = unique(np.concatenate((have, extra)))
    rows = np.zeros(len(keys), dtype=LINK_DTYPE)
    rows["a"], rows["b"] = keys // n, keys % n
    if len(have):  # ``links`` are sorted by id pair, so ``have`` is too
        at = np.minimum(np.searchsorted(have, keys), len(have) - 1)
        linked = have[at] == keys
        rows["content"][linked] = np.fromiter((link.content for link in links), dtype=np.int64, count=len(links))[at[linked]]
        rows["boilerplate"][linked] = np.fromiter((link.boilerplate for link in links), dtype=np.int64, count=len(links))[at[linked]]
        rows["template"][linked] = np.fromiter((link.template for link in links), dtype=np.float64, count=len(links))[at[linked]]
    if len(extra):
        at = np.minimum(np.searchsorted(extra, keys), len(extra) - 1)
        weighted = extra[at] == keys
        rows["template"][weighted] = np.asarray(w, dtype=np.float64)[at[weighted]]
    return LinkArray(rows, ids)
