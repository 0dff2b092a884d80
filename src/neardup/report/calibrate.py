"""Calibration -> text table or ``neardup.calibrate/1`` JSON."""

from __future__ import annotations

import json

from neardup.calibrate import Calibration, Point

__all__ = ["render_calibration"]

FORMATS = ("text", "json")


def _pct(value: float | None) -> str:
    return "    –" if value is None else f"{value:5.3f}"


def _summary(label: str, ngram: int, p: Point) -> str:
    return (f"{label} --ngram {ngram} --threshold {p.threshold:g}: F1 {p.f1:.3f}, precision {_pct(p.precision).strip()}, "
            f"recall {p.recall:.3f} ({p.tp} of {p.tp + p.fn} duplicates, {p.fp} of {p.fp + p.tn} others flagged)")


def render_text(cal: Calibration) -> str:
    lines = [
        f"neardup calibrate: {cal.pairs} pairs ({cal.positives} duplicates, {cal.negatives} not)",
        "",
        _summary("recommended:", cal.recommended_ngram, cal.recommended),
        _summary("current:    ", cal.current_ngram, cal.current),
        "",
        "best threshold per shingle size:",
    ]
    for curve in cal.curves:
        best = curve.best(cal.current_threshold)
        lines.append(f"  ngram {curve.ngram}: threshold {best.threshold:<5g} F1 {best.f1:.3f}  "
                     f"precision {_pct(best.precision)}  recall {best.recall:.3f}")
    shown = [cal.recommended_ngram] + ([cal.current_ngram] if cal.current_ngram != cal.recommended_ngram else [])
    for ngram in shown:
        lines += ["", f"ngram {ngram}" + (" (recommended)" if ngram == cal.recommended_ngram else " (current)"),
                  "threshold  bands×rows  precision  recall  F1     recall without LSH  others reaching it"]
        for p in cal.curve(ngram).points:
            mark = " <" if ngram == cal.recommended_ngram and p.threshold == cal.recommended.threshold else ""
            lines.append(f"{p.threshold:<9g}  {p.bands:>5}×{p.rows:<4}  {_pct(p.precision):>9}  {p.recall:6.3f}  "
                         f"{p.f1:5.3f}  {p.recall_exact:17.3f}  {p.fp_exact:18}{mark}")
    return "\n".join(lines) + "\n"


def render_calibration(cal: Calibration, fmt: str = "text") -> str:
    """Render a :class:`Calibration` as ``text`` or ``json``."""
    if fmt == "json":
        return json.dumps(cal.to_dict(), ensure_ascii=False, indent=2) + "\n"
    return render_text(cal)
