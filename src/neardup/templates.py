"""Clusters -> templates with slots and fills; documents -> boilerplate; text -> keywords.

**Template and slots.** The copies in a cluster share most of their text and differ in a
few places: a year (``2018`` / ``20xx``), a city (``鄂州`` / ``xx``), a clause added to
a title. Every member is diffed against the first one (:func:`neardup.align.diff`, on
normalised text); a reference character that some member changes, or a point where some
member inserts text, belongs to a slot. The template is the first member's original
text with each slot written ``{fill | fill …}``, and every member's fill is reported in
its own original text and offsets.

**Boilerplate** is text that recurs for reasons other than copying:

- ``corpus``: runs of at least ``min_chars`` normalised characters every window of which
  occurs in at least ``min_docs`` distinct documents: stock phrases
  (党政主要负责人履行推进法治建设第一责任人职责), a site's navigation and footer across
  its pages, a spam line injected into many pages. Counting distinct documents, not
  occurrences, keeps a speech copied twice into one compilation from looking common.
- ``page``: on one page, the short lines before its first line of prose and after its
  last (menus, breadcrumbs, bylines, copyright and link lines): what jusText calls the
  page's edges, visible even when the corpus holds one page from each site.
- ``base``: runs shared with a known template or boilerplate file given with ``--base``
  (JPlag's base code): never counted as copied.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from neardup.align import Opcode, diff, original_range
from neardup.config import AlignConfig, BoilerplateConfig, ShingleConfig
from neardup.model import Cluster, Fill, Slot, Template
from neardup.normalize import SLOT, Normalized, normalize
from neardup.passages import line_starts
from neardup.shingle import shingle_hashes

__all__ = ["BoilerRun", "find_boilerplate", "is_slot_word", "keywords", "template_of", "tfidf", "words"]

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
    norms = [normalize(m.text, config.normalize) for m in members]
    ref = norms[0]
    all_ops = [diff(ref.text, n.text, ngram=config.ngram) for n in norms[1:]]
    ranges = _slot_ranges(len(ref.text), all_ops)
    changed = sum(e - s for s, e in ranges)
    slots = []
    pieces = []
    prev = 0
    ref_text = members[0].text
    for index, (s, e) in enumerate(ranges):
        fills = []
        for k, (m, norm) in enumerate(zip(members, norms)):
            if k == 0:
                js, je = s, e
            else:
                ops = all_ops[k - 1]
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


# --------------------------------------------------------------------------- boilerplate


@dataclass(frozen=True, slots=True)
class BoilerRun:
    """Boilerplate in one document, in **normalised** offsets (scan maps them back)."""

    start: int
    end: int
    kind: str
    documents: int


def _windows(norm: Normalized, k: int) -> npt.NDArray[np.uint64]:
    if len(norm.text) < k:
        return np.empty(0, dtype=np.uint64)
    return shingle_hashes(norm.text, ShingleConfig(ngram=k))


def _runs(hit: npt.NDArray[np.bool_], k: int, n: int) -> list[tuple[int, int]]:
    """Character ranges covered by the windows (length ``k``) flagged in ``hit``."""
    if not hit.any():
        return []
    cover = np.zeros(n + 1, dtype=np.int64)
    idx = np.flatnonzero(hit)
    np.add.at(cover, idx, 1)
    np.add.at(cover, idx + k, -1)
    on = np.cumsum(cover)[:n] > 0
    edges = np.flatnonzero(np.diff(np.concatenate(([False], on, [False])).astype(np.int8)))
    return list(zip(edges[0::2].tolist(), edges[1::2].tolist()))


def _count(values: npt.NDArray[np.uint64], uniq: npt.NDArray[np.uint64], counts: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    pos = np.clip(np.searchsorted(uniq, values), 0, max(len(uniq) - 1, 0))
    if len(uniq) == 0:
        return np.zeros(len(values), dtype=np.int64)
    found = uniq[pos] == values
    return np.where(found, counts[pos], 0)


_UNIT = re.compile(r"[a-z0-9]+|[^a-z0-9]")


def _page_edges(text: str, norm: Normalized, prose_chars: int) -> list[tuple[int, int]]:
    """Normalised ranges of the head and tail lines around a page's prose."""
    if not norm.text:
        return []
    char_line = np.searchsorted(line_starts(text), norm.start, side="right") - 1
    breaks = np.flatnonzero(np.diff(char_line)) + 1
    bounds = np.concatenate(([0], breaks, [len(norm.text)])).tolist()
    lines = list(zip(bounds, bounds[1:]))
    prose = [i for i, (s, e) in enumerate(lines) if len(_UNIT.findall(norm.text[s:e])) >= prose_chars]
    if not prose:
        return []
    out = []
    if prose[0] > 0:
        out.append((0, lines[prose[0]][0]))
    if prose[-1] < len(lines) - 1:
        out.append((lines[prose[-1]][1], len(norm.text)))
    return out


def find_boilerplate(
    texts: Sequence[str],
    norms: Sequence[Normalized],
    config: BoilerplateConfig | None = None,
    *,
    base: Sequence[Normalized] = (),
) -> list[list[BoilerRun]]:
    """Boilerplate runs of every document (normalised offsets), sorted by start then kind.

    >>> stock = "党政主要负责人履行推进法治建设第一责任人职责"
    >>> texts = ["县政府严格落实" + stock + "。", "胶州市全面落实" + stock + "情况", "全面" + stock]
    >>> runs = find_boilerplate(texts, [normalize(t) for t in texts], BoilerplateConfig(page_edges=False))
    >>> [(normalize(texts[0]).text[r.start:r.end], r.kind, r.documents) for r in runs[0]]
    [('党政主要负责人履行推进法治建设第一责任人职责', 'corpus', 3)]
    """
    config = config or BoilerplateConfig()
    k = config.min_chars
    # Fewer documents than min_docs: no run can be corpus boilerplate, skip the counting.
    counting = len(norms) >= config.min_docs
    grams = [_windows(n, k) for n in norms] if counting or base else [np.empty(0, np.uint64)] * len(norms)
    uniq_per_doc = [np.unique(g) for g in grams] if counting else []
    if uniq_per_doc:
        uniq, counts = np.unique(np.concatenate(uniq_per_doc), return_counts=True)
    else:
        uniq, counts = np.empty(0, dtype=np.uint64), np.empty(0, dtype=np.int64)
    base_grams = np.unique(np.concatenate([_windows(b, k) for b in base])) if base else np.empty(0, dtype=np.uint64)
    out: list[list[BoilerRun]] = []
    for text, norm, g in zip(texts, norms, grams):
        df = _count(g, uniq, counts)
        runs: list[BoilerRun] = []
        common = df >= config.min_docs
        for s, e in _runs(common, k, len(norm.text)):
            window_df = df[s : max(s + 1, e - k + 1)]
            runs.append(BoilerRun(s, e, "corpus", int(window_df[window_df >= config.min_docs].min())))
        if len(base_grams):
            in_base = np.isin(g, base_grams)
            for s, e in _runs(in_base, k, len(norm.text)):
                runs.append(BoilerRun(s, e, "base", int(df[s : max(s + 1, e - k + 1)].min())))
        if config.page_edges:
            runs.extend(BoilerRun(s, e, "page", 1) for s, e in _page_edges(text, norm, config.prose_chars))
        runs.sort(key=lambda r: (r.start, r.kind, r.end))
        out.append(runs)
    return out


def boilerplate_mask(n: int, runs: Sequence[BoilerRun], kinds: Sequence[str]) -> npt.NDArray[np.bool_]:
    """Boolean mask over ``n`` normalised characters: inside some run of the given kinds."""
    mask = np.zeros(n, dtype=bool)
    for r in runs:
        if r.kind in kinds:
            mask[r.start : r.end] = True
    return mask


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
    import jieba

    jieba.setLogLevel(logging.WARNING)
    out = jieba.lcut(text, HMM=False)
    lengths = np.fromiter((len(w) for w in out), dtype=np.int64, count=len(out))
    return out, np.concatenate(([0], np.cumsum(lengths)[:-1])).astype(np.int64)


#: Part-of-speech tags (jieba's dictionary) of words that fill a template's slots:
#: place names, person names and numerals.
SLOT_TAGS = frozenset({"ns", "nr", "nrt", "nrfg", "m"})
_HAS_DIGIT = re.compile(r"[0-9]")


@lru_cache(maxsize=1)
def _word_tags() -> dict[str, str]:
    import jieba.posseg

    return jieba.posseg.dt.word_tag_tab  # type: ignore[no-any-return]


def is_slot_word(word: str) -> bool:
    """Whether a word is what templates leave blank: a place, a name, a number, a blank.

    >>> [w for w in ["鄂州市", "2018", "创建", "王小明", "推进", "两个"] if is_slot_word(w)]
    ['鄂州市', '2018', '王小明', '两个']

    The dictionary's tags are coarse (it calls 文明城市 a place too); skeletons fold
    such words on every side alike, so they only make skeletons a little coarser.
    """
    return SLOT in word or bool(_HAS_DIGIT.search(word)) or _word_tags().get(word) in SLOT_TAGS


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
    import jieba
    import jieba.analyse

    jieba.setLogLevel(logging.WARNING)
    model = jieba.analyse.default_tfidf
    idf, median, stop = model.idf_freq, model.median_idf, model.stop_words
    kept = {w: c for w, c in counts.items() if len(w) > 1 and w not in stop and not _LATIN.fullmatch(w)}
    total = sum(kept.values())
    if not total:
        return ()
    scored = sorted(kept, key=lambda w: (-kept[w] * idf.get(w, median) / total, w))
    return tuple(scored[:top])


_LATIN = re.compile(r"[0-9a-z._\-]+")


def keywords(texts: Sequence[str], top: int = 6) -> tuple[str, ...]:
    """Top TF-IDF keywords (jieba) of some texts, simplified and without digits.

    >>> keywords(["鄂州市创建全国文明城市，文明城市创建工作推进会议在鄂州召开"], 2)
    ('文明城市', '创建')
    """
    counts: Counter[str] = Counter()
    for t in texts:
        counts.update(words(normalize(t).text.replace(SLOT, " "))[0])
    return tfidf(counts, top)
