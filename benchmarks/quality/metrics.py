"""Pair-level and span-level (PAN text alignment) quality measures.

Pair level answers "did the method flag this document pair?"; it is what a dedup tool is
judged on. Span level answers "did it say *where*?" and uses the character-level measures
of Potthast, Stein, Barrón-Cedeño and Rosso, *An Evaluation Framework for Plagiarism
Detection* (COLING 2010), as used in the PAN text-alignment task:

* a case ``s`` and a detection ``r`` are sets of characters in two documents; ``r``
  *detects* ``s`` when both concern the same document pair and overlap on both sides;
* ``prec = 1/|R| * sum_r |U_s (s ⊓ r)| / |r|`` and ``rec = 1/|S| * sum_s |U_r (s ⊓ r)| / |s|``
  where ``s ⊓ r`` is ``s ∩ r`` if ``r`` detects ``s`` and empty otherwise;
* ``gran = 1/|S_R| * sum_{s in S_R} |R_s|`` over detected cases, ``R_s`` the detections
  of ``s`` (1 when nothing is detected), penalising a copy reported in pieces;
* ``plagdet = F1(prec, rec) / log2(1 + gran)``.

Edge conventions follow the PAN reference script: recall and precision are 1 when there
are neither cases nor detections and 0 when only one side is empty.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

from benchmarks.quality.common import Case, Detection, Pair, pair_key


@dataclass(frozen=True)
class PairScores:
    """Confusion counts over labelled pairs; ``unlabeled`` counts flagged pairs with no label."""

    tp: int
    fp: int
    fn: int
    tn: int
    unlabeled: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        return f1(self.precision, self.recall)

    @property
    def false_positive_rate(self) -> float:
        return self.fp / (self.fp + self.tn) if self.fp + self.tn else 0.0

    def to_dict(self) -> dict[str, float]:
        return {**asdict(self), "precision": self.precision, "recall": self.recall, "f1": self.f1,
                "false_positive_rate": self.false_positive_rate}


def f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def pair_scores(predicted: Iterable[Pair], cases: Iterable[Case]) -> PairScores:
    """Score predicted pairs against labelled cases.

    Only labelled pairs enter precision: a flagged pair nobody labelled (two poems that
    happen to be the same text under different titles) is counted in ``unlabeled`` and
    not called wrong, since the labels cannot say whether it is.
    """
    flagged = {pair_key(*p) for p in predicted}
    positives = {c.pair for c in cases if c.duplicate}
    negatives = {c.pair for c in cases if not c.duplicate} - positives
    tp = len(flagged & positives)
    fp = len(flagged & negatives)
    return PairScores(
        tp=tp,
        fp=fp,
        fn=len(positives) - tp,
        tn=len(negatives) - fp,
        unlabeled=len(flagged - positives - negatives),
    )


# --- PAN character-level measures ------------------------------------------------------


def case_annotations(cases: Iterable[Case]) -> list[Detection]:
    """Ground-truth spans of the positive cases as annotations (one per span)."""
    return [
        Detection(c.a.id, s[0], s[1], c.b.id, s[2], s[3]) for c in cases if c.duplicate for s in c.spans
    ]


def orient(detections: Iterable[Detection], cases: Iterable[Case]) -> list[Detection]:
    """Flip detections reported as (b, a) for a case labelled (a, b); PAN compares sides."""
    order = {(c.a.id, c.b.id) for c in cases}
    out: list[Detection] = []
    for d in detections:
        if (d.a_id, d.b_id) not in order and (d.b_id, d.a_id) in order:
            d = d.flipped()
        out.append(d)
    return out


def _overlaps(x0: int, x1: int, y0: int, y1: int) -> bool:
    return x0 < y1 and y0 < x1


def detects(case: Detection, det: Detection) -> bool:
    """Same document pair and overlap in both documents."""
    return (
        case.a_id == det.a_id
        and case.b_id == det.b_id
        and _overlaps(case.a_start, case.a_end, det.a_start, det.a_end)
        and _overlaps(case.b_start, case.b_end, det.b_start, det.b_end)
    )


def covered_length(base: tuple[int, int], intervals: Iterable[tuple[int, int]]) -> int:
    """Characters of ``base`` covered by the union of ``intervals``."""
    lo, hi = base
    clipped = sorted((max(lo, s), min(hi, e)) for s, e in intervals if s < hi and lo < e)
    total = 0
    cur_s, cur_e = None, None
    for s, e in clipped:
        if cur_e is None or s > cur_e:
            if cur_e is not None:
                total += cur_e - cur_s  # type: ignore[operator]
            cur_s, cur_e = s, e
        else:
            cur_e = max(cur_e, e)
    if cur_e is not None:
        total += cur_e - cur_s  # type: ignore[operator]
    return total


def _index(items: Iterable[Detection]) -> dict[tuple[str, str], list[Detection]]:
    index: dict[tuple[str, str], list[Detection]] = defaultdict(list)
    for item in items:
        index[(item.a_id, item.b_id)].append(item)
    return index


def case_recall(case: Detection, detections: Sequence[Detection]) -> float:
    """Share of the case's characters (both sides) covered by detections that detect it."""
    hits = [d for d in detections if detects(case, d)]
    size = (case.a_end - case.a_start) + (case.b_end - case.b_start)
    if not hits or size == 0:
        return 0.0
    a = covered_length((case.a_start, case.a_end), [(d.a_start, d.a_end) for d in hits])
    b = covered_length((case.b_start, case.b_end), [(d.b_start, d.b_end) for d in hits])
    return (a + b) / size


def macro_recall(cases: Sequence[Detection], detections: Sequence[Detection]) -> float:
    if not cases and not detections:
        return 1.0
    if not cases or not detections:
        return 0.0
    index = _index(detections)
    return sum(case_recall(c, index.get((c.a_id, c.b_id), [])) for c in cases) / len(cases)


def macro_precision(cases: Sequence[Detection], detections: Sequence[Detection]) -> float:
    """PAN's precision is recall with the roles swapped (``detects`` is symmetric)."""
    return macro_recall(detections, cases)


def granularity(cases: Sequence[Detection], detections: Sequence[Detection]) -> float:
    index = _index(detections)
    counts = [sum(detects(c, d) for d in index.get((c.a_id, c.b_id), [])) for c in cases]
    detected = [n for n in counts if n > 0]
    return sum(detected) / len(detected) if detected else 1.0


def plagdet_score(recall: float, precision: float, gran: float) -> float:
    if recall <= 0 and precision <= 0:
        return 0.0
    if recall < 0 or precision < 0 or gran < 1:
        return 0.0
    return f1(precision, recall) / math.log2(1 + gran)


@dataclass(frozen=True)
class SpanScores:
    precision: float
    recall: float
    granularity: float
    plagdet: float
    cases: int
    detections: int

    def to_dict(self) -> dict[str, float]:
        return asdict(self)


def span_scores(cases: Sequence[Detection], detections: Sequence[Detection]) -> SpanScores:
    rec = macro_recall(cases, detections)
    prec = macro_precision(cases, detections)
    gran = granularity(cases, detections)
    return SpanScores(prec, rec, gran, plagdet_score(rec, prec, gran), len(cases), len(detections))
