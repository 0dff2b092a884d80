"""Real near-duplicates from two independent transcriptions of the Complete Tang Poems.

The labels come from editorial metadata only (author + title), never from text
similarity, so a detector cannot be graded by a yardstick built like itself:

* ``全唐诗/poet.tang.*.json`` splits a multi-part poem into records titled ``... 一``,
  ``... 二``; ``御定全唐詩/json/NNN.json`` usually keeps it as one record. We strip the
  part number, group by ``(author, base_title)`` and pair the group with the 御定 record
  of the same ``(author, title)``.
* Titles that are not unique per author in either edition (``句``, ``無題``...) are
  dropped: they pair different poems that merely share a generic title.
* Hard negatives pair a poem with a *different* poem by the same author (same style,
  vocabulary and edition quirks), which is what makes them hard.
* The simplified 水墨唐诗 poems are an anthology's, cited by short titles; the extra
  rules that keep their labels editorial are in ``script_pair_cases``.

Run ``python -m benchmarks.quality.tang`` for the pair counts and the char-5-gram
Jaccard profile of positives against hard negatives.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import statistics
import tarfile
import tempfile
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from benchmarks.quality.common import DEFAULT_CACHE, Case, Doc, char_ngrams, find_archive, jaccard, whole_span

PART_NUMBER = re.compile(r"\s+[一二三四五六七八九十百]+$")
UNPACKED_DIR = "zh-poetry-tang-editions"
#: Separator between poems of a volume document: a line break, as in a printed volume.
VOLUME_SEP = "\n"


@dataclass(frozen=True, slots=True)
class Poem:
    """One record of one edition; ``ref`` locates it (file and index) for debugging."""

    author: str
    title: str
    paragraphs: tuple[str, ...]
    ref: str

    @property
    def text(self) -> str:
        """The document text the data README prescribes: title, then the lines run together."""
        return self.title + "".join(self.paragraphs)


@dataclass(frozen=True, slots=True)
class Work:
    """A poem present in both editions under one unique ``(author, title)``.

    ``pt_text`` joins the poet.tang parts in file order under the base title, so a
    multi-part poem compares whole against the 御定 record.
    """

    author: str
    title: str
    pt_text: str
    yd: Poem
    volume: str

    @property
    def pt_id(self) -> str:
        return f"pt:{self.author}:{self.title}"

    @property
    def yd_id(self) -> str:
        return f"yd:{self.author}:{self.title}"

    @property
    def pt_doc(self) -> Doc:
        return Doc(self.pt_id, self.pt_text)

    @property
    def yd_doc(self) -> Doc:
        return Doc(self.yd_id, self.yd.text)


@dataclass(frozen=True)
class Editions:
    poet_tang: tuple[Poem, ...]
    yuding: tuple[Poem, ...]
    shuimo: tuple[Poem, ...]
    root: Path


def unpack(archive: Path, cache_dir: Path = DEFAULT_CACHE) -> Path:
    """Unpack the archive once into ``cache_dir`` (gitignored) and return the data root.

    Extraction goes to a temporary sibling first and is renamed into place, so an
    interrupted run never leaves a half-unpacked tree that later runs would trust.
    """
    target = cache_dir / UNPACKED_DIR
    marker = target / ".unpacked"
    if marker.is_file() and marker.read_text(encoding="utf-8") == archive.name:
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".unpack-", dir=cache_dir))
    try:
        with tarfile.open(archive, "r:xz") as tar:
            tar.extractall(tmp, filter="data")
        (tmp / ".unpacked").write_text(archive.name, encoding="utf-8")
        if target.exists():
            shutil.rmtree(target)
        tmp.rename(target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    return target


def _poem(record: dict, ref: str) -> Poem:
    return Poem(
        author=record.get("author") or "",
        title=record.get("title") or "",
        paragraphs=tuple(record.get("paragraphs") or ()),
        ref=ref,
    )


def load_poet_tang(root: Path) -> list[Poem]:
    """poet.tang records in numeric file order, which keeps the parts of a poem in order."""
    files = sorted((root / "全唐诗").glob("poet.tang.*.json"), key=lambda p: int(p.name.split(".")[2]))
    poems: list[Poem] = []
    for path in files:
        for i, record in enumerate(json.loads(path.read_text(encoding="utf-8"))):
            poems.append(_poem(record, f"{path.name}#{i}"))
    return poems


def load_yuding(root: Path) -> list[Poem]:
    """御定全唐詩 records; ``ref`` is ``NNN.json#i`` so the volume file is recoverable."""
    poems: list[Poem] = []
    for path in sorted((root / "御定全唐詩" / "json").glob("*.json")):
        for i, record in enumerate(json.loads(path.read_text(encoding="utf-8"))):
            poems.append(_poem(record, f"{path.name}#{i}"))
    return poems


def load_shuimo(root: Path) -> list[Poem]:
    path = root / "水墨唐诗" / "shuimotangshi.json"
    return [_poem(r, f"{path.name}#{i}") for i, r in enumerate(json.loads(path.read_text(encoding="utf-8")))]


def load_editions(archive: Path | None = None, cache_dir: Path = DEFAULT_CACHE) -> Editions:
    """Unpack (if needed) and load all three collections."""
    found = find_archive(archive)
    if found is None:
        raise FileNotFoundError("zh-poetry-tang-editions.tar.xz not found; pass --archive")
    root = unpack(found, cache_dir)
    return Editions(tuple(load_poet_tang(root)), tuple(load_yuding(root)), tuple(load_shuimo(root)), root)


def base_title(title: str) -> str:
    """``帝京篇十首 一`` -> ``帝京篇十首``: the rule from the data README."""
    return PART_NUMBER.sub("", title)


def match_editions(poet_tang: Sequence[Poem], yuding: Sequence[Poem]) -> list[Work]:
    """Pair poet.tang groups with 御定 records; only unambiguous titles survive.

    A group is dropped when its title is not unique for the author in 御定, when any of
    its raw poet.tang titles repeats (``句`` twice), or when it mixes an unnumbered record
    with numbered parts (two different poems that happen to reduce to one title).
    """
    groups: dict[tuple[str, str], list[Poem]] = defaultdict(list)
    for poem in poet_tang:
        groups[(poem.author, base_title(poem.title))].append(poem)
    raw_counts = Counter((p.author, p.title) for p in poet_tang)
    yd_counts = Counter((p.author, p.title) for p in yuding)
    works: list[Work] = []
    for yd in yuding:
        key = (yd.author, yd.title)
        parts = groups.get(key)
        if not parts or yd_counts[key] != 1:
            continue
        if any(raw_counts[(p.author, p.title)] != 1 for p in parts):
            continue
        if len(parts) > 1 and any(p.title == key[1] for p in parts):
            continue
        text = key[1] + "".join("".join(p.paragraphs) for p in parts)
        works.append(Work(yd.author, yd.title, text, yd, yd.ref.split("#")[0]))
    return works


def _by_author(works: Iterable[Work]) -> dict[str, list[Work]]:
    index: dict[str, list[Work]] = defaultdict(list)
    for work in works:
        index[work.author].append(work)
    return index


LINE_SPLIT = re.compile(r"[，。！？；：、,.!?;:\s]+")


def _lines(text: str) -> set[str]:
    return {line for line in LINE_SPLIT.split(text) if len(line) >= 5}


@lru_cache(maxsize=None)
def _work_lines(work: Work) -> frozenset[str]:
    return frozenset(_lines(work.pt_text.removeprefix(work.title)) | _lines(work.yd.text.removeprefix(work.title)))


def shares_line(x: Work, y: Work) -> bool:
    """True when two works share a whole verse line (5+ chars between punctuation).

    The editions sometimes hold one poem under two titles by the same author
    (``席上戲東川楊尚書`` / ``又忤楊尚書詩``); such a pair must not become a negative.
    A shared verse line is an editorial criterion, not the detectors' shingle measure.
    """
    return bool(_work_lines(x) & _work_lines(y))


def _pick_negative(work: Work, same_author: Sequence[Work], rng: random.Random, tries: int = 20) -> Work | None:
    """A random other work by the author sharing no verse line; rejection sampling keeps it O(1)."""
    if len(same_author) < 2:
        return None
    for _ in range(tries):
        other = same_author[rng.randrange(len(same_author))]
        if other.title != work.title and not shares_line(work, other):
            return other
    return None


def tang_pair_cases(works: Sequence[Work], seed: int = 0, limit: int | None = None) -> list[Case]:
    """Positives (poet.tang group vs 御定 record) and one same-author hard negative each.

    ``limit`` samples that many positives (deterministically from ``seed``); a negative
    is added for every sampled work whose author has another matched work. The negative
    pairs the poet.tang text of one poem with the 御定 text of another, so both sides
    carry the same edition differences as the positives do.
    """
    rng = random.Random(seed)
    chosen = list(works) if limit is None or limit >= len(works) else rng.sample(list(works), limit)
    by_author = _by_author(works)
    cases: list[Case] = []
    for work in chosen:
        cases.append(
            Case("tang-edition", work.pt_doc, work.yd_doc, (whole_span(work.pt_doc, work.yd_doc),), True,
                 {"author": work.author, "title": work.title, "volume": work.volume})
        )
    for work in chosen:
        other = _pick_negative(work, by_author[work.author], rng)
        if other is None:
            continue
        cases.append(
            Case("tang-same-author", work.pt_doc, other.yd_doc, (), False,
                 {"author": work.author, "title": work.title, "other_title": other.title})
        )
    return cases


@lru_cache(maxsize=1)
def _converter(config: str):  # type: ignore[no-untyped-def]
    import opencc

    return opencc.OpenCC(config)


def t2s(text: str) -> str:
    return _converter("t2s").convert(text)


#: The twelve sections of Guo Maoqian's 樂府詩集 (simplified, as titles are compared after
#: t2s). 全唐诗's 樂府 volumes print one before the title (``相和歌辭 江南曲``,
#: ``相和歌辭：江南曲``); it files the poem, it does not name it.
YUEFU_SECTIONS = (
    "郊庙歌辞", "燕射歌辞", "鼓吹曲辞", "横吹曲辞", "相和歌辞", "清商曲辞",
    "舞曲歌辞", "琴曲歌辞", "杂曲歌辞", "近代曲辞", "杂歌谣辞", "新乐府辞",
)
SECTION_PREFIX = re.compile(rf"^(?:{'|'.join(YUEFU_SECTIONS)})[\s：:]*")
#: A count closing a title says it names a group of poems: ``宫词五首``, ``池上二绝``,
#: ``江畔独步寻花七绝句``, ``古筑城曲（二首）``, ``诗三章``. (``二十韵`` counts rhymes of one
#: poem, so it is not here.)
GROUP_COUNT = re.compile(r"[（(]?[一二三四五六七八九十百]+(?:首|章|绝句|绝)[）)]?$")

Key = tuple[str, str]


def core_title(title: str) -> str:
    """The name a reader cites a poem by: no 樂府 section, no group count.

    An anthology cites ``宫词`` for the second of 顧況's ``宮詞五首`` and ``江南曲`` for
    李益's ``相和歌辭：江南曲``, while both editions also hold a different poem titled
    exactly ``宮詞`` / ``江南曲``. Uniqueness must therefore be judged on this core name.
    A title that is nothing but a count (``三绝句``) is its own name.
    """
    unfiled = SECTION_PREFIX.sub("", title)
    return GROUP_COUNT.sub("", unfiled) or unfiled


def is_group_title(title: str) -> bool:
    return GROUP_COUNT.search(title) is not None


def first_line(paragraphs: Sequence[str]) -> str:
    """The incipit: how anthologies index a poem when its title is spelled differently."""
    return next((line for line in LINE_SPLIT.split("".join(paragraphs)) if line), "")


@dataclass(frozen=True)
class ScriptIndex:
    """The traditional editions keyed by simplified ``(author, title)``, and every count the
    labelling rules need (all built once, all after OpenCC t2s)."""

    yuding: dict[Key, list[Poem]]
    pt_groups: dict[Key, list[Poem]]
    #: works per simplified (author, core title), on each side: 御定 records, poet.tang
    #: groups, raw poet.tang titles (``句`` twice is two works), 水墨 poems
    core_counts: tuple[Counter[Key], ...]
    #: (author, incipit of part 一) -> number of parts, for poet.tang groups of several parts
    parts_by_incipit: dict[Key, int]
    yd_by_author: dict[str, list[Poem]]


def script_index(editions: Editions) -> ScriptIndex:
    """Built once per run: the rules look every 水墨 poem up on every side."""
    yuding: dict[Key, list[Poem]] = defaultdict(list)
    yd_by_author: dict[str, list[Poem]] = defaultdict(list)
    for poem in editions.yuding:
        yuding[(t2s(poem.author), t2s(poem.title))].append(poem)
        yd_by_author[t2s(poem.author)].append(poem)
    pt_groups: dict[Key, list[Poem]] = defaultdict(list)
    for poem in editions.poet_tang:
        pt_groups[(t2s(poem.author), t2s(base_title(poem.title)))].append(poem)
    parts_by_incipit = {
        (author, t2s(first_line(parts[0].paragraphs))): len(parts)
        for (author, _), parts in pt_groups.items()
        if len(parts) > 1 and all(p.title != base_title(p.title) for p in parts)
    }
    core_counts = (
        Counter((t2s(p.author), core_title(t2s(p.title))) for p in editions.yuding),
        Counter((author, core_title(title)) for author, title in pt_groups),
        Counter((t2s(p.author), core_title(t2s(p.title))) for p in editions.poet_tang),
        Counter((p.author, core_title(p.title)) for p in editions.shuimo),
    )
    return ScriptIndex(yuding, pt_groups, core_counts, parts_by_incipit, yd_by_author)


def _core_is_unique(key: Key, index: ScriptIndex) -> bool:
    """The data README's rule (a title occurring once per author), on every side the key is
    matched against and on the core name, so a short title cannot pick the wrong poem."""
    core = (key[0], core_title(key[1]))
    return all(counts[core] <= 1 for counts in index.core_counts)


def _traditional_match(poem: Poem, index: ScriptIndex) -> tuple[Doc, int] | None:
    """The traditional record of a 水墨 poem and how many poems it holds: 御定 first, else
    the poet.tang group (parts joined under the base title)."""
    key = (poem.author, poem.title)
    if key in index.yuding:
        (record,) = index.yuding[key]  # unique: _core_is_unique checked it
        by_incipit = index.parts_by_incipit.get((key[0], t2s(first_line(record.paragraphs))), 1)
        return Doc(f"yd:{record.ref}", record.text), max(by_incipit, len(index.pt_groups.get(key, ())))
    parts = index.pt_groups.get(key)
    if not parts:
        return None
    text = base_title(parts[0].title) + "".join("".join(p.paragraphs) for p in parts)
    return Doc(f"pt:{parts[0].ref}", text), len(parts)


def _script_negative(poem: Poem, index: ScriptIndex, rng: random.Random) -> Poem | None:
    """A 御定 poem by the same author under another core title sharing no verse line: the
    editions hold some poems under two titles (``江南曲`` / ``江南詞``), never a negative."""
    own = _lines("".join(poem.paragraphs))
    others = [
        p for p in index.yd_by_author.get(poem.author, [])
        if core_title(t2s(p.title)) != core_title(poem.title) and not own & _lines(t2s("".join(p.paragraphs)))
    ]
    return rng.choice(sorted(others, key=lambda p: p.ref)) if others else None


def script_pair_cases(editions: Editions, seed: int = 0) -> list[Case]:
    """Simplified (水墨唐诗) vs traditional records: the 繁/简 conversion test.

    A 水墨 poem is matched by ``(author, title)`` after converting the traditional side
    with OpenCC t2s, first against 御定 and then against poet.tang groups. The labels
    come from editorial metadata only, never from comparing the two texts:

    * the key must name one work on *every* side (水墨, 御定, poet.tang raw titles and
      groups), as ``match_editions`` requires and the data README prescribes;
    * judged on the core title (``core_title``): 水墨 is an anthology and cites poems by
      their short names, which also belong to other poems of the author;
    * whole against whole: a 水墨 poem (one poem, unless its title counts a group) is not
      paired with a record holding a group of poems. poet.tang splits groups into
      numbered parts, and its group is found by title or, since the editions may spell
      a title differently (孤鴈/孤雁), by the 御定 record's first line.

    Each match gets a same-author negative (``_script_negative``).
    """
    rng = random.Random(seed)
    index = script_index(editions)
    cases: list[Case] = []
    for poem in editions.shuimo:
        if not _core_is_unique((poem.author, poem.title), index):
            continue
        match = _traditional_match(poem, index)
        if match is None:
            continue
        trad, poems = match
        if poems > 1 and not is_group_title(poem.title):
            continue
        simp = Doc(f"sm:{poem.author}:{poem.title}", poem.text)
        cases.append(Case("script-s2t", simp, trad, (whole_span(simp, trad),), True,
                          {"author": poem.author, "title": poem.title}))
        other = _script_negative(poem, index, rng)
        if other is not None:
            neg = Doc(f"yd:{other.ref}", other.text)
            cases.append(Case("script-same-author", simp, neg, (), False,
                              {"author": poem.author, "title": poem.title, "other_title": other.title}))
    return cases


def volume_doc(records: Sequence[Poem], volume: str) -> tuple[Doc, dict[str, tuple[int, int]]]:
    """A whole 御定 volume as one document, and where each record sits in it.

    We build the text ourselves (records joined by ``VOLUME_SEP``), so every offset is
    exact by construction rather than found by searching.
    """
    pieces: list[str] = []
    offsets: dict[str, tuple[int, int]] = {}
    pos = 0
    for poem in records:
        if pieces:
            pieces.append(VOLUME_SEP)
            pos += len(VOLUME_SEP)
        text = poem.text
        offsets[poem.ref] = (pos, pos + len(text))
        pieces.append(text)
        pos += len(text)
    return Doc(f"vol:{volume}", "".join(pieces)), offsets


def passage_groups(
    works: Sequence[Work], yuding: Sequence[Poem], seed: int = 0, volumes: int = 10
) -> list[list[Case]]:
    """Passage-level cases: each matched poet.tang poem against its whole 御定 volume.

    One group per sampled volume (a detector runs on the volume plus its poems at once);
    the span is the full poem in ``a`` against the record's ``[start, end)`` in the volume.
    Each group also gets as many hard negatives: poems from *other* volumes by authors of
    this volume, sharing no verse line with it.
    """
    rng = random.Random(seed)
    records_by_volume: dict[str, list[Poem]] = defaultdict(list)
    for poem in yuding:
        records_by_volume[poem.ref.split("#")[0]].append(poem)
    works_by_volume: dict[str, list[Work]] = defaultdict(list)
    for work in works:
        works_by_volume[work.volume].append(work)
    names = sorted(works_by_volume)
    chosen = sorted(rng.sample(names, min(volumes, len(names))))
    groups: list[list[Case]] = []
    for name in chosen:
        vol, offsets = volume_doc(records_by_volume[name], name.removesuffix(".json"))
        group: list[Case] = []
        for work in works_by_volume[name]:
            start, end = offsets[work.yd.ref]
            assert vol.text[start:end] == work.yd.text
            pt = work.pt_doc
            group.append(Case("tang-passage", pt, vol, ((0, len(pt.text), start, end),), True,
                              {"author": work.author, "title": work.title, "volume": name}))
        group += _passage_negatives(vol, works_by_volume[name], works, rng, len(group))
        groups.append(group)
    return groups


def _passage_negatives(
    vol: Doc, inside: Sequence[Work], works: Sequence[Work], rng: random.Random, count: int
) -> list[Case]:
    authors = {w.author for w in inside}
    volume = inside[0].volume
    vol_lines = _lines(vol.text)
    pool = [w for w in works if w.author in authors and w.volume != volume]
    negatives: list[Case] = []
    for work in rng.sample(pool, min(len(pool), 3 * count)):
        if len(negatives) == count:
            break
        if _work_lines(work) & vol_lines:
            continue
        negatives.append(Case("tang-passage-neg", work.pt_doc, vol, (), False,
                              {"author": work.author, "title": work.title, "volume": work.volume}))
    return negatives


def jaccard_profile(cases: Iterable[Case], n: int = 5) -> dict[str, dict[str, float]]:
    """Char-n-gram Jaccard quantiles of positives vs negatives: how hard the labels are."""
    values: dict[str, list[float]] = {"positive": [], "negative": []}
    for case in cases:
        j = jaccard(char_ngrams(case.a.text, n), char_ngrams(case.b.text, n))
        values["positive" if case.duplicate else "negative"].append(j)
    return {name: _quantiles(v) for name, v in values.items() if v}


def _quantiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)

    def q(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))]

    return {
        "n": len(ordered),
        "p5": q(0.05),
        "p25": q(0.25),
        "median": statistics.median(ordered),
        "p95": q(0.95),
        "max": ordered[-1],
        "mean": statistics.fmean(ordered),
    }


def main(argv: Sequence[str] | None = None) -> None:
    """Print the pairing counts and the Jaccard profile (the figures the README quotes)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archive", type=Path)
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--limit", type=int)
    args = parser.parse_args(argv)
    editions = load_editions(args.archive, args.cache)
    works = match_editions(editions.poet_tang, editions.yuding)
    cases = tang_pair_cases(works, args.seed, args.limit)
    script = script_pair_cases(editions, args.seed)
    report = {
        "poet_tang_records": len(editions.poet_tang),
        "yuding_records": len(editions.yuding),
        "matched_works": len(works),
        "positives": sum(c.duplicate for c in cases),
        "hard_negatives": sum(not c.duplicate for c in cases),
        "char5_jaccard": jaccard_profile(cases),
        "script_positives": sum(c.duplicate for c in script),
        "script_negatives": sum(not c.duplicate for c in script),
        "script_char5_jaccard": jaccard_profile(script),
    }
    print(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
