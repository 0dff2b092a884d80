"""The Spark scan against the local one, on real Spark in local mode (``local[2]``).

One session for the whole run (the ``spark`` fixture); each full scan costs seconds of
job scheduling, so every comparison below reuses a module-scoped scan.
"""

from __future__ import annotations

import importlib
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import click
import numpy as np
import opencc
import pytest
from click.testing import CliRunner

import neardup
from neardup import Document, ScanConfig, scan
from neardup import spark as nsp
from neardup.candidates import band_keys, find_candidates
from neardup.cli import cli
from neardup.config import CandidateConfig
from neardup.errors import InputError, NeardupError
from neardup.report.json import to_dict
from neardup.signature import signatures

from .conftest import EZHOU_FILE

pytestmark = pytest.mark.slow  # real Spark in local mode: minutes


def _filler(seed: int, paragraphs: list[str], n: int = 2) -> str:
    rng = random.Random(seed)
    return "\n".join(rng.sample(paragraphs, n))


@pytest.fixture(scope="module")
def corpus(seed_texts: dict[str, str], simplified_paragraphs: list[str]) -> list[Document]:
    """The five seed pages plus planted copies of several kinds."""
    docs = [Document(f"seeds/{name}", text) for name, text in seed_texts.items()]
    ezhou_lines = seed_texts[EZHOU_FILE.name].splitlines()
    speech = "\n".join(ezhou_lines[126:169])  # the Ezhou speech, lines 127-169
    blanked = speech.replace("2018", "20xx").replace("鄂州", "xx")
    assert blanked != speech
    unrelated = simplified_paragraphs[20:]
    docs.append(Document("planted/blanked.txt", _filler(1, unrelated) + "\n" + blanked + "\n" + _filler(2, unrelated)))
    # A traditional-character copy of six paragraphs, one of them dropped (a gap inside the copy).
    source = simplified_paragraphs[:6]
    trad = opencc.OpenCC("s2t").convert("\n".join(source[:3] + source[4:]))
    docs.append(Document("planted/繁體.txt", _filler(3, unrelated) + "\n" + trad))
    # One notice pasted into 70 documents: LSH buckets over max_bucket (64), so star and chain.
    notice = simplified_paragraphs[8] + simplified_paragraphs[9]  # longer than a formula: copies
    for i in range(70):
        docs.append(Document(f"planted/notice-{i:02d}", f"{notice}\n第{i}号文件\n{simplified_paragraphs[10 + i % 9]}"))
    # Text found nowhere else, copied with its fourth paragraph replaced: only the chain
    # edges across the gap (``da = db = 2``) make the copy one cluster.
    rng = random.Random(11)
    fresh = ["".join(rng.sample(p, len(p))) for p in simplified_paragraphs if 150 <= len(p) <= 380][:7]
    docs.append(Document("planted/gap-a", "\n".join(fresh[:6])))
    docs.append(Document("planted/gap-b", "\n".join(fresh[:3] + fresh[6:7] + fresh[4:6])))
    # A paragraph repeated inside one document, and an empty document.
    docs.append(Document("planted/repeat", "\n".join([simplified_paragraphs[6], *unrelated[:3], simplified_paragraphs[6]])))
    docs.append(Document("planted/empty", ""))
    # Two editions of one quatrain: a whole short text matches sharing half its shingles.
    docs.append(Document("planted/相思-a", "相思\n红豆生南国，春来发几枝。愿君多采撷，此物最相思。"))
    docs.append(Document("planted/相思-b", "相思\n红豆生南国，秋来发故枝。愿君多采撷，此物最相思。"))
    return docs


def _spark_clusters(result) -> list[dict]:
    return [row.asDict(recursive=True) for row in result.clusters.orderBy("id").collect()]


@pytest.fixture(scope="module")
def both(spark, corpus):
    local = to_dict(scan(corpus))
    df = spark.createDataFrame([(d.id, d.text) for d in corpus], "id string, text string").repartition(3)
    result = nsp.scan(df)
    return local, result


def test_spark_and_local_clusters_are_identical(both) -> None:
    local, result = both
    clusters = _spark_clusters(result)
    assert clusters == local["clusters"]
    # The corpus exercises what the comparison is about: planted copies, multi-passage
    # members (chain edges), a many-member cluster and a within-document repeat.
    assert len(clusters) >= 5
    members = [m for c in clusters for m in c["members"]]
    assert any(c["size"] >= 70 for c in clusters)
    assert any(len(m["passages"]) >= 10 for m in members)
    assert any(m["doc_id"] == "planted/blanked.txt" for m in members)
    assert any(m["doc_id"] == "planted/繁體.txt" for m in members)
    assert any(sum(m["doc_id"] == "planted/repeat" for m in c["members"]) == 2 for c in clusters)
    assert any(c["documents"] == ["planted/相思-a", "planted/相思-b"] for c in clusters)
    gap = [c for c in clusters if c["documents"] == ["planted/gap-a", "planted/gap-b"]]
    assert len(gap) == 1 and [m["passages"] for m in gap[0]["members"]] == [[0, 1, 2, 4, 5], [0, 1, 2, 4, 5]]


def test_spark_summary_equals_local(both) -> None:
    local, result = both
    assert result.summary() == local["summary"]


def _masked_table(docs: list[Document], config: ScanConfig):
    """The local scan's passage table: boilerplate counted over ``docs`` and left out."""
    from neardup.boilerplate import count_windows, document_windows
    from neardup.normalize import normalize
    from neardup.scan import prepare_masked

    k = config.boilerplate.min_chars
    counts = count_windows(document_windows(normalize(d.text, config.normalize).text, k) for d in docs)
    table, _ = prepare_masked(docs, config, counts)
    return table


def test_star_and_chain_for_big_buckets_give_the_local_candidates(both, corpus) -> None:
    _, result = both
    config = ScanConfig()
    table = _masked_table(sorted(corpus, key=lambda d: d.id), config)
    sigs = signatures(table.hashes, table.offsets, config.signature)
    local_pairs = find_candidates(sigs, config.candidates, config.signature)
    all_pairs = find_candidates(sigs, CandidateConfig(max_bucket=1000), config.signature)
    assert len(local_pairs) < len(all_pairs)  # some buckets really are over max_bucket
    number = {(p.doc << 32) | p.index: n for n, p in enumerate(table.passages)}
    spark_pairs = {(number[r.a], number[r.b]) for r in result.candidates.collect()}
    sizes = np.diff(table.offsets)
    overlapping = {
        (i, j)
        for i, j in local_pairs.tolist()
        if (table.passages[i].doc == table.passages[j].doc
        and table.passages[i].start < table.passages[j].end
        and table.passages[j].start < table.passages[i].end)
        or sizes[i] == 0 or sizes[j] == 0
    }  # fmt: skip
    assert spark_pairs == {(i, j) for i, j in local_pairs.tolist()} - overlapping


def test_input_errors(spark) -> None:
    dup = spark.createDataFrame([("a", "x"), ("a", "y"), ("b", "z")], "id string, text string")
    with pytest.raises(InputError, match="'a' appears 2 times"):
        nsp.scan(dup)
    null_id = spark.createDataFrame([(None, "x"), ("b", "z")], "id string, text string")
    with pytest.raises(InputError, match="null"):
        nsp.scan(null_id)
    with pytest.raises(InputError, match="no column 'body'"):
        nsp.scan(dup, text_col="body")
    with pytest.raises(InputError, match="not both"):
        nsp.scan(dup, config=ScanConfig(), threshold=0.7)


def test_missing_pyspark_is_one_line_naming_the_extra(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "pyspark", None)  # what `import pyspark` sees when it is not installed
    monkeypatch.delitem(sys.modules, "neardup.spark")
    monkeypatch.delattr(neardup, "spark")  # so `from neardup import spark` imports it again
    with pytest.raises(NeardupError, match=r"pip install 'neardup\[spark\]'"):
        importlib.import_module("neardup.spark")
    monkeypatch.delitem(sys.modules, "neardup.spark", raising=False)
    result = CliRunner().invoke(cli, ["spark-scan", str(tmp_path / "in.jsonl"), str(tmp_path / "out")])
    assert result.exit_code == 2
    assert result.output == "neardup: Spark support needs pyspark, which is not installed: pip install 'neardup[spark]'\n"


def test_core_does_not_need_pyspark() -> None:
    code = "import sys, neardup, neardup.cli; sys.exit('pyspark' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], env=dict(os.environ)).returncode == 0


def _write_jsonl(path: Path, docs: list[Document]) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for d in docs:
            fh.write(json.dumps({"id": d.id, "text": d.text}, ensure_ascii=False) + "\n")


def test_cli_spark_scan_jsonl_and_parquet_equal_local_scan(spark, corpus, tmp_path: Path) -> None:
    docs = [d for d in corpus if d.id.startswith("planted/") and "notice" not in d.id] + [d for d in corpus if EZHOU_FILE.name in d.id]
    source = tmp_path / "corpus.jsonl"
    _write_jsonl(source, docs)
    local = CliRunner().invoke(cli, ["scan", str(source), "--format", "json"], catch_exceptions=False)
    want = json.loads(local.output)
    assert want["clusters"]

    out = tmp_path / "clusters"
    result = CliRunner().invoke(cli, ["spark-scan", str(source), str(out), "--master", "local[2]"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    s = want["summary"]
    assert result.output == (
        f"neardup: {s['documents']} documents, {s['passages']} passages, {s['clusters']} clusters, "
        f"{s['duplicated_chars']:,} duplicated chars -> {out}\n"
    )
    lines = [json.loads(line) for part in sorted(out.glob("part-*")) for line in part.read_text(encoding="utf-8").splitlines()]
    assert lines == want["clusters"]  # part files in id order, each line a cluster as in the JSON report

    # Parquet in and out, other column names, and options that reach the workers
    # (jieba word shingles, another threshold and ngram).
    options = ["--tokens", "words", "--ngram", "3", "--threshold", "0.6"]
    # Spark applies the Jaccard rule only (no containment candidates, README "How it
    # works"); with word shingles the local scan finds quoted sentences it does not.
    config = ScanConfig.from_options(tokens="words", ngram=3, threshold=0.6, containment=False, detail="clusters")
    want = json.loads(neardup.render_json(scan([Document(d.id, d.text) for d in docs], config=config)))
    assert want["clusters"] and want["config"]["shingle"] == {"ngram": 3, "tokens": "words"}
    parquet_in = tmp_path / "corpus.parquet"
    spark.createDataFrame([(d.id, d.text) for d in docs], "doc_key string, body string").write.parquet(str(parquet_in))
    parquet_out = tmp_path / "clusters.parquet"
    args = ["spark-scan", str(parquet_in), str(parquet_out), "--text-field", "body", "--id-field", "doc_key", *options]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    rows = [r.asDict(recursive=True) for r in spark.read.parquet(str(parquet_out)).orderBy("id").collect()]
    assert rows == want["clusters"]

    again = CliRunner().invoke(cli, args)
    assert again.exit_code == 2 and again.output == f"neardup: {parquet_out}: already exists; remove it or pass --overwrite\n"
    missing = CliRunner().invoke(cli, ["spark-scan", str(tmp_path / "nope.jsonl"), str(tmp_path / "o2")])
    assert missing.exit_code == 2 and "nope.jsonl: cannot read as jsonl" in missing.output


def test_signature_rows_and_band_keys_are_the_local_ones(spark, corpus) -> None:
    """Band keys in Spark are the local scan's (:func:`neardup.candidates.band_keys`)."""
    config = ScanConfig()
    docs = sorted(corpus, key=lambda d: d.id)[:6]
    table = _masked_table(docs, config)
    sigs = signatures(table.hashes, table.offsets, config.signature)
    df = spark.createDataFrame([(d.id, d.text) for d in docs], "id string, text string")
    rows = nsp._passages(nsp._with_window_counts(nsp._documents(df, "text", "id"), config, []), config).orderBy("pid").collect()
    assert len(rows) == len(table.passages)
    for n, row in enumerate(rows):
        assert (row.doc, row.idx, row.start, row.end) == (table.passages[n].doc, table.passages[n].index, table.passages[n].start, table.passages[n].end)
        assert row.keys == band_keys(sigs[n : n + 1], config.candidates).view(np.int64)[0].tolist()
        assert np.array_equal(np.frombuffer(row.shingles, dtype="<u8"), table.shingles(n))


def test_corpus_without_copies_gives_no_clusters(spark, simplified_paragraphs) -> None:
    docs = [Document("a", simplified_paragraphs[0]), Document("b", simplified_paragraphs[1]), Document("c", "")]
    local = to_dict(scan(docs))
    result = nsp.scan(spark.createDataFrame([(d.id, d.text) for d in docs], "id string, text string"))
    assert _spark_clusters(result) == local["clusters"] == []
    assert result.summary() == local["summary"]


def test_spark_scan_is_documented() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Run on Spark", 1)[1].split("\n## ", 1)[0]
    command = cli.commands["spark-scan"]
    assert "neardup spark-scan" in section and "pip install 'neardup[spark]'" in section
    scan_options = {p.name for p in cli.commands["scan"].params}
    for param in command.params:
        if isinstance(param, click.Option) and param.name not in scan_options:
            assert param.opts[0] in section, f"{param.opts[0]} is not in README's 'Run on Spark'"
