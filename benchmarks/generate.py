"""A deterministic Chinese benchmark corpus with planted near-duplicates and their ground truth.

Text comes from the seed pages in ``examples/seeds``: their lines are converted to
simplified characters, stripped of pinyin ruby glosses, cut into clauses (at ，。；：！？、),
and clauses of 4-20 characters are recombined into sentences, paragraphs and speeches
(longer clauses would make unrelated short paragraphs share half their shingles). Recombining clauses
gives realistic vocabulary and rhythm while two generated documents share no more than
unrelated speeches on the same topic do. Each original names one city and one year.

A fraction of the documents (``--dup-rate``) are planted copies of an earlier original:

========  ================================================================
kind      what the copy is
========  ================================================================
exact     the same text, re-indented
edit      1-5 % of the characters substituted, deleted or inserted
blank     the city and the years blanked (``xx市``, ``20xx年``), as templates are
trad      converted to traditional characters (OpenCC s2t)
reorder   the paragraphs in another order
partial   3-5 consecutive paragraphs pasted into an otherwise new document
mixed     blanked, then traditional, then lightly edited
========  ================================================================

With ``--redundant`` the corpus repeats itself the way real ones do: a pool of stock
paragraphs recurs (some lightly edited) across thousands of originals (a few of them in
most documents, as Zipf would have it), most documents end with one of a few closing
formulas (同志们，让我们……而努力奋斗！), and most carry one of eight sites' chrome (a
menu line on top, a source line, a copyright footer). None of that is a planted copy;
the truth lists only the planted copies above.

Everything follows from ``--seed``: the same command writes byte-identical files.

    python -m benchmarks.generate --docs 10000 --out benchmarks/data/c10k

writes ``corpus.jsonl`` (``{"id", "text"}`` per line), ``truth.jsonl`` (``{"copy",
"source", "kind"}`` per planted copy) and ``meta.json``; ``--format folder`` writes one
``.txt`` file per document instead of ``corpus.jsonl``.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "examples" / "seeds"

KINDS = ("exact", "edit", "blank", "trad", "reorder", "partial", "mixed")
CITIES = (
    "鄂州", "胶州", "襄阳", "绵阳", "宜昌", "株洲", "赣州", "遵义", "曲靖", "榆林",
    "德阳", "泰州", "嘉兴", "湖州", "金华", "台州", "丽水", "衢州", "常德", "岳阳",
    "南充", "宜宾", "六安", "滁州", "商丘", "周口", "邢台", "沧州", "临沂", "潍坊",
)  # fmt: skip
SUFFIXES = ("市", "县", "区")
BLANKS = ("xx", "XX", "××", "某", "X")
_RUBY = re.compile(r"(?<=[\u3400-\u9fff])\([a-zāáǎàēéěèêīíǐìōóǒòūúǔùǖǘǚǜüńňǹḿ]{1,7}\s?\)")
_CLAUSE = re.compile(r"[^，。；：！？、,;:!?]+[，。；：！？、,;:!?]?")
_END = "，。；：！？、,;:!?"
_YEAR = re.compile(r"(?:19|20)\d\d(?=年)")
#: Frequent characters an edit puts in (so edits look like typos, not noise).
_COMMON = "的一是了我不人在他有这个上们来到时大地为子中你说生国年着就那和要她出也得里后自以会"


@lru_cache(maxsize=None)
def _opencc(name: str):  # type: ignore[no-untyped-def]
    import opencc

    return opencc.OpenCC(name)


def _cjk_ratio(text: str) -> float:
    chars = [c for c in text if not c.isspace()]
    return sum("\u4e00" <= c <= "\u9fff" for c in chars) / len(chars) if chars else 0.0


@lru_cache(maxsize=4)
def clause_pool(seeds: Path = SEEDS) -> tuple[str, ...]:
    """Distinct clauses of the seed pages, simplified and without ruby glosses, sorted."""
    clauses: set[str] = set()
    for path in sorted(seeds.iterdir()):
        text = _opencc("t2s").convert(_RUBY.sub("", path.read_text(encoding="utf-8")))
        for line in text.splitlines():
            line = line.strip()
            if len(line) < 12 or _cjk_ratio(line) < 0.7:
                continue
            for clause in _CLAUSE.findall(line):
                clause = clause.strip()
                body = clause.rstrip(_END)
                if 4 <= len(body) <= 20 and _cjk_ratio(body) >= 0.8 and not _YEAR.search(body):
                    clauses.add(clause if clause[-1] in _END else clause + "，")
    return tuple(sorted(clauses))


FORMULAS = (
    "同志们，让我们更加紧密地团结在以习近平同志为核心的党中央周围，凝心聚力、真抓实干，为全面建设社会主义现代化国家而努力奋斗！",
    "同志们，新征程上，让我们以习近平新时代中国特色社会主义思想为指导，踔厉奋发、勇毅前行，奋力谱写高质量发展新篇章！",
    "让我们在市委的坚强领导下，坚定信心、攻坚克难，以优异成绩迎接党的二十大胜利召开！",
    "以上讲话仅供参考，请结合本地实际认真抓好贯彻落实。",
)
SITES = tuple(
    (f"首页 > {name} > 领导讲话 > 正文", f"（来源：{name}　本文来源于网络，仅供学习交流，如有侵权请联系删除）",
     f"Copyright © 2015-2024 {name} 版权所有　ICP备案号：京ICP备{10000000 + 7919 * n}号")
    for n, name in enumerate(("范文大全网", "公文写作网", "讲话稿之家", "党建文库", "工作总结网", "应用文网", "文秘资料网", "第一范文网"))
)  # fmt: skip


@dataclass
class Doc:
    id: str
    title: str
    paragraphs: list[str]
    city: str
    indent: str
    head: tuple[str, ...] = ()
    tail: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        return "\n".join([*self.head, self.title, *(self.indent + p for p in self.paragraphs), *self.tail]) + "\n"


class Generator:
    """Makes originals and planted copies; every choice comes from one seeded RNG."""

    def __init__(self, seed: int, dup_rate: float = 0.1, pool: tuple[str, ...] | None = None, redundant: bool = False) -> None:
        self.rng = random.Random(seed)
        self.dup_rate = dup_rate
        self.pool = pool or clause_pool()
        self.recent: deque[Doc] = deque(maxlen=2000)  # sources are drawn from recent originals
        self.redundant = redundant
        # Stock paragraphs, drawn by a Zipf law: the first recurs in most documents.
        self.stock = [self._paragraph(self.rng.choice(CITIES) + "市", 2020) for _ in range(300)] if redundant else []
        self.stock_weights = [1 / (k + 1) for k in range(len(self.stock))]

    def _chrome(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """A site's menu and source line on top, its footer below (7 documents in 10)."""
        if not self.redundant or self.rng.random() >= 0.7:
            return (), ()
        menu, source, footer = self.rng.choice(SITES)
        return (menu, source), (footer,)

    def _redundancy(self, paragraphs: list[str]) -> None:
        """Stock paragraphs (lightly edited now and then) and a closing formula (8 in 10)."""
        rng = self.rng
        for _ in range(rng.choice((0, 1, 1, 2, 2, 3))):
            stock = rng.choices(self.stock, self.stock_weights)[0]
            if rng.random() < 0.3:
                stock = self._edit(stock, 0.02)
            paragraphs.insert(rng.randint(0, len(paragraphs)), stock)
        if rng.random() < 0.8:
            paragraphs.append(rng.choice(FORMULAS))

    def _sentence(self) -> str:
        clauses = [self.rng.choice(self.pool) for _ in range(self.rng.randint(2, 5))]
        clauses[-1] = clauses[-1][:-1] + "。"
        return "".join(clauses)

    def _paragraph(self, city: str, year: int) -> str:
        target = self.rng.randint(45, 100)
        out = ""
        if self.rng.random() < 0.4:
            out = self.rng.choice([f"{year}年以来，{city}", f"{city}在{year}年", f"{year}年，全{city[-1]}"])
        while len(out) < target:
            out += self._sentence()
        return out

    def original(self, doc_id: str) -> Doc:
        rng = self.rng
        city = rng.choice(CITIES) + rng.choice(SUFFIXES)
        year = rng.randint(2012, 2024)
        title_clause = rng.choice(self.pool).rstrip(_END)
        title = f"{city}{year}年{title_clause}讲话"
        paragraphs = [self._paragraph(city, year) for _ in range(rng.randint(8, 14))]
        if self.redundant:
            self._redundancy(paragraphs)
        if rng.random() < 0.5:
            paragraphs.insert(0, "同志们：")
        head, tail = self._chrome()
        return Doc(doc_id, title, paragraphs, city, rng.choice(["", "  ", "\u3000\u3000"]), head, tail)

    def _edit(self, text: str, rate: float) -> str:
        rng = self.rng
        out = []
        for ch in text:
            if "\u4e00" <= ch <= "\u9fff" and rng.random() < rate:
                op = rng.random()
                if op < 0.6:
                    out.append(rng.choice(_COMMON))
                elif op < 0.8:
                    continue
                else:
                    out.append(ch + rng.choice(_COMMON))
            else:
                out.append(ch)
        return "".join(out)

    def _blank(self, doc: Doc, text: str) -> str:
        blank = self.rng.choice(BLANKS)
        text = _YEAR.sub(self.rng.choice(["20xx", "20XX", "202x", "××××"]), text)
        return text.replace(doc.city[:-1], blank)

    def copy(self, doc_id: str, source: Doc, kind: str) -> Doc:
        rng = self.rng
        indent = rng.choice(["", "  ", "\u3000\u3000"])
        title, paras = source.title, list(source.paragraphs)
        if kind == "edit":
            rate = rng.uniform(0.01, 0.05)
            paras = [self._edit(p, rate) for p in paras]
        elif kind == "blank":
            title, *paras = self._blank(source, "\n".join([title, *paras])).split("\n")
        elif kind == "trad":
            title, *paras = _opencc("s2t").convert("\n".join([title, *paras])).split("\n")
        elif kind == "reorder":
            rng.shuffle(paras)
        elif kind == "partial":
            host = self.original(doc_id)
            k = min(len(paras), rng.randint(3, 5))
            first = rng.randint(0, len(paras) - k)
            at = rng.randint(0, len(host.paragraphs))
            host.paragraphs[at:at] = paras[first : first + k]
            return host
        elif kind == "mixed":
            text = _opencc("s2t").convert(self._blank(source, "\n".join([title, *paras])))
            title, *paras = self._edit(text, 0.01).split("\n")
        head, tail = self._chrome()  # a copy is published on a site of its own
        return Doc(doc_id, title, paras, source.city, indent, head, tail)

    def documents(self, count: int | None = None, max_bytes: int | None = None) -> Iterator[tuple[Doc, dict[str, str] | None]]:
        """Yield ``(document, truth)`` pairs; ``truth`` is set for planted copies."""
        n = size = 0
        while (count is None or n < count) and (max_bytes is None or size < max_bytes):
            doc_id = f"doc{n:07d}"
            if self.recent and self.rng.random() < self.dup_rate:
                source = self.rng.choice(self.recent)
                kind = self.rng.choice(KINDS)
                doc = self.copy(doc_id, source, kind)
                truth: dict[str, str] | None = {"copy": doc_id, "source": source.id, "kind": kind}
            else:
                doc = self.original(doc_id)
                self.recent.append(doc)
                truth = None
            n += 1
            size += len(doc.text.encode("utf-8"))
            yield doc, truth


def write_corpus(
    out: Path,
    *,
    seed: int = 1,
    docs: int | None = None,
    mb: float | None = None,
    dup_rate: float = 0.1,
    fmt: str = "jsonl",
    redundant: bool = False,
) -> dict[str, object]:
    """Write the corpus, its truth and ``meta.json`` under ``out``; return the meta."""
    if docs is None and mb is None:
        raise ValueError("give docs or mb")
    out.mkdir(parents=True, exist_ok=True)
    gen = Generator(seed, dup_rate, redundant=redundant)
    n_docs = n_bytes = n_copies = 0
    corpus = (out / "corpus.jsonl").open("w", encoding="utf-8", newline="\n") if fmt == "jsonl" else None
    folder = out / "docs"
    if fmt == "folder":
        folder.mkdir(exist_ok=True)
    with (out / "truth.jsonl").open("w", encoding="utf-8", newline="\n") as truth_file:
        for doc, truth in gen.documents(docs, None if mb is None else int(mb * 1e6)):
            text = doc.text
            if corpus is not None:
                corpus.write(json.dumps({"id": doc.id, "text": text}, ensure_ascii=False) + "\n")
            else:
                (folder / f"{doc.id}.txt").write_text(text, encoding="utf-8", newline="\n")
            if truth:
                truth_file.write(json.dumps(truth, ensure_ascii=False) + "\n")
                n_copies += 1
            n_docs += 1
            n_bytes += len(text.encode("utf-8"))
    if corpus is not None:
        corpus.close()
    meta: dict[str, object] = {
        "seed": seed, "documents": n_docs, "copies": n_copies, "text_bytes": n_bytes,
        "dup_rate": dup_rate, "format": fmt, "redundant": redundant,
    }  # fmt: skip
    (out / "meta.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return meta


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.generate", description=__doc__.splitlines()[0])
    size = parser.add_mutually_exclusive_group(required=True)
    size.add_argument("--docs", type=int, help="number of documents")
    size.add_argument("--mb", type=float, help="stop once the text reaches this many MB (UTF-8)")
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--dup-rate", type=float, default=0.1, help="fraction of documents that are planted copies")
    parser.add_argument("--format", choices=["jsonl", "folder"], default="jsonl")
    parser.add_argument("--redundant", action="store_true", help="stock paragraphs, closing formulas and site chrome, as real corpora have")
    args = parser.parse_args(argv)
    meta = write_corpus(
        args.out, seed=args.seed, docs=args.docs, mb=args.mb, dup_rate=args.dup_rate, fmt=args.format, redundant=args.redundant
    )
    print(json.dumps(meta), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
