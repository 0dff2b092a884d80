"""The benchmark corpus generator: deterministic, and its planted copies are what it says."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.generate import KINDS, Generator, write_corpus

from neardup import Document, scan


def test_same_seed_same_bytes_other_seed_other_text(tmp_path: Path) -> None:
    a = write_corpus(tmp_path / "a", seed=3, docs=300)
    b = write_corpus(tmp_path / "b", seed=3, docs=300)
    c = write_corpus(tmp_path / "c", seed=4, docs=300)
    for name in ("corpus.jsonl", "truth.jsonl", "meta.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert (tmp_path / "a" / "corpus.jsonl").read_bytes() != (tmp_path / "c" / "corpus.jsonl").read_bytes()
    assert a == b and a["documents"] == 300 and 0 < a["copies"] < 100 and c["documents"] == 300


def test_folder_format_and_size_limit(tmp_path: Path) -> None:
    meta = write_corpus(tmp_path, seed=1, mb=0.2, fmt="folder")
    files = sorted((tmp_path / "docs").iterdir())
    assert len(files) == meta["documents"] and meta["text_bytes"] >= 200_000
    assert sum(f.stat().st_size for f in files) == meta["text_bytes"]


@pytest.mark.slow  # a benchmark corpus
def test_every_kind_is_planted_and_found() -> None:
    gen = Generator(seed=2, dup_rate=0.35)
    docs, truth = [], []
    for doc, t in gen.documents(count=160):
        docs.append(Document(doc.id, doc.text))
        if t:
            truth.append(t)
    assert {t["kind"] for t in truth} == set(KINDS)
    result = scan(docs)
    together = {frozenset(c.doc_ids) for c in result.clusters}
    found = [t for t in truth if any({t["copy"], t["source"]} <= ids for ids in together)]
    assert len(found) >= 0.9 * len(truth), json.dumps([t for t in truth if t not in found], ensure_ascii=False)
