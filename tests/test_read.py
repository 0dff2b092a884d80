from __future__ import annotations

from pathlib import Path

import opencc
import pytest

from neardup import InputError, read_paths, scan
from neardup.read import decode


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "utf-16", "utf-16-le", "utf-16-be"])
def test_encodings_are_detected(tmp_path: Path, seed_texts: dict[str, str], encoding: str) -> None:
    text = seed_texts["001_dd9de37c9c444b8c.txt"]
    path = tmp_path / "speech.txt"
    path.write_bytes(text.encode(encoding))
    [doc] = read_paths([str(path)]).documents
    assert doc.text == text


def test_big5_traditional_file(tmp_path: Path, seed_texts: dict[str, str]) -> None:
    trad = opencc.OpenCC("s2t").convert(seed_texts["003_25ef313b2cbc397f.txt"])
    data = trad.encode("big5", errors="ignore")
    (tmp_path / "big5.txt").write_bytes(data)
    [doc] = read_paths([str(tmp_path / "big5.txt")]).documents
    assert doc.encoding == "big5"
    assert doc.text == data.decode("big5")


def test_gb18030_and_big5_copies_are_found_as_duplicates(tmp_path: Path, seed_texts: dict[str, str]) -> None:
    text = seed_texts["003_25ef313b2cbc397f.txt"]
    (tmp_path / "gb.txt").write_bytes(text.encode("gb18030"))
    (tmp_path / "big5.txt").write_bytes(opencc.OpenCC("s2t").convert(text).encode("big5", errors="ignore"))
    result = scan(read_paths([str(tmp_path)]).documents)
    assert result.clusters and {m.doc_id.rsplit("/", 1)[-1] for m in result.clusters[0].members} == {"gb.txt", "big5.txt"}


def test_binary_and_empty_files_become_warnings(tmp_path: Path) -> None:
    (tmp_path / "a.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4)
    (tmp_path / "empty.txt").write_bytes(b"")
    read = read_paths([str(tmp_path)])
    assert [d.id.rsplit("/", 1)[-1] for d in read.documents] == ["empty.txt"]
    assert any("a.png" in w and "binary" in w for w in read.warnings)
    assert any("empty.txt" in w and "empty" in w for w in read.warnings)
    assert scan(read.documents).stats.passages == 0


def test_missing_path_and_bad_jsonl_name_the_place(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="nope.txt: no such file"):
        read_paths([str(tmp_path / "nope.txt")])
    bad = tmp_path / "docs.jsonl"
    bad.write_text('{"id": "a", "text": "x"}\n{"id": "b", "text": \n', encoding="utf-8")
    with pytest.raises(InputError, match=r"docs.jsonl:2: invalid JSON"):
        read_paths([str(bad)])
    bad.write_text('{"id": "a", "body": "x"}\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"docs.jsonl:1: expected an object with a string 'text'"):
        read_paths([str(bad)])


def test_a_lone_surrogate_escape_is_refused_with_its_place(tmp_path: Path) -> None:
    """JSON can escape half a surrogate pair; no UTF-8 report can hold it, so the scan
    used to end in an internal error at the very end. It is refused when read, by file
    and line; a whole pair (an emoji, escaped as most JSON writers do) is one character."""
    import json

    good = {"id": "a", "text": "鄂州市创建全国文明城市\U0001F600工作"}
    (tmp_path / "docs.jsonl").write_text(json.dumps(good) + "\n" + '{"id": "b", "text": "攻坚克难\\ud800确保"}\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"docs.jsonl:2: the 'text' field holds a lone surrogate escape \(\\ud800\)"):
        read_paths([str(tmp_path / "docs.jsonl")])
    (tmp_path / "docs.jsonl").write_text(json.dumps(good) + "\n" + '{"id": "\\udc00", "text": "攻坚克难"}\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"docs.jsonl:2: the 'id' field holds a lone surrogate escape \(\\udc00\)"):
        read_paths([str(tmp_path / "docs.jsonl")])
    (tmp_path / "docs.jsonl").write_text(json.dumps(good) + "\n", encoding="utf-8")
    assert [d.text for d in read_paths([str(tmp_path / "docs.jsonl")]).documents] == [good["text"]]


def test_glob_and_jsonl(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("甲", encoding="utf-8")
    (tmp_path / "b.md").write_text("乙", encoding="utf-8")
    (tmp_path / "c.jsonl").write_text('{"id": "r1", "text": "丙"}\n\n{"id": "r2", "text": "丁"}\n', encoding="utf-8")
    ids = [d.id for d in read_paths([str(tmp_path / "*.txt"), str(tmp_path / "c.jsonl")]).documents]
    assert ids[0].endswith("a.txt") and ids[1:] == ["r1", "r2"]


def test_decode_rejects_random_bytes() -> None:
    import random

    rng = random.Random(1)
    data = bytes(rng.randrange(1, 256) for _ in range(4000))
    with pytest.raises(InputError):
        decode(data, "noise.bin")


@pytest.mark.slow
def test_giant_file_without_line_breaks(tmp_path: Path, simplified_paragraphs: list[str]) -> None:
    """A huge one-line file is windowed, scanned and yields its internal copy.

    It was 50 MB (51 s); 3 million characters (9 MB) cross every boundary the 50 MB did:
    the encoding sniff, a document larger than a whole prepare chunk (several times), and
    the numba signature kernels' minimum; both get the full analysis.
    """
    import numpy as np

    from neardup.read import _SNIFF
    from neardup.scan import CHUNK_CHARS
    from neardup.signature import NUMBA_MIN_TOKENS

    filler = np.array(list("".join(simplified_paragraphs)))
    rng = np.random.default_rng(3)
    copied = "".join(simplified_paragraphs[:3])  # a copied page, long enough for several passages
    noise = "".join(rng.choice(filler, 3_000_000))  # shuffled characters: no real repeats
    text = noise[:30_000] + copied + noise[30_000:-30_000] + copied + noise[-30_000:]
    assert len(text) > 2 * CHUNK_CHARS and len(text) > NUMBA_MIN_TOKENS
    path = tmp_path / "huge.txt"
    path.write_text(text, encoding="utf-8")
    assert path.stat().st_size > 100 * _SNIFF
    result = scan(read_paths([str(path)]).documents)
    assert result.stats.documents == 1
    # with no line breaks, the windows at a copy's edges mix in noise: most of each copy is found
    spans = [(m.start, m.end) for c in result.clusters for m in c.members]
    for start in (30_000, len(text) - 30_000 - len(copied)):
        assert text[start : start + len(copied)] == copied
        covered = set().union(*(range(max(b, start), min(e, start + len(copied))) for b, e in spans))
        assert len(covered) >= len(copied) // 2, (start, spans)


def test_jsonl_is_streamed_with_bom_crlf_blank_lines_and_line_separators(tmp_path: Path) -> None:
    import json

    texts = ["第一段\u2028仍是第一段", "第二段，\r\n内含换行"]
    lines = [json.dumps({"id": f"r{i}", "text": t}, ensure_ascii=False) for i, t in enumerate(texts)]
    data = "\ufeff" + lines[0] + "\r\n\r\n" + lines[1] + "\r\n"
    (tmp_path / "a.jsonl").write_bytes(data.encode("utf-8"))
    docs = read_paths([str(tmp_path / "a.jsonl")]).documents
    assert [(d.id, d.text) for d in docs] == [("r0", texts[0]), ("r1", texts[1])]
    bad = tmp_path / "b.jsonl"
    bad.write_bytes((lines[0] + "\n{oops\n").encode("utf-8"))
    with pytest.raises(InputError, match="b.jsonl:2: invalid JSON"):
        read_paths([str(bad)])
