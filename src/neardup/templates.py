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
from bisect import bisect_left, bisect_right
from functools import lru_cache
from collections import Counter
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import numpy.typing as npt

from neardup.align import Opcode, diff, original_range
from neardup.config import AlignConfig
from neardup.model import Cluster, Document, Fill, Slot, Template
from neardup.normalize import SLOT, Normalized, normalize

__all__ = ["DocumentWords", "keywords", "template_of", "templates_of", "tfidf", "words"]

#: Where sentences end (for :class:`DocumentWords`).
_SENTENCE_END = re.compile(r"[。！？；!?;\n]")
#: Sentences whose words :class:`DocumentWords` keeps for reuse (the most recent ones).
CUT_CACHE = 20_000

#: How an empty fill is written in a template's text.
EMPTY_FILL = "∅"


# --------------------------------------------------------------------------- templates


class _OpIndex:
    """A member's opcodes (contiguous, in order) with their bounds, for mapping reference
    positions into the member by bisection: slots x opcodes would be quadratic in a long
    member with many small edits."""

    def __init__(self, ops: Sequence[Opcode]) -> None:
        self.ops = ops
        self.i1 = [op[1] for op in ops]
        self.i2 = [op[2] for op in ops]

    def left(self, p: int) -> int:
        """Where reference position ``p`` falls in the member (the first opcode holding it)."""
        k = bisect_left(self.i2, p)
        if k == len(self.ops) or self.i1[k] > p:
            return self.ops[-1][4] if self.ops else 0
        tag, i1, _, j1, _ = self.ops[k]
        return j1 + (p - i1) if tag == "equal" else j1

    def right(self, p: int) -> int:
        """The same from the right (the last opcode holding ``p``)."""
        k = bisect_right(self.i1, p) - 1
        if k < 0 or self.i2[k] < p:
            return self.ops[0][3] if self.ops else 0
        tag, i1, _, j1, j2 = self.ops[k]
        return j1 + (p - i1) if tag == "equal" else j2


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


def template_of(cluster: Cluster, *, config: AlignConfig | None = None, norms: Sequence[Normalized] | None = None) -> Template:
    """The cluster's shared text with slots, and every member's fill of each slot.

    ``norms``: the members' texts normalised with ``config.normalize``, when the caller
    has them (the scan aligns the same members).

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
    if norms is None:
        norms = [normalize(m.text, config.normalize) for m in members]
    ref = norms[rep]
    all_ops = [[] if k == rep else diff(ref.text, n.text, ngram=config.ngram) for k, n in enumerate(norms)]
    ranges = _slot_ranges(len(ref.text), all_ops)
    indexes = [_OpIndex(ops) for ops in all_ops]
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
                js, je = indexes[k].left(s), indexes[k].right(e)
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


def templates_of(
    clusters: Sequence[Cluster], config: AlignConfig | None = None, progress: Callable[[int, int], None] | None = None
) -> tuple[Template, ...]:
    """:func:`template_of` every cluster, reporting progress every hundred clusters."""
    out = []
    total = max(len(clusters), 1)
    if progress:
        progress(0, total)
    for n, c in enumerate(clusters):
        out.append(template_of(c, config=config))
        if progress and (n % 100 == 99 or n == len(clusters) - 1):
            progress(n + 1, total)
    return tuple(out)


# --------------------------------------------------------------------------- keywords


def words(text: str) -> tuple[list[str], npt.NDArray[np.int64]]:
    """jieba words of a (normalised) text and the offset where each starts.

    One dictionary pass without the HMM guesser for unknown words: twice as fast, and a
    name the dictionary lacks splits into characters that neither keywords (two or more
    characters) nor skeletons (folded slots) would keep anyway. Callers tokenise each
    document once and reuse the words.

    >>> words("鄂州市创建全国文明城市")
    (['鄂州市', '创建', '全国', '文明城市'], array([0, 3, 5, 7]))
    """
    if not text:
        return [], np.zeros(0, dtype=np.int64)
    out = list(_cut(text))
    lengths = np.fromiter((len(w) for w in out), dtype=np.int64, count=len(out))
    return out, np.concatenate(([0], np.cumsum(lengths)[:-1])).astype(np.int64)


@lru_cache(maxsize=1 << 13)
def _cut(text: str) -> tuple[str, ...]:
    """jieba's words of one text, remembered: a redundant corpus repeats its sentences
    (stock paragraphs, closings) in thousands of documents, and half the sentences cut
    for keywords on such a corpus were cut before."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    return tuple(jieba.lcut(text, HMM=False))


def load_keyword_tables() -> None:
    """Load jieba's dictionary and IDF table now (about a second between them), so a
    process that will count keywords has them before the first request comes."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    _idf()


def tfidf(counts: Mapping[str, int], top: int = 6) -> tuple[str, ...]:
    """Top TF-IDF terms of summed word counts, with jieba's IDF table and stop words.

    The same scores as ``jieba.analyse.extract_tags`` on the text the counts come
    from (words of one character, digits and Latin left out; ties by the word), so a
    family's keywords are one pass over its documents' counts, not a re-tokenisation
    of their joined text.

    >>> tfidf({"文明城市": 2, "创建": 2, "工作": 1, "2018": 3}, 2)
    ('文明城市', '创建')
    """
    if top <= 0:
        return ()
    idf, median = _idf()
    # jieba's stop words are all Latin, and Latin words are left out anyway.
    kept = {w: c for w, c in counts.items() if len(w) > 1 and not _LATIN.fullmatch(w)}
    total = sum(kept.values())
    if not total:
        return ()
    scored = sorted(kept, key=lambda w: (-kept[w] * idf.get(w, median) / total, w))
    return tuple(scored[:top])


_LATIN = re.compile(r"[0-9a-z._\-]+")


@lru_cache(maxsize=1)
def _idf() -> tuple[dict[str, float], float]:
    """jieba's IDF table and its median, read from the file ``jieba.analyse`` reads
    (importing ``jieba.analyse`` would also load its part-of-speech tagger: half a second)."""
    import os

    import jieba

    path = os.path.join(os.path.dirname(jieba.__file__), "analyse", "idf.txt")
    with open(path, encoding="utf-8") as fh:
        idf = {word: float(freq) for word, freq in (line.split(" ") for line in fh.read().splitlines() if line.strip())}
    return idf, sorted(idf.values())[len(idf) // 2]


def keywords(texts: Sequence[str], top: int = 6) -> tuple[str, ...]:
    """Top TF-IDF keywords (jieba) of some texts, simplified and without digits.

    >>> keywords(["鄂州市创建全国文明城市，文明城市创建工作推进会议在鄂州召开"], 2)
    ('文明城市', '创建')
    """
    counts: Counter[str] = Counter()
    for t in texts:
        counts.update(words(normalize(t).text.replace(SLOT, " "))[0])
    return tfidf(counts, top)


class DocumentWords:
    """Each document's jieba words, sentence by sentence; a sentence is cut when first
    needed, and never twice.

    Skeletons need the sentences outside boilerplate, keywords the documents of a
    family (the reused text of a content family's): only those are cut, each once.

    >>> text = "鄂州市创建全国文明城市。文明城市创建工作推进会议在鄂州召开。"
    >>> cut = DocumentWords([Document("a", text)], [normalize(text)])
    >>> cut.sentence(0, 1)
    (['文明城市', '创建', '工作', '推进', '会议', '在', '鄂州', '召开'], 11)
    >>> sorted(cut.counts(0).items())[:3]
    [('会议', 1), ('全国', 1), ('创建', 2)]
    """

    def __init__(self, docs: Sequence[Document], norms: Sequence[Normalized]) -> None:
        self.docs, self.norms = docs, norms
        self._ends: dict[int, list[int]] = {}
        self._cut: dict[tuple[int, int], tuple[list[str], int]] = {}

    def ends(self, d: int) -> list[int]:
        """Normalised offsets where document ``d``'s sentences end (the last: its length)."""
        if d not in self._ends:
            text, norm = self.docs[d].text, self.norms[d]
            marks = [m.end() for m in _SENTENCE_END.finditer(text)]
            found = np.searchsorted(norm.start, marks).tolist() if marks else []
            self._ends[d] = sorted({e for e in found if 0 < e < len(norm.text)} | {len(norm.text)})
        return self._ends[d]

    def sentence(self, d: int, i: int) -> tuple[list[str], int]:
        """Words of sentence ``i`` of document ``d`` and the normalised offset where it starts."""
        key = (d, i)
        if key not in self._cut:
            ends = self.ends(d)
            lo = ends[i - 1] if i else 0
            self._cut[key] = (words(self.norms[d].text[lo : ends[i]])[0], lo)
            if len(self._cut) > CUT_CACHE:  # bounded: the oldest sentence goes
                del self._cut[next(iter(self._cut))]
        return self._cut[key]

    def counts(self, d: int, ranges: Sequence[tuple[int, int]] | None = None, budget: int | None = None) -> Counter[str]:
        """Word counts of document ``d``, or of its words starting inside normalised ranges;
        with ``budget``, of its first sentences holding about that many characters."""
        out: Counter[str] = Counter()
        ends = self.ends(d)
        limit = ends[-1] if budget is None else budget
        if ranges is None:
            lo = 0
            for i, hi in enumerate(ends):
                if lo >= limit:
                    break
                out.update(w for w in self.sentence(d, i)[0] if w != SLOT)
                lo = hi
            return out
        inside = np.zeros(len(self.norms[d].text) + 1, dtype=np.int64)
        for lo, hi in ranges:
            inside[lo] += 1
            inside[hi] -= 1
        on = np.cumsum(inside) > 0
        seen = np.concatenate(([0], np.cumsum(on)))
        lo = 0
        for i, hi in enumerate(ends):
            if seen[lo] >= limit:
                break
            if seen[hi] > seen[lo]:
                toks, start = self.sentence(d, i)
                pos = start
                for w in toks:
                    if on[pos] and w != SLOT:
                        out[w] += 1
                    pos += len(w)
            lo = hi
        return out
