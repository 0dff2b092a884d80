"""Generated text reuse with exact span ground truth, built from real Chinese sentences.

Real pairs (the Tang editions) have doc-level labels only; to measure *where* a detector
says the reuse is, we need cases whose copied regions we know to the character. Every
case here starts from real text (the seed web pages, Tang poems) and applies one
transformation that real copies show (the seeds themselves contain ``20xx`` blanks,
traditional-character reposts with pinyin ruby, site chrome around the same speech).

Each case is audited after construction: any character 12-gram shared by ``a`` and ``b``
(after folding traditional to simplified char by char) must lie inside a labelled span or
inside deliberately shared boilerplate. A draw that fails is redrawn, so incidental
sharing between two speeches (stock phrases such as ``习近平新时代中国特色社会主义思想``)
never becomes an unlabelled "false positive" for a detector that finds it.
"""

from __future__ import annotations

import argparse
import json
import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from benchmarks.quality.common import Case, Doc, Span, find_seeds

#: Kinds whose ``b`` reuses ``a``; the value says whether poems may be the source.
DUPLICATE_KINDS: dict[str, bool] = {
    "verbatim": True,
    "light-edit": True,
    "blanked": False,
    "script": True,
    "ruby": False,
    "embedded": True,
    "reordered": True,
}
NEGATIVE_KINDS: tuple[str, ...] = ("neg-chrome", "neg-phrase", "neg-topic")
ALL_KINDS: tuple[str, ...] = (*DUPLICATE_KINDS, *NEGATIVE_KINDS)

AUDIT_K = 12
RUBY = re.compile(r"\([a-zA-Z\u00c0-\u024f\u0300-\u036f]+\s*\)")
MOJIBAKE = re.compile(r"[?\ufffd\ue000-\uf8ff]")
CJK = re.compile(r"[\u3400-\u9fff]")

#: Pinyin ruby as seed 004 shows it (``創(chuàng )建``): the commonest annotated characters
#: there, with whether the site put a space before ``)``. Not a pinyin dictionary: the
#: detector only has to strip ``(latin letters with tone marks )``.
FAKE_PINYIN: dict[str, tuple[str, bool]] = {
    "創": ("chuàng", True), "會": ("huì", True), "動": ("dòng", False), "實": ("shí", False),
    "進": ("jìn", False), "發": ("fā", False), "務": ("wù", False), "個": ("gè", False),
    "開": ("kāi", False), "點": ("diǎn", False), "時": ("shí", False), "問": ("wèn", False),
    "關": ("guān", False), "環": ("huán", False), "業": ("yè", False), "領": ("lǐng", False),
    "門": ("mén", False), "來": ("lái", False), "經": ("jīng", False), "長": ("cháng", False),
    "學": ("xué", False), "過": ("guò", False), "營": ("yíng", False), "質": ("zhì", False),
    "專": ("zhuān", False), "優": ("yōu", False), "態": ("tài", False), "聯": ("lián", False),
    "場": ("chǎng", False), "話": ("huà", False),
}

#: Site chrome seen around the seed pages (header lines, footer lines); shared by both
#: sides of a ``neg-chrome`` case and by nothing else.
CHROME: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (
        ("• 美文", "  • 文章", "  • 散文", "  • 日记", "  • 诗歌", "  • 小说", "  • 句子", "  • 作文",
         "  • 签名", "  • 范文", "  • 读后感", "  • 文学百科", "  • 当前位置: 柠檬阅读网 > 签名 > 正文"),
        ("上一篇 下一篇", "    • 文学百科", "    • 故事大全", "    • 优美句子", "    • 范文"),
    ),
    (
        ("三味园范文网 导航",),
        ("由互联网用户分享整理。", "转载请保留,谢谢!", "相关文章", "推荐文章", "© 三味园范文网 m.sanweiyuan.com",
         "友情链接: 华博范文网 妙笔智库"),
    ),
    (
        ("当前位置: 柠檬阅读网 > 范文 > 正文",),
        ("上一篇 下一篇", "推荐阅读文章", "推荐内容", "Copyright © 2015-2024 . 77范文网 版权所有",
         "Powered by 77范文网 © All Rights Reserved."),
    ),
)
STOCK_PHRASE = "党政主要负责人履行推进法治建设第一责任人职责"
#: Sentences that carry the stock phrase with different surroundings on each side.
STOCK_TEMPLATES: tuple[str, ...] = (
    "各级各部门要切实落实{p}，把法治建设摆在更加突出的位置。",
    "我们将认真贯彻{p}规定，推动各项任务落地见效。",
    "今年以来，全面开展{p}情况专项督查。",
    "要把{p}情况纳入年度考核，作为干部评价的重要依据。",
)
PLACE_NAMES = ("胶州", "鄂州", "利州", "广元", "永嘉", "毕节", "七星关", "楠溪江")
PLACE = re.compile("(" + "|".join(PLACE_NAMES) + ")(市|县|区)?")
YEAR = re.compile(r"(?<!\d)(?:19|20)\d{2}(?!\d)")
DATE = re.compile(r"\d{1,2}月\d{1,2}日")
SEP = "\n"


@dataclass(frozen=True)
class Material:
    """Paragraph sources: ``seeds`` maps a seed file to its clean simplified paragraphs;
    ``poems`` is a list of traditional poem texts (may be empty without the Tang data)."""

    seeds: dict[str, list[str]]
    poems: list[str]


@lru_cache(maxsize=2)
def _converter(config: str):  # type: ignore[no-untyped-def]
    import opencc

    return opencc.OpenCC(config)


def s2t(text: str) -> str:
    return _converter("s2t").convert(text)


def t2s(text: str) -> str:
    return _converter("t2s").convert(text)


@lru_cache(maxsize=None)
def _fold_char(ch: str) -> str:
    out = t2s(ch)
    return out if len(out) == 1 else ch


def fold(text: str) -> str:
    """Char-by-char traditional->simplified fold that keeps offsets (for the audit only)."""
    return "".join(_fold_char(ch) for ch in text)


def strip_ruby(text: str) -> str:
    return RUBY.sub("", text)


def clean_paragraphs(text: str, max_chars: int = 300) -> list[str]:
    """Body paragraphs of a seed page: lines that are real prose, cut into <= max_chars.

    A prose line has a Chinese full stop, is mostly CJK, and shows no mojibake (``?``,
    U+FFFD, private-use characters that seed 004's broken encoding left behind) and no
    ``...`` (teasers for other articles). This drops navigation, titles, timestamps, the
    "recommended" snippets and the spam line at the top of 004.
    """
    paragraphs: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if "。" not in line or MOJIBAKE.search(line) or len(line) < 30 or "..." in line or "…" in line:
            continue
        if len(CJK.findall(line)) < 0.6 * len(line):
            continue
        paragraphs.extend(_chunk(line, max_chars))
    return paragraphs


def _chunk(line: str, max_chars: int) -> list[str]:
    """Split a long paragraph at sentence ends so cases stay a few hundred chars long."""
    if len(line) <= max_chars:
        return [line]
    sentences = [s for s in re.split(r"(?<=[。！？])", line) if s]
    chunks: list[str] = []
    current = ""
    for sentence in sentences:
        if current and len(current) + len(sentence) > max_chars:
            chunks.append(current)
            current = ""
        current += sentence
    if current:
        chunks.append(current)
    return [c for c in chunks if len(c) >= 30]


def load_material(seeds_dir: Path | None = None, poems: Sequence[str] = ()) -> Material:
    """Seed paragraphs (simplified; 004 is de-rubied and converted) and optional poems.

    A paragraph that occurs in an earlier seed, or earlier in the same seed, is dropped:
    seed 004 is a compilation that repeats whole speeches.
    """
    seeds: dict[str, list[str]] = {}
    seen: set[str] = set()
    for path in sorted(find_seeds(seeds_dir).glob("*.txt")):
        text = path.read_text(encoding="utf-8", errors="replace")
        if RUBY.search(text):
            text = t2s(strip_ruby(text))
        kept = []
        for para in clean_paragraphs(text):
            if para not in seen:
                seen.add(para)
                kept.append(para)
        if kept:
            seeds[path.name] = kept
    return Material(seeds, list(poems))


# --- transformations -------------------------------------------------------------------


def light_edit(text: str, rng: random.Random, alphabet: str, edits: int) -> str:
    """A few substitutions, insertions and deletions at CJK positions (typos, OCR slips)."""
    chars = list(text)
    for _ in range(edits):
        positions = [i for i, ch in enumerate(chars) if CJK.match(ch)]
        if not positions:
            break
        i = rng.choice(positions)
        op = rng.choice(("sub", "ins", "del"))
        if op == "sub":
            chars[i] = rng.choice(alphabet)
        elif op == "ins":
            chars.insert(i, rng.choice(alphabet))
        else:
            del chars[i]
    return "".join(chars)


def blank_names(text: str) -> str:
    """Template-style blanking seen in the seeds: ``鄂州``->``xx市``, ``2018``->``20xx``."""
    text = PLACE.sub(lambda m: "xx" + (m.group(2) or "市"), text)
    text = DATE.sub("x月x日", text)
    return YEAR.sub("20xx", text)


def blankable(text: str) -> int:
    return len(PLACE.findall(text)) + len(YEAR.findall(text)) + len(DATE.findall(text))


def add_ruby(text: str, rng: random.Random, rate: float = 0.8) -> str:
    """Insert ``(pinyin )`` after table characters, as the 004 page does."""
    out: list[str] = []
    for ch in text:
        out.append(ch)
        entry = FAKE_PINYIN.get(ch)
        if entry and rng.random() < rate:
            out.append("(" + entry[0] + (" " if entry[1] else "") + ")")
    return "".join(out)


def convert_script(text: str) -> str:
    """Simplified text goes traditional and traditional goes simplified."""
    converted = s2t(text)
    return converted if converted != text else t2s(text)


# --- building blocks -------------------------------------------------------------------


def join_with_offsets(pieces: Sequence[str]) -> tuple[str, list[tuple[int, int]]]:
    """Join paragraphs with ``SEP`` and return each paragraph's [start, end)."""
    offsets: list[tuple[int, int]] = []
    pos = 0
    for i, piece in enumerate(pieces):
        if i:
            pos += len(SEP)
        offsets.append((pos, pos + len(piece)))
        pos += len(piece)
    return SEP.join(pieces), offsets


def pick_run(
    paragraphs: Sequence[str], rng: random.Random, min_chars: int, min_paras: int = 1, max_paras: int = 12
) -> list[str]:
    """Consecutive paragraphs from a random start until ``min_chars`` and ``min_paras`` are met
    (or ``max_paras`` is reached)."""
    start = rng.randrange(max(1, len(paragraphs) - min_paras + 1))
    run: list[str] = []
    total = 0
    for para in paragraphs[start : start + max_paras]:
        run.append(para)
        total += len(para)
        if total >= min_chars and len(run) >= min_paras:
            break
    return run


def _source_paragraphs(material: Material, rng: random.Random, use_poems: bool, exclude: str | None = None) -> tuple[str, list[str]]:
    if use_poems and material.poems:
        return "poems", material.poems
    names = [n for n in sorted(material.seeds) if n != exclude]
    name = rng.choice(names)
    return name, material.seeds[name]


def _shared_positions(x: str, y: str, k: int) -> tuple[set[int], set[int]]:
    """Start positions in x and in y of every k-gram the two (folded) texts share."""
    fx, fy = fold(x), fold(y)
    grams_x: dict[str, list[int]] = {}
    for i in range(len(fx) - k + 1):
        grams_x.setdefault(fx[i : i + k], []).append(i)
    hits_x: set[int] = set()
    hits_y: set[int] = set()
    for j in range(len(fy) - k + 1):
        starts = grams_x.get(fy[j : j + k])
        if starts:
            hits_x.update(starts)
            hits_y.add(j)
    return hits_x, hits_y


def audit(a: str, b: str, allowed_a: Sequence[tuple[int, int]], allowed_b: Sequence[tuple[int, int]], k: int = AUDIT_K) -> bool:
    """True when every k-gram shared by a and b has all its CJK characters inside the
    allowed regions (punctuation and line breaks at a region's edge do not count)."""
    hits_a, hits_b = _shared_positions(a, b, k)

    def covered(text: str, pos: int, regions: Sequence[tuple[int, int]]) -> bool:
        return all(
            any(s <= i < e for s, e in regions) for i in range(pos, pos + k) if CJK.match(text[i])
        )

    return all(covered(a, p, allowed_a) for p in hits_a) and all(covered(b, p, allowed_b) for p in hits_b)


@dataclass(frozen=True)
class Draft:
    """A case before ids are assigned, plus the regions the audit may see shared."""

    a: str
    b: str
    spans: tuple[Span, ...]
    duplicate: bool
    allowed_a: tuple[tuple[int, int], ...]
    allowed_b: tuple[tuple[int, int], ...]
    source: str


def _whole(a: str, b: str, source: str) -> Draft:
    return Draft(a, b, ((0, len(a), 0, len(b)),), True, ((0, len(a)),), ((0, len(b)),), source)


def draft_verbatim(m: Material, rng: random.Random) -> Draft:
    source, paras = _source_paragraphs(m, rng, rng.random() < 0.3)
    a, _ = join_with_offsets(pick_run(paras, rng, 250))
    return _whole(a, a, source)


def draft_light_edit(m: Material, rng: random.Random) -> Draft:
    source, paras = _source_paragraphs(m, rng, rng.random() < 0.3)
    a, _ = join_with_offsets(pick_run(paras, rng, 250))
    alphabet = "".join(sorted(set(CJK.findall(a))))
    b = light_edit(a, rng, alphabet, edits=rng.randint(3, 3 + len(a) // 100))
    return _whole(a, b, source)


def draft_blanked(m: Material, rng: random.Random) -> Draft:
    for _ in range(200):
        source, paras = _source_paragraphs(m, rng, False)
        a, _ = join_with_offsets(pick_run(paras, rng, 250))
        if blankable(a) >= 2:
            return _whole(a, blank_names(a), source)
    raise RuntimeError("no seed passage with names or years to blank")


def draft_script(m: Material, rng: random.Random) -> Draft:
    source, paras = _source_paragraphs(m, rng, rng.random() < 0.3)
    a, _ = join_with_offsets(pick_run(paras, rng, 250))
    return _whole(a, convert_script(a), source)


def draft_ruby(m: Material, rng: random.Random) -> Draft:
    source, paras = _source_paragraphs(m, rng, False)
    a, _ = join_with_offsets(pick_run(paras, rng, 250))
    return _whole(a, add_ruby(s2t(a), rng), source)


def draft_embedded(m: Material, rng: random.Random) -> Draft:
    """A passage of ``a`` (1-3 paragraphs) pasted between paragraphs of unrelated text."""
    use_poems = rng.random() < 0.3 and bool(m.poems)
    source, paras = _source_paragraphs(m, rng, use_poems)
    run = pick_run(paras, rng, 500, min_paras=3)
    a, offsets = join_with_offsets(run)
    first = rng.randrange(len(run))
    last = min(len(run), first + rng.randint(1, 3))
    copied = run[first:last]
    if use_poems:
        filler = pick_run(m.poems, rng, 3 * sum(map(len, copied)))
    else:
        _, other = _source_paragraphs(m, rng, False, exclude=source)
        filler = pick_run(other, rng, 3 * sum(map(len, copied)))
    cut = rng.randint(1, max(1, len(filler) - 1))
    b, b_offsets = join_with_offsets([*filler[:cut], *copied, *filler[cut:]])
    a_s, a_e = offsets[first][0], offsets[last - 1][1]
    b_s, b_e = b_offsets[cut][0], b_offsets[cut + len(copied) - 1][1]
    assert a[a_s:a_e] == b[b_s:b_e]
    return Draft(a, b, ((a_s, a_e, b_s, b_e),), True, ((a_s, a_e),), ((b_s, b_e),), source)


def draft_reordered(m: Material, rng: random.Random) -> Draft:
    """Paragraphs shuffled: one span per paragraph, so granularity is measurable."""
    source, paras = _source_paragraphs(m, rng, rng.random() < 0.3)
    run = pick_run(paras, rng, 400, min_paras=3)
    order = list(range(len(run)))
    while order == sorted(order):
        rng.shuffle(order)
    a, a_off = join_with_offsets(run)
    b, b_off = join_with_offsets([run[i] for i in order])
    position = {src: dst for dst, src in enumerate(order)}
    spans = tuple((*a_off[i], *b_off[position[i]]) for i in range(len(run)))
    for s in spans:
        assert a[s[0] : s[1]] == b[s[2] : s[3]]
    # All of a is reused, and paragraphs kept adjacent share grams across their seam.
    return Draft(a, b, spans, True, ((0, len(a)),), ((0, len(b)),), source)


def _two_bodies(m: Material, rng: random.Random) -> tuple[str, list[str], list[str]]:
    """Bodies from two different seeds: same topic (all seeds are rule-of-law speeches)."""
    name_a, paras_a = _source_paragraphs(m, rng, False)
    _, paras_b = _source_paragraphs(m, rng, False, exclude=name_a)
    return name_a, pick_run(paras_a, rng, 250), pick_run(paras_b, rng, 250)


def _framed(header: Sequence[str], body: Sequence[str], footer: Sequence[str]) -> tuple[str, list[tuple[int, int]]]:
    """Header + body + footer lines, returning the header block and footer block regions
    (whole blocks, so a gram that runs across two chrome lines is still chrome)."""
    text, offsets = join_with_offsets([*header, *body, *footer])
    head = (offsets[0][0], offsets[len(header) - 1][1])
    foot = (offsets[len(header) + len(body)][0], offsets[-1][1])
    return text, [head, foot]


def draft_neg_chrome(m: Material, rng: random.Random) -> Draft:
    header, footer = rng.choice(CHROME)
    source, body_a, body_b = _two_bodies(m, rng)
    a, chrome_a = _framed(header, body_a, footer)
    b, chrome_b = _framed(header, body_b, footer)
    return Draft(a, b, (), False, tuple(chrome_a), tuple(chrome_b), source)


def _with_phrase(body: list[str], sentence: str, rng: random.Random) -> tuple[str, tuple[int, int]]:
    i = rng.randrange(len(body) + 1)
    text, offsets = join_with_offsets([*body[:i], sentence, *body[i:]])
    start = offsets[i][0] + sentence.index(STOCK_PHRASE)
    return text, (start, start + len(STOCK_PHRASE))


def draft_neg_phrase(m: Material, rng: random.Random) -> Draft:
    """Two speeches that share only the stock phrase, inside different sentences."""
    source, body_a, body_b = _two_bodies(m, rng)
    ta, tb = rng.sample(STOCK_TEMPLATES, 2)
    a, region_a = _with_phrase(body_a, ta.format(p=STOCK_PHRASE), rng)
    b, region_b = _with_phrase(body_b, tb.format(p=STOCK_PHRASE), rng)
    return Draft(a, b, (), False, (region_a,), (region_b,), source)


def draft_neg_topic(m: Material, rng: random.Random) -> Draft:
    source, body_a, body_b = _two_bodies(m, rng)
    a, _ = join_with_offsets(body_a)
    b, _ = join_with_offsets(body_b)
    return Draft(a, b, (), False, (), (), source)


DRAFTERS: dict[str, Callable[[Material, random.Random], Draft]] = {
    "verbatim": draft_verbatim,
    "light-edit": draft_light_edit,
    "blanked": draft_blanked,
    "script": draft_script,
    "ruby": draft_ruby,
    "embedded": draft_embedded,
    "reordered": draft_reordered,
    "neg-chrome": draft_neg_chrome,
    "neg-phrase": draft_neg_phrase,
    "neg-topic": draft_neg_topic,
}


def make_case(kind: str, index: int, material: Material, rng: random.Random, tries: int = 100) -> Case:
    """Draw until the audit passes; raise rather than emit a case with unlabelled reuse."""
    for attempt in range(tries):
        draft = DRAFTERS[kind](material, rng)
        if draft.a != draft.b or kind == "verbatim":
            if audit(draft.a, draft.b, draft.allowed_a, draft.allowed_b):
                prefix = f"gen{index:04d}-{kind}"
                return Case(kind, Doc(prefix + "/a", draft.a), Doc(prefix + "/b", draft.b), draft.spans,
                            draft.duplicate, {"source": draft.source, "attempts": attempt + 1})
    raise RuntimeError(f"could not draw an audited {kind} case in {tries} tries")


def generate(material: Material, seed: int = 0, per_kind: int = 20, kinds: Sequence[str] = ALL_KINDS) -> list[Case]:
    """``per_kind`` cases of every kind, deterministic given ``seed`` and the material.

    Each kind gets its own RNG stream so that adding a kind does not reshuffle the others.
    """
    cases: list[Case] = []
    for k_index, kind in enumerate(kinds):
        rng = random.Random(f"{seed}:{kind}")
        for i in range(per_kind):
            cases.append(make_case(kind, k_index * per_kind + i, material, rng))
    return cases


def main(argv: Sequence[str] | None = None) -> None:
    """Write generated cases as JSON lines, the same ones run.py builds for this seed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--per-kind", type=int, default=20)
    parser.add_argument("--seeds-dir", type=Path)
    parser.add_argument("--out", type=Path, help="JSON lines file (default: stdout)")
    parser.add_argument("--no-poems", action="store_true", help="seed pages only, even if the Tang data is there")
    args = parser.parse_args(argv)
    poems: list[str] = []
    if not args.no_poems:
        from benchmarks.quality import tang

        try:
            editions = tang.load_editions()
            poems = [w.pt_text for w in tang.match_editions(editions.poet_tang, editions.yuding)]
        except FileNotFoundError:
            pass
    cases = generate(load_material(args.seeds_dir, poems), args.seed, args.per_kind)
    lines = [json.dumps(c.to_dict(), ensure_ascii=False) for c in cases]
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    else:
        print("\n".join(lines))


if __name__ == "__main__":
    main()
