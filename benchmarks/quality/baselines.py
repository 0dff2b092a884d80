"""What people use today, run the way they are usually run, for comparison with neardup.

* ``minhash-char5``: datasketch MinHash + MinHashLSH over raw character 5-grams, with no
  normalisation at all (no 繁简 folding, no ruby stripping, punctuation kept).
* ``minhash-words``: text-dedup style: split on non-word characters (``re.split(r'\\W+')``),
  shingle word n-grams. For Chinese the "words" are whole clauses between punctuation,
  which is exactly why this tokenisation matters to measure.
* ``simhash``: the PyPI ``simhash`` package over raw character 5-grams; a pair is a
  duplicate when the 64-bit fingerprints differ in at most ``k`` bits.

Each returns ``BaselineResult(predicted, candidates)``: ``candidates`` are the pairs the
index proposed (LSH bucket collisions), ``predicted`` those that passed the method's own
similarity test, so a low recall can be blamed on the index or on the threshold.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from benchmarks.quality.common import Doc, Pair, as_docs, char_ngrams, pair_key

NON_WORD = re.compile(r"\W+")


@dataclass(frozen=True)
class BaselineResult:
    predicted: set[Pair]
    candidates: set[Pair] = field(default_factory=set)


def word_ngrams(text: str, n: int = 5, min_length: int = 5) -> set[str]:
    """text-dedup's shingles: lower-case, split on non-word runs, word n-grams.

    Like text-dedup, a text with fewer than ``min_length`` words has no shingles and one
    with fewer than ``n`` words is a single shingle.
    """
    words = [w for w in NON_WORD.split(text.lower()) if w]
    if len(words) < min_length:
        return set()
    if len(words) < n:
        return {" ".join(words)}
    return {" ".join(words[i : i + n]) for i in range(len(words) - n + 1)}


def _minhash_lsh(
    docs: Sequence[Doc | tuple[str, str]], shingle: Callable[[str], set[str]], threshold: float, num_perm: int, seed: int
) -> BaselineResult:
    """MinHash per document (``update_batch``), LSH query, then the estimated-Jaccard test.

    Documents without shingles are left out rather than all colliding with each other
    (text-dedup hashes them to identical signatures, which would be a gift to no one).
    """
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    sketches: dict[str, MinHash] = {}
    for doc in as_docs(docs):
        grams = shingle(doc.text)
        if not grams:
            continue
        m = MinHash(num_perm=num_perm, seed=seed)
        m.update_batch([g.encode("utf-8") for g in grams])
        sketches[doc.id] = m
        lsh.insert(doc.id, m)
    candidates: set[Pair] = set()
    for doc_id, m in sketches.items():
        for other in lsh.query(m):
            if other != doc_id:
                candidates.add(pair_key(doc_id, other))
    predicted = {p for p in candidates if sketches[p[0]].jaccard(sketches[p[1]]) >= threshold}
    return BaselineResult(predicted, candidates)


def minhash_char(
    docs: Sequence[Doc | tuple[str, str]], threshold: float = 0.5, ngram: int = 5, num_perm: int = 128, seed: int = 1
) -> BaselineResult:
    return _minhash_lsh(docs, lambda t: char_ngrams(t, ngram), threshold, num_perm, seed)


def minhash_words(
    docs: Sequence[Doc | tuple[str, str]],
    threshold: float = 0.5,
    ngram: int = 5,
    min_length: int = 5,
    num_perm: int = 128,
    seed: int = 1,
) -> BaselineResult:
    return _minhash_lsh(docs, lambda t: word_ngrams(t, ngram, min_length), threshold, num_perm, seed)


def simhash(docs: Sequence[Doc | tuple[str, str]], k: int = 3, ngram: int = 5) -> BaselineResult:
    """SimhashIndex finds fingerprints within ``k`` bits; those pairs are the prediction."""
    from simhash import Simhash, SimhashIndex

    quiet = logging.getLogger("benchmarks.quality.simhash")
    quiet.setLevel(logging.ERROR)
    hashes: dict[str, Simhash] = {}
    for doc in as_docs(docs):
        grams = sorted(char_ngrams(doc.text, ngram))
        if grams:
            hashes[doc.id] = Simhash(grams)
    index = SimhashIndex(list(hashes.items()), k=k, log=quiet)
    predicted: set[Pair] = set()
    for doc_id, h in hashes.items():
        for other in index.get_near_dups(h):
            if other != doc_id:
                predicted.add(pair_key(doc_id, other))
    return BaselineResult(predicted, set(predicted))


BASELINES: dict[str, Callable[[Sequence[Doc]], BaselineResult]] = {
    "minhash-char5": minhash_char,
    "minhash-words": minhash_words,
    "simhash": simhash,
}
