"""The CI decision: do submissions copy from a reference corpus?

A verdict per submission: the share of its text covered by copied spans (from each
source and from all together) and its longest copied span. It fails when either passes
its limit. Text that also stands in a ``base`` file (an assignment's template, a form
everyone fills) or recurs across many reference documents (boilerplate) never counts.
A baseline of accepted findings, keyed by a fingerprint of the copied text, lets a
project adopt the gate without fixing history first.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from neardup.align import align_pair
from neardup.config import ScanConfig
from neardup.errors import ConfigError, InputError, UnusableReferenceError
from neardup.model import Document, Passage, ReuseSpan, ScanResult
from neardup.normalize import Normalized, normalize
from neardup.passages import covered, line_of, split_passages
from neardup.read import read_paths
from neardup.scan import scan
from neardup.store import Index, is_sqlite_file
from neardup.align import align_normalized, shift_span
from neardup.boilerplate import boilerplate_mask, find_boilerplate, masked_kinds

__all__ = [
    "Baseline",
    "Finding",
    "GateConfig",
    "Part",
    "References",
    "Verdict",
    "find_copies",
    "find_copies_in_index",
    "gate",
    "is_index",
    "judge",
    "read_references",
]

BASELINE_SCHEMA = "neardup.baseline/1"


@dataclass(frozen=True)
class GateConfig:
    """Limits of a passing submission.

    ``max_copied``: share of the submission's characters inside copied spans (all
    sources together); ``max_span``: characters of the longest copied span. What counts
    as boilerplate is the scan's ``BoilerplateConfig``, applied to the references.
    """

    max_copied: float = 0.3
    max_span: int = 200
    cross: bool = False

    def __post_init__(self) -> None:
        if not 0.0 <= self.max_copied <= 1.0:
            raise ConfigError(f"max-copied must be in [0, 1], got {self.max_copied}")
        if self.max_span < 0:
            raise ConfigError(f"max-span must be >= 0 characters, got {self.max_span}")


@dataclass(frozen=True)
class Part:
    """One copied passage inside a finding: the unit a baseline accepts."""

    start: int
    end: int
    line_start: int
    line_end: int
    fingerprint: str


@dataclass(frozen=True)
class Finding:
    """One copied span: ``span`` with A the submission and B the source it came from.

    ``parts`` are its passages, each fingerprinted, so a baseline that accepted some of
    them still flags a paragraph copied next to them later.
    """

    submission: str
    source: str
    span: ReuseSpan
    fingerprint: str
    parts: tuple[Part, ...] = ()

    @property
    def length(self) -> int:
        """Characters of the submission inside the span."""
        return self.span.a_end - self.span.a_start

    def narrowed(self, parts: Sequence[Part]) -> Finding:
        """The same finding restricted to a contiguous run of its parts (and the edits inside them)."""
        start, end = parts[0].start, parts[-1].end
        span = replace(
            self.span,
            a_start=start,
            a_end=end,
            a_line_start=parts[0].line_start,
            a_line_end=parts[-1].line_end,
            edits=tuple(e for e in self.span.edits if start <= e.a_start and e.a_end <= end),
        )
        return replace(self, span=span, parts=tuple(parts))


@dataclass(frozen=True)
class Verdict:
    submission: str
    passed: bool
    chars: int
    copied_share: float
    source_shares: dict[str, float]
    longest_span: int
    findings: tuple[Finding, ...]
    baselined: tuple[Finding, ...] = ()
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class References:
    """What a gate checks against: documents read from files, stored indexes, and what was skipped.

    ``skipped`` names each unreadable file inside a reference folder and why; the
    report lists them, so a partly unreadable reference set still gates, visibly.
    """

    documents: tuple[Document, ...] = ()
    indexes: tuple[str, ...] = ()
    skipped: tuple[str, ...] = ()


#: File names that can only mean a stored index: never read as reference text.
INDEX_SUFFIXES = (".ndx", ".db", ".sqlite", ".sqlite3")


def is_index(location: str) -> bool:
    """A stored index: a ``redis://`` URL, a file with SQLite's header, or an index file name."""
    if location.startswith(("redis://", "rediss://")):
        return True
    path = Path(location)
    return path.is_file() and (is_sqlite_file(path) or location.lower().endswith(INDEX_SUFFIXES))


def read_references(locations: Sequence[str], *, text_field: str = "text", id_field: str = "id") -> References:
    """Sort ``--against`` locations into indexes and reference documents; fail closed.

    Every location must give something to check against. One that gives nothing (an
    empty folder, a folder of binary files, an empty or binary file) raises
    :class:`~neardup.errors.UnusableReferenceError` naming it and what is wrong: a gate
    that cannot check must not approve. Unreadable files inside a folder that also holds
    readable ones are skipped and listed in ``skipped``. Indexes are only recognised
    here; opening one (``Index.open(..., check=True)``) says whether it is usable.
    """
    if not locations:
        raise UnusableReferenceError("no reference given: name files, folders or an index to check against")
    documents: list[Document] = []
    indexes: list[str] = []
    skipped: list[str] = []
    for location in locations:
        if is_index(location):
            indexes.append(location)
            continue
        read = read_paths([location], text_field=text_field, id_field=id_field)
        usable = [d for d in read.documents if d.text.strip()]
        if not usable:
            if read.warnings:
                why = read.warnings[0] if len(read.warnings) == 1 else f"{len(read.warnings):,} files skipped, e.g. {read.warnings[0]}"
                why = why.removeprefix(f"{location}: ")
                raise UnusableReferenceError(f"{location}: no readable reference text ({why})")
            raise UnusableReferenceError(f"{location}: no readable reference text (no files)")
        documents.extend(usable)
        skipped.extend(read.warnings)
    return References(tuple(documents), tuple(indexes), tuple(skipped))


def fingerprint(text: str) -> str:
    """A fingerprint of copied text that ignores what normalisation ignores.

    >>> fingerprint("鄂州市，2018年") == fingerprint("鄂州市 2018年。")
    True
    """
    return hashlib.sha1(normalize(text).text.encode("utf-8")).hexdigest()[:16]


@dataclass
class Baseline:
    """Accepted findings: ``(submission, source, fingerprint)`` triples."""

    entries: set[tuple[str, str, str]] = field(default_factory=set)

    @classmethod
    def from_findings(cls, findings: Sequence[Finding]) -> Baseline:
        return cls({(f.submission, f.source, p.fingerprint) for f in findings for p in f.parts})

    def accepts(self, f: Finding, part: Part) -> bool:
        return (f.submission, f.source, part.fingerprint) in self.entries

    def split(self, f: Finding) -> tuple[list[Finding], bool]:
        """``(new findings, any part accepted)``: runs of the parts not accepted."""
        runs: list[list[Part]] = [[]]
        accepted = False
        for part in f.parts:
            if self.accepts(f, part):
                accepted = True
                runs.append([])
            else:
                runs[-1].append(part)
        return [f.narrowed(run) for run in runs if run], accepted

    def to_json(self) -> str:
        entries = [{"submission": s, "source": src, "fingerprint": fp} for s, src, fp in sorted(self.entries)]
        return json.dumps({"schema": BASELINE_SCHEMA, "entries": entries}, ensure_ascii=False, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str, name: str = "baseline") -> Baseline:
        try:
            data = json.loads(text)
            entries = {(e["submission"], e["source"], e["fingerprint"]) for e in data["entries"]}
        except (json.JSONDecodeError, KeyError, TypeError) as err:
            raise InputError(f"{name}: not a neardup baseline file ({err}); write one with --write-baseline") from None
        if data.get("schema") != BASELINE_SCHEMA:
            raise InputError(f"{name}: baseline schema {data.get('schema')!r}, expected {BASELINE_SCHEMA!r}")
        return cls(entries)


def _boilerplate_share(norm: Normalized, mask: npt.NDArray[np.bool_], start: int, end: int) -> float:
    """Share of the normalised characters of original ``[start, end)`` inside ``mask``."""
    lo, hi = np.searchsorted(norm.start, [start, end])
    return float(mask[lo:hi].mean()) if hi > lo else 0.0


def _parts(text: str, passages: Sequence[Passage], start: int, end: int) -> tuple[Part, ...]:
    """The submission's passages inside a copied span, clipped to it: the baseline's units."""
    first, last = line_of(text, start), line_of(text, max(start, end - 1))  # once: each call counts from the start
    parts = []
    for p in passages:
        if p.start < end and start < p.end:
            s, e = max(p.start, start), min(p.end, end)
            parts.append(Part(s, e, p.line_start if s == p.start else first, p.line_end if e == p.end else last, fingerprint(text[s:e])))
    if not parts:
        parts.append(Part(start, end, first, last, fingerprint(text[start:end])))
    return tuple(parts)


def find_copies(
    submissions: Sequence[Document],
    references: Sequence[Document],
    *,
    base: Sequence[Document] = (),
    config: GateConfig | None = None,
    scan_config: ScanConfig | None = None,
) -> list[Finding]:
    """Copied spans of each submission, from references (and other submissions with ``cross``).

    Spans are the exact reused spans of the scan's alignment. A span does not count when
    most of its source side is boilerplate of the reference corpus (text carried by at
    least ``boilerplate.min_docs`` reference documents, or a page's menus and footers),
    or most of its submission side is page chrome; text shared with ``base`` files is
    left out of matching altogether. Boilerplate is counted over the references only, so
    students who all copy one source do not turn that source into boilerplate.
    """
    config = config or GateConfig()
    scan_config = scan_config or ScanConfig()
    sub_ids = {d.id for d in submissions}
    ref_ids = {d.id for d in references}
    clash = sub_ids & ref_ids
    if clash:
        raise InputError(f"{sorted(clash)[0]}: given both as a submission and as a reference")
    result = scan([*submissions, *references], config=replace(scan_config, detail="clusters"), base=base)
    index = {d.id: i for i, d in enumerate(result.documents)}
    norms = {d.id: normalize(d.text, scan_config.normalize) for d in result.documents}
    ref_docs = sorted(ref_ids)
    ref_runs = find_boilerplate(
        [result.documents[index[r]].text for r in ref_docs],
        [norms[r] for r in ref_docs],
        scan_config.boilerplate,
        base=[normalize(b.text, scan_config.normalize) for b in base],
    )
    kinds = masked_kinds(scan_config.boilerplate)
    masks = {r: boilerplate_mask(len(norms[r].text), runs, kinds) for r, runs in zip(ref_docs, ref_runs)}
    chrome: dict[str, list[tuple[int, int]]] = {}
    for bp in result.boilerplate:
        if bp.doc_id in sub_ids and bp.kind in ("page", "base"):
            chrome.setdefault(bp.doc_id, []).append((bp.start, bp.end))
    findings: list[Finding] = []
    for sub_id, src_id, sp in _copied_spans(result, sub_ids, ref_ids, config.cross, scan_config):
        if src_id in masks and _boilerplate_share(norms[src_id], masks[src_id], sp.b_start, sp.b_end) > 0.5:
            continue
        sub_chrome = covered([(max(s, sp.a_start), min(e, sp.a_end)) for s, e in chrome.get(sub_id, []) if s < sp.a_end and sp.a_start < e])
        if sub_chrome > 0.5 * (sp.a_end - sp.a_start):
            continue
        findings.append(_finding(result, index, sub_id, src_id, sp))
    findings.sort(key=_finding_order)
    return findings


def _copied_spans(
    result: ScanResult, sub_ids: set[str], ref_ids: set[str], cross: bool, config: ScanConfig
) -> list[tuple[str, str, ReuseSpan]]:
    """``(submission, source, span)`` with A = the submission: each copy aligned with one source.

    In every cluster, each submission member is aligned with one member of another
    document that may be a source (a reference, or with ``cross`` another submission):
    the representative when it may, else the source member most similar to it. One
    alignment per submission member keeps the gate linear however many references
    carry a text.
    """
    out = []
    for cluster in result.clusters:
        members = cluster.members
        for m in members:
            if m.doc_id not in sub_ids:
                continue
            sources = [
                (k, o) for k, o in enumerate(members)
                if o.doc_id != m.doc_id and (o.doc_id in ref_ids or (cross and o.doc_id in sub_ids))
            ]  # fmt: skip
            if not sources:
                continue
            _, src = min(sources, key=lambda ko: (ko[0] != cluster.representative, -ko[1].jaccard, ko[1].doc_id, ko[1].start))
            norm_m = normalize(m.text, config.align.normalize)
            norm_s = normalize(src.text, config.align.normalize)
            for sp in align_normalized(m.text, norm_m, src.text, norm_s, config.align):
                out.append((m.doc_id, src.doc_id, shift_span(sp, m.start, src.start, m.line_start - 1, src.line_start - 1)))
    return out


def _finding_order(f: Finding) -> tuple[str, int, str, int]:
    return (f.submission, f.span.a_start, f.source, f.span.b_start)


def _finding(result: ScanResult, index: dict[str, int], sub_id: str, src_id: str, sp: ReuseSpan) -> Finding:
    sub_text = result.documents[index[sub_id]].text
    return _make_finding(sub_id, sub_text, src_id, sp, [p for p in result.passages if p.doc == index[sub_id]])


def _make_finding(sub_id: str, sub_text: str, src_id: str, sp: ReuseSpan, passages: Sequence[Passage]) -> Finding:
    """A finding for ``sp`` (A = submission, B = source)."""
    return Finding(
        submission=sub_id,
        source=src_id,
        span=sp,
        fingerprint=fingerprint(sub_text[sp.a_start : sp.a_end]),
        parts=_parts(sub_text, passages, sp.a_start, sp.a_end),
    )


def find_copies_in_index(
    submissions: Sequence[Document],
    index: Index,
    *,
    base: Sequence[Document] = (),
    config: GateConfig | None = None,
    threshold: float | None = None,
    boilerplate_docs: int | None = None,
) -> list[Finding]:
    """Copied spans of each submission from the documents of a stored index.

    ``threshold`` may raise the index's own (never lower it: its LSH bands were laid out
    for it); ``boilerplate_docs`` replaces the index's ``boilerplate.min_docs``. An
    empty index raises :class:`~neardup.errors.UnusableReferenceError`.

    The index answers with exactly aligned spans. Boilerplate follows the same rules as
    for files: a stretch of the submission that at least ``boilerplate.min_docs`` stored
    documents carry, the submission's own page chrome, and text shared with ``base``
    files never count.
    """
    config = config or GateConfig()
    if len(index) == 0:
        raise UnusableReferenceError(f"{index.location}: the index holds no documents; a gate that cannot check does not pass")
    scan_config = index.config
    min_docs = boilerplate_docs or scan_config.boilerplate.min_docs
    findings: list[Finding] = []
    for doc in submissions:
        norm = normalize(doc.text, scan_config.normalize)
        passages = split_passages(0, doc.text, norm, scan_config.passages)
        excluded = _excluded_ranges(doc, norm, base, scan_config)
        candidates = [(match.doc_id, sp) for match in index.query(doc.text, threshold=threshold) for sp in match.spans]
        for src_id, sp in candidates:
            carriers = {d for d, o in candidates if _overlap(o, sp) > 0.5 * (sp.a_end - sp.a_start)}
            if len(carriers) >= min_docs:
                continue  # boilerplate: many stored documents carry this stretch
            inside = covered([(max(a, sp.a_start), min(b, sp.a_end)) for a, b in excluded if a < sp.a_end and sp.a_start < b])
            if inside > 0.5 * (sp.a_end - sp.a_start):
                continue
            findings.append(_make_finding(doc.id, doc.text, src_id, sp, passages))
    findings.sort(key=_finding_order)
    return findings


def _overlap(a: ReuseSpan, b: ReuseSpan) -> int:
    return max(0, min(a.a_end, b.a_end) - max(a.a_start, b.a_start))


def _excluded_ranges(doc: Document, norm: Normalized, base: Sequence[Document], config: ScanConfig) -> list[tuple[int, int]]:
    """Original ranges of a submission that never count: its page chrome and base-file text."""
    ranges = []
    [runs] = find_boilerplate([doc.text], [norm], config.boilerplate)
    for r in runs:
        if r.kind == "page" and r.end > r.start:
            ranges.append(norm.original_span(r.start, r.end))
    for b in base:
        ranges.extend((sp.a_start, sp.a_end) for sp in align_pair(doc.text, b.text, config=config.align))
    return ranges


def judge(doc: Document, findings: Sequence[Finding], config: GateConfig, baseline: Baseline | None = None) -> Verdict:
    """Apply the limits to one submission's findings (baselined ones do not count)."""
    accepted: list[Finding] = []
    counted: list[Finding] = []
    for f in findings:
        new, any_accepted = baseline.split(f) if baseline else ([f], False)
        counted.extend(new)
        if any_accepted:
            accepted.append(f)
    chars = max(len(doc.text), 1)
    share = covered([(f.span.a_start, f.span.a_end) for f in counted]) / chars
    by_source: dict[str, list[tuple[int, int]]] = {}
    for f in counted:
        by_source.setdefault(f.source, []).append((f.span.a_start, f.span.a_end))
    shares = {src: round(covered(spans) / chars, 4) for src, spans in sorted(by_source.items())}
    longest = max((f.length for f in counted), default=0)
    reasons = []
    if share > config.max_copied:
        reasons.append(f"{share:.0%} of the text is copied (limit {config.max_copied:.0%})")
    if longest > config.max_span:
        reasons.append(f"a copied span of {longest} characters (limit {config.max_span})")
    return Verdict(
        submission=doc.id,
        passed=not reasons,
        chars=len(doc.text),
        copied_share=round(share, 4),
        source_shares=shares,
        longest_span=longest,
        findings=tuple(counted),
        baselined=tuple(accepted),
        reasons=tuple(reasons),
    )


def gate(
    submissions: Sequence[Document],
    references: Sequence[Document],
    *,
    base: Sequence[Document] = (),
    config: GateConfig | None = None,
    scan_config: ScanConfig | None = None,
    baseline: Baseline | None = None,
) -> list[Verdict]:
    """A verdict for every submission, in id order.

    References with no text at all raise :class:`~neardup.errors.UnusableReferenceError`:
    a gate that cannot check does not pass.

    >>> src = Document("ref.txt", "全市各级各部门要认清形势、周密安排、迅速行动，大力弘扬斗争精神，确保决战决胜。" * 3)
    >>> sub = Document("essay.txt", "我的观点如下。\\n" + src.text)
    >>> [(v.submission, v.passed) for v in gate([sub], [src])]
    [('essay.txt', False)]
    """
    config = config or GateConfig()
    if not any(d.text.strip() for d in references):
        raise UnusableReferenceError(
            f"no reference text to check against ({len(references)} reference documents, none with text);"
            " a gate that cannot check does not pass"
        )
    findings = find_copies(submissions, references, base=base, config=config, scan_config=scan_config)
    return judge_all(submissions, findings, config, baseline)


def judge_all(
    submissions: Sequence[Document], findings: Sequence[Finding], config: GateConfig, baseline: Baseline | None = None
) -> list[Verdict]:
    """:func:`judge` every submission (id order) on its own findings."""
    by_sub: dict[str, list[Finding]] = {}
    for f in findings:
        by_sub.setdefault(f.submission, []).append(f)
    return [judge(d, by_sub.get(d.id, []), config, baseline) for d in sorted(submissions, key=lambda d: d.id)]


def find_all_copies(
    submissions: Sequence[Document],
    references: References,
    *,
    base: Sequence[Document] = (),
    config: GateConfig | None = None,
    scan_config: ScanConfig | None = None,
    index_options: Mapping[str, Any] | None = None,
) -> list[Finding]:
    """Copied spans of each submission from reference files and from stored indexes.

    ``index_options``: the options the user gave (None = not given); those that decide
    signatures must be each index's own (:class:`~neardup.errors.IndexMismatchError`
    names the first that is not), ``threshold`` and ``boilerplate_docs`` apply to the
    queries. Each index is integrity-checked beside its queries: no findings, and so no
    verdict, come from a damaged index.
    """
    config = config or GateConfig()
    options = dict(index_options or {})
    findings: list[Finding] = []
    if references.documents:
        findings = find_copies(submissions, references.documents, base=base, config=config, scan_config=scan_config)
    signature_opts = {k: v for k, v in options.items() if k not in ("threshold", "boilerplate_docs")}
    for location in references.indexes:
        with Index.open(location, create=False, check=True, **signature_opts) as idx:
            findings.extend(
                find_copies_in_index(
                    submissions, idx, base=base, config=config,
                    threshold=options.get("threshold"), boilerplate_docs=options.get("boilerplate_docs"),
                )
            )  # fmt: skip
            idx.check()
    findings.sort(key=_finding_order)
    return findings
