from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from neardup.verify import similarity

ints = st.lists(st.integers(0, 60), max_size=40).map(lambda x: np.unique(np.array(x, dtype=np.uint64)))


@given(ints, ints)
def test_similarity_symmetric_and_bounded(a: np.ndarray, b: np.ndarray) -> None:
    j1, c1 = similarity(a, b)
    j2, c2 = similarity(b, a)
    assert j1 == j2 and c1 == c2
    assert 0.0 <= j1 <= c1 <= 1.0
    if len(a):
        assert similarity(a, a) == (1.0, 1.0)


@given(st.lists(st.lists(st.integers(0, 30), max_size=25), min_size=2, max_size=12), st.randoms(use_true_random=False))
@settings(deadline=None)
def test_segment_verification_equals_pairwise(groups: list[list[int]], rng) -> None:
    """verify_segments (numba and numpy) == verify_pairs on np.unique sets."""
    from neardup.config import VerifyConfig
    from neardup.verify import numba_kernels, verify_pairs, verify_segments

    hashes = np.array([h for g in groups for h in g], dtype=np.uint64)
    offsets = np.concatenate(([0], np.cumsum([len(g) for g in groups]))).astype(np.int64)
    n = len(groups)
    pairs = np.array([(i, j) for i in range(n) for j in range(i + 1, n) if rng.random() < 0.7], dtype=np.int64)
    config = VerifyConfig(threshold=0.2)
    # a segment's length is its passage's shingles with repeats: what tells a whole short text
    held = [len(g) for g in groups]
    expected = verify_pairs(pairs.reshape(-1, 2), [np.unique(np.array(g, dtype=np.uint64)) for g in groups], config, held)
    assert verify_segments(pairs, hashes, offsets, config, use_numba=False) == expected
    if numba_kernels() is not None:
        assert verify_segments(pairs, hashes, offsets, config, use_numba=True) == expected
        # threads sort parts of the sets into stretches of one buffer
        assert verify_segments(pairs, hashes, offsets, config, use_numba=True, threads=3) == expected


def test_short_passages_sharing_one_clause_are_no_match() -> None:
    """Jaccard 0.3 on a few shingles is no copy: a match shares at least ``min_shared``."""
    import numpy as np

    from neardup.config import ScanConfig, VerifyConfig
    from neardup.verify import verify_segments

    shared = np.arange(20, dtype=np.uint64)  # one stock clause: 20 shingles
    a = np.concatenate((shared, np.arange(100, 120, dtype=np.uint64)))
    b = np.concatenate((shared, np.arange(200, 220, dtype=np.uint64)))
    hashes, offsets, pairs = np.concatenate((a, b)), np.array([0, 40, 80]), np.array([[0, 1]])
    assert verify_segments(pairs, hashes, offsets, VerifyConfig(min_shared=0))[0].jaccard == round(20 / 60, 6)
    assert verify_segments(pairs, hashes, offsets, ScanConfig().verification()) == []
    assert ScanConfig.from_options(tokens="words").verification().min_shared == 5
    # a short passage copied whole (a quatrain: 17 shingles) still matches
    short = np.arange(17, dtype=np.uint64)
    assert verify_segments(pairs, np.concatenate((short, short)), np.array([0, 17, 34]), ScanConfig().verification())


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.integers(0, 30), max_size=25), min_size=2, max_size=12), st.integers(1, 4), st.data())
def test_threads_and_the_mask_give_the_overlaps_of_one_thread(sets: list[list[int]], threads: int, data: st.DataObject) -> None:
    from neardup import verify

    hashes = np.array([x for s in sets for x in s], dtype=np.uint64)
    offsets = np.concatenate(([0], np.cumsum([len(s) for s in sets]))).astype(np.int64)
    n = len(sets)
    pairs = np.array(data.draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), min_size=1, max_size=40)), dtype=np.int64)
    involved, local = verify._involved(pairs, n)
    expected_involved, expected_local = np.unique(pairs, return_inverse=True)
    assert involved.tolist() == expected_involved.tolist() and local.tolist() == expected_local.reshape(-1, 2).tolist()
    plain = verify.pair_overlaps(pairs, hashes, offsets, use_numba=False)
    if verify.numba_kernels() is not None:
        threaded = verify.pair_overlaps(pairs, hashes, offsets, use_numba=True, threads=threads)
        assert [x.tolist() for x in threaded] == [x.tolist() for x in plain]


@given(st.lists(st.lists(st.integers(0, 40), min_size=1, max_size=30), min_size=2, max_size=12))
@settings(max_examples=60, deadline=None)
def test_match_records_are_the_matches_verification_finds(sets: list[list[int]]) -> None:
    """The scan keeps matches as records (MatchArray): each, looked at, is the Match the
    pairwise check gives, scores rounded to six places as Python rounds them."""
    from neardup.config import VerifyConfig
    from neardup.model import Match
    from neardup.verify import MatchArray, verify_rows

    hashes = np.array([h for s in sets for h in s], dtype=np.uint64)
    offsets = np.concatenate(([0], np.cumsum([len(s) for s in sets]))).astype(np.int64)
    pairs = np.array([(i, j) for i in range(len(sets)) for j in range(i + 1, len(sets))], dtype=np.int64)
    config = VerifyConfig(threshold=0.2, min_shared=1)
    records = MatchArray(verify_rows(pairs, hashes, offsets, config))
    expected = []
    for i, j in pairs.tolist():
        a, b = set(sets[i]), set(sets[j])
        shared = len(a & b)
        jaccard = shared / len(a | b)
        if jaccard >= config.threshold and shared >= 1:
            expected.append(Match(i, j, round(jaccard, 6), round(shared / min(len(a), len(b)), 6)))
    assert list(records) == expected and records == expected and len(records) == len(expected)
    assert [records[k] for k in range(len(records))] == expected and list(records[1:]) == expected[1:]
    assert records.pairs().tolist() == [[m.a, m.b] for m in expected] or not expected


def test_a_whole_short_text_matches_sharing_half_its_shingles_a_masked_passage_does_not() -> None:
    """A quatrain (19 shingles) with two characters changed keeps 12: it is too short for
    the floor (24), and no boilerplate left it that small, so half of it is enough. A
    passage with 30 shingles left (boilerplate may have masked the rest) sharing 17 stays
    under the floor."""
    from neardup.config import ScanConfig
    from neardup.verify import verify_segments

    config = ScanConfig().verification()
    quatrain = np.arange(19, dtype=np.uint64)
    edited = np.concatenate((quatrain[:12], np.arange(100, 107, dtype=np.uint64)))  # J = 12 / 26
    found = verify_segments(np.array([[0, 1]]), np.concatenate((quatrain, edited)), np.array([0, 19, 38]), config)
    assert [(m.jaccard, m.containment) for m in found] == [(round(12 / 26, 6), round(12 / 19, 6))]
    fewer = np.concatenate((quatrain[:9], np.arange(100, 110, dtype=np.uint64)))  # 9 shared: under half
    assert verify_segments(np.array([[0, 1]]), np.concatenate((quatrain, fewer)), np.array([0, 19, 38]), config) == []
    residue = np.arange(30, dtype=np.uint64)
    other = np.concatenate((residue[:17], np.arange(100, 113, dtype=np.uint64)))  # J = 17 / 43
    assert verify_segments(np.array([[0, 1]]), np.concatenate((residue, other)), np.array([0, 30, 60]), config) == []
    # What boilerplate left of two passages that repeat their phrases: 30 shingles each
    # (never under MIN_RESIDUE), 15 distinct, sharing 10. Few distinct shingles do not
    # make a whole short text: the floor holds (it did not, counting distinct shingles).
    left_a = np.tile(np.arange(15, dtype=np.uint64), 2)
    left_b = np.tile(np.concatenate((np.arange(10, dtype=np.uint64), np.arange(200, 205, dtype=np.uint64))), 2)
    assert verify_segments(np.array([[0, 1]]), np.concatenate((left_a, left_b)), np.array([0, 30, 60]), config) == []


def test_two_editions_of_a_quatrain_are_one_cluster() -> None:
    """王维《相思》 as two editions give it (春来发几枝 / 秋来发故枝), and a poem of the same
    length that shares nothing: the scan pairs the editions only."""
    from neardup import Document, scan

    docs = [
        Document("a", "相思\n红豆生南国，春来发几枝。愿君多采撷，此物最相思。"),
        Document("b", "相思\n红豆生南国，秋来发故枝。愿君多采撷，此物最相思。"),
        Document("c", "鹿柴\n空山不见人，但闻人语响。返景入深林，复照青苔上。"),
    ]
    assert [[m.doc_id for m in c.members] for c in scan(docs).clusters] == [["a", "b"]]
