"""Text alignment, PAN style: rewritten passages pasted inside unrelated text, in Chinese and English.

Each case is a pair of documents. The *source* is an excerpt of a book (English, from
``../shared/data/en-public-domain``) or of a seed speech (Chinese, ``../shared/seeds``)
holding a passage of 150-1,500 characters; the *suspicious* document is an excerpt of
another book (another seed) with the passage pasted at a sentence boundary inside one
of its paragraphs, after 0, 10, 20 or 30 % of its words were replaced, inserted, deleted
or swapped with their neighbour (jieba words for Chinese). The gold spans are the
passage in the source and its rewritten copy in the suspicious document. Negative pairs
are two excerpts of the same book (the same seed) that share no passage: an audit
rejects any pair sharing 12 CJK characters or 8 words outside the gold spans.

Each pair is scanned on its own, as the PAN text-alignment task gives pairs. Scored with
the PAN measures (``benchmarks/quality/metrics.py``): character precision, recall,
granularity and plagdet per language and rewriting level, and the share of negative pairs
linked. Methods, in the same run:

- ``neardup members``: the default scan; detections are every two members of a cluster
  in different documents (what the clusters report);
- ``neardup alignments``: the same scan's reused spans (the JSON ``alignments`` section);
- ``neardup --tokens words``: the same with word shingles (English only);
- ``datasketch passages``: the naive peer, MinHash (128 permutations) of each paragraph's
  character 5-grams (word 3-grams for English; paragraphs are blocks between blank
  lines, or lines), ``MinHashLSH`` at 0.5; detections are the matching paragraph pairs.

    python -m benchmarks.alignment --cases 40
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.quality.common import REPO_ROOT, Detection
from benchmarks.quality.generate import CJK, audit, load_material
from benchmarks.quality.metrics import span_scores

EN_DIR = REPO_ROOT.parent / "shared" / "data" / "en-public-domain"
LEVELS = (0.0, 0.1, 0.2, 0.3)
EXCERPT = 3_000  # characters of an English source or host excerpt
_WORD = re.compile(r"\S+")
_SENTENCE_EN = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'])")
_SENTENCE_ZH = re.compile(r"(?<=[。！？；])")


@dataclass(frozen=True)
class AlignCase:
    lang: str
    level: float | None  # None: a negative pair
    a: str
    b: str
    span: tuple[int, int, int, int] | None


# --------------------------------------------------------------------------- rewriting


def rewrite(passage: str, level: float, rng: random.Random, vocabulary: Sequence[str], lang: str) -> str:
    """``level`` of the passage's words replaced, inserted, deleted or swapped with the next."""
    if lang == "en":
        tokens = _WORD.findall(passage)
        joiner = " "
    else:
        import jieba

        tokens = [t for t in jieba.lcut(passage, HMM=False)]
        joiner = ""
    words = [i for i, t in enumerate(tokens) if (lang == "en" or CJK.search(t))]
    chosen = sorted(rng.sample(words, min(len(words), round(level * len(words)))), reverse=True)
    for i in chosen:
        op = rng.choice(("replace", "insert", "delete", "swap"))
        if op == "replace":
            tokens[i] = rng.choice(vocabulary)
        elif op == "insert":
            tokens.insert(i, rng.choice(vocabulary))
        elif op == "delete" and len(tokens) > 1:
            del tokens[i]
        elif op == "swap" and i + 1 < len(tokens):
            tokens[i], tokens[i + 1] = tokens[i + 1], tokens[i]
    return joiner.join(tokens)


# --------------------------------------------------------------------------- material


class _Book:
    """An English book read from a cursor, so that no two excerpts overlap."""

    def __init__(self, path: Path) -> None:
        text = path.read_text(encoding="utf-8")
        lo, hi = len(text) // 10, len(text) * 9 // 10  # past the front matter, before the licence
        self.name, self.text, self.pos, self.end = path.stem, text[lo:hi], 0, hi - lo

    def excerpt(self, chars: int) -> str | None:
        if self.pos + chars > self.end:
            return None
        start = self.text.find("\n\n", self.pos)  # from a paragraph's start
        if start < 0 or start + chars > self.end:
            return None
        out = self.text[start + 2 : start + 2 + chars]
        out = out[: out.rfind(" ")] if " " in out else out
        self.pos = start + 2 + chars
        return out


def _sentence_bounds(text: str, lang: str) -> list[int]:
    pattern = _SENTENCE_EN if lang == "en" else _SENTENCE_ZH
    return [m.end() for m in pattern.finditer(text) if 0 < m.end() < len(text)]


def _passage(text: str, lang: str, rng: random.Random, lo: int = 150, hi: int = 1_500) -> tuple[int, int] | None:
    """Consecutive whole sentences of ``text`` holding ``lo``-``hi`` characters."""
    bounds = [0, *_sentence_bounds(text, lang), len(text)]
    for _ in range(50):
        i = rng.randrange(len(bounds) - 1)
        want = rng.randint(lo, hi)
        for j in range(i + 1, len(bounds)):
            if bounds[j] - bounds[i] >= want:
                break
        s, e = bounds[i], bounds[j]
        while e > s and text[e - 1].isspace():
            e -= 1
        while s < e and text[s].isspace():
            s += 1
        if lo <= e - s <= hi:
            return s, e
    return None


def _paste(host: str, copy: str, lang: str, rng: random.Random) -> tuple[str, int, int]:
    """``copy`` inserted at a sentence boundary inside one of the host's paragraphs."""
    inside = [b for b in _sentence_bounds(host, lang) if "\n" not in host[max(0, b - 2) : b + 2]]
    at = rng.choice(inside) if inside else len(host) // 2
    glue = " " if lang == "en" and not host[at - 1].isspace() else ""
    before = host[:at] + glue
    tail = (" " if lang == "en" else "") + host[at:].lstrip(" ")
    return before + copy + tail, len(before), len(before) + len(copy)


def _shares_words(a: str, b: str, n: int = 8) -> bool:
    wa, wb = _WORD.findall(a.lower()), _WORD.findall(b.lower())
    grams = {tuple(wa[i : i + n]) for i in range(len(wa) - n + 1)}
    return any(tuple(wb[i : i + n]) in grams for i in range(len(wb) - n + 1))


def _english(cases: int, rng: random.Random) -> list[AlignCase]:
    books = [_Book(p) for p in sorted(EN_DIR.glob("*.txt"))]
    vocabulary = sorted({w for b in books for w in _WORD.findall(b.text[:200_000]) if w.isalpha() and w.islower()})
    out: list[AlignCase] = []
    for level in LEVELS:
        made = 0
        while made < cases:
            src, host_book = rng.sample(books, 2)
            a, host = src.excerpt(EXCERPT), host_book.excerpt(EXCERPT)
            if a is None or host is None:
                raise RuntimeError("the English books ran out of excerpts: ask for fewer cases")
            found = _passage(a, "en", rng)
            if found is None:
                continue
            s, e = found
            b, bs, be = _paste(host, rewrite(a[s:e], level, rng, vocabulary, "en"), "en", rng)
            if _shares_words(a[:s] + "\n" + a[e:], host):
                continue
            out.append(AlignCase("en", level, a, b, (s, e, bs, be)))
            made += 1
    made = 0
    while made < cases:
        book = rng.choice(books)
        a, b = book.excerpt(EXCERPT), book.excerpt(EXCERPT)
        if a is None or b is None:
            raise RuntimeError("the English books ran out of excerpts: ask for fewer cases")
        if not _shares_words(a, b):
            out.append(AlignCase("en", None, a, b, None))
            made += 1
    return out


def _chinese(cases: int, rng: random.Random) -> list[AlignCase]:
    import jieba

    material = load_material()
    seeds = {name: "\n".join(paras) for name, paras in material.seeds.items()}
    vocabulary = sorted({w for t in seeds.values() for w in jieba.lcut(t, HMM=False) if len(w) > 1 and CJK.search(w)})
    names = sorted(seeds)

    def excerpt(name: str, chars: int) -> str:
        text = seeds[name]
        start = rng.randrange(max(1, len(text) - chars))
        start = text.find("\n", start) + 1 if "\n" in text[start:] else 0
        return text[start : start + chars]

    out: list[AlignCase] = []
    for level in LEVELS:
        made = tries = 0
        while made < cases:
            tries += 1
            if tries > 200 * cases:
                raise RuntimeError("could not draw Chinese cases that pass the audit")
            src, other = rng.sample(names, 2)
            a, host = excerpt(src, 2_000), excerpt(other, 1_500)
            found = _passage(a, "zh", rng, 150, 1_000)
            if found is None:
                continue
            s, e = found
            b, bs, be = _paste(host, rewrite(a[s:e], level, rng, vocabulary, "zh"), "zh", rng)
            if not audit(a, b, [(s, e)], [(bs, be)]):
                continue
            out.append(AlignCase("zh", level, a, b, (s, e, bs, be)))
            made += 1
    made = tries = 0
    while made < cases:
        tries += 1
        if tries > 200 * cases:
            raise RuntimeError("could not draw Chinese negative pairs that pass the audit")
        name = rng.choice(names)
        a, b = excerpt(name, 1_500), excerpt(name, 1_500)
        if a and b and audit(a, b, [], []):
            out.append(AlignCase("zh", None, a, b, None))
            made += 1
    return out


def make_cases(cases: int, seed: int = 1) -> list[AlignCase]:
    rng = random.Random(seed)
    return _chinese(cases, rng) + _english(cases, rng)


# --------------------------------------------------------------------------- methods

Method = Callable[[str, str], list[Detection]]


def _neardup(a: str, b: str, *, spans: str, tokens: str = "chars") -> list[Detection]:
    from itertools import combinations

    from neardup import Document, ScanConfig, scan

    config = ScanConfig.from_options(tokens=tokens) if tokens != "chars" else None
    result = scan([Document("a", a), Document("b", b)], config=config)
    out: list[Detection] = []
    if spans == "alignments":
        for al in result.alignments:
            if al.a != al.b:
                out.extend(Detection(al.a, s.a_start, s.a_end, al.b, s.b_start, s.b_end) for s in al.spans)
        return out
    for c in result.clusters:
        for x, y in combinations(c.members, 2):
            if x.doc_id != y.doc_id:
                out.append(Detection(x.doc_id, x.start, x.end, y.doc_id, y.start, y.end))
    return out


def _paragraphs(text: str) -> list[tuple[int, int]]:
    """Paragraphs: blocks between blank lines (hard-wrapped English), else lines."""
    sep = re.compile(r"\n\s*\n") if re.search(r"\n\s*\n", text) else re.compile(r"\n")
    out, pos = [], 0
    for m in [*sep.finditer(text), None]:
        end = m.start() if m else len(text)
        if text[pos:end].strip():
            out.append((pos, end))
        pos = m.end() if m else len(text)
    return out


def _datasketch(a: str, b: str) -> list[Detection]:
    from datasketch import MinHash, MinHashLSH

    english = len(re.findall(r"[A-Za-z]", a)) > len(a) / 2

    def grams(t: str) -> set[bytes]:
        if english:
            w = t.lower().split()
            return {" ".join(w[i : i + 3]).encode() for i in range(max(1, len(w) - 2))}
        return {t[i : i + 5].encode() for i in range(max(1, len(t) - 4))}

    def sketch(t: str) -> MinHash:
        m = MinHash(num_perm=128)
        m.update_batch(list(grams(t)))
        return m

    lsh = MinHashLSH(threshold=0.5, num_perm=128)
    for n, (s, e) in enumerate(_paragraphs(a)):
        lsh.insert(str(n), sketch(a[s:e]))
    pa = _paragraphs(a)
    out = []
    for s, e in _paragraphs(b):
        for key in lsh.query(sketch(b[s:e])):
            x0, x1 = pa[int(key)]
            out.append(Detection("a", x0, x1, "b", s, e))
    return out


METHODS: dict[str, tuple[Method, set[str]]] = {
    "neardup members": (lambda a, b: _neardup(a, b, spans="members"), {"zh", "en"}),
    "neardup alignments": (lambda a, b: _neardup(a, b, spans="alignments"), {"zh", "en"}),
    "neardup --tokens words": (lambda a, b: _neardup(a, b, spans="members", tokens="words"), {"en"}),
    "datasketch passages": (_datasketch, {"zh", "en"}),
}


# --------------------------------------------------------------------------- scoring


def evaluate(cases: Sequence[AlignCase], method: Method) -> dict[str, Any]:
    """Per rewriting level: PAN measures over the pairs (document ids made unique per pair)."""
    by_level: dict[str, Any] = {}
    started = time.perf_counter()
    for level in LEVELS:
        gold, found = [], []
        for n, c in enumerate(x for x in cases if x.level == level):
            assert c.span is not None
            ida, idb = f"a{n}", f"b{n}"
            gold.append(Detection(ida, c.span[0], c.span[1], idb, c.span[2], c.span[3]))
            for d in method(c.a, c.b):
                d = d if d.a_id == "a" else d.flipped()
                found.append(Detection(ida, d.a_start, d.a_end, idb, d.b_start, d.b_end))
        s = span_scores(gold, found)
        by_level[f"{round(level * 100)}%"] = {
            "precision": round(s.precision, 3), "recall": round(s.recall, 3),
            "granularity": round(s.granularity, 3), "plagdet": round(s.plagdet, 3), "cases": len(gold),
        }  # fmt: skip
    negatives = [c for c in cases if c.level is None]
    linked = sum(1 for c in negatives if method(c.a, c.b))
    by_level["negatives linked"] = round(linked / max(len(negatives), 1), 4)
    by_level["negatives"] = len(negatives)
    by_level["seconds"] = round(time.perf_counter() - started, 1)
    return by_level


def markdown(results: dict[str, dict[str, dict[str, Any]]]) -> str:
    head = "| language | method | " + " | ".join(f"plagdet {round(x * 100)}%" for x in LEVELS)
    head += " | prec/rec/gran 20% | negatives linked | seconds |"
    lines = [head, "|" + "---|" * (len(LEVELS) + 6)]
    for lang, by_method in results.items():
        for name, r in by_method.items():
            cells = [f"{r[f'{round(x * 100)}%']['plagdet']:.3f}" for x in LEVELS]
            m = r["20%"]
            prg = f"{m['precision']:.2f} / {m['recall']:.2f} / {m['granularity']:.2f}"
            lines.append(f"| {lang} | {name} | " + " | ".join(cells) + f" | {prg} | {r['negatives linked']:.3f} | {r['seconds']} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=40, help="cases per language and level (and negatives per language)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--methods", nargs="*", default=list(METHODS))
    parser.add_argument("--out", default=str(REPO_ROOT / "benchmarks" / "out" / "alignment.json"))
    args = parser.parse_args(argv)
    cases = make_cases(args.cases, args.seed)
    results: dict[str, dict[str, dict[str, Any]]] = {}
    for lang in ("zh", "en"):
        mine = [c for c in cases if c.lang == lang]
        for name in args.methods:
            fn, langs = METHODS[name]
            if lang in langs:
                results.setdefault(lang, {})[name] = evaluate(mine, fn)
                print(f"{lang} {name}: {json.dumps(results[lang][name])}", file=sys.stderr)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")
    print(markdown(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
