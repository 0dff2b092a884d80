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
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from neardup.config import ScanConfig
from neardup.errors import ConfigError, InputError
from neardup.model import Document, Member, ScanResult
from neardup.normalize import normalize
from neardup.scan import scan

__all__ = ["Baseline", "Finding", "GateConfig", "Part", "Verdict", "find_copies", "gate", "judge"]

BASELINE_SCHEMA = "neardup.baseline/1"


@dataclass(frozen=True)
class GateConfig:
    """Limits of a passing submission.

    ``max_copied``: share of the submission's characters inside copied spans (all
    sources together); ``max_span``: characters of the longest copied span;
    ``boilerplate_docs``: text found in at least this many reference documents is
    boilerplate, not copying.
    """

    max_copied: float = 0.3
    max_span: int = 200
    boilerplate_docs: int = 3
    cross: bool = False

    def __post_init__(self) -> None:
        if not 0.0 <= self.max_copied <= 1.0:
            raise ConfigError(f"max-copied must be in [0, 1], got {self.max_copied}")
        if self.max_span < 0:
            raise ConfigError(f"max-span must be >= 0 characters, got {self.max_span}")
        if self.boilerplate_docs < 2:
            raise ConfigError(f"boilerplate-docs must be >= 2, got {self.boilerplate_docs}")


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
    """One copied span: where it stands in the submission and where it came from.

    ``parts`` are its passages, each fingerprinted, so a baseline that accepted some of
    them still flags a paragraph copied next to them later.
    """

    submission: str
    source: str
    start: int
    end: int
    line_start: int
    line_end: int
    source_start: int
    source_end: int
    source_line_start: int
    source_line_end: int
    similarity: float
    fingerprint: str
    parts: tuple[Part, ...] = ()

    @property
    def length(self) -> int:
        return self.end - self.start

    def narrowed(self, parts: Sequence[Part]) -> Finding:
        """The same finding restricted to a contiguous run of its parts."""
        return replace(
            self,
            start=parts[0].start,
            end=parts[-1].end,
            line_start=parts[0].line_start,
            line_end=parts[-1].line_end,
            parts=tuple(parts),
        )


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


def _finding(sub: Member, src: Member, parts: tuple[Part, ...]) -> Finding:
    return Finding(
        submission=sub.doc_id,
        source=src.doc_id,
        start=sub.start,
        end=sub.end,
        line_start=sub.line_start,
        line_end=sub.line_end,
        source_start=src.start,
        source_end=src.end,
        source_line_start=src.line_start,
        source_line_end=src.line_end,
        similarity=min(sub.similarity, src.similarity),
        fingerprint=fingerprint(sub.text),
        parts=parts,
    )


def _parts(result: ScanResult, member: Member) -> tuple[Part, ...]:
    doc = next(i for i, d in enumerate(result.documents) if d.id == member.doc_id)
    text = result.documents[doc].text
    by_index = {p.index: p for p in result.passages if p.doc == doc and p.index in set(member.passages)}
    return tuple(
        Part(p.start, p.end, p.line_start, p.line_end, fingerprint(text[p.start : p.end]))
        for p in (by_index[i] for i in member.passages)
    )


def find_copies(
    submissions: Sequence[Document],
    references: Sequence[Document],
    *,
    base: Sequence[Document] = (),
    config: GateConfig | None = None,
    scan_config: ScanConfig | None = None,
) -> list[Finding]:
    """Copied spans of each submission, from references (and other submissions with ``cross``)."""
    config = config or GateConfig()
    sub_ids = {d.id for d in submissions}
    ref_ids = {d.id for d in references}
    base_ids = {d.id for d in base}
    overlap = (sub_ids & ref_ids) | (sub_ids & base_ids)
    if overlap:
        raise InputError(f"{sorted(overlap)[0]}: given both as a submission and as a reference or base file")
    unique_refs = [d for d in references if d.id not in base_ids]
    result = scan([*submissions, *unique_refs, *base], config=scan_config)
    findings: list[Finding] = []
    for cluster in result.clusters:
        docs = {m.doc_id for m in cluster.members}
        if docs & base_ids or len(docs & ref_ids) >= config.boilerplate_docs:
            continue  # template text or boilerplate: never copying
        subs = [m for m in cluster.members if m.doc_id in sub_ids]
        sources = [m for m in cluster.members if m.doc_id in ref_ids]
        for sub in subs:
            peers = sources + ([m for m in subs if m.doc_id != sub.doc_id] if config.cross else [])
            parts = _parts(result, sub)
            findings.extend(_finding(sub, src, parts) for src in peers)
    findings.sort(key=lambda f: (f.submission, f.start, f.source, f.source_start))
    return findings


def _covered(spans: Sequence[tuple[int, int]]) -> int:
    total, end = 0, -1
    for s, e in sorted(spans):
        if e > end:
            total += e - max(s, end)
            end = e
    return total


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
    share = _covered([(f.start, f.end) for f in counted]) / chars
    by_source: dict[str, list[tuple[int, int]]] = {}
    for f in counted:
        by_source.setdefault(f.source, []).append((f.start, f.end))
    shares = {src: round(_covered(spans) / chars, 4) for src, spans in sorted(by_source.items())}
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

    >>> src = Document("ref.txt", "全市各级各部门要认清形势、周密安排、迅速行动，大力弘扬斗争精神，确保决战决胜。" * 3)
    >>> sub = Document("essay.txt", "我的观点如下。\\n" + src.text)
    >>> [(v.submission, v.passed) for v in gate([sub], [src])]
    [('essay.txt', False)]
    """
    config = config or GateConfig()
    findings = find_copies(submissions, references, base=base, config=config, scan_config=scan_config)
    by_sub: dict[str, list[Finding]] = {}
    for f in findings:
        by_sub.setdefault(f.submission, []).append(f)
    return [judge(d, by_sub.get(d.id, []), config, baseline) for d in sorted(submissions, key=lambda d: d.id)]


def verdicts_to_dict(verdicts: Sequence[Verdict], config: GateConfig) -> dict[str, Any]:
    def finding(f: Finding) -> dict[str, Any]:
        return {
            "source": f.source,
            "start": f.start,
            "end": f.end,
            "line_start": f.line_start,
            "line_end": f.line_end,
            "source_start": f.source_start,
            "source_end": f.source_end,
            "source_line_start": f.source_line_start,
            "source_line_end": f.source_line_end,
            "similarity": round(f.similarity, 4),
            "fingerprint": f.fingerprint,
        }

    return {
        "schema": "neardup.gate/1",
        "passed": all(v.passed for v in verdicts),
        "limits": {"max_copied": config.max_copied, "max_span": config.max_span},
        "submissions": [
            {
                "id": v.submission,
                "passed": v.passed,
                "chars": v.chars,
                "copied_share": v.copied_share,
                "source_shares": v.source_shares,
                "longest_span": v.longest_span,
                "reasons": list(v.reasons),
                "findings": [finding(f) for f in v.findings],
                "baselined": len(v.baselined),
            }
            for v in verdicts
        ],
    }
