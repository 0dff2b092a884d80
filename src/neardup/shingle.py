"""Normalised text -> shingle hashes.

A shingle is a run of ``ngram`` consecutive tokens: characters by default (Chinese has
no spaces, and character n-grams survive word-segmentation disagreements), or jieba
words. Each shingle is hashed once to 64 bits with a polynomial hash over code points,
vectorised with numpy; exact verification compares these 64-bit sets, and signatures
take them whole (bucketed scheme) or their low 32 bits (``affine32``, datasketch's input width).
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Sequence
from functools import lru_cache
from types import ModuleType

import numpy as np
import numpy.typing as npt

from neardup.config import ShingleConfig
from neardup.prebuilt import PrebuiltKernels, prebuilt_kernels

__all__ = ["compiled_kernels", "load_kernels_aside", "loaded_kernels", "shingle_hashes", "shingle_hashes_many", "token_starts", "warm_kernels"]

#: Fewer characters than this are hashed in numpy: no numba import for a small job.
NUMBA_MIN_CHARS = 200_000


@lru_cache(maxsize=1)
def compiled_kernels() -> ModuleType | PrebuiltKernels | None:
    """The compiled kernels: prebuilt at install (:mod:`neardup.prebuilt`) or else
    :mod:`neardup.kernels` (numba); ``None`` when numba is missing or ``NEARDUP_NUMBA=0``.

    The one place that loads the compiled kernels: shingling, signing and verifying all
    ask it, so the environment switch and the import fallback live here only.
    """
    if os.environ.get("NEARDUP_NUMBA", "1") == "0":
        return None
    prebuilt = prebuilt_kernels()
    if prebuilt is not None:
        return prebuilt
    try:
        from neardup import kernels
    except ImportError:
        return None
    return kernels


def warm_kernels() -> None:
    """Load every kernel a scan calls (:func:`neardup.kernels.warm`), if numba is there."""
    kernels = compiled_kernels()
    if kernels is not None:
        kernels.warm()


def load_kernels_aside() -> threading.Thread:
    """Load the compiled kernels (:func:`neardup.kernels.warm`) in a thread, started now,
    so that no stage pays for the kernels it first calls. Most of the load (numba's
    import) holds the GIL: beside pure-Python work it saves little (timed beside the
    first stage's normalising and hashing of 5 MB, the two took as long as one after
    the other); it overlaps what releases the GIL. A failure is left to the stage that
    calls the kernel."""

    def load() -> None:
        try:
            warm_kernels()
        except Exception:  # noqa: S110 - the stage that calls a kernel meets the failure and reports it
            pass

    thread = threading.Thread(target=load, name="neardup-kernels", daemon=True)
    thread.start()
    return thread


def loaded_kernels() -> ModuleType | PrebuiltKernels | None:
    """:func:`compiled_kernels` if they are prebuilt or something has loaded them already:
    for steps whose work is small per call (aligning a member), where importing numba for
    a lone call would cost more than it saves."""
    return compiled_kernels() if "neardup.kernels" in sys.modules or prebuilt_kernels() else None


logger = logging.getLogger(__name__)

_BASE = np.uint64(0x100000001B3)  # FNV-64 prime: odd, well spread
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def mix64(h: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """splitmix64 finaliser: spreads the polynomial hash over all 64 bits."""
    h = h ^ (h >> np.uint64(30))
    h = h * _M1
    h = h ^ (h >> np.uint64(27))
    h = h * _M2
    return h ^ (h >> np.uint64(31))


def _codes(text: str) -> npt.NDArray[np.uint64]:
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(np.uint64)


def _rolling(tokens: npt.NDArray[np.uint64], ngram: int) -> npt.NDArray[np.uint64]:
    n = len(tokens)
    if n == 0:
        return np.empty(0, dtype=np.uint64)
    if n < ngram:
        # A text shorter than one shingle is one shingle: still comparable.
        return _rolling(tokens, n)
    count = n - ngram + 1
    h = np.zeros(count, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(ngram):
            h = h * _BASE + tokens[j : j + count]
        h = h + np.uint64(ngram)  # distinguish a short text from the shingle it equals
        return mix64(h)


def token_starts(text: str, config: ShingleConfig) -> npt.NDArray[np.int64] | None:
    """Normalised offsets where each word starts (``None`` for character tokens)."""
    if config.tokens == "chars":
        return None
    return _words_at(text)[1]


def _words(text: str) -> list[str]:
    return _words_at(text)[0]


def _words_at(text: str) -> tuple[list[str], npt.NDArray[np.int64]]:
    """jieba's words of a normalised text (spaces between words left out) and where each starts."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    words, starts, pos = [], [], 0
    for w in jieba.lcut(text, HMM=False):
        if not w.isspace():
            words.append(w)
            starts.append(pos)
        pos += len(w)
    return words, np.array(starts, dtype=np.int64)


def shingle_hashes(text: str, config: ShingleConfig | None = None) -> npt.NDArray[np.uint64]:
    """64-bit hashes of every shingle of ``text``, in order (shingle ``i`` starts at token ``i``).

    >>> h = shingle_hashes("全国文明城市创建", ShingleConfig(ngram=5))
    >>> len(h), h.dtype.name
    (4, 'uint64')
    >>> bool(shingle_hashes("文明城市创建", ShingleConfig(ngram=5))[0] == h[2])
    True
    """
    config = config or ShingleConfig()
    if config.tokens == "chars":
        return _rolling(_codes(text), config.ngram)
    words = _words(text)
    word_ids = np.fromiter((hash_word(w) for w in words), dtype=np.uint64, count=len(words))
    return _rolling(word_ids, config.ngram)


def shingle_hashes_many(
    texts: Sequence[str], config: ShingleConfig | None = None
) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.int64]]:
    """:func:`shingle_hashes` of every text, end to end, and the offsets of each text's run.

    For character shingles the texts are hashed together: one rolling hash over their
    concatenation, keeping the windows that lie inside one text. That costs a few numpy
    passes over all characters instead of a dozen numpy calls per text.

    >>> five = ShingleConfig(ngram=5)
    >>> h, offsets = shingle_hashes_many(["全国文明城市创建", "", "文明"], five)
    >>> offsets.tolist(), bool((h[:4] == shingle_hashes("全国文明城市创建", five)).all())
    ([0, 4, 4, 5], True)
    """
    config = config or ShingleConfig()
    if config.tokens != "chars" or not texts:
        parts = [shingle_hashes(t, config) for t in texts]
        offsets = np.concatenate(([0], np.cumsum([len(p) for p in parts]))).astype(np.int64)
        return (np.concatenate(parts) if parts else np.empty(0, dtype=np.uint64)), offsets
    k = config.ngram
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    counts = np.where(lengths >= k, lengths - k + 1, np.minimum(lengths, 1))
    offsets = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
    starts = np.cumsum(lengths) - lengths  # where each text begins in the concatenation
    kernels = compiled_kernels() if lengths.sum() >= NUMBA_MIN_CHARS else None
    if kernels is not None:  # one compiled pass: no array per Horner step
        codes = np.frombuffer("".join(texts).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        out = np.empty(int(offsets[-1]), dtype=np.uint64)
        kernels.rolling_rows(codes, starts, lengths, k, out, offsets)
        return out, offsets
    everything = _rolling(_codes("".join(texts)), k)  # window i starts at character i
    full = lengths >= k
    kept = counts[full]
    index = np.repeat(starts[full] - (np.cumsum(kept) - kept), kept) + np.arange(int(kept.sum()))
    out = np.empty(int(offsets[-1]), dtype=np.uint64)
    out[np.repeat(full, counts)] = everything[index] if len(everything) else everything
    for i in np.flatnonzero(~full & (lengths > 0)).tolist():  # shorter than one shingle
        out[offsets[i]] = shingle_hashes(texts[i], config)[0]
    return out, offsets


def hash_word(word: str) -> int:
    """A stable 64-bit id for a word (Python's ``hash`` is salted per process)."""
    h = np.uint64(0xCBF29CE484222325)
    with np.errstate(over="ignore"):
        for c in _codes(word):
            h = (h ^ c) * _BASE
    return int(h)
