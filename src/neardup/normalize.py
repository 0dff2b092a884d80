"""Text -> matching form, with an exact map back to the original offsets.

Copies of a Chinese speech differ in ways that say nothing about copying: traditional
vs simplified characters, variant forms of one character (``劒``/``劍``/``剑``,
``疎``/``疏``) that OpenCC leaves alone, full-width forms, pinyin ruby glosses left behind by a web
page (``創(chuàng )建``), punctuation and spacing, and blanks left for the next user
(``xx市``, ``20xx年``, ``X县``). Matching ignores all of them. Each normalised
character remembers the original span ``[start, end)`` it came from, so every result
can be reported in the user's own text.

The per-character mapping (NFKC, case folding, OpenCC t2s, dropping punctuation) is
computed once per distinct character and kept as a lookup table over all code points:
normalising is then one numpy gather over the text's code points, and the offset map is
the positions of the characters kept. Characters that map to several (``㈱`` -> ``(株)``)
take ``str.translate`` and ``np.repeat`` instead. The regular expressions for ruby glosses
and placeholders run only on texts that contain a character they need.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from neardup.config import NormalizeConfig

__all__ = ["SLOT", "VARIANTS", "Normalized", "code_points", "normalize"]

#: What a run of placeholder characters folds to (a private-use code point, so it
#: never collides with real text).
SLOT = "\ue000"

_PINYIN = "a-zāáǎàēéěèêīíǐìōóǒòūúǔùǖǘǚǜüńňǹḿ"
_RUBY = re.compile(rf"(?<=[\u3400-\u9fff\uf900-\ufaff])\([{_PINYIN}]{{1,7}}\s?\)")
# Blanks left in templates: x/X/×/*/某/○/□ runs, possibly mixed with digits (20xx,
# 202x), but not letters inside a Latin word. Applied after case folding and NFKC.
_PLACEHOLDER_CHARS = "x×*某○□"
_PLACEHOLDER = re.compile(r"(?<![a-wyz])[0-9]*[x×*某○□]+(?:[0-9]*[x×*某○□]+)*[0-9]*(?![a-wyz])")
_KEEP_SYMBOLS = frozenset(_PLACEHOLDER_CHARS + SLOT)

#: Variant characters (异体字) -> the standard simplified form, applied after OpenCC t2s,
#: which keeps them as they are. Measured, not guessed: the pairs that the two Tang
#: editions of benchmarks/quality (全唐诗 vs 御定全唐詩, 8,000 poems) most often
#: disagree on, character for character, after t2s, kept where both are one character
#: with one meaning (not 宁/甯, 皇/凰, 州/洲). Keys and values are left alone by t2s and
#: no value is a key, so folding is idempotent. ``沈`` the surname also folds to ``沉``:
#: harmless for matching, which compares both sides folded alike.
VARIANTS: dict[str, str] = {
    pair[0]: pair[1]
    for pair in (
        "疎疏 劒剑 沈沉 鴈雁 猨猿 慙惭 鬬斗 祗只 秪只 秖只 祇只 嬾懒 媿愧 徧遍 堦阶 櫂棹 斾旆 飜翻 蘂蕊 髪发 "
        "臯皋 煖暖 覩睹 暎映 廻回 珮佩 褭袅 棃梨 巵卮 妬妒 埽扫 逈迥 歛敛 呌叫 竝并 顇悴 罇樽 隣邻 遰递 桮杯 "
        "顦憔 僊仙 髣仿 髴佛 簷檐 峩峨 檝楫 燄焰 荅答 鸎莺 緜绵 鏁锁 垅垄 帬裙 牋笺 藂丛 鵶鸦 𫏐暂 隄堤 壻婿 "
        "筿筱 麤粗 粧妆 汚污 牕窗 栢柏 缾瓶 牓榜 翦剪 𬬻炉 毬球 飡餐 搆构 懽欢 筯箸 穉稚 羇羁 邨村 蔕蒂 懃勤 "
        "碁棋 讐雠 轝舆 罏垆 悮误 盌碗 賸剩 趂趁 窓窗 衞卫 輙辄 揜掩 澣浣 䜩宴 効效 諠喧 徴征 窱窕 虵蛇 嵒岩 "
        "怱匆 輭软 欵款 穽阱 筭算 蕚萼 攲欹 槃盘 椀碗 鼇鳌 瓌瑰 鼈鳖 謌歌 彊强 秔粳 翺翱 嶤峣 恡吝 著着 遝沓 "
        "阪坂 薰熏"
    ).split()
}
_VARIANT_TABLE = str.maketrans(VARIANTS)


@dataclass(frozen=True, slots=True)
class Normalized:
    """Normalised text and, per normalised character, its original ``[start, end)``."""

    text: str
    start: npt.NDArray[np.int64]
    end: npt.NDArray[np.int64]

    def original_span(self, norm_start: int, norm_end: int) -> tuple[int, int]:
        """Original ``[start, end)`` covering normalised ``[norm_start, norm_end)``."""
        if norm_end <= norm_start:
            raise ValueError(f"empty normalised range [{norm_start}, {norm_end})")
        return int(self.start[norm_start]), int(self.end[norm_end - 1])


@lru_cache(maxsize=None)
def _converter(name: str):  # type: ignore[no-untyped-def]
    import opencc

    return opencc.OpenCC(name)


# Lookup-table values that are not code points (those stop at 0x10FFFF).
_UNKNOWN = np.uint32(0xFFFFFFFD)  # not mapped yet
_SEVERAL = np.uint32(0xFFFFFFFE)  # maps to two or more characters
_DROP = np.uint32(0xFFFFFFFF)  # maps to nothing


class _CharTable:
    """Per-character mapping for one NormalizeConfig, grown as new characters appear.

    ``table`` (for ``str.translate``) and ``lut`` (code point -> code point, or one of
    the markers above) always agree.
    """

    def __init__(self, config: NormalizeConfig) -> None:
        self.config = config
        self.table: dict[int, str] = {}
        self.not_one: set[str] = set()  # characters that map to zero or several
        self.lut = np.full(0x110000, _UNKNOWN, dtype=np.uint32)
        self.lengths = np.zeros(0x110000, dtype=np.int64)

    def extend(self, chars: set[str]) -> None:
        new = sorted(c for c in chars if ord(c) not in self.table)
        if not new:
            return
        mapped = [self._local(c) for c in new]
        if self.config.t2s:
            # One OpenCC call for all new characters; one per line keeps it char-level.
            joined = "\n".join(mapped).replace("\n\n", "\n\u2060\n") if "" in mapped else "\n".join(mapped)
            converted = _converter("t2s").convert(joined).split("\n")
            if len(converted) == len(mapped):
                mapped = [c.replace("\u2060", "") for c in converted]
        if self.config.fold_variants:
            mapped = [c.translate(_VARIANT_TABLE) for c in mapped]
        for char, out in zip(new, mapped):
            code = ord(char)
            self.table[code] = out
            self.lengths[code] = len(out)
            self.lut[code] = ord(out) if len(out) == 1 else (_DROP if not out else _SEVERAL)
            if len(out) != 1:
                self.not_one.add(char)

    def _local(self, char: str) -> str:
        out = unicodedata.normalize("NFKC", char)
        if self.config.casefold:
            out = out.casefold()
        if self.config.drop_punctuation:
            out = "".join(c for c in out if c in _KEEP_SYMBOLS or _is_content(c))
        return out


def _is_content(char: str) -> bool:
    cat = unicodedata.category(char)
    return cat[0] in "LNM" or cat == "Co"


_TABLES: dict[NormalizeConfig, _CharTable] = {}


def _table(config: NormalizeConfig) -> _CharTable:
    table = _TABLES.get(config)
    if table is None:
        table = _TABLES[config] = _CharTable(config)
    return table


def normalize(text: str, config: NormalizeConfig | None = None) -> Normalized:
    """Return the matching form of ``text`` with its offset map.

    >>> n = normalize("創(chuàng )建20xx年，鄂州！")
    >>> n.text == "创建" + SLOT + "年鄂州"
    True
    >>> n.original_span(2, 3)
    (11, 15)
    """
    config = config or NormalizeConfig()
    kept_text, kept_idx = _strip_ruby(text) if config.strip_ruby and "(" in text else (text, None)
    table = _table(config)
    codes = code_points(kept_text)
    mapped = table.lut[codes]
    unknown = mapped == _UNKNOWN
    if unknown.any():
        table.extend({chr(c) for c in np.unique(codes[unknown]).tolist()})
        mapped = table.lut[codes]
    if kept_idx is None:
        kept_idx = np.arange(len(kept_text), dtype=np.int64)
    if (mapped == _SEVERAL).any():
        out = kept_text.translate(table.table)
        start = np.repeat(kept_idx, table.lengths[codes])
    else:
        keep = mapped != _DROP
        out = mapped[keep].tobytes().decode("utf-32-le", "surrogatepass")
        start = kept_idx[keep]
    end = start + 1
    if config.word_spaces and out:
        out, start, end = _word_spaces(out, start, end)
    if config.fold_placeholders:
        out, start, end = _fold_placeholders(out, start, end)
    return Normalized(out, start, end)


def _word_spaces(
    text: str, start: npt.NDArray[np.int64], end: npt.NDArray[np.int64]
) -> tuple[str, npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """One space wherever dropped characters (spaces, punctuation) separated two word
    characters of an alphabetic script: ``the quick`` stays two words, not ``thequick``.
    The space stands for the whole dropped stretch."""
    codes = code_points(text)
    wordy = (codes < 0x2E80) & np.fromiter((c.isalnum() for c in text), dtype=bool, count=len(text))
    gap = (start[1:] > end[:-1]) & wordy[:-1] & wordy[1:]
    if not gap.any():
        return text, start, end
    at = np.flatnonzero(gap) + 1
    new_codes = np.insert(codes, at, np.uint32(32))
    new_start = np.insert(start, at, end[at - 1])
    new_end = np.insert(end, at, start[at])
    return new_codes.tobytes().decode("utf-32-le", "surrogatepass"), new_start, new_end


def code_points(text: str) -> npt.NDArray[np.uint32]:
    """``text``'s code points, as an array (one encoding, shared by what reads them)."""
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def _ruby_spans(text: str) -> list[tuple[int, int]]:
    """``_RUBY.finditer`` spans, trying only at ``(`` (where every match starts)."""
    spans = []
    pos = text.find("(")
    while pos >= 0:
        m = _RUBY.match(text, pos)  # the lookbehind still sees text[pos - 1]
        if m:
            spans.append(m.span())
            pos = m.end()
        pos = text.find("(", pos + (0 if m else 1))
    return spans


def _strip_ruby(text: str) -> tuple[str, npt.NDArray[np.int64] | None]:
    spans = _ruby_spans(text)
    if not spans:
        return text, None
    keep = np.ones(len(text), dtype=bool)
    pieces = []
    prev = 0
    for s, e in spans:
        keep[s:e] = False
        pieces.append(text[prev:s])
        prev = e
    pieces.append(text[prev:])
    return "".join(pieces), np.flatnonzero(keep).astype(np.int64)


# Runs of the only characters ``_PLACEHOLDER`` and its lookarounds can see; a leading
# character class lets the regex engine skip everything else at C speed.
_SEEN_RUN = re.compile(r"[0-9a-z×*某○□]+")
_BLANK = re.compile(r"[x×*某○□]")


def _placeholder_spans(text: str) -> list[tuple[int, int]]:
    """``_PLACEHOLDER.finditer`` spans, searching only around placeholder characters.

    A match and its lookarounds only involve digits, Latin letters and placeholder
    characters; any other character acts as a boundary. So the pattern runs on each
    maximal run of those characters that holds a placeholder, and finds the same spans.
    """
    spans: list[tuple[int, int]] = []
    for run in _SEEN_RUN.finditer(text):
        s, chunk = run.start(), run.group()
        if _BLANK.search(chunk):
            spans.extend((s + m.start(), s + m.end()) for m in _PLACEHOLDER.finditer(chunk))
    return spans


def _fold_placeholders(
    text: str, start: npt.NDArray[np.int64], end: npt.NDArray[np.int64]
) -> tuple[str, npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    runs = _placeholder_spans(text)
    if not runs:
        return text, start, end
    keep = np.ones(len(text), dtype=bool)
    pieces = []
    prev = 0
    new_end = end.copy()
    for s, e in runs:
        keep[s + 1 : e] = False
        new_end[s] = end[e - 1]
        pieces.append(text[prev:s])
        pieces.append(SLOT)
        prev = e
    pieces.append(text[prev:])
    return "".join(pieces), start[keep], new_end[keep]
