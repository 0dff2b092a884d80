"""The persistent index on a real SQLite file and a real redis-server."""

from __future__ import annotations

import ast
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from neardup import Document, IndexMismatchError, InputError, ScanConfig, scan
from neardup.config import NormalizeConfig, ShingleConfig
from neardup.errors import ConfigError
from neardup.candidates import band_keys, band_params
from neardup.store import Index

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"

#: The index's report re-scans the stored texts for clusters only; the full analysis also
#: cuts members down to their aligned spans, which the report does not do.
CLUSTERS_ONLY = ScanConfig(detail="clusters")


@pytest.fixture(params=["sqlite", "redis"])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "corpus.ndx")
    return request.getfixturevalue("redis_url")


def _members(clusters) -> list[list[tuple[str, int, int, float]]]:
    """Clusters as sorted member tuples, ids left out (a scan numbers them by size)."""
    return sorted(sorted((m.doc_id, m.start, m.end, m.jaccard) for m in c.members) for c in clusters)


def _queries(corpus: list[Document], fillers: list[str]) -> list[str]:
    """Texts that reuse parts of the corpus, plus one that reuses nothing."""
    by_id = {d.id: d.text for d in corpus}
    return [
        "会上强调：\n" + by_id["src/a.txt"][300:1500] + "\n" + fillers[8],
        by_id["copy/bridge.txt"],
        by_id["src/c.txt"][:900].replace("的", "之"),
        fillers[9] + "\n" + fillers[10],
    ]


# --------------------------------------------------------------------------- basics


def test_add_query_spans_and_meta(location: str, planted_corpus: list[Document], filler_paragraphs) -> None:
    src = next(d for d in planted_corpus if d.id == "src/a.txt")
    with Index.open(location) as index:
        added = index.add(src.id, src.text, meta={"url": "https://example.org/a", "n": 1})
        assert added.passages > 3 and added.matches == () and added.started == ()
        assert len(index) == 1 and src.id in index and "nope" not in index
        copied = src.text[200:1400]
        query = filler_paragraphs[11] + "\n" + copied + "\n"
        (match,) = index.query(query)
        assert match.doc_id == src.id and match.meta == {"url": "https://example.org/a", "n": 1}
        assert match.ratio is not None and match.ratio > 0.9 and match.jaccard is None and 0.5 < match.coverage < 1.0
        (span,) = match.spans
        # The spans cover the copied text on both sides, in original offsets (A: the query).
        offset = len(filler_paragraphs[11]) + 1
        assert span.a_start <= offset + 200 and span.a_end >= offset + len(copied) - 200
        assert span.b_start <= 400 and span.b_end >= 1200
        assert query[span.a_start : span.a_end].strip()[:30] in src.text
        # Passage granularity: the stored side may run on to the end of its last passage.
        assert span.b_end - span.b_start <= len(copied) + 2 * 400
        assert copied.strip()[:30] in index.text(src.id)[span.b_start : span.b_end]
        assert index.query(filler_paragraphs[12]) == []
        assert index.query("") == []


def test_query_spans_carry_edits_and_lines(tmp_path: Path, simplified_paragraphs: list[str], filler_paragraphs) -> None:
    """An index query answers with the one span type: both sides' offsets and lines, and
    the edits when the index keeps texts; without texts, no edits and the passages' Jaccard."""
    from neardup.passages import line_of

    source = "\n".join([filler_paragraphs[0], *simplified_paragraphs[:3], filler_paragraphs[1]]) + "\n"
    copied = "\n".join(simplified_paragraphs[:3])
    edited = copied[:50] + "某某某某" + copied[54:]
    query = filler_paragraphs[2] + "\n\n" + edited + "\n"
    for keep_text in (True, False):
        with Index.open(tmp_path / f"{keep_text}.ndx", keep_text=keep_text) as index:
            index.add("src", source)
            (match,) = index.query(query)
        for s in match.spans:
            assert (s.a_line_start, s.a_line_end) == (line_of(query, s.a_start), line_of(query, s.a_end - 1))
            assert (s.b_line_start, s.b_line_end) == (line_of(source, s.b_start), line_of(source, s.b_end - 1))
            assert s.a_line_start >= 3 and s.b_line_start >= 2
        if keep_text:
            assert match.jaccard is None and all(s.ratio is not None and s.jaccard is None for s in match.spans)
            edits = [e for s in match.spans for e in s.edits]
            assert any(e.a_text == "某某某某" and e.b_text == copied[50:54] for e in edits), edits
            for e in edits:
                assert query[e.a_start : e.a_end] == e.a_text and source[e.b_start : e.b_end] == e.b_text
        else:
            assert match.ratio is None and match.jaccard is not None
            assert all(s.edits == () and s.ratio is None and s.jaccard is not None for s in match.spans)


def test_stored_passages_are_the_scans_passages(location: str, planted_corpus: list[Document]) -> None:
    """Passages go into a store and come back whole (every field, by the one column list
    :data:`neardup.model.PASSAGE_COLUMNS`), on SQLite and on Redis."""
    from neardup.model import PASSAGE_COLUMNS

    with Index.open(location) as index:
        index.add_many(planted_corpus)
        stored = list(index.report().passages)
    assert stored == list(scan(planted_corpus, config=ScanConfig(detail="clusters")).passages)
    assert any(p.norm_start > 0 for p in stored)
    if not location.startswith("redis"):
        db = sqlite3.connect(location)
        columns = [row[1] for row in db.execute("PRAGMA table_info(passages)")]
        db.close()
        assert columns == ["id", *PASSAGE_COLUMNS, "cluster", "signature", "shingles"]


def test_empty_document_and_bad_input(tmp_path: Path) -> None:
    with Index.open(tmp_path / "i.ndx") as index:
        assert index.add("empty", "").passages == 0
        assert "empty" in index and len(index) == 1
        with pytest.raises(InputError, match="already in"):
            index.add("empty", "又一次")
        with pytest.raises(InputError, match="JSON"):
            index.add("m", "正文", meta={"when": object()})
        with pytest.raises(InputError, match="non-empty string"):
            index.add("", "正文")
        with pytest.raises(InputError, match="no such document"):
            index.remove("absent")
        with pytest.raises(InputError, match="appears twice"):
            index.add_many([("x", "甲"), ("x", "乙")])
        assert "x" not in index  # the whole batch was refused before anything was written
        assert [a.doc_id for a in index.add_many([("y", "甲"), ("empty", "乙")], skip_existing=True)] == ["y"]


def test_query_threshold(tmp_path: Path, planted_corpus: list[Document]) -> None:
    with Index.open(tmp_path / "i.ndx", threshold=0.5) as index:
        index.add_many(planted_corpus)
        text = next(d.text for d in planted_corpus if d.id == "copy/b1.txt")
        loose = index.query(text)
        strict = index.query(text, threshold=0.95)
        assert {m.doc_id for m in loose} >= {"src/b.txt"}
        assert all(m.score >= 0.95 for m in strict) and len(strict) < len(loose)
        with pytest.raises(ConfigError, match="below the index's threshold 0.5"):
            index.query(text, threshold=0.3)


def test_keep_text_false(tmp_path: Path, planted_corpus: list[Document]) -> None:
    with Index.open(tmp_path / "i.ndx", keep_text=False) as index:
        index.add_many(planted_corpus)
        assert index.text("src/a.txt") is None
        matches = index.query(next(d.text for d in planted_corpus if d.id == "copy/a2.txt"))
        assert matches and all(s.b_end > s.b_start for m in matches for s in m.spans)
        assert all(m.text == "" for c in index.report().clusters for m in c.members)
    with pytest.raises(IndexMismatchError, match="keep_text=False, not keep_text=True"):
        Index.open(tmp_path / "i.ndx", keep_text=True)


# --------------------------------------------------------------------------- acceptance: same matches


def _query_all(index: Index, queries: list[str]):
    return [index.query(q) for q in queries]


def test_same_matches_batch_incremental_and_after_removals(
    location: str, tmp_path: Path, planted_corpus: list[Document], filler_paragraphs
) -> None:
    queries = _queries(planted_corpus, filler_paragraphs)
    with Index.open(location) as batch:
        batch.add_many(planted_corpus)
        expected = _query_all(batch, queries)
        expected_clusters = _members(batch.report().clusters)
    assert [len(m) for m in expected[:3]] and all(expected[:3]) and expected[3] == []
    assert {m.doc_id for m in expected[1]} >= {"src/a.txt", "src/b.txt", "copy/bridge.txt"}

    with Index.open(tmp_path / "incremental.ndx") as incremental:
        for doc in reversed(planted_corpus):
            incremental.add(doc.id, doc.text)
        assert _query_all(incremental, queries) == expected
        assert _members(incremental.report().clusters) == expected_clusters

    # Extra documents that match the same queries, added in between, then removed.
    extras = [
        Document(f"extra/{i}.txt", queries[i % 3][50 * i :] + "\n" + filler_paragraphs[i])
        for i in range(4)
    ]
    with Index.open(tmp_path / "removed.ndx") as churned:
        order = planted_corpus[:4] + extras[:2] + planted_corpus[4:] + extras[2:]
        churned.add_many(order, batch_size=3)
        assert _query_all(churned, queries) != expected  # the extras do show up...
        for doc in extras:
            churned.remove(doc.id)
        assert _query_all(churned, queries) == expected  # ...and leave no trace
        assert _members(churned.report().clusters) == expected_clusters


def test_sqlite_and_redis_give_the_same_matches(
    tmp_path: Path, redis_url: str, planted_corpus: list[Document], filler_paragraphs
) -> None:
    queries = _queries(planted_corpus, filler_paragraphs)
    with Index.open(tmp_path / "i.ndx") as a, Index.open(redis_url) as b:
        added_a, added_b = a.add_many(planted_corpus), b.add_many(planted_corpus)
        assert added_a == added_b
        assert _query_all(a, queries) == _query_all(b, queries)
        assert a.report().clusters == b.report().clusters


# --------------------------------------------------------------------------- clusters


def test_clusters_equal_a_scan_whatever_the_order_and_removals(
    location: str, planted_corpus: list[Document], seed_texts: dict[str, str]
) -> None:
    """The oracle: after any sequence of adds and removals the index lists the clusters a
    scan of the remaining documents finds (stored ids aside)."""
    corpus = planted_corpus + [Document(name, text) for name, text in seed_texts.items() if name.startswith("00")]
    rng = random.Random(7)
    with Index.open(location) as index:
        held: dict[str, Document] = {}
        for step in range(3):
            pending = [d for d in corpus if d.id not in held]
            rng.shuffle(pending)
            for doc in pending:
                index.add(doc.id, doc.text)
                held[doc.id] = doc
            gone = rng.sample(sorted(held), k=4 + step)
            index.remove_many(gone)
            for doc_id in gone:
                del held[doc_id]
            report = index.report()
            assert _members(report.clusters) == _members(scan(held.values(), config=CLUSTERS_ONLY).clusters)
            assert index.stats().clusters == len(report.clusters)
            assert len(index) == len(held)


def test_cluster_ids_are_stable(tmp_path: Path, simplified_paragraphs: list[str], filler_paragraphs) -> None:
    p, f = simplified_paragraphs, filler_paragraphs
    first, second = p[0], p[11]  # one passage each
    with Index.open(tmp_path / "i.ndx") as index:
        assert index.add("a", first + "\n" + f[0]).started == ()
        b = index.add("b", f[1] + "\n" + first)
        assert b.started == (1,) and [m.doc_id for m in b.matches] == ["a"]
        assert index.add("noise", f[2] + "\n" + f[3]).started == ()
        assert index.add("c", second + "\n" + f[4]).started == ()
        assert index.add("d", second + "\n" + f[5]).started == (2,)
        index.remove("noise")  # unrelated: changes nothing
        assert [c.id for c in index.report().clusters] == [1, 2]
        assert index.add("e", f[6] + "\n" + first).joined == (1,)
        z = index.add("z", first + "\n" + second)  # one passage in each cluster
        assert (z.joined, z.merged) == ((1, 2), ())
        # A copy of z: consecutive matches with z join its two passages in one stored group,
        # but the report keeps copies of one text per cluster: the copies of `first` keep
        # id 1, the copies of `second` take the next free id.
        z2 = index.add("z2", first + "\n" + second)
        assert (z2.joined, z2.merged) == ((1,), (2,))
        assert [(c.id, len(c.members)) for c in index.report().clusters] == [(1, 5), (2, 4)]
        index.add("noise2", f[7])
        index.remove("noise2")
        assert [(c.id, len(c.members)) for c in index.report().clusters] == [(1, 5), (2, 4)]
        index.remove("z2")  # the bridge leaves: the larger part keeps 1, the other gets a new id
        clusters = index.report().clusters
        assert [(c.id, list(c.doc_ids)) for c in clusters] == [(1, ["a", "b", "e", "z"]), (3, ["c", "d", "z"])]
        index.remove("d")
        assert [c.id for c in index.report().clusters] == [1, 3]
        index.remove("z")  # cluster 3 is down to one copy: no longer a cluster
        assert [(c.id, list(c.doc_ids)) for c in index.report().clusters] == [(1, ["a", "b", "e"])]
        assert index.add("d2", second).started == (4,)  # ids are never reused
        assert [c.id for c in index.report().clusters] == [1, 4]
        assert index.stats().clusters == 2


def test_report_validates_against_the_scan_schema(tmp_path: Path, planted_corpus: list[Document]) -> None:
    import jsonschema

    from neardup import render_json

    schema = json.loads((SRC / "neardup" / "schema" / "scan.schema.json").read_text(encoding="utf-8"))
    with Index.open(tmp_path / "i.ndx") as index:
        index.add_many(planted_corpus)
        data = json.loads(render_json(index.report()))
    jsonschema.validate(data, schema)
    assert data["summary"]["documents"] == len(planted_corpus)
    for cluster in data["clusters"]:
        for m in cluster["members"]:
            text = next(d.text for d in planted_corpus if d.id == m["doc_id"])
            assert m["text"] == text[m["start"] : m["end"]]


# --------------------------------------------------------------------------- parameters and trust


def test_opening_with_other_parameters_names_the_parameter(tmp_path: Path) -> None:
    path = tmp_path / "i.ndx"
    Index.open(path, ngram=5, num_perm=128).close()
    for options, name in [
        ({"ngram": 4}, "ngram=5, not ngram=4"),
        ({"num_perm": 64}, "num_perm=128, not num_perm=64"),
        ({"seed": 2}, "seed=1, not seed=2"),
        ({"threshold": 0.7}, f"threshold={ScanConfig().verify.threshold}, not threshold=0.7"),
        ({"tokens": "words"}, "tokens='chars', not tokens='words'"),
        ({"max_chars": 300}, "max_chars=400, not max_chars=300"),
        ({"config": ScanConfig(shingle=ShingleConfig(ngram=5), normalize=NormalizeConfig(t2s=False))}, "normalize.t2s=True, not normalize.t2s=False"),
    ]:
        with pytest.raises(IndexMismatchError, match=name.replace("(", r"\(")):
            Index.open(path, **options)
    Index.open(path, ngram=5).close()  # the same value is fine
    with Index.open(path) as index:  # no options: the stored ones
        assert index.config.shingle.ngram == 5


def test_an_index_verifies_at_its_configs_threshold(tmp_path: Path, simplified_paragraphs) -> None:
    """A config's verification threshold is the index's, stored and checked like the rest
    (it used to be dropped for the LSH threshold: an index asked for 0.9 verified at 0.3)."""
    from neardup.config import VerifyConfig

    a, b, c = simplified_paragraphs[:3]
    stored, half_copy = a[:200] + b[:100], a[:200] + c[:100]  # exact Jaccard about 0.5
    strict = ScanConfig(verify=VerifyConfig(threshold=0.9))
    with Index.open(tmp_path / "loose.ndx") as loose:
        loose.add("a", stored)
        assert [m.doc_id for m in loose.query(half_copy)] == ["a"]
    with Index.open(tmp_path / "strict.ndx", config=strict) as index:
        assert index.config.verify.threshold == 0.9
        index.add("a", stored)
        assert index.query(half_copy) == [] and index.add("b", half_copy).matches == ()
        assert [m.doc_id for m in index.query(stored)] == ["a"]
    with Index.open(tmp_path / "strict.ndx") as index:  # no options: the stored threshold
        assert index.config.verify.threshold == 0.9
        assert [m.doc_id for m in index.query(half_copy)] == ["b"]  # itself, not "a"
    with pytest.raises(IndexMismatchError, match="verify_threshold=0.9, not verify_threshold=0.3"):
        Index.open(tmp_path / "strict.ndx", config=ScanConfig())
    with pytest.raises(IndexMismatchError, match="verify_threshold=0.9, not verify_threshold=0.3"):
        Index.open(tmp_path / "strict.ndx", threshold=0.3)  # the option sets both thresholds
    with pytest.raises(ConfigError, match="does not take the option detail"):
        Index.open(tmp_path / "strict.ndx", detail="clusters")


def _other_value(option):
    """A valid value of ``option`` that is not its default."""
    if option.choices:
        return next(c for c in option.choices if c != option.default)
    if option.default is None:  # unset: left to the tokens (min_shared)
        return 7
    if option.kind is bool:
        return not option.default
    return round(option.default + 0.2, 2) if option.kind is float else option.default + 1


def test_stored_parameters_are_the_options_table(tmp_path: Path) -> None:
    """Every option the table marks ``stored`` is an ``Index.open`` keyword, stored under
    its name, read back into the index's config when reopened without options, and
    named when a later open asks for another value; nothing else an option sets
    (``boilerplate_docs``, ``detail``, ...) is stored."""
    from neardup.store.params import STORED

    assert {o.name for o in STORED} >= {"threshold", "verify_threshold", "ngram", "num_perm", "gap", "max_bucket", "containment"}
    for option in STORED:
        path = tmp_path / f"{option.name}.ndx"
        value = _other_value(option)
        with Index.open(path, **{option.name: value}) as index:
            assert index.params[option.name] == value and option.value(index.config) == value
            assert set(index.params) == {o.name for o in STORED} | {"normalize", "datasketch_major", "schema_version", "keep_text", "bands", "rows"}
        with Index.open(path) as index:  # no options: the stored value
            assert option.value(index.config) == value
        Index.open(path, **{option.name: value}).close()  # the same value is fine
        other = option.default if option.default is not None else value + 2  # None would mean "not asked"
        with pytest.raises(IndexMismatchError, match=f"built with {option.name}={value!r}, not {option.name}={other!r}"):
            Index.open(path, **{option.name: other})


def test_a_config_is_stored_whole_and_read_back(tmp_path: Path) -> None:
    """``Index.open(config=...)`` stores every parameter the config decides, those no
    command-line flag sets included, and a reopen with another config names the first
    that differs."""
    from neardup.config import CandidateConfig, ClusterConfig, VerifyConfig

    config = ScanConfig(candidates=CandidateConfig(max_bucket=16), verify=VerifyConfig(threshold=0.6), cluster=ClusterConfig(gap=4))
    with Index.open(tmp_path / "i.ndx", config=config) as index:
        assert (index.params["max_bucket"], index.params["verify_threshold"], index.params["gap"]) == (16, 0.6, 4)
    with Index.open(tmp_path / "i.ndx") as index:
        assert (index.config.candidates.max_bucket, index.config.verify.threshold, index.config.cluster.gap) == (16, 0.6, 4)
        assert index.config.candidates.threshold == ScanConfig().candidates.threshold
    Index.open(tmp_path / "i.ndx", config=config).close()
    with pytest.raises(IndexMismatchError, match=r"i.ndx: the index was built with gap=4, not gap=2; open it without that option"):
        Index.open(tmp_path / "i.ndx", config=ScanConfig())
    with pytest.raises(IndexMismatchError, match="verify_threshold=0.6, not verify_threshold=0.9"):
        Index.open(tmp_path / "i.ndx", verify_threshold=0.9)


def test_an_index_of_another_schema_version_says_rebuild(tmp_path: Path) -> None:
    """Schema 1 (datasketch's band hashes in Redis, another SQLite band key) is refused."""
    path = tmp_path / "i.ndx"
    Index.open(path).close()
    db = sqlite3.connect(path)
    params = json.loads(db.execute("SELECT value FROM meta WHERE key = 'params'").fetchone()[0])
    db.execute("UPDATE meta SET value = ? WHERE key = 'params'", (json.dumps(dict(params, schema_version=1)),))
    db.commit()
    db.close()
    with pytest.raises(IndexMismatchError, match="schema_version is 1, this neardup reads 2; rebuild the index"):
        Index.open(path)


def test_stored_environment_parameters_are_checked(tmp_path: Path) -> None:
    path = tmp_path / "i.ndx"
    Index.open(path).close()
    db = sqlite3.connect(path)
    params = json.loads(db.execute("SELECT value FROM meta WHERE key = 'params'").fetchone()[0])
    for name, value in [("datasketch_major", "1"), ("schema_version", 99)]:
        changed = dict(params, **{name: value})
        db.execute("UPDATE meta SET value = ? WHERE key = 'params'", (json.dumps(changed),))
        db.commit()
        with pytest.raises(IndexMismatchError, match=name):
            Index.open(path)
    db.execute("UPDATE meta SET value = ? WHERE key = 'params'", (json.dumps(dict(params, minhash_scheme="mixed64")),))
    db.commit()
    with pytest.raises(InputError, match="minhash_scheme must be"):
        Index.open(path)
    db.close()


def test_an_index_keeps_its_minhash_scheme(tmp_path: Path, simplified_paragraphs) -> None:
    """An affine32 index (datasketch-compatible signatures, and every index built before
    the bucketed scheme) is opened as such without options, finds its copies, and
    refuses the other scheme by name."""
    path = tmp_path / "i.ndx"
    text = "\n".join(simplified_paragraphs[:3])
    with Index.open(path, minhash_scheme="affine32") as index:
        index.add("a", text)
    with Index.open(path) as index:
        assert index.config.signature.scheme == "affine32"
        assert [m.doc_id for m in index.query(text)] == ["a"]
    with pytest.raises(IndexMismatchError, match="minhash_scheme='affine32', not minhash_scheme='bucketed'"):
        Index.open(path, minhash_scheme="bucketed")


def test_redis_parameters_are_checked_too(redis_url: str) -> None:
    Index.open(redis_url, ngram=6).close()
    with pytest.raises(IndexMismatchError, match="ngram=6, not ngram=5"):
        Index.open(redis_url, ngram=5)


def test_not_an_index(tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("这不是索引文件。" * 200, encoding="utf-8")
    with pytest.raises(InputError, match="not a neardup index"):
        Index.open(text)
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.commit()
    with pytest.raises(InputError, match="not a neardup index"):
        Index.open(other)
    with pytest.raises(InputError, match="no index there"):
        Index.open(tmp_path / "missing.ndx", create=False)
    assert not (tmp_path / "missing.ndx").exists()


def test_storage_is_raw_arrays_and_json_never_pickle(tmp_path: Path, planted_corpus: list[Document]) -> None:
    for path in (SRC / "neardup" / "store").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        imported |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        assert not imported & {"pickle", "dill", "joblib", "shelve", "marshal"}, path
    doc = planted_corpus[0]
    with Index.open(tmp_path / "i.ndx") as index:
        index.add(doc.id, doc.text, meta={"source": "测试"})
        prepared = index._prepare(doc.id, doc.text)
    db = sqlite3.connect(tmp_path / "i.ndx")
    rows = db.execute("SELECT signature, shingles FROM passages ORDER BY idx").fetchall()
    assert [np.frombuffer(s, "<u4").tolist() for s, _ in rows] == prepared.sigs.tolist()
    assert [np.frombuffer(h, "<u8").tolist() for _, h in rows] == [s.tolist() for s in prepared.sets]
    assert json.loads(db.execute("SELECT meta FROM documents").fetchone()[0]) == {"source": "测试"}
    keys = {k for (k,) in db.execute("SELECT key FROM bands")}
    bands, rows = band_params(ScanConfig().verify.threshold, 128)
    # the scan's band keys (uint64), stored as SQLite's signed 64-bit integers
    assert keys == set(band_keys(prepared.sigs, params=(bands, rows)).view(np.int64).ravel().tolist())


def test_redis_keys_are_ours_not_pickles(redis_url: str, planted_corpus: list[Document]) -> None:
    import redis

    with Index.open(redis_url) as index:
        index.add_many(planted_corpus[:3])
        client = redis.Redis.from_url(redis_url.split("?")[0])
        base = redis_url.split("basename=")[1].encode()
        keys = client.keys(base + b":*")
        # one set of passage ids per (band, band key), the keys those of the scan
        buckets = [k for k in keys if k.startswith(base + b":b:")]
        bands, rows = band_params(ScanConfig().verify.threshold, 128)
        assert {int(k.split(b":")[-2]) for k in buckets} == set(range(bands))
        prepared = index._prepare("x", planted_corpus[0].text)
        expected = {(band, key) for row in band_keys(prepared.sigs, params=(bands, rows)).tolist() for band, key in enumerate(row)}
        assert expected <= {(int(k.split(b":")[-2]), int(k.split(b":")[-1])) for k in buckets}
        members = {m for k in buckets[:50] for m in client.smembers(k)}
        assert members and all(m.isdigit() for m in members)  # pids as ASCII, not pickle.dumps(...)
        assert all(client.type(k) == b"set" for k in buckets[:50])


# --------------------------------------------------------------------------- durability and concurrency

_WRITER = r"""
import sys
from neardup import Index
from tests.conftest import _edit

path, batches, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
paragraphs = [line for line in open(sys.argv[4], encoding="utf-8").read().splitlines() if len(line) > 60]
with Index.open(path) as index:
    for b in range(batches):
        docs = []
        for i in range(size):
            n = b * size + i
            paras = [paragraphs[(n * 7 + k) % len(paragraphs)] for k in range(4)]
            docs.append((f"doc{n:05d}", "\n".join(_edit(x, 20 + n % 17) for x in paras)))
        print("start", b, flush=True)
        index.add_many(docs, batch_size=size)
        print("committed", b, flush=True)
"""


def _writer(tmp_path: Path, path: Path | str, batches: int, size: int) -> subprocess.Popen[str]:
    script = tmp_path / "writer.py"
    script.write_text(_WRITER, encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=f"{SRC}{os.pathsep}{ROOT}")
    seed = ROOT / "examples" / "seeds" / "004_21f10bf9ae509db8.txt"
    return subprocess.Popen(
        [sys.executable, str(script), str(path), str(batches), str(size), str(seed)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )


def _write_locked(path: Path) -> bool:
    """True while another connection holds the write lock (a transaction is open)."""
    probe = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        probe.execute("BEGIN IMMEDIATE")
        probe.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError:
        return True
    finally:
        probe.close()


def test_sigkill_in_the_middle_of_add_many_loses_nothing_committed(tmp_path: Path) -> None:
    path, size = tmp_path / "i.ndx", 25
    proc = _writer(tmp_path, path, batches=400, size=size)
    committed = -1
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("committed"):
            committed = int(line.split()[1])
        if committed >= 2:
            break
    deadline = time.monotonic() + 30
    while not _write_locked(path):  # kill while a batch is being written
        assert time.monotonic() < deadline and proc.poll() is None
    proc.send_signal(signal.SIGKILL)
    rest = proc.stdout.read()
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    committed = max([committed] + [int(x.split()[1]) for x in rest.splitlines() if x.startswith("committed")])

    db = sqlite3.connect(path)
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    docs = db.execute("SELECT count(*) FROM documents").fetchone()[0]
    passages = db.execute("SELECT count(*) FROM passages").fetchone()[0]
    bands = db.execute("SELECT count(*) FROM bands").fetchone()[0]
    orphans = db.execute("SELECT count(*) FROM passages WHERE doc NOT IN (SELECT id FROM documents)").fetchone()[0]
    db.close()
    # Whole batches only: the one being written when killed is either all there or absent.
    assert docs % size == 0 and docs in ((committed + 1) * size, (committed + 2) * size)
    assert bands == band_params(ScanConfig().verify.threshold, 128)[0] * passages and orphans == 0
    with Index.open(path) as index:
        assert len(index) == docs
        for n in range(0, (committed + 1) * size, 7):
            doc_id = f"doc{n:05d}"
            assert doc_id in index
            best = index.query(index.text(doc_id) or "")[0]
            assert (best.doc_id, best.ratio, best.coverage) == (doc_id, 1.0, 1.0)
        index.add("after", "杀掉进程之后，索引仍然可以继续写入。" * 5)  # and it still takes writes
        assert "after" in index


def test_readers_in_other_processes_work_while_one_writes(tmp_path: Path) -> None:
    path = tmp_path / "i.ndx"
    proc = _writer(tmp_path, path, batches=12, size=10)
    assert proc.stdout is not None
    assert proc.stdout.readline().startswith("start")
    assert proc.stdout.readline().startswith("committed")
    seen, reads, locked_reads = [], 0, 0
    with Index.open(path, create=False) as index:
        while proc.poll() is None:
            locked = _write_locked(path)
            n = len(index)
            seen.append(n)
            hits = index.query(index.text("doc00003") or "")
            assert hits[0].doc_id == "doc00003"
            reads += 1
            locked_reads += locked
    assert proc.wait() == 0
    assert seen == sorted(seen) and seen[-1] <= 120 and reads > 5
    assert locked_reads > 0  # some reads happened while the writer held its lock


def test_two_writer_processes_on_one_redis_index(tmp_path: Path, redis_url: str, planted_corpus) -> None:
    """Two ingestion workers share one Redis index; the result is as if one had added all."""
    script = tmp_path / "worker.py"
    script.write_text(
        "import json, sys\nfrom neardup import Index\n"
        "docs = json.load(open(sys.argv[2], encoding='utf-8'))\n"
        "with Index.open(sys.argv[1]) as index:\n"
        "    index.add_many([tuple(d) for d in docs], batch_size=1)\n",
        encoding="utf-8",
    )
    env = dict(os.environ, PYTHONPATH=str(SRC))
    procs = []
    for part in (0, 1):
        docs = [(d.id, d.text) for d in planted_corpus[part::2]]
        data = tmp_path / f"part{part}.json"
        data.write_text(json.dumps(docs, ensure_ascii=False), encoding="utf-8")
        procs.append(subprocess.Popen([sys.executable, str(script), redis_url, str(data)], env=env))
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    with Index.open(redis_url) as index:
        assert len(index) == len(planted_corpus)
        assert _members(index.report().clusters) == _members(scan(planted_corpus, config=CLUSTERS_ONLY).clusters)


def test_stats(tmp_path: Path, planted_corpus: list[Document]) -> None:
    with Index.open(tmp_path / "i.ndx") as index:
        index.add_many(planted_corpus)
        s = index.stats()
    assert (s.backend, s.documents, s.clusters) == ("sqlite", len(planted_corpus), len(scan(planted_corpus).clusters))
    assert s.passages == sum(len(scan([d]).passages) for d in planted_corpus)
    assert s.bytes and s.bytes_per_passage and s.bytes_per_passage > 1000
    assert s.params["ngram"] == ScanConfig().shingle.ngram and s.params["bands"] * s.params["rows"] <= 128


def test_boilerplate_beyond_max_bucket(tmp_path: Path, simplified_paragraphs: list[str], filler_paragraphs) -> None:
    """A paragraph pasted everywhere: stored matches are capped, clusters stay consistent."""
    from neardup.config import CandidateConfig

    config = ScanConfig(candidates=CandidateConfig(max_bucket=3))
    p, f = simplified_paragraphs, filler_paragraphs
    boiler = p[0] + p[4]  # longer than a formula: a copy in every document, not boilerplate
    docs = [Document(f"d{i:02d}", f"{f[i % 14][:80]}{i}\n{boiler}\n{p[1 + i % 3]}\n") for i in range(12)]
    rng = random.Random(3)
    with Index.open(tmp_path / "i.ndx", config=config) as index:
        index.add_many(docs)
        db = sqlite3.connect(tmp_path / "i.ndx")
        per_passage = "SELECT max(n) FROM (SELECT b, count(*) AS n FROM edges GROUP BY b)"
        assert db.execute(per_passage).fetchone()[0] == 3
        db.close()
        held = {d.id: d for d in docs}
        for _ in range(4):
            assert len(index.query(boiler)) == len(held)  # queries are not capped
            # Which pairs are kept differs from a scan's capped buckets (so clusters may
            # chain differently); what must hold: every copy is in one cluster, ids agree.
            report = index.report()
            with_boiler = [(c.id, m.doc_id) for c in report.clusters for m in c.members if boiler[:40] in m.text]
            assert sorted(d for _, d in with_boiler) == sorted(held)
            assert len({cid for cid, _ in with_boiler}) == 1
            assert index.stats().clusters == len(report.clusters)
            gone = rng.sample(sorted(held), k=2)
            index.remove_many(gone)
            for doc_id in gone:
                del held[doc_id]


def test_capped_matches_never_split_a_stored_cluster(tmp_path: Path, simplified_paragraphs, filler_paragraphs) -> None:
    """A passage matching more than max_bucket passages in two clusters joins only what its
    stored matches reach; the report lists a scan's coherent clusters, and a cluster over
    two stored groups takes the smaller id."""
    from neardup.config import CandidateConfig, VerifyConfig

    a, b, c = (x[:100] for x in simplified_paragraphs[:3])
    f = filler_paragraphs
    # Threshold 0.5: "a+b" and "b+c" (Jaccard about 1/3) must not match each other.
    # No containment candidates: "a+b" and "b+c" share all of b, a quoted sentence to them.
    config = ScanConfig(candidates=CandidateConfig(threshold=0.5, max_bucket=2, containment=False), verify=VerifyConfig(threshold=0.5))
    with Index.open(tmp_path / "i.ndx", config=config) as index:
        index.add_many([("x1", a + b + "\n" + f[0]), ("x2", a + b + "\n" + f[1])])
        index.add_many([("y1", b + c + "\n" + f[2]), ("y2", b + c + "\n" + f[3])])
        assert [c.id for c in index.report().clusters] == [1, 2]
        added = index.add("n", a + b + c)  # Jaccard 2/3 with all four; only two matches are kept
        assert {m.doc_id for m in added.matches} == {"x1", "x2", "y1", "y2"}
        assert added.joined in ((1,), (2,)) and added.merged == ()
        listed = [(c.id, list(c.doc_ids)) for c in index.report().clusters]
        # n (a+b+c) is the centre: every member shares a or c, and b, with it
        assert listed == [(1, ["n", "x1", "x2", "y1", "y2"])]


def test_a_damaged_index_fails_its_integrity_check(
    tmp_path: Path, seed_texts: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 13: `check=True` runs SQLite's quick_check beside the queries; `check()` raises.

    A passed check is remembered for the file's exact state, and damage in place (same
    file, same size) is still caught: the state includes the modification time.
    """
    import os

    from neardup.errors import CorruptIndexError

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    index_file = tmp_path / "corpus.ndx"
    with Index.open(index_file) as index:
        index.add_many([(name, text) for name, text in seed_texts.items()])
    for _ in range(2):  # the second run finds the remembered check
        with Index.open(index_file, check=True) as index:
            assert index.query(seed_texts["004_21f10bf9ae509db8.txt"][12165:14165])
            index.check()
    assert len(list((tmp_path / "cache" / "neardup" / "checked").iterdir())) == 1
    with index_file.open("r+b") as fh:  # damage in place: same file, same size
        fh.seek(index_file.stat().st_size // 2)
        fh.write(os.urandom(20000))
    with Index.open(index_file, create=False, check=True) as index:
        with pytest.raises(CorruptIndexError, match="corpus.ndx: the index fails its integrity check"):
            index.query(seed_texts["004_21f10bf9ae509db8.txt"])
            index.check()


def test_index_and_scan_agree_on_a_pair_sharing_one_short_clause(tmp_path: Path) -> None:
    """The index applies the scan's whole match rule: Jaccard and the shared-shingle floor."""
    from neardup.config import VerifyConfig

    clause = "构建和谐的首善区上是当前和今后一个时期"
    a = clause + "全市上下凝心聚力攻坚克难确保任务落实"
    b = clause + "各级干部转变作风提高效率狠抓工作推进"
    assert not scan([Document("a", a), Document("b", b)]).clusters
    with Index.open(str(tmp_path / "strict.db")) as idx:
        idx.add("a", a)
        assert idx.query(b) == []
    loose = ScanConfig(verify=VerifyConfig(min_shared=0))
    assert scan([Document("a", a), Document("b", b)], config=loose).clusters
    with Index.open(str(tmp_path / "loose.db"), config=loose) as idx:
        idx.add("a", a)
        assert [m.doc_id for m in idx.query(b)] == ["a"]


def test_an_index_finds_another_edition_of_a_quatrain_as_the_scan_does(tmp_path: Path) -> None:
    """The whole-short-text rule (verify.match_scores with the passages' shingle positions):
    王维《相思》 in two editions match in the index as in a scan; another poem does not."""
    a = "相思\n红豆生南国，春来发几枝。愿君多采撷，此物最相思。"
    b = "相思\n红豆生南国，秋来发故枝。愿君多采撷，此物最相思。"
    other = "鹿柴\n空山不见人，但闻人语响。返景入深林，复照青苔上。"
    with Index.open(tmp_path / "i.ndx") as index:
        index.add_many([Document("a", a), Document("other", other)])
        assert [m.doc_id for m in index.query(b)] == ["a"]
    assert [[m.doc_id for m in c.members] for c in scan([Document("a", a), Document("b", b), Document("other", other)]).clusters] == [["a", "b"]]
