"""Matched pair -> reused spans on both sides, with the edits inside them.

Text-reuse detectors (passim, TRACER, Ferret-style tools) do not compare fixed windows:
they find short exact matches (seeds), chain the seeds that lie close together on both
sides into one region, and align only inside that region. This module does the same on
the normalised text, so 繁/简, punctuation and ruby glosses never count as edits:

1. **Seed**: every ``ngram``-character window of both normalised texts is hashed
   (numpy); windows occurring in both, and at most ``max_repeat`` times in each, are
   seeds. Consecutive seeds on one diagonal become an exact-match block.
2. **Chain**: blocks in reading order join the nearest chain that ends at most
   ``max_gap`` characters before them on both sides; a chain is a candidate span.
3. **Diff inside**: the gaps between a chain's blocks (a blanked year, an inserted
   clause) are diffed with :class:`difflib.SequenceMatcher`, which only ever sees
   those short gaps, so the cost is linear in the span, not quadratic in the documents.

Spans come back in **original** offsets (and lines) through the normalisation offset
map, with ``ratio = 2 * matched / (len_a + len_b)`` over normalised characters, and the
edits (insertions, deletions, substitutions) with their offsets and original texts.
The result does not depend on argument order: ``align_pair(b, a)`` is
``align_pair(a, b)`` seen from the other side.
"""

from __future__ import annotations

import difflib
import re
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache, partial
from typing import Any

import numpy as np
import numpy.typing as npt

from neardup.config import AlignConfig, ShingleConfig
from neardup.model import Edit, ReuseSpan
from neardup.normalize import Normalized, normalize
from neardup.passages import LineIndex, line_of
from neardup.shingle import loaded_kernels, shingle_hashes

__all__ = [
    "Opcode",
    "align_normalized",
    "align_pair",
    "align_within",
    "diff",
    "original_range",
    "shift_span",
    "span_key",
]

#: ``(tag, a_start, a_end, b_start, b_end)`` as :meth:`difflib.SequenceMatcher.get_opcodes`.
Opcode = tuple[str, int, int, int, int]

#: Equal runs shorter than this between two differences are folded into one edit. At 1
#: nothing is folded: ``鄂州市2018`` -> ``xx市20xx`` keeps the shared ``市`` and reports two
#: substitutions, which is what template slots need.
MIN_EQUAL = 1
#: Gaps larger than this (product of both sides' lengths) are one substitution rather
#: than a character diff: keeps SequenceMatcher's worst case bounded.
MAX_GAP_CELLS = 1_000_000

Block = tuple[int, int, int]  # (a_start, b_start, length) of an exact match, normalised offsets


@lru_cache(maxsize=64)
def _grams(text: str, k: int) -> npt.NDArray[np.uint64]:
    """The text's ``k``-character windows (read-only), remembered for the last few texts:
    a cluster's representative is aligned with every member, and each member is diffed
    again for the template."""
    if len(text) < k:
        return np.empty(0, dtype=np.uint64)
    grams = shingle_hashes(text, ShingleConfig(ngram=k))
    grams.flags.writeable = False
    return grams


def _seed_pairs(
    ha: npt.NDArray[np.uint64], hb: npt.NDArray[np.uint64], k: int, max_repeat: int, same: bool
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """All ``(i, j)`` with window ``i`` of A equal to window ``j`` of B (bounded repeats),
    by ``i`` then ``j``: compiled once a scan has loaded the kernels (a member is a few
    hundred characters, and ten numpy calls' overhead was most of the align stage);
    a lone call does not import numba for it."""
    kernels = loaded_kernels()
    if kernels is not None and len(ha) and len(hb):
        return kernels.seed_pairs(ha, hb, max_repeat, same, k)  # type: ignore[no-any-return]
    return _seed_pairs_numpy(ha, hb, k, max_repeat, same)


def _seed_pairs_numpy(
    ha: npt.NDArray[np.uint64], hb: npt.NDArray[np.uint64], k: int, max_repeat: int, same: bool
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """:func:`_seed_pairs` in numpy."""
    empty = np.empty(0, dtype=np.int64)
    if len(ha) == 0 or len(hb) == 0:
        return empty, empty
    ua, ca = np.unique(ha, return_counts=True)
    if same:
        keep = ua[(ca >= 2) & (ca <= max_repeat)]
    else:
        ub, cb = np.unique(hb, return_counts=True)
        keep = np.intersect1d(ua[ca <= max_repeat], ub[cb <= max_repeat], assume_unique=True)
    if len(keep) == 0:
        return empty, empty
    ia = np.flatnonzero(np.isin(ha, keep))
    order = np.argsort(hb, kind="stable")
    sb = hb[order]
    lo = np.searchsorted(sb, ha[ia], side="left")
    hi = np.searchsorted(sb, ha[ia], side="right")
    cnt = hi - lo
    total = int(cnt.sum())
    rep_i = np.repeat(ia, cnt).astype(np.int64)
    within = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(cnt) - cnt, cnt)
    jb = order[np.repeat(lo, cnt) + within].astype(np.int64)
    if same:  # one orientation, and the two windows must not overlap
        ok = jb >= rep_i + k
        rep_i, jb = rep_i[ok], jb[ok]
    return rep_i, jb


def _blocks(i: npt.NDArray[np.int64], j: npt.NDArray[np.int64], k: int) -> list[Block]:
    """Seeds on one diagonal at consecutive positions -> exact blocks, sorted by (a, b)."""
    if len(i) == 0:
        return []
    d = j - i
    order = np.lexsort((i, d))
    i, d = i[order], d[order]
    brk = np.flatnonzero((np.diff(d) != 0) | (np.diff(i) != 1)) + 1
    starts = np.concatenate(([0], brk))
    ends = np.concatenate((brk, [len(i)]))
    bi = i[starts]
    bj = bi + d[starts]
    blen = i[ends - 1] - bi + k
    out = sorted(zip(bi.tolist(), bj.tolist(), blen.tolist()))
    return out


@dataclass
class _Chain:
    blocks: list[Block] = field(default_factory=list)

    @property
    def a_end(self) -> int:
        i, _, n = self.blocks[-1]
        return i + n

    @property
    def b_end(self) -> int:
        _, j, n = self.blocks[-1]
        return j + n

    @property
    def b_start(self) -> int:
        return self.blocks[0][1]

    @property
    def matched(self) -> int:
        return sum(n for _, _, n in self.blocks)


#: :func:`_connected` looks at this many blocks or more (a document's repeats, a long pair).
CONNECT_MIN_BLOCKS = 1_000
#: Line numbers come from a :class:`~neardup.passages.LineIndex` in texts this long or
#: longer; a shorter one is counted through (cheaper than making the index).
LINE_INDEX_MIN_CHARS = 20_000


def _lines_of(text: str) -> Callable[[int], int]:
    """The 1-based line of an offset of ``text``."""
    return LineIndex(text).of if len(text) >= LINE_INDEX_MIN_CHARS else partial(line_of, text)


def _connected(blocks: Sequence[Block], max_gap: int, min_chars: int, least: int = CONNECT_MIN_BLOCKS) -> list[Block]:
    """``blocks`` without the short ones no other block could chain with: each would be a
    chain of its own, matching fewer than ``min_chars``, dropped. Exact, and it spares
    :func:`_chain` the hundred thousand lone blocks of a book's repeated phrases.

    A block joins a chain only where the chain's end lies within ``max_gap`` (or the
    block's length) of the block's start on both sides, and a long block takes in a chain
    whose end lies within ``max_gap`` of its diagonal. So every block is seen as points,
    its two ends (a long one also every ``min_chars`` along its diagonal), in a grid of
    cells ``max_gap + min_chars`` wide: a short block none of whose ends has another
    block's point in its own or a neighbouring cell can chain with nothing.
    """
    if len(blocks) < max(least, 2) or min_chars <= 0:  # a pair of passages: the grid costs more than it saves
        return list(blocks)
    arr = np.asarray(blocks, dtype=np.int64)
    i, j, n = arr[:, 0], arr[:, 1], arr[:, 2]
    cell = max_gap + min_chars
    step = min_chars  # a chain end near the diagonal is then at most max_gap + min_chars / 2 from a point
    samples = np.where(n >= min_chars, n // step + 2, 2)  # both ends, and the diagonal of a long block
    owner = np.repeat(np.arange(len(arr)), samples)
    t = np.arange(int(samples.sum())) - np.repeat(np.cumsum(samples) - samples, samples)
    t = np.minimum(np.where(t == samples[owner] - 1, n[owner], t * step), n[owner])  # the last sample: the end
    shift = np.int64(1 << 32)
    key = (i[owner] + t) // cell * shift + (j[owner] + t) // cell
    order = np.lexsort((owner, key))
    key, owner = key[order], owner[order]
    cells, first = np.unique(key, return_index=True)
    last = np.append(first[1:], len(key)) - 1
    lone_owner = np.where(owner[first] == owner[last], owner[first], -1)  # -1: two blocks or more there
    short = np.flatnonzero(n < min_chars)
    near = np.zeros(len(short), dtype=bool)
    for x, y in ((i[short], j[short]), (i[short] + n[short], j[short] + n[short])):
        base = (x // cell) * shift + y // cell
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                probe = base + dx * shift + dy
                at = np.minimum(np.searchsorted(cells, probe), len(cells) - 1)
                there = cells[at] == probe
                near |= there & (lone_owner[at] != short)
    keep = np.ones(len(arr), dtype=bool)
    keep[short[~near]] = False
    return [blocks[b] for b in np.flatnonzero(keep).tolist()]


def _chain(blocks: Sequence[Block], max_gap: int, same: bool, min_chars: int = 0) -> list[_Chain]:
    """Greedy chaining in A order: each block joins the closest compatible chain; the
    chains matching at least ``min_chars`` characters, by their first block.

    A long book repeats short phrases inside itself by the hundred thousand, nearly all of
    them lone blocks, so the loop keeps each open chain as a plain list (``[a_end, b_end,
    b_start, blocks, matched]``) and expires and searches the open chains in one pass.
    """
    active: list[list[Any]] = []
    done: list[list[Any]] = []
    for i, j, n in blocks:
        limit = i - max_gap
        best: list[Any] | None = None
        best_cost = best_trim = 0
        still = []
        for c in active:
            a_end, b_end = c[0], c[1]
            if a_end < limit:
                done.append(c)
                continue
            still.append(c)
            trim = max(0, a_end - i, b_end - j)
            if trim >= n:
                continue
            gi, gj = i + trim - a_end, j + trim - b_end
            if gi > max_gap or gj > max_gap or (same and i + n > c[2]):
                continue
            cost = gi if gi > gj else gj
            if best is None or cost < best_cost:
                best, best_cost, best_trim = c, cost, trim
        active = still
        if best is None:
            active.append([i + n, j + n, j, [(i, j, n)], n])
        else:
            best[3].append((i + best_trim, j + best_trim, n - best_trim))
            best[0], best[1] = i + n, j + n
            best[4] += n - best_trim
    # By first block: the order chains were closed in depends on blocks that joined none.
    return [_Chain(c[3]) for c in sorted(done + active, key=lambda c: c[3][0]) if c[4] >= min_chars]


def _gap_opcodes(a: str, b: str, a0: int, b0: int) -> list[Opcode]:
    """Opcodes for a gap between two exact blocks, offset to absolute positions."""
    if not a and not b:
        return []
    if not a:
        return [("insert", a0, a0, b0, b0 + len(b))]
    if not b:
        return [("delete", a0, a0 + len(a), b0, b0)]
    if len(a) * len(b) > MAX_GAP_CELLS:
        return [("replace", a0, a0 + len(a), b0, b0 + len(b))]
    ops = difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    return [(t, i1 + a0, i2 + a0, j1 + b0, j2 + b0) for t, i1, i2, j1, j2 in ops]


def _opcodes_from_blocks(a: str, b: str, blocks: Sequence[Block], a_end: int, b_end: int) -> list[Opcode]:
    """Tile ``a[blocks[0]..a_end)`` / ``b[..b_end)`` with equal blocks and diffed gaps."""
    ops: list[Opcode] = []
    pa, pb = blocks[0][0], blocks[0][1]
    for i, j, n in blocks:
        ops.extend(_gap_opcodes(a[pa:i], b[pb:j], pa, pb))
        ops.append(("equal", i, i + n, j, j + n))
        pa, pb = i + n, j + n
    ops.extend(_gap_opcodes(a[pa:a_end], b[pb:b_end], pa, pb))
    return _tidy(ops)


def _tidy(ops: list[Opcode]) -> list[Opcode]:
    """Join touching opcodes of one kind; fold equal runs shorter than MIN_EQUAL between edits."""
    out: list[Opcode] = []
    for op in ops:
        if op[1] == op[2] and op[3] == op[4]:
            continue
        if out and out[-1][0] == "equal" and op[0] == "equal":
            t, i1, _, j1, _ = out[-1]
            out[-1] = ("equal", i1, op[2], j1, op[4])
        elif out and out[-1][0] != "equal" and op[0] != "equal":
            _, i1, _, j1, _ = out[-1]
            out[-1] = (_edit_tag(i1, op[2], j1, op[4]), i1, op[2], j1, op[4])
        else:
            out.append(op)
    # Fold short equal runs sandwiched between two edits.
    folded: list[Opcode] = []
    for k, op in enumerate(out):
        short_equal = op[0] == "equal" and op[2] - op[1] < MIN_EQUAL and 0 < k < len(out) - 1
        if short_equal or (op[0] != "equal" and folded and folded[-1][0] != "equal"):
            _, i1, _, j1, _ = folded[-1]
            folded[-1] = (_edit_tag(i1, op[2], j1, op[4]), i1, op[2], j1, op[4])
        else:
            folded.append(op)
    return folded


def _edit_tag(i1: int, i2: int, j1: int, j2: int) -> str:
    if i1 == i2:
        return "insert"
    if j1 == j2:
        return "delete"
    return "replace"


def diff(a: str, b: str, *, ngram: int = 8) -> list[Opcode]:
    """Opcodes turning ``a`` into ``b``, anchored on windows unique to both (patience diff).

    Like :meth:`difflib.SequenceMatcher.get_opcodes` (tags ``equal``, ``insert``,
    ``delete``, ``replace``) but near-linear on long texts: windows of ``ngram``
    characters that occur once in each text and in the same order (longest increasing
    subsequence) anchor the alignment; only the stretches between anchors are diffed
    character by character.

    >>> [op[0] for op in diff("鄂州市2018年创建全国文明城市工作", "鄂州市20xx年创建全国文明城市工作", ngram=4)]
    ['equal', 'replace', 'equal']
    """
    if not a or not b:
        return _tidy([(_edit_tag(0, len(a), 0, len(b)), 0, len(a), 0, len(b))])
    ha, hb = _grams(a, ngram), _grams(b, ngram)
    i, j = _seed_pairs(ha, hb, ngram, 1, False)
    # Longest chain increasing in both (i is increasing already): patience LIS on j.
    tails: list[int] = []
    tail_idx: list[int] = []
    prev = [-1] * len(i)
    jl = j.tolist()
    for idx, jj in enumerate(jl):
        pos = bisect_left(tails, jj)
        if pos == len(tails):
            tails.append(jj)
            tail_idx.append(idx)
        else:
            tails[pos] = jj
            tail_idx[pos] = idx
        prev[idx] = tail_idx[pos - 1] if pos else -1
    chosen: list[int] = []
    k = tail_idx[-1] if tail_idx else -1
    while k >= 0:
        chosen.append(k)
        k = prev[k]
    chosen.reverse()
    sel = np.array(chosen, dtype=np.int64)
    blocks = _blocks(i[sel], j[sel], ngram) if len(sel) else []
    # Anchored windows may overlap when consecutive; trim to a monotone tiling.
    tiled: list[Block] = []
    for bi, bj, n in blocks:
        if tiled:
            pi, pj, pn = tiled[-1]
            trim = max(0, pi + pn - bi, pj + pn - bj)
            bi, bj, n = bi + trim, bj + trim, n - trim
            if n <= 0:
                continue
        tiled.append((bi, bj, n))
    if not tiled:
        return _tidy(_gap_opcodes(a, b, 0, 0))
    ops = _gap_opcodes(a[: tiled[0][0]], b[: tiled[0][1]], 0, 0)
    return _tidy(ops + _opcodes_from_blocks(a, b, tiled, len(a), len(b)))


def original_range(norm: Normalized, start: int, end: int) -> tuple[int, int]:
    """Original ``[start, end)`` of normalised ``[start, end)``; an empty range maps to a point.

    The point of an empty range is just after the preceding normalised character.
    """
    if end > start:
        return int(norm.start[start]), int(norm.end[end - 1])
    if start > 0:
        p = int(norm.end[start - 1])
    else:
        p = int(norm.start[0]) if len(norm.text) else 0
    return p, p


def _edits(
    text_a: str, na: Normalized, text_b: str, nb: Normalized, ops: Sequence[Opcode], bounds: tuple[int, int, int, int]
) -> tuple[Edit, ...]:
    """The opcodes' edits in original offsets; the point of an empty side stays inside the
    span (``bounds``): an insertion at its start goes at its start, not before the
    punctuation that precedes it."""
    kinds = {"insert": "insert", "delete": "delete", "replace": "substitute"}
    out = []
    for tag, i1, i2, j1, j2 in ops:
        if tag == "equal":
            continue
        a0, a1 = original_range(na, i1, i2)
        b0, b1 = original_range(nb, j1, j2)
        if a0 == a1:
            a0 = a1 = min(max(a0, bounds[0]), bounds[1])
        if b0 == b1:
            b0 = b1 = min(max(b0, bounds[2]), bounds[3])
        out.append(Edit(kinds[tag], a0, a1, b0, b1, text_a[a0:a1], text_b[b0:b1]))  # type: ignore[arg-type]
    return _moves(out)


#: A deleted and an inserted phrase are one moved phrase when they hold the same text of
#: at least this many characters (spaces left out): two words swapped, a clause moved.
MIN_MOVE_CHARS = 2


def _moves(edits: list[Edit]) -> tuple[Edit, ...]:
    """Each phrase deleted in one place and inserted unchanged in another becomes one
    ``move`` edit (A's range: where it was; B's: where it went), in A's order."""
    def key(text: str) -> str:
        return "".join(text.split())

    inserts: dict[str, list[int]] = defaultdict(list)
    for n, e in enumerate(edits):
        if e.kind == "insert" and len(key(e.b_text)) >= MIN_MOVE_CHARS:
            inserts[key(e.b_text)].append(n)
    if not inserts:
        return tuple(edits)
    out: list[Edit | None] = list(edits)
    for n, e in enumerate(edits):
        if e.kind == "delete" and inserts.get(key(e.a_text)):
            m = inserts[key(e.a_text)].pop(0)
            out[n] = Edit("move", e.a_start, e.a_end, edits[m].b_start, edits[m].b_end, e.a_text, edits[m].b_text)
            out[m] = None
    return tuple(e for e in out if e is not None)


#: A match shorter than a seed still extends a span when it is at least this long and
#: lies within one seed length of the span's end on both sides (``…确保{2018}年底前完成任务``).
MIN_EXTEND = 6


def _reach(a: str, b: str, k: int) -> tuple[int, int]:
    """How far a span ending just before ``a``/``b`` continues into them: ``(len_a, len_b)``.

    Exact characters continue it; so does a match of at least ``MIN_EXTEND`` characters
    after a gap of at most ``k`` characters on both sides (an edit too short to seed).
    """
    ea = eb = 0
    while ea < len(a) and eb < len(b) and a[ea] == b[eb]:
        ea += 1
        eb += 1
    while True:
        wa, wb = a[ea : ea + 2 * k + MIN_EXTEND], b[eb : eb + 2 * k + MIN_EXTEND]
        if not wa or not wb:
            return ea, eb
        progressed = False
        for m in difflib.SequenceMatcher(None, wa, wb, autojunk=False).get_matching_blocks():
            if m.size >= MIN_EXTEND and m.a <= k and m.b <= k:
                ea, eb = ea + m.a + m.size, eb + m.b + m.size
                progressed = True
                break
            if m.a > k or m.b > k:
                break
        if not progressed:
            return ea, eb
        while ea < len(a) and eb < len(b) and a[ea] == b[eb]:
            ea += 1
            eb += 1


def _extend(a: str, b: str, c: _Chain, k: int, same: bool) -> None:
    """Grow a chain past its first and last seeds (matches too short or too common to seed)."""
    i, j, _ = c.blocks[0]
    floor = c.a_end if same else 0  # in one text, B's region must stay after A's
    la, lb = _reach_near(a, 0, i, b, floor, j, k, backward=True)
    if la or lb:
        c.blocks.insert(0, (i - la, j - lb, 0))
    i, j, n = c.blocks[-1]
    stop = c.b_start if same else len(a)
    ra, rb = _reach_near(a, i + n, stop, b, j + n, len(b), k, backward=False)
    if ra or rb:
        c.blocks.append((i + n + ra, j + n + rb, 0))


def _reach_near(a: str, a_lo: int, a_hi: int, b: str, b_lo: int, b_hi: int, k: int, *, backward: bool) -> tuple[int, int]:
    """:func:`_reach` into ``a[a_lo:a_hi]`` and ``b[b_lo:b_hi]`` (read from their ends when
    ``backward``), copying only as much text as the reach looks at: a window that grows
    while the reach runs to its edge. Copying the whole rest of the text for every chain
    made a long document's repeats quadratic."""
    a_hi, b_hi = max(a_hi, a_lo), max(b_hi, b_lo)  # an empty range may come reversed (one text's regions)
    width = 64 * (k + MIN_EXTEND)
    while True:
        if backward:
            wa, wb = a[max(a_lo, a_hi - width) : a_hi][::-1], b[max(b_lo, b_hi - width) : b_hi][::-1]
        else:
            wa, wb = a[a_lo : min(a_hi, a_lo + width)], b[b_lo : min(b_hi, b_lo + width)]
        ra, rb = _reach(wa, wb, k)
        whole_a, whole_b = len(wa) == a_hi - a_lo, len(wb) == b_hi - b_lo
        # What _reach saw ends 2k + MIN_EXTEND past where it stopped: inside both windows
        # (or a window is all there is), it saw what the whole texts would have shown it.
        if (whole_a or ra + 2 * k + MIN_EXTEND <= len(wa)) and (whole_b or rb + 2 * k + MIN_EXTEND <= len(wb)):
            return ra, rb
        width *= 4


#: A span that stops this close (normalised characters) to a sentence's start or end on
#: both sides is carried to it: a copied sentence whose first or last word was rewritten
#: is still that sentence, and an edit too short to seed cannot carry it there itself.
SNAP = 16
_TERMINATOR = re.compile(r"[。！？；：!?;:.\n]")


def _boundary_before(text: str, norm: Normalized, i: int) -> int:
    """Normalised index where the sentence holding normalised character ``i`` starts."""
    o = int(norm.start[i])
    window = text[max(0, o - 4 * SNAP) : o]
    hits = [m.end() for m in _TERMINATOR.finditer(window)]
    if not hits:
        return 0 if o - 4 * SNAP <= 0 else i
    return int(np.searchsorted(norm.start, max(0, o - 4 * SNAP) + hits[-1]))


def _boundary_after(text: str, norm: Normalized, i: int) -> int:
    """Normalised index where the sentence holding normalised character ``i - 1`` ends."""
    o = int(norm.end[i - 1])
    m = _TERMINATOR.search(text, o, o + 4 * SNAP)
    if m is None:
        return len(norm.text) if len(text) - o <= 4 * SNAP else i
    return int(np.searchsorted(norm.start, m.start()))


def _snap(text_a: str, na: Normalized, text_b: str, nb: Normalized, c: _Chain) -> None:
    """Carry the chain to its sentences' starts and ends where both sides are within :data:`SNAP`."""
    i, j, _ = c.blocks[0]
    si, sj = _boundary_before(text_a, na, i), _boundary_before(text_b, nb, j)
    if 0 < i - si <= SNAP and 0 < j - sj <= SNAP:  # both sides: not one text's neighbour
        c.blocks.insert(0, (si, sj, 0))
    ea, eb = c.a_end, c.b_end
    ta, tb = _boundary_after(text_a, na, ea), _boundary_after(text_b, nb, eb)
    if 0 < ta - ea <= SNAP and 0 < tb - eb <= SNAP:
        c.blocks.append((ta, tb, 0))


def _spans(
    text_a: str, na: Normalized, text_b: str, nb: Normalized, config: AlignConfig, same: bool
) -> list[ReuseSpan]:
    a, b = na.text, nb.text
    k = config.ngram
    ha = _grams(a, k)
    hb = ha if same else _grams(b, k)
    i, j = _seed_pairs(ha, hb, k, config.max_repeat, same)
    blocks = _connected(_blocks(i, j, k), config.max_gap, config.min_chars)
    chains = _chain(blocks, config.max_gap, same, config.min_chars)
    index: tuple[Callable[[int], int], Callable[[int], int]] | None = None
    spans = []
    for c in chains:
        if c.matched < config.min_chars:
            continue
        _extend(a, b, c, k, same)
        if not same:
            _snap(text_a, na, text_b, nb, c)
        ops = _opcodes_from_blocks(a, b, c.blocks, c.a_end, c.b_end)
        matched = sum(o[2] - o[1] for o in ops if o[0] == "equal")
        if matched < config.min_chars:
            continue
        ia0, ia1 = c.blocks[0][0], c.a_end
        jb0, jb1 = c.blocks[0][1], c.b_end
        a0, a1 = original_range(na, ia0, ia1)
        b0, b1 = original_range(nb, jb0, jb1)
        ratio = 2 * matched / ((ia1 - ia0) + (jb1 - jb0))
        if index is None:  # once per text, and only for texts that share something
            first = _lines_of(text_a)
            index = (first, first if text_b is text_a else _lines_of(text_b))
        line_a, line_b = index
        lines = (line_a(a0), line_a(max(a0, a1 - 1)), line_b(b0), line_b(max(b0, b1 - 1)))
        edits = _edits(text_a, na, text_b, nb, ops, (a0, a1, b0, b1))
        spans.append(ReuseSpan(a0, a1, b0, b1, *lines, round(ratio, 4), matched, edits))
    return spans


def span_key(s: ReuseSpan) -> tuple[int, int, int, int]:
    """How spans are ordered and told apart: by start in A, then in B."""
    return (s.a_start, s.b_start, s.a_end, s.b_end)


def align_normalized(
    text_a: str,
    norm_a: Normalized,
    text_b: str,
    norm_b: Normalized,
    config: AlignConfig | None = None,
) -> list[ReuseSpan]:
    """:func:`align_pair` for texts already normalised with ``config.normalize``."""
    config = config or AlignConfig()
    if (norm_b.text, text_b) < (norm_a.text, text_a):  # canonical order: symmetric by construction
        spans = [s.swapped() for s in _spans(text_b, norm_b, text_a, norm_a, config, False)]
    else:
        spans = _spans(text_a, norm_a, text_b, norm_b, config, False)
    return sorted(spans, key=span_key)


def align_pair(text_a: str, text_b: str, *, config: AlignConfig | None = None) -> list[ReuseSpan]:
    """Maximal reused spans between two texts, with the edits inside each.

    Offsets are half-open ``[start, end)`` into the original ``text_a`` and ``text_b``;
    spans are sorted by their start in A. Pass the result of both orders and you get the
    same spans with sides swapped.

    >>> copied = "各地各部门务必引起高度重视，全面动员，全员参与，集中攻坚，全力整改，确保2018年底前完成任务。"
    >>> a = "今年的农业技术推广工作安排如下。" + copied + "种子站要做好春耕准备。"
    >>> b = "會議強調：" + copied.replace("2018", "20xx") + "散会。"
    >>> (span,) = align_pair(a, b)
    >>> a[span.a_start:span.a_end] == copied[:-1], b[span.b_start:span.b_end] == copied[:-1].replace("2018", "20xx")
    (True, True)
    >>> [(e.kind, e.a_text, e.b_text) for e in span.edits]
    [('substitute', '2018', '20xx')]
    """
    config = config or AlignConfig()
    return align_normalized(text_a, normalize(text_a, config.normalize), text_b, normalize(text_b, config.normalize), config)


def align_within(text: str, *, config: AlignConfig | None = None, norm: Normalized | None = None) -> list[ReuseSpan]:
    """Text repeated inside one document: spans with ``a`` before (and disjoint from) ``b``.

    >>> para = "文明是一个城市的灵魂，全国文明城市是一个城市最靓丽的名片，是城市综合竞争力的重要体现。"
    >>> text = "甲：" + para + "乙说，" + para
    >>> (span,) = align_within(text)
    >>> text[span.a_start:span.a_end] == text[span.b_start:span.b_end] == para[:-1], span.ratio
    (True, 1.0)
    """
    config = config or AlignConfig()
    norm = norm if norm is not None else normalize(text, config.normalize)
    return sorted(_spans(text, norm, text, norm, config, True), key=span_key)


def shift_span(span: ReuseSpan, da: int, db: int, la: int = 0, lb: int = 0) -> ReuseSpan:
    """A span found between two pieces of text, moved by ``da`` characters and ``la``
    lines on side A and ``db``, ``lb`` on B (into their documents' offsets and lines:
    a piece that starts on line 5 of its document moves by 4 lines), edits included."""
    edits = tuple(replace(e, a_start=e.a_start + da, a_end=e.a_end + da, b_start=e.b_start + db, b_end=e.b_end + db) for e in span.edits)
    return replace(
        span,
        a_start=span.a_start + da,
        a_end=span.a_end + da,
        b_start=span.b_start + db,
        b_end=span.b_end + db,
        a_line_start=span.a_line_start + la,
        a_line_end=span.a_line_end + la,
        b_line_start=span.b_line_start + lb,
        b_line_end=span.b_line_end + lb,
        edits=edits,
    )
