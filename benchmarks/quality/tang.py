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


def script_pair_cases(editions: Editions, seed: int = 0) -> list[Case]:
    """Simplified (水墨唐诗) vs traditional records: the 繁/简 conversion test.

    A 水墨 poem is matched by ``(author, title)`` after converting the traditional side
    with OpenCC t2s, first against 御定 and then against poet.tang groups, and kept only
    when the converted key is unique there. Each match gets a same-author negative.
    """
    rng = random.Random(seed)
    yd_index: dict[tuple[str, str], list[Poem]] = defaultdict(list)
    for poem in editions.yuding:
        yd_index[(t2s(poem.author), t2s(poem.title))].append(poem)
    pt_groups: dict[tuple[str, str], list[Poem]] = defaultdict(list)
    for poem in editions.poet_tang:
        pt_groups[(t2s(poem.author), t2s(base_title(poem.title)))].append(poem)
    pt_title_counts = Counter((t2s(p.author), t2s(p.title)) for p in editions.poet_tang)
    yd_by_author: dict[str, list[Poem]] = defaultdict(list)
    for poem in editions.yuding:
        yd_by_author[t2s(poem.author)].append(poem)

    cases: list[Case] = []
    for poem in editions.shuimo:
        key = (poem.author, poem.title)
        simp = Doc(f"sm:{poem.author}:{poem.title}", poem.text)
        if len(yd_index.get(key, [])) == 1:
            trad_poem = yd_index[key][0]
            trad = Doc(f"yd:{trad_poem.ref}", trad_poem.text)
        elif key in pt_groups and all(pt_title_counts[(t2s(p.author), t2s(p.title))] == 1 for p in pt_groups[key]):
            parts = pt_groups[key]
            if len(parts) > 1 and any(t2s(p.title) == poem.title for p in parts):
                continue
            first = parts[0]
            title = base_title(first.title)
            trad = Doc(f"pt:{first.ref}", title + "".join("".join(p.paragraphs) for p in parts))
        else:
            continue
        cases.append(Case("script-s2t", simp, trad, (whole_span(simp, trad),), True,
                          {"author": poem.author, "title": poem.title}))
        others = [p for p in yd_by_author.get(poem.author, []) if t2s(p.title) != poem.title]
        if others:
            other = rng.choice(sorted(others, key=lambda p: p.ref))
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
