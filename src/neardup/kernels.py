"""The numba kernels behind :mod:`neardup.signature` and :mod:`neardup.verify`
(imported only when numba is).

Each must give exactly the result of its numpy twin in those modules; the tests compare
them on random batches.
"""

# mypy: disable-error-code="no-untyped-def"
from __future__ import annotations

import sys
from pathlib import Path

import numba
import numpy as np

from neardup.prebuilt import KERNEL_TYPES, ArgType, ArrayType, source_digest

_jit = numba.njit(nogil=True, cache=True)


@_jit
def fmix32(h):
    h = np.uint32(h ^ (h >> np.uint32(16)))
    h = np.uint32(h * np.uint32(0x85EBCA6B))
    h = np.uint32(h ^ (h >> np.uint32(13)))
    h = np.uint32(h * np.uint32(0xC2B2AE35))
    return np.uint32(h ^ (h >> np.uint32(16)))


@_jit
def mix64(h):
    h = h ^ (h >> np.uint64(30))
    h = h * np.uint64(0xBF58476D1CE4E5B9)
    h = h ^ (h >> np.uint64(27))
    h = h * np.uint64(0x94D049BB133111EB)
    return h ^ (h >> np.uint64(31))


@_jit
def affine_min(tokens, a, b, row, four):
    """``row[k] = min(row[k], min over tokens of a[k] * fmix32(t) + b[k])``.

    Four tokens per pass over the permutations cut the loads and stores of the row (a
    short tail repeats its last token, which cannot change a minimum); the permutation
    loop is innermost so it compiles to SIMD multiply-add-min. Every product is
    truncated to 32 bits, as datasketch's ``affine32`` does.
    """
    n = len(tokens)
    t = 0
    while t < n:
        count = min(4, n - t)
        for j in range(4):
            four[j] = fmix32(np.uint32(tokens[t + min(j, count - 1)] & np.uint64(0xFFFFFFFF)))
        h1, h2, h3, h4 = four[0], four[1], four[2], four[3]
        for k in range(len(a)):
            ak, bk = a[k], b[k]
            v12 = min(np.uint32(ak * h1 + bk), np.uint32(ak * h2 + bk))
            v34 = min(np.uint32(ak * h3 + bk), np.uint32(ak * h4 + bk))
            row[k] = min(row[k], min(v12, v34))
        t += 4


@_jit
def affine_rows(hashes, offsets, a, b, out):
    """The ``affine32`` kernel: one :func:`affine_min` per segment."""
    row = np.empty(len(a), np.uint32)
    four = np.empty(4, np.uint32)
    for i in range(len(offsets) - 1):
        row[:] = np.uint32(0xFFFFFFFF)
        affine_min(hashes[offsets[i] : offsets[i + 1]], a, b, row, four)
        out[i, :] = row


@_jit
def bucketed_rows(hashes, offsets, a, b, keys, out):
    """The ``bucketed`` kernel: rounds until every coordinate is filled, then the fallback.

    The loops avoid data-dependent branches (a mispredicted branch per token costs more
    than the hashing): the minimum is stored unconditionally, and the count of empty
    coordinates and the fallback's gathered permutations are updated arithmetically.
    """
    num_perm = out.shape[1]
    width = np.uint64(num_perm)
    longest = 0
    for i in range(len(offsets) - 1):
        longest = max(longest, offsets[i + 1] - offsets[i])
    mixed = np.empty(longest, np.uint64)
    mixed32 = np.empty(longest + 32, np.uint32)
    row = np.empty(num_perm, np.uint32)
    missing_at = np.empty(num_perm, np.intp)
    a_fb = np.empty(num_perm + 16, np.uint32)
    b_fb = np.empty(num_perm + 16, np.uint32)
    best = np.empty(num_perm + 16, np.uint32)
    four = np.empty(4, np.uint32)
    for i in range(len(offsets) - 1):
        tokens = hashes[offsets[i] : offsets[i + 1]]
        n = len(tokens)
        row[:] = np.uint32(0xFFFFFFFF)
        empty = num_perm if n > 0 else 0
        for pair in range(len(keys)):
            if empty == 0:
                break
            key = keys[pair]
            for t in range(n):
                mixed[t] = mix64(tokens[t] ^ key)
            for half in range(2):
                prefix = np.uint32((2 * pair + half) << 28)
                shift = np.uint64(32 * half)
                for t in range(n):
                    product = ((mixed[t] >> shift) & np.uint64(0xFFFFFFFF)) * width
                    coord = np.intp(product >> np.uint64(32))
                    value = prefix | (np.uint32(product & np.uint64(0xFFFFFFFF)) >> np.uint32(4))
                    old = row[coord]
                    empty -= np.intp(old == np.uint32(0xFFFFFFFF))
                    row[coord] = min(old, value)
                if empty == 0:
                    break
        if empty > 0:
            fallback = np.uint32(len(keys) * 2 << 28)
            if n >= 32:
                # Few coordinates left, many tokens: one SIMD min-reduction over the
                # tokens per coordinate.
                for t in range(n):
                    mixed32[t] = fmix32(np.uint32(tokens[t] & np.uint64(0xFFFFFFFF)))
                # Pad with the last token (a repeat cannot change a minimum) so that the
                # vectorised loop has no scalar remainder.
                padded = (n + 31) & ~31
                mixed32[n:padded] = mixed32[n - 1]
                for k in range(num_perm):
                    if row[k] == np.uint32(0xFFFFFFFF):
                        ak, bk = a[k], b[k]
                        low = np.uint32(0xFFFFFFFF)
                        for t in range(padded):
                            low = min(low, np.uint32(ak * mixed32[t] + bk))
                        row[k] = fallback | (low >> np.uint32(4))
            else:
                # Many coordinates, few tokens: gather the coordinates' permutations,
                # padded to 16 lanes with (0, EMPTY), which cannot lower a minimum.
                count = 0
                for k in range(num_perm):
                    missing_at[count] = k
                    a_fb[count] = a[k]
                    b_fb[count] = b[k]
                    count += np.intp(row[k] == np.uint32(0xFFFFFFFF))
                padded = (count + 15) & ~15
                for j in range(count, padded):
                    a_fb[j] = np.uint32(0)
                    b_fb[j] = np.uint32(0xFFFFFFFF)
                best[:padded] = np.uint32(0xFFFFFFFF)
                affine_min(tokens, a_fb[:padded], b_fb[:padded], best[:padded], four)
                for j in range(count):
                    row[missing_at[j]] = fallback | (best[j] >> np.uint32(4))
        out[i, :] = row


# --------------------------------------------------------------------------- verify


@_jit
def sorted_sets(hashes, lo, hi, out):
    """Each segment ``hashes[lo[k]:hi[k]]`` sorted and de-duplicated into ``out``
    (``sum(hi - lo)`` long, or more), packed end to end; returns each one's size.

    Threads sort parts of the segments straight into their stretches of one buffer:
    nothing is copied afterwards (a redundant 300 MB corpus's sets are most of a gigabyte).
    """
    counts = np.zeros(len(lo), dtype=np.int64)
    pos = 0
    for k in range(len(lo)):
        seg = np.sort(hashes[lo[k] : hi[k]])
        n = 0
        for t in range(len(seg)):
            if t == 0 or seg[t] != seg[t - 1]:
                out[pos + n] = seg[t]
                n += 1
        counts[k] = n
        pos += n
    return counts


@_jit
def shared_counts(values, starts, ends, pairs):
    """Size of the intersection of sorted runs ``pairs[k, 0]`` and ``pairs[k, 1]``
    (run ``r`` is ``values[starts[r]:ends[r]]``).

    The merge steps without branching on the comparison (which side advances is random
    for hashes, so a branch would be mispredicted half the time): both cursors advance
    by the comparison's outcome.
    """
    shared = np.zeros(len(pairs), dtype=np.int64)
    for k in range(len(pairs)):
        i, j = starts[pairs[k, 0]], starts[pairs[k, 1]]
        i_end, j_end = ends[pairs[k, 0]], ends[pairs[k, 1]]
        n = 0
        while i < i_end and j < j_end:
            x, y = values[i], values[j]
            n += x == y
            i += x <= y
            j += y <= x
        shared[k] = n
    return shared


# --------------------------------------------------------------------------- shingle


@_jit
def rolling_rows(codes, starts, lengths, k, out, offsets):
    """:func:`neardup.shingle._rolling` of each text ``codes[starts[t]:starts[t]+lengths[t]]``
    into ``out[offsets[t]:]``: Horner over ``k`` code points, plus ``k``, then splitmix64
    (a text shorter than ``k`` is one shingle over all its code points)."""
    base = np.uint64(0x100000001B3)
    for t in range(len(starts)):
        s, n, o = starts[t], lengths[t], offsets[t]
        if n == 0:
            continue
        width = k if n >= k else n
        for i in range(n - width + 1):
            h = np.uint64(0)
            for j in range(width):
                h = h * base + np.uint64(codes[s + i + j])
            out[o + i] = mix64(h + np.uint64(width))


def _compiled_local_moves():
    from neardup.community import local_moves as plain

    return _jit(plain)


#: Louvain's local moving phase (:func:`neardup.community.local_moves`), compiled.
local_moves = _compiled_local_moves()


def _compiled_csr_rows():
    from neardup.community import csr_rows as plain

    return _jit(plain)


#: A graph's rows from its edges (:func:`neardup.community.csr_rows`), compiled.
csr_rows = _compiled_csr_rows()


@_jit
def bucket_lookup(values, counts, starts, shift, windows, out):
    """``out[i]``: the count of ``windows[i]`` in sorted ``values``, 1 when absent; the
    candidates are the bucket of its top bits (``starts``), so one or two cache misses
    instead of a binary search (:meth:`neardup.boilerplate.WindowCounts.lookup`)."""
    for i in range(len(windows)):
        w = windows[i]
        b = w >> shift
        c = 1
        for j in range(starts[b], starts[b + 1]):
            if values[j] == w:
                c = counts[j]
                break
        out[i] = c


# --------------------------------------------------------------------------- sets


@_jit
def sorted_positions(distinct, values, out):
    """``out[i]``: where ``values[i]`` sits in ``distinct`` (sorted, distinct, holding every
    value): :func:`neardup.arrays.unique_inverse` without numpy's argsort, whose scattered
    gathers cost five times a plain sort. A table of buckets over the values' range
    narrows each search to a few entries; a binary search in the bucket keeps a skewed
    range from costing more than ``log n``."""
    n = len(distinct)
    if n == 0:
        return
    lo = distinct[0]
    span = distinct[n - 1] - lo
    bits = 1  # about four entries a bucket: the table costs two bytes a value
    while (4 << bits) < n and bits < 30:
        bits += 1
    width = 0  # bits of the span
    while width < 64 and (span >> np.uint64(width)) > np.uint64(0):
        width += 1
    shift = np.uint64(max(width - bits, 0))
    buckets = int(span >> shift) + 2
    starts = np.zeros(buckets, dtype=np.int64)
    for j in range(n):
        starts[int((distinct[j] - lo) >> shift) + 1] += 1
    for b in range(1, buckets):
        starts[b] += starts[b - 1]
    for i in range(len(values)):
        v = values[i]
        b = int((v - lo) >> shift)
        a, z = starts[b], starts[b + 1]
        while a < z:
            mid = (a + z) // 2
            if distinct[mid] < v:
                a = mid + 1
            else:
                z = mid
        out[i] = a


# --------------------------------------------------------------------------- boilerplate


@_jit
def hit_runs(df, floor, k, n, out):
    """Runs of the characters covered by windows (length ``k``) whose count is at least
    ``floor``: ``out[r] = (start, end, fewest documents of its windows)``; returns how many
    (:func:`neardup.boilerplate._runs` and ``_candidates``)."""
    r = 0
    end = -1
    for i in range(len(df)):
        d = df[i]
        if d < floor:
            continue
        if r > 0 and i <= end:
            end = min(i + k, n)
            out[r - 1, 1] = end
            if d < out[r - 1, 2]:
                out[r - 1, 2] = d
        else:
            end = min(i + k, n)
            out[r, 0] = i
            out[r, 1] = end
            out[r, 2] = d
            r += 1
    return r


@_jit
def corpus_runs(df, k, n, formula_docs, formula_chars, min_docs, phrase_chars, standalone, context_gap):
    """Per document, from its windows' document counts ``df``: the ranges two or more
    documents share ``(m, 2)``, and the corpus boilerplate runs ``(r, 3)`` as
    ``(start, end, documents)`` (:func:`neardup.boilerplate.corpus_runs_numpy`, in one
    compiled pass instead of a dozen numpy calls per document)."""
    m = len(df)
    tmp = np.empty((m, 3), dtype=np.int64)
    ns = hit_runs(df, 2, k, n, tmp)
    shared = tmp[:ns, :2].copy()
    cand = np.empty((2 * m, 3), dtype=np.int64)
    nc = 0
    for which in range(2):
        floor = formula_docs if which == 0 else min_docs
        longest = formula_chars if which == 0 else phrase_chars
        r = hit_runs(df, floor, k, n, tmp)
        for j in range(r):
            if tmp[j, 1] - tmp[j, 0] <= longest:
                cand[nc, 0] = tmp[j, 0]
                cand[nc, 1] = tmp[j, 1]
                cand[nc, 2] = tmp[j, 2]
                nc += 1
    floors = np.empty(nc, dtype=np.int64)
    for j in range(nc):
        x = max(int(cand[j, 2] * standalone), 1)
        p = 1
        while p * 2 <= x:
            p *= 2
        floors[j] = max(2, p)
    stretch = np.zeros(nc, dtype=np.int64)
    for f in np.unique(floors):
        r = hit_runs(df, f, k, n, tmp)
        b = 0
        for j in range(r):  # bridged over context_gap, in place
            if b > 0 and tmp[j, 0] - tmp[b - 1, 1] <= context_gap:
                tmp[b - 1, 1] = max(tmp[b - 1, 1], tmp[j, 1])
            else:
                tmp[b, 0] = tmp[j, 0]
                tmp[b, 1] = tmp[j, 1]
                b += 1
        if b == 0:
            continue
        for j in range(nc):
            if floors[j] != f:
                continue
            s = cand[j, 0]
            lo, hi = 0, b  # the last bridged range starting at or before s
            while lo < hi:
                mid = (lo + hi) // 2
                if tmp[mid, 0] <= s:
                    lo = mid + 1
                else:
                    hi = mid
            i = max(lo - 1, 0)
            if tmp[i, 0] <= s and tmp[i, 1] >= cand[j, 1]:
                stretch[j] = tmp[i, 1] - tmp[i, 0]
    order = np.argsort(cand[:nc, 0], kind="mergesort")
    runs = np.empty((nc, 3), dtype=np.int64)
    nr = 0
    for o in order:
        if stretch[o] > formula_chars:
            continue
        s, e, c = cand[o, 0], cand[o, 1], cand[o, 2]
        if nr > 0 and s <= runs[nr - 1, 1]:
            runs[nr - 1, 1] = max(runs[nr - 1, 1], e)
            runs[nr - 1, 2] = min(runs[nr - 1, 2], c)
        else:
            runs[nr, 0] = s
            runs[nr, 1] = e
            runs[nr, 2] = c
            nr += 1
    return shared, runs[:nr].copy()


@_jit
def page_edges(raw, codes, start, end, prose_chars, wrapped_chars, wrapped_max_chars, told_lines):
    """A page's head and tail around its prose, as normalised offsets ``(head_end,
    tail_start)``, -1 where there is none (:func:`neardup.boilerplate._page_edges`, in one
    compiled pass instead of a dozen numpy calls and three regular expressions a line).

    ``raw``: the original text's code points; ``codes``, ``start``, ``end``: the
    normalised text's code points and their original spans."""
    n = len(codes)
    if n == 0:
        return -1, -1
    total = len(raw)
    line_of = np.empty(total + 1, dtype=np.int64)  # original offset -> its line
    line_at = np.empty(total + 2, dtype=np.int64)  # line -> its first offset
    line_at[0] = 0
    lines_raw = 1
    words = np.zeros(total + 1, dtype=np.int64)  # Latin words starting before each offset
    ends = np.zeros(total + 1, dtype=np.int64)  # sentence ends (full width) before each offset
    was_latin = False
    for p in range(total):
        line_of[p] = lines_raw - 1
        c = raw[p]
        folded = c | 32
        latin = (folded >= 0x61 and folded <= 0x7A) or (c >= 0x30 and c <= 0x39)
        words[p + 1] = words[p] + (1 if latin and not was_latin else 0)
        was_latin = latin
        ends[p + 1] = ends[p] + (1 if c == 0x3002 or c == 0xFF01 or c == 0xFF1F else 0)
        if c == 10:
            line_at[lines_raw] = p + 1
            lines_raw += 1
    line_of[total] = lines_raw - 1
    line_at[lines_raw] = total
    # Normalised lines: runs of characters from one original line.
    bounds = np.empty(n + 1, dtype=np.int64)
    source = np.empty(n, dtype=np.int64)  # each normalised line's original line
    lines = 0
    prev = -1
    for i in range(n):
        ln = line_of[start[i]]
        if ln != prev:
            bounds[lines] = i
            source[lines] = ln
            lines += 1
            prev = ln
    bounds[lines] = n
    units = np.empty(lines, dtype=np.int64)
    wrapped = np.empty(lines, dtype=np.int64)
    latin_line = np.empty(lines, dtype=np.bool_)
    most = 0
    for j in range(lines):
        lo, hi = bounds[j], bounds[j + 1]
        alnum, letters, cjk, spaces = 0, 0, 0, 0
        for i in range(lo, hi):
            c = codes[i]
            if c >= 0x61 and c <= 0x7A:
                letters += 1
                alnum += 1
            elif c >= 0x30 and c <= 0x39:
                alnum += 1
            elif c == 0x20:
                spaces += 1
            elif c >= 0x3400 and c <= 0x9FFF:
                cjk += 1
        units[j] = (hi - lo - alnum) + words[end[hi - 1]] - words[start[lo]]
        wrapped[j] = (hi - lo) - alnum - spaces + (alnum + 4) // 5
        latin_line[j] = letters > 0 and cjk == 0
        most = max(most, units[j])
    if most < prose_chars:
        return -1, -1
    # Hard-wrapped Latin lines count their whole paragraph's units.
    first_of = 0
    for j in range(1, lines + 1):
        size = bounds[j] - bounds[j - 1]
        joined = j < lines and latin_line[j] and latin_line[j - 1] and size >= wrapped_chars and size <= wrapped_max_chars
        if not joined:
            paragraph = 0
            for q in range(first_of, j):
                paragraph += wrapped[q]
            for q in range(first_of, j):
                wrapped[q] = paragraph
            first_of = j
    first, last = -1, -1
    for j in range(lines):
        if units[j] >= prose_chars or wrapped[j] >= prose_chars:
            if first < 0:
                first = j
            last = j
    # A head (tail) with enough lines of two sentences or more is content from the first
    # of them (to the last) on.
    told, earliest = 0, -1
    for j in range(first):
        ln = source[j]
        if ends[line_at[ln + 1] if ln + 1 < lines_raw else total] - ends[line_at[ln]] >= 2:
            told += 1
            if earliest < 0:
                earliest = j
    if told >= told_lines:
        first = earliest
    told, latest = 0, -1
    for j in range(last + 1, lines):
        ln = source[j]
        if ends[line_at[ln + 1] if ln + 1 < lines_raw else total] - ends[line_at[ln]] >= 2:
            told += 1
            latest = j
    if told >= told_lines:
        last = latest
    return (bounds[first] if first > 0 else -1), (bounds[last + 1] if last < lines - 1 else -1)


@_jit
def seed_pairs(ha, hb, max_repeat, same, k):
    """``align._seed_pairs_numpy``: every ``(i, j)`` with window ``i`` of A equal to window
    ``j`` of B, each side holding that window at most ``max_repeat`` times (with ``same``,
    B is A, the window occurs at least twice and ``j >= i + k``), ordered by ``i`` then ``j``.

    One stable sort per side and a walk over both; the numpy twin spends its time in
    the per-call overhead of ten array functions on the short texts members are.
    """
    na, nb = len(ha), len(hb)
    oa = np.argsort(ha, kind="mergesort")
    ob = oa if same else np.argsort(hb, kind="mergesort")
    start = np.zeros(na, np.int64)
    count = np.zeros(na, np.int64)
    total = 0
    x = 0
    y = 0
    while x < na:
        v = ha[oa[x]]
        e = x + 1
        while e < na and ha[oa[e]] == v:
            e += 1
        ca = e - x
        if same:
            s, c = x, ca
            kept = ca >= 2 and ca <= max_repeat
        else:
            while y < nb and hb[ob[y]] < v:
                y += 1
            f = y
            while f < nb and hb[ob[f]] == v:
                f += 1
            s, c = y, f - y
            kept = c > 0 and ca <= max_repeat and c <= max_repeat
            y = f
        if kept:
            for t in range(x, e):
                start[oa[t]] = s
                count[oa[t]] = c
            total += ca * c
        x = e
    out_i = np.empty(total, np.int64)
    out_j = np.empty(total, np.int64)
    n = 0
    for i in range(na):
        s = start[i]
        for t in range(s, s + count[i]):
            j = ob[t]
            if same and j < i + k:
                continue
            out_i[n] = i
            out_j[n] = j
            n += 1
    return out_i[:n].copy(), out_j[:n].copy()


def _load_registries() -> None:
    """Load numba's registries now, without its BLAS probe.

    The first compiled call in a process loads numba's registries, and one of them
    imports ``scipy.linalg`` only to learn whether ``np.dot`` may call BLAS: 0.17 s of a
    0.27 s load, paid by the scan and by each worker. No kernel here does linear algebra.
    With the probe's module marked missing for this one call, numba takes its fallback:
    the plain loop for the inner products of ``np.cov`` and ``np.correlate``, giving the
    same results. ``np.dot`` itself asks for BLAS when it is compiled, after the mark is
    gone. If scipy's module is already loaded, the probe is free and nothing is marked.
    """
    probe = "scipy.linalg.cython_blas"
    marked = probe not in sys.modules
    if marked:
        sys.modules[probe] = None  # type: ignore[assignment]
    try:
        fmix32(np.uint32(0))
    finally:
        if marked and sys.modules.get(probe, 0) is None:
            del sys.modules[probe]


_load_registries()


def _numba_type(arg: ArgType) -> object:
    if isinstance(arg, ArrayType):
        a = np.empty((0,) * arg.ndim, dtype=arg.dtype)
        a.setflags(write=not arg.readonly)
        return numba.typeof(a)
    return numba.types.boolean if arg.kind == "bool" else getattr(numba.types, arg.kind)


def _scan_signatures() -> list[tuple[object, tuple[object, ...]]]:
    """``(kernel, argument types)`` of every call a scan makes, worker or not, from
    :data:`neardup.prebuilt.KERNEL_TYPES` (the test
    ``test_kernels::test_warm_covers_what_a_scan_compiles`` keeps that table true)."""
    module = sys.modules[__name__]
    return [(getattr(module, name), tuple(map(_numba_type, types))) for name, types in KERNEL_TYPES.items()]


def warm() -> None:
    """Load every kernel a scan calls from numba's cache (compiling the ones not cached).

    A kernel loads on its first call, a few tens of milliseconds each: the fork server
    (:mod:`neardup.workers`) loads them all once, so that no worker it starts pays again,
    and a scan loads them in a thread as it starts, beside its first stage.
    """
    for kernel, types in _scan_signatures():
        kernel.compile(types)  # type: ignore[attr-defined]


def build_ahead(folder: Path) -> Path:
    """Compile the kernels of :data:`~neardup.prebuilt.KERNEL_TYPES` ahead of time into
    the extension module ``kernels_prebuilt`` in ``folder`` (see :mod:`neardup.prebuilt`);
    returns its path. ``setup.py`` calls this when neardup is installed.

    For any x86-64 (or other) machine of the platform, not this one's processor, so
    that a wheel built here runs elsewhere (measured: six alternated 5 MB scans, medians
    3.40 s against 3.58 s for this processor's build).
    The exported functions release the GIL, as the numba kernels do (``nogil``): the
    verification runs them in threads. numba's ahead-of-time compiler has no switch for
    that, so its compile flags are given it for the build.
    """
    import warnings

    from numba.core.errors import NumbaPendingDeprecationWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NumbaPendingDeprecationWarning)
        import numba.pycc.compiler as pycc_compiler
        from numba.pycc import CC

    class _ReleasingGil(pycc_compiler.Flags):  # type: ignore[misc,name-defined]
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, **kwargs)
            self.release_gil = True

    cc = CC("kernels_prebuilt")
    cc.output_dir = str(folder)
    cc.verbose = False
    for kernel, types in _scan_signatures():
        kernel.compile(types)  # type: ignore[attr-defined]
        cc.export(kernel.py_func.__name__, kernel.overloads[types].signature)(kernel.py_func)  # type: ignore[attr-defined]
    digest: dict[str, object] = {}
    exec(f"def source_digest():\n    return {source_digest(Path(__file__).parent)}", digest)  # noqa: S102 - a constant
    cc.export("source_digest", "i8()")(digest["source_digest"])
    flags = pycc_compiler.Flags
    pycc_compiler.Flags = _ReleasingGil
    try:
        cc.compile()
    finally:
        pycc_compiler.Flags = flags
    return Path(cc.output_dir) / cc.output_file
