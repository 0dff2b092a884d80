"""Gate verdicts -> text, JSON, JUnit XML, GitHub annotations and SARIF 2.1.0.

Each format is what a CI system displays natively: JUnit as one test case per
submission, GitHub workflow commands as inline annotations, SARIF for code-scanning
views. Document ids and messages are escaped for each format.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from typing import Any

from neardup.gate import Finding, GateConfig, Verdict
from neardup.report.text import escape_terminal

__all__ = ["render_gate", "verdicts_to_dict"]

RULE_ID = "neardup/copied-text"
FORMATS = ("text", "json", "junit", "github", "sarif")


def _where(f: Finding) -> str:
    sp = f.span
    return f"lines {sp.a_line_start}-{sp.a_line_end} copy {f.source} lines {sp.b_line_start}-{sp.b_line_end}"


def _message(v: Verdict) -> str:
    return f"{v.submission}: " + "; ".join(v.reasons)


def render_text(verdicts: Sequence[Verdict], config: GateConfig, skipped: Sequence[str] = ()) -> str:
    failed = [v for v in verdicts if not v.passed]
    lines = [f"neardup gate: {len(verdicts) - len(failed)} passed, {len(failed)} failed "
             f"(limits: {config.max_copied:.0%} copied, {config.max_span:,}-char span)"]
    for why in skipped:
        lines.append(f"skipped reference {escape_terminal(why)}")
    for v in verdicts:
        status = "PASS" if v.passed else "FAIL"
        lines.append(f"{status} {escape_terminal(v.submission)}: {v.copied_share:.0%} copied, longest span {_chars(v.longest_span)}"
                     + (f", {len(v.baselined)} baselined" if v.baselined else ""))
        if not v.passed:
            for reason in v.reasons:
                lines.append(f"     {reason}")
            for f in v.findings:
                lines.append(f"     {escape_terminal(_where(f))} (sim {f.span.score:.2f})")
    return "\n".join(lines) + "\n"


def _chars(n: int) -> str:
    return f"{n:,} char{'' if n == 1 else 's'}"


def render_junit(verdicts: Sequence[Verdict], config: GateConfig, skipped: Sequence[str] = ()) -> str:
    failures = sum(not v.passed for v in verdicts)
    suites = ET.Element("testsuites", name="neardup gate", tests=str(len(verdicts)), failures=str(failures))
    suite = ET.SubElement(suites, "testsuite", name="neardup gate", tests=str(len(verdicts)), failures=str(failures), errors="0")
    for v in verdicts:
        case = ET.SubElement(suite, "testcase", classname="neardup.gate", name=v.submission)
        if not v.passed:
            failure = ET.SubElement(case, "failure", message=_message(v), type="CopiedText")
            failure.text = "\n".join(_where(f) for f in v.findings)
    if skipped:
        ET.SubElement(suite, "system-err").text = "\n".join(f"skipped reference {why}" for why in skipped)
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


def _gh_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_prop(text: str) -> str:
    return _gh_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(verdicts: Sequence[Verdict], config: GateConfig, skipped: Sequence[str] = ()) -> str:
    lines = [f"::warning title={_gh_prop('neardup: skipped reference')}::{_gh_data(why)}" for why in skipped]
    for v in verdicts:
        for f in v.findings if not v.passed else ():
            sp = f.span
            msg = f"Copied from {f.source} lines {sp.b_line_start}-{sp.b_line_end} ({f.length} chars, similarity {sp.score:.2f}); " + "; ".join(v.reasons)
            lines.append(
                f"::error file={_gh_prop(f.submission)},line={sp.a_line_start},endLine={sp.a_line_end},"
                f"title={_gh_prop('neardup: copied text')}::{_gh_data(msg)}"
            )
    failed = sum(not v.passed for v in verdicts)
    lines.append(f"::notice title=neardup gate::{_gh_data(f'{len(verdicts) - failed} passed, {failed} failed')}")
    return "\n".join(lines) + "\n"


def _region(start_line: int, end_line: int, start: int, end: int) -> dict[str, int]:
    return {"startLine": start_line, "endLine": end_line, "charOffset": start, "charLength": end - start}


def render_sarif(verdicts: Sequence[Verdict], config: GateConfig, skipped: Sequence[str] = ()) -> str:
    from neardup import __version__

    results = []
    for v in verdicts:
        if v.passed:
            continue
        for f in v.findings:
            sp = f.span
            results.append({
                "ruleId": RULE_ID,
                "ruleIndex": 0,
                "level": "error",
                "message": {"text": f"Copied from {f.source} lines {sp.b_line_start}-{sp.b_line_end}: " + "; ".join(v.reasons)},
                "locations": [{"physicalLocation": {"artifactLocation": {"uri": f.submission},
                                                    "region": _region(sp.a_line_start, sp.a_line_end, sp.a_start, sp.a_end)}}],
                "relatedLocations": [{"id": 1, "message": {"text": "source of the copied text"},
                                      "physicalLocation": {"artifactLocation": {"uri": f.source},
                                                           "region": _region(sp.b_line_start, sp.b_line_end, sp.b_start, sp.b_end)}}],
                "partialFingerprints": {"neardupCopiedText/v1": f.fingerprint},
            })
    sarif = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "neardup",
                "version": __version__,
                "rules": [{
                    "id": RULE_ID,
                    "name": "CopiedText",
                    "shortDescription": {"text": "Text copied from a reference document"},
                    "fullDescription": {"text": f"More than {config.max_copied:.0%} of a submission, or a span longer than {config.max_span} characters, is copied from the reference corpus."},
                    "defaultConfiguration": {"level": "error"},
                }],
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
            "invocations": [{
                "executionSuccessful": True,
                "toolExecutionNotifications": [
                    {"level": "warning", "message": {"text": f"skipped reference {why}"}} for why in skipped
                ],
            }],
        }],
    }
    return json.dumps(sarif, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def render_gate(verdicts: Sequence[Verdict], config: GateConfig, fmt: str = "text", *, skipped: Sequence[str] = ()) -> str:
    """Render verdicts in one of :data:`FORMATS`; ``skipped`` lists unreadable reference files."""
    if fmt == "json":
        data = verdicts_to_dict(verdicts, config)
        data["skipped_references"] = list(skipped)
        return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    renderers = {"text": render_text, "junit": render_junit, "github": render_github, "sarif": render_sarif}
    return renderers[fmt](verdicts, config, skipped)


def verdicts_to_dict(verdicts: Sequence[Verdict], config: GateConfig) -> dict[str, Any]:
    """The gate's JSON report (schema ``neardup.gate/2``).

    Version 2 names a finding's score by its metric: ``ratio`` (aligned text), or
    ``jaccard`` of its passages where an index without texts could not align it (the
    other is ``null``); version 1 had ``similarity``.
    """
    def finding(f: Finding) -> dict[str, Any]:
        sp = f.span
        return {
            "source": f.source,
            "start": sp.a_start,
            "end": sp.a_end,
            "line_start": sp.a_line_start,
            "line_end": sp.a_line_end,
            "source_start": sp.b_start,
            "source_end": sp.b_end,
            "source_line_start": sp.b_line_start,
            "source_line_end": sp.b_line_end,
            "ratio": sp.ratio,
            "jaccard": sp.jaccard,
            "fingerprint": f.fingerprint,
        }

    return {
        "schema": "neardup.gate/2",
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
