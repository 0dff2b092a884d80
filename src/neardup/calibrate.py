"""Labelled pairs -> precision and recall per threshold, and the settings that fit them.

The defaults were chosen on Tang poems and Chinese speeches (``benchmarks/README.md``);
another corpus may want another threshold or shingle size. Given pairs a person has
labelled duplicate or not, :func:`calibrate` measures each pair the way a scan would
see it: both texts normalised, cut into passages and shingled with the scan's settings;
the pair's similarity is the exact Jaccard of its best-matching passage pair, since a
scan reports a pair when any passage of one matches a passage of the other. A pair is
*flagged* at threshold ``t`` when some passage pair reaches ``t`` **and** the LSH
banding for ``t`` (``candidates.band_params``) would have proposed it with the scan's
signatures: the figures are what ``neardup scan --threshold t`` would find, not an
idealised bound (``recall_exact`` gives the bound without LSH).

The recommendation maximises F1 over shingle sizes and thresholds, on the safe side
(:attr:`Point.score`: a duplicate the LSH would miss is missed, a non-duplicate that
reaches the threshold is flagged even if this seed's LSH happens to skip it); ties go to
the setting closest to the current one (the defaults, or the options given).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from neardup.candidates import band_params
from neardup.config import ScanConfig, ShingleConfig
from neardup.errors import InputError, NeardupError
from neardup.model import Document
from neardup.scan import prepare
from neardup.signature import signatures
from neardup.verify import similarity

__all__ = ["NGRAMS", "THRESHOLDS", "Calibration", "Curve", "LabelledPair", "Point", "calibrate", "parse_pairs", "plot_png"]

#: Thresholds tried: 0.05, 0.10, ..., 0.95 (and the current threshold, if it is not one of them).
THRESHOLDS: tuple[float, ...] = tuple(round(0.05 * i, 2) for i in range(1, 20))
#: Shingle sizes tried by default (and the current one).
NGRAMS: tuple[int, ...] = (3, 4, 5, 6)


@dataclass(frozen=True)
class LabelledPair:
    """Two texts and whether a person calls them duplicates; ``source`` is ``file:line``."""

    a: str
    b: str
    duplicate: bool
    source: str = ""


@dataclass(frozen=True)
class Point:
    """The confusion counts of a scan at one threshold.

    ``tp``/``fp``/``fn``/``tn`` are what the scan flags with these signatures (LSH
    included); ``recall_exact`` is the share of duplicates whose similarity reaches the
    threshold (what verification alone would keep) and ``fp_exact`` the non-duplicates
    that reach it (the ones a scan may flag: whether LSH proposes them is chance).
    """

    threshold: float
    bands: int
    rows: int
    tp: int
    fp: int
    fn: int
    tn: int
    recall_exact: float
    fp_exact: int

    @property
    def precision(self) -> float | None:
        """``None`` when nothing is flagged."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        return _f1(self.precision or 0.0, self.recall)

    @property
    def score(self) -> float:
        """F1 on the safe side, what the recommendation maximises: a duplicate counts as
        found only if the scan's LSH proposes it, a non-duplicate counts as flagged
        whenever its similarity reaches the threshold."""
        flagged = self.tp + max(self.fp, self.fp_exact)
        return _f1(self.tp / flagged if flagged else 0.0, self.recall)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "precision": self.precision, "recall": self.recall, "f1": self.f1, "score": self.score}


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


@dataclass(frozen=True)
class Curve:
    """One shingle size: a point per threshold, and each pair's similarity (input order)."""

    ngram: int
    points: tuple[Point, ...]
    similarity: tuple[float, ...]

    def at(self, threshold: float) -> Point:
        return min(self.points, key=lambda p: abs(p.threshold - threshold))

    def best(self, current_threshold: float) -> Point:
        """Highest :attr:`Point.score`; among equals, the threshold closest to the current one."""
        return min(self.points, key=lambda p: (-round(p.score, 12), abs(p.threshold - current_threshold), p.threshold))


@dataclass(frozen=True)
class Calibration:
    pairs: int
    positives: int
    negatives: int
    current_ngram: int
    current_threshold: float
    config: ScanConfig
    curves: tuple[Curve, ...]
    recommended_ngram: int
    recommended: Point

    def curve(self, ngram: int) -> Curve:
        return next(c for c in self.curves if c.ngram == ngram)

    @property
    def current(self) -> Point:
        return self.curve(self.current_ngram).at(self.current_threshold)

    def to_dict(self) -> dict[str, Any]:
        """The ``neardup.calibrate/1`` JSON document."""
        settings = self.config.to_dict()
        return {
            "schema": "neardup.calibrate/1",
            "pairs": self.pairs,
            "positives": self.positives,
            "negatives": self.negatives,
            "current": {"ngram": self.current_ngram, "threshold": self.current_threshold, **self.current.to_dict()},
            "recommended": {"ngram": self.recommended_ngram, **self.recommended.to_dict()},
            "settings": {
                "num_perm": settings["signature"]["num_perm"],
                "seed": settings["signature"]["seed"],
                "tokens": settings["shingle"]["tokens"],
                "min_chars": settings["passages"]["min_chars"],
                "max_chars": settings["passages"]["max_chars"],
                "normalize": settings["normalize"],
            },
            "curves": [
                {"ngram": c.ngram, "points": [p.to_dict() for p in c.points], "similarity": list(c.similarity)}
                for c in self.curves
            ],
        }


def parse_pairs(text: str, name: str, resolve: Callable[[str], str] | None = None) -> list[LabelledPair]:
    """Read JSON lines ``{"a": ..., "b": ..., "duplicate": true|false}`` (blank lines skipped).

    ``resolve`` turns each ``a``/``b`` value into text (the CLI reads values that name a
    file); by default a value is the text itself. Errors name ``name:line``.

    >>> parse_pairs('{"a": "甲乙丙", "b": "甲乙丁", "duplicate": true}\\n', "p.jsonl")
    [LabelledPair(a='甲乙丙', b='甲乙丁', duplicate=True, source='p.jsonl:1')]
    """
    pairs = []
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        where = f"{name}:{lineno}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as err:
            raise InputError(f"{where}: invalid JSON ({err.msg}); each line must be one object like "
                             '{"a": "...", "b": "...", "duplicate": true}') from None
        if not isinstance(record, dict):
            raise InputError(f"{where}: expected an object with 'a', 'b' and 'duplicate'")
        for key in ("a", "b"):
            if not isinstance(record.get(key), str):
                raise InputError(f"{where}: {key!r} must be a string (a text, or the path of a text file)")
        if not isinstance(record.get("duplicate"), bool):
            raise InputError(f"{where}: 'duplicate' must be true or false, got {record.get('duplicate')!r}")
        try:
            a, b = (resolve(record[k]) if resolve else record[k] for k in ("a", "b"))
        except InputError as err:
            raise InputError(f"{where}: {err}") from None
        pairs.append(LabelledPair(a, b, record["duplicate"], where))
    return pairs


def calibrate(
    pairs: Sequence[LabelledPair],
    *,
    config: ScanConfig | None = None,
    ngrams: Sequence[int] = NGRAMS,
    thresholds: Sequence[float] = THRESHOLDS,
) -> Calibration:
    """Precision and recall of the scan on labelled pairs, per shingle size and threshold.

    ``config`` gives everything else (normalisation, passages, ``num_perm``, ``seed``)
    and the current ngram and threshold, which are always measured too.

    >>> pairs = [LabelledPair("鄂州市创建全国文明城市工作推进会议", "xx市创建全国文明城市工作推进会议", True),
    ...          LabelledPair("鄂州市创建全国文明城市工作推进会议", "农业技术推广与种子站的日常工作", False)]
    >>> cal = calibrate(pairs, ngrams=[4])
    >>> cal.recommended.precision, cal.recommended.recall
    (1.0, 1.0)
    """
    config = config or ScanConfig()
    positives = sum(p.duplicate for p in pairs)
    if not positives or positives == len(pairs):
        raise InputError(
            f"calibration needs pairs of both kinds, got {positives} with duplicate: true and "
            f"{len(pairs) - positives} with duplicate: false"
        )
    current_ngram, current_threshold = config.shingle.ngram, config.verify.threshold
    ngrams = sorted(set(ngrams) | {current_ngram})
    thresholds = sorted(set(round(t, 6) for t in thresholds) | {current_threshold})
    for t in thresholds:
        if not 0.0 < t <= 1.0:
            raise InputError(f"threshold must be in (0, 1], got {t}")
    labels = np.array([p.duplicate for p in pairs], dtype=bool)
    curves = []
    for ngram in ngrams:
        cfg = replace(config, shingle=ShingleConfig(ngram=ngram, tokens=config.shingle.tokens))
        sims, flagged, params = _measure(pairs, cfg, thresholds)
        points = tuple(_point(t, params[k], flagged[:, k], labels, sims >= t) for k, t in enumerate(thresholds))
        curves.append(Curve(ngram, points, tuple(round(float(s), 6) for s in sims)))
    best = min(
        ((c.ngram, c.best(current_threshold)) for c in curves),
        key=lambda np_: (-round(np_[1].score, 12), abs(np_[0] - current_ngram), abs(np_[1].threshold - current_threshold)),
    )
    return Calibration(
        pairs=len(pairs),
        positives=positives,
        negatives=len(pairs) - positives,
        current_ngram=current_ngram,
        current_threshold=current_threshold,
        config=config,
        curves=tuple(curves),
        recommended_ngram=best[0],
        recommended=best[1],
    )


def _point(threshold: float, params: tuple[int, int], flagged: npt.NDArray[np.bool_],
           labels: npt.NDArray[np.bool_], reach: npt.NDArray[np.bool_]) -> Point:
    tp = int((flagged & labels).sum())
    fp = int((flagged & ~labels).sum())
    return Point(threshold, params[0], params[1], tp, fp, int(labels.sum()) - tp, int((~labels).sum()) - fp,
                 round(float(reach[labels].mean()), 6), int((reach & ~labels).sum()))


def _measure(
    pairs: Sequence[LabelledPair], config: ScanConfig, thresholds: Sequence[float]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_], list[tuple[int, int]]]:
    """Each pair's best passage Jaccard, and whether a scan flags it at each threshold."""
    docs = [Document(f"{i}{side}", getattr(p, side)) for i, p in enumerate(pairs) for side in ("a", "b")]
    table = prepare(docs, config)
    sigs = signatures(table.hashes, table.offsets, config.signature)
    doc_of = np.fromiter((p.doc for p in table.passages), dtype=np.int64, count=len(table.passages))
    bounds = np.searchsorted(doc_of, np.arange(len(docs) + 1))
    params = [band_params(t, config.signature.num_perm) for t in thresholds]
    distinct = sorted(set(params))
    column = [distinct.index(p) for p in params]
    sets: dict[int, npt.NDArray[np.uint64]] = {}
    sims = np.zeros(len(pairs))
    flagged = np.zeros((len(pairs), len(thresholds)), dtype=bool)
    limits = np.array(thresholds)
    for i in range(len(pairs)):
        pa = np.arange(bounds[2 * i], bounds[2 * i + 1])
        pb = np.arange(bounds[2 * i + 1], bounds[2 * i + 2])
        if not len(pa) or not len(pb):
            continue  # a text with nothing left after normalisation matches nothing
        for x in (*pa.tolist(), *pb.tolist()):
            if x not in sets:
                sets[x] = table.shingles(x)
        jac = np.array([[similarity(sets[x], sets[y])[0] for y in pb.tolist()] for x in pa.tolist()])
        collide = np.stack([_collisions(sigs[pa], sigs[pb], b, r) for b, r in distinct], axis=-1)
        sims[i] = jac.max()
        reach = jac[:, :, None] >= limits[None, None, :]
        flagged[i] = (reach & collide[:, :, column]).any(axis=(0, 1))
        sets.clear()
    return sims, flagged, params


def _collisions(sa: npt.NDArray[np.uint32], sb: npt.NDArray[np.uint32], bands: int, rows: int) -> npt.NDArray[np.bool_]:
    """``(len(sa), len(sb))``: whether two signatures agree on all rows of some band."""
    width = bands * rows
    a = sa[:, :width].reshape(len(sa), bands, rows)
    b = sb[:, :width].reshape(len(sb), bands, rows)
    return (a[:, None] == b[None]).all(axis=-1).any(axis=-1)


def plot_png(cal: Calibration) -> bytes:
    """Precision and recall against the threshold for the recommended and current
    shingle sizes, as PNG bytes (matplotlib, from the ``plot`` extra)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise NeardupError("--plot needs matplotlib: pip install 'neardup[plot]'") from None
    import io

    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=100)
    shown = [cal.recommended_ngram] + ([cal.current_ngram] if cal.current_ngram != cal.recommended_ngram else [])
    for ngram, style in zip(shown, ("-", "--")):
        curve = cal.curve(ngram)
        xs = [p.threshold for p in curve.points]
        label = f"ngram {ngram}" + (" (recommended)" if ngram == cal.recommended_ngram else " (current)")
        ax.plot(xs, [p.precision if p.precision is not None else np.nan for p in curve.points],
                style, color="tab:blue", marker=".", label=f"precision, {label}")
        ax.plot(xs, [p.recall for p in curve.points], style, color="tab:orange", marker=".", label=f"recall, {label}")
        ax.plot(xs, [p.f1 for p in curve.points], style, color="tab:green", linewidth=1, label=f"F1, {label}")
    ax.axvline(cal.recommended.threshold, color="gray", linestyle=":", label=f"recommended threshold {cal.recommended.threshold:g}")
    if cal.current_threshold != cal.recommended.threshold:
        ax.axvline(cal.current_threshold, color="lightgray", linestyle="--", label=f"current threshold {cal.current_threshold:g}")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("threshold (Jaccard of the best passage pair)")
    ax.set_ylabel("share of labelled pairs")
    ax.set_title(f"neardup calibrate: {cal.positives} duplicate and {cal.negatives} other pairs")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7, loc="lower left")
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png")
    plt.close(fig)
    return out.getvalue()
