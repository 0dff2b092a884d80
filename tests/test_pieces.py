"""The families' pass over the documents, whole or chunk by chunk (as the scan's workers run it)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from neardup.boilerplate import find_boilerplate
from neardup.model import Document
from neardup.normalize import normalize
from neardup.pieces import PieceMerger, find_pieces, merge_pieces, shared_only
from neardup.templates import DocumentWords


def _pages(simplified_paragraphs: list[str]) -> list[Document]:
    """Pages of two sites (chrome on each), sharing stock sentences and a closing formula."""
    p = simplified_paragraphs
    chrome = ["首页 > 应用文网 > 领导讲话 > 正文\n", "当前位置：范文网 > 工作总结\n"]
    closing = "\n同志们，让我们紧密团结在一起，为全面完成今年的各项目标任务而努力奋斗！"
    docs = []
    for i in range(12):
        body = "\n".join([p[i % 5], p[(i * 3 + 1) % 7], p[8 + i % 4]])
        docs.append(Document(f"d{i:02d}", chrome[i % 2] + f"{2010 + i}年工作报告\n" + body + closing))
    return docs


@pytest.mark.parametrize("size", [1, 5, 12])
def test_chunks_merged_are_the_pass_over_all_documents(simplified_paragraphs: list[str], size: int) -> None:
    docs = _pages(simplified_paragraphs)
    norms = [normalize(d.text) for d in docs]
    runs = find_boilerplate([d.text for d in docs], norms)
    assert any(r.kind == "corpus" for doc_runs in runs for r in doc_runs)
    whole = find_pieces(docs, norms, runs, DocumentWords(docs, norms), 12, None)
    parts = []
    for first in range(0, len(docs), size):
        d, n = docs[first : first + size], norms[first : first + size]
        parts.append(find_pieces(d, n, runs[first : first + size], DocumentWords(d, n), 12, None, first=first))
    merged = merge_pieces(parts)
    assert whole.pieces.kinds and any(len(w) > 1 for w in whole.pieces.where)  # pieces shared across chunks
    assert merged.pieces == whole.pieces
    assert list(merged.pieces.ids) == list(whole.pieces.ids)  # same numbering
    for field in ("windows", "win_first", "run_first", "run_index"):
        np.testing.assert_array_equal(getattr(merged, field), getattr(whole, field), err_msg=field)
    assert merged.carried == whole.carried and merged.lengths == whole.lengths
    texts = [t for doc_texts in merged.carried.values() for t in doc_texts]
    assert len(texts) > len(set(texts))  # formulas many documents carry ...
    assert len({id(t) for t in texts}) == len(set(texts))  # ... held once each
    merger = PieceMerger()  # as the scan merges them, chunk by chunk, keeping what is shared
    for part in parts:
        merger.add(part)
    assert merger.merged(shared=True).pieces == shared_only(whole).pieces


def test_template_families_are_the_same_from_the_shared_pieces_only(simplified_paragraphs: list[str]) -> None:
    """The scan keeps only the pieces two or more documents carry (and drops their keys):
    the template families and their edges are what all pieces give."""
    from neardup.families import find_template_families
    from neardup.pieces import shared_only

    docs = _pages(simplified_paragraphs)
    norms = [normalize(d.text) for d in docs]
    runs = find_boilerplate([d.text for d in docs], norms)
    whole = find_pieces(docs, norms, runs, DocumentWords(docs, norms), 12, None)
    compact = shared_only(whole)
    assert len(compact.pieces.kinds) < len(whole.pieces.kinds) and not compact.pieces.ids
    full, pairs = find_template_families(docs, norms, runs, scanned=whole)
    again, again_pairs = find_template_families(docs, norms, runs, scanned=compact)
    assert full and again == full
    assert len(pairs[0]) and all(a.tolist() == b.tolist() for a, b in zip(pairs, again_pairs))


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("鄂州省市县区乡村镇创建文明城市工作0123456789xX\ue000#年") + ["\u4e00", "\u9fff"]), max_size=30))
def test_a_sentence_without_a_slot_character_has_nothing_to_fold(sentence: str) -> None:
    """The skeletons skip the fold where no character of any fill is: it changes nothing there."""
    from neardup.pieces import _SLOT_CHAR, _SLOT_FILL

    if _SLOT_CHAR.search(sentence) is None:
        assert _SLOT_FILL.sub("#", sentence) == sentence
    else:
        assert _SLOT_FILL.search(sentence) is None or _SLOT_CHAR.search(_SLOT_FILL.search(sentence).group())
