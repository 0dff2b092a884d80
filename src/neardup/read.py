"""The only file input: paths, folders, globs, stdin, JSONL (``.jsonl``, ``.jsonl.gz``) and
Parquet -> Documents.

Parquet needs pyarrow (``pip install 'neardup[parquet]'``); it is read by row group, the
text and id columns only, so a file with many other columns costs no more than its text.

Chinese corpora arrive in GB18030/GBK, Big5 and UTF-16 as often as UTF-8, so each file's
encoding is detected from its bytes: BOMs first, then strict UTF-8, then GB18030 vs Big5
decided by which decoding yields common Chinese characters, then charset-normalizer.
Offsets in reports index the decoded text (BOM removed, line endings kept as they are).
"""

from __future__ import annotations

import codecs
import glob
import gzip
import json
import logging
import os
import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from neardup.errors import InputError
from neardup.model import Document

__all__ = [
    "ReadResult",
    "decode",
    "input_format",
    "iter_jsonl",
    "iter_parquet",
    "input_files",
    "load_settings",
    "parquet_schema",
    "read_pairs",
    "read_paths",
]

logger = logging.getLogger(__name__)

# The most frequent characters of modern Chinese, in both scripts: text decoded with the
# right codec is dense in them, text decoded with the wrong one is not.
_COMMON = frozenset(
    "的一是不了在人有我他这个们中来上大为和国地到以说时要就出也得里后自会家可下而过天去能对小多然于心学"
    "么之都好看起发当没成只如事把还用第样道想作种开美总从无情己面最女但现前些所同日手又行意动方期它头经长"
    "儿回位分爱老因很给名法间知世什两次使身者被高已亲其进此话常与活正感工作建设发展全市县区委政府会议要求"
    "這個們來為國說時裡後會過對發當沒還樣種開總從無現動頭經長兒愛給間兩親進話與區設議"
)
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_SNIFF = 1 << 16


class BinaryFileError(InputError):
    """The bytes are not text in any encoding we know."""


@dataclass
class ReadResult:
    documents: list[Document] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: ``read_paths(..., fields=[...])``: those fields of each JSONL or Parquet record, by id
    fields: dict[str, dict[str, Any]] = field(default_factory=dict)


def decode(data: bytes, name: str = "<bytes>") -> tuple[str, str]:
    """Return ``(text, encoding)`` for a file's bytes, or raise :class:`BinaryFileError`.

    >>> decode("法治政府".encode("gb18030"))
    ('法治政府', 'gb18030')
    >>> decode("法治政府建設".encode("big5"))
    ('法治政府建設', 'big5')
    """
    for bom, enc in _BOMS:
        if data.startswith(bom):
            return _strict(data, enc, name), enc
    if not data:
        return "", "utf-8"
    head = data[:_SNIFF]
    utf16 = _utf16_without_bom(head)
    if utf16:
        return _strict(data, utf16, name), utf16
    if b"\x00" in head:
        raise BinaryFileError(f"{name}: binary file (NUL bytes), skipped; convert it to text to scan it")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    best = _best_cjk(data)
    if best:
        return best
    return _fallback(data, name)


def _strict(data: bytes, encoding: str, name: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as err:
        raise BinaryFileError(
            f"{name}: not valid {encoding} at byte {err.start}; re-save the file as UTF-8"
        ) from None


def _utf16_without_bom(head: bytes) -> str | None:
    """UTF-16 with no BOM: ASCII characters (newlines, digits) leave NULs on one side only."""
    head = head[: len(head) & ~1]
    if len(head) < 4:
        return None
    even, odd = head[0::2], head[1::2]
    zeros_even, zeros_odd = even.count(0) / len(even), odd.count(0) / len(odd)
    for enc, zeros, other in (("utf-16-le", zeros_odd, zeros_even), ("utf-16-be", zeros_even, zeros_odd)):
        if zeros > 0.01 and other < zeros / 4:
            try:
                head.decode(enc)
            except UnicodeDecodeError:
                continue
            return enc
    return None


def _best_cjk(data: bytes) -> tuple[str, str] | None:
    scored = []
    for enc in ("gb18030", "big5"):
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        sample = text[:20000]
        cjk = sum(1 for c in sample if "\u4e00" <= c <= "\u9fff")
        common = sum(1 for c in sample if c in _COMMON)
        if cjk and common / cjk > 0.08 and not _looks_binary(sample):
            scored.append((common / cjk, enc, text))
    if not scored:
        return None
    _, enc, text = max(scored, key=lambda s: s[0])
    return text, enc


def _looks_binary(sample: str) -> bool:
    controls = sum(1 for c in sample if c < " " and c not in "\t\n\r\f") + sample.count("\ufffd")
    return controls > len(sample) * 0.01


def _fallback(data: bytes, name: str) -> tuple[str, str]:
    from charset_normalizer import from_bytes

    match = from_bytes(data).best()
    if match is None or match.encoding is None or _looks_binary(str(match)[:20000]):
        raise BinaryFileError(f"{name}: unknown encoding or binary file, skipped; convert it to UTF-8 to scan it")
    return str(match), match.encoding


def _expand(paths: Sequence[str]) -> Iterator[Path | None]:
    """Files in a stable order: folders recursed (sorted), globs expanded; ``None`` is stdin."""
    for raw in paths:
        if raw == "-":
            yield None
            continue
        path = Path(raw)
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for f in sorted(files):
                    if not f.startswith("."):
                        yield Path(root) / f
        elif path.exists():
            yield path
        elif glob.has_magic(raw):
            hits = sorted(glob.glob(raw, recursive=True))
            if not hits:
                raise InputError(f"{raw}: no file matches this pattern")
            yield from (Path(h) for h in hits if Path(h).is_file())
        else:
            raise InputError(f"{raw}: no such file or folder")


def _jsonl(text: str, name: str, text_field: str, id_field: str) -> Iterator[Document]:
    for lineno, line in enumerate(text.split("\n"), 1):
        doc = _record(line, name, lineno, text_field, id_field)
        if doc is not None:
            yield doc


def _record(line: str, name: str, lineno: int, text_field: str, id_field: str) -> Document | None:
    """One JSONL line as a Document (``None`` for a blank line)."""
    if not line.strip():
        return None
    return _parsed(line, name, lineno, text_field, id_field)[0]


def _parsed(line: str, name: str, lineno: int, text_field: str, id_field: str) -> tuple[Document, dict[str, Any]]:
    """One non-blank JSONL line as a Document and the record it came from."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError as err:
        raise InputError(f"{name}:{lineno}: invalid JSON ({err.msg}); each line must be one JSON object") from None
    if not isinstance(record, dict) or not isinstance(record.get(text_field), str):
        raise InputError(f"{name}:{lineno}: expected an object with a string {text_field!r} field")
    doc_id = str(record.get(id_field, f"{name}:{lineno}"))
    if "\\u" in line:  # only an escape makes a lone surrogate, which no report can write
        for field_name, value in ((text_field, record[text_field]), (id_field, doc_id)):
            if bad := _SURROGATE.search(value):
                raise InputError(
                    f"{name}:{lineno}: the {field_name!r} field holds a lone surrogate escape (\\u{ord(bad.group()):04x}), "
                    "which is no character; remove it or write the character it stands for"
                )
    return Document(id=doc_id, text=record[text_field], path=name, encoding=None), record


#: Half of a UTF-16 surrogate pair on its own: JSON can escape one (``"\\ud800"``);
#: a pair is one character once parsed and never matches.
_SURROGATE = re.compile("[\ud800-\udfff]")


def read_paths(
    paths: Sequence[str],
    *,
    text_field: str = "text",
    id_field: str = "id",
    stdin: BinaryIO | None = None,
    fields: Sequence[str] = (),
) -> ReadResult:
    """Read every document under ``paths``; unreadable files become warnings, not errors.

    A missing path, a malformed JSONL line or a broken Parquet file raises
    :class:`InputError` naming it. ``fields``: other fields of JSONL and Parquet records
    to return in ``ReadResult.fields`` (e.g. a date to order by).
    """
    result = ReadResult()
    for raw in paths:  # an empty folder (or one of hidden files only) is said, never silent
        if raw != "-" and Path(raw).is_dir() and next(_expand([raw]), None) is None:
            result.warnings.append(f"{raw}: no files to read in this folder (hidden files are skipped)")
    for path in _expand(paths):
        name = "-" if path is None else path.as_posix()
        fmt = input_format(name)
        if path is not None and fmt in ("parquet", "jsonl.gz"):
            records = iter_parquet(path, text_field, id_field, fields) if fmt == "parquet" else iter_jsonl(path, text_field, id_field, fields)
            for doc, values in records:
                result.documents.append(doc)
                if fields:
                    result.fields[doc.id] = values
            continue
        if path is not None and fmt == "jsonl" and fields:
            for doc, values in iter_jsonl(path, text_field, id_field, fields):
                result.documents.append(doc)
                result.fields[doc.id] = values
            continue
        if path is not None and name.endswith(".jsonl"):
            try:
                streamed = _jsonl_utf8_stream(path, name, text_field, id_field)
            except OSError as err:
                result.warnings.append(f"{name}: cannot read ({err.strerror}), skipped")
                continue
            if streamed is not None:
                result.documents.extend(streamed)
                continue
        try:
            data = (stdin or sys.stdin.buffer).read() if path is None else path.read_bytes()
        except OSError as err:
            result.warnings.append(f"{name}: cannot read ({err.strerror}), skipped")
            continue
        try:
            text, encoding = decode(data, name)
        except BinaryFileError as err:
            result.warnings.append(str(err))
            continue
        del data
        if name.endswith(".jsonl"):
            result.documents.extend(_jsonl(text, name, text_field, id_field))
            continue
        if not text.strip():
            result.warnings.append(f"{name}: empty file")
        result.documents.append(Document(id=name, text=text, path=name, encoding=encoding))
    return result


def _jsonl_utf8_stream(path: Path, name: str, text_field: str, id_field: str) -> list[Document] | None:
    """A UTF-8 JSONL file read line by line, so the file is never in memory twice.

    Returns ``None`` when the file is not UTF-8 after all: the caller then decodes it whole.
    """
    with path.open("rb") as fh:
        head = fh.read(_SNIFF)
        if head.startswith(codecs.BOM_UTF8):
            head = head[len(codecs.BOM_UTF8) :]
        elif any(head.startswith(bom) for bom, _ in _BOMS) or b"\x00" in head:
            return None
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as err:
            if err.start < len(head) - 3:  # not just a character cut at the end of the sniff
                return None
        fh.seek(0)
        docs: list[Document] = []
        for lineno, raw in enumerate(fh, 1):
            try:
                line = raw.decode("utf-8-sig" if lineno == 1 else "utf-8")
            except UnicodeDecodeError:
                return None
            doc = _record(line, name, lineno, text_field, id_field)
            if doc is not None:
                docs.append(doc)
    return docs


def input_format(name: str) -> str:
    """``parquet``, ``jsonl.gz``, ``jsonl`` or ``text``, from a file name.

    >>> [input_format(n) for n in ("a.parquet", "b.jsonl.gz", "c.jsonl", "d.txt")]
    ['parquet', 'jsonl.gz', 'jsonl', 'text']
    """
    lower = name.lower()
    if lower.endswith(".parquet"):
        return "parquet"
    if lower.endswith(".jsonl.gz"):
        return "jsonl.gz"
    if lower.endswith(".jsonl"):
        return "jsonl"
    return "text"


def iter_jsonl(
    path: Path, text_field: str = "text", id_field: str = "id", fields: Sequence[str] = (), *, raw: bool = False
) -> Iterator[tuple[Any, ...]]:
    """``(document, {field: value})`` per record of a UTF-8 JSONL file, plain or gzipped.

    With ``raw=True`` each item ends with the record's line exactly as stored (for
    writers that copy records untouched) and the parsed record.
    """
    name = path.as_posix()
    opener = gzip.open if input_format(name) == "jsonl.gz" else open
    try:
        with opener(path, "rb") as fh:  # type: ignore[operator]
            for lineno, data in enumerate(fh, 1):
                try:
                    line = data.decode("utf-8-sig" if lineno == 1 else "utf-8")
                except UnicodeDecodeError as err:
                    raise InputError(f"{name}:{lineno}: not UTF-8 ({err.reason}); re-save the file as UTF-8") from None
                if not line.strip():
                    continue
                doc, record = _parsed(line, name, lineno, text_field, id_field)
                values = {f: record.get(f) for f in fields}
                yield (doc, values, data, record) if raw else (doc, values)
    except (OSError, EOFError, gzip.BadGzipFile) as err:
        raise InputError(f"{name}: cannot read ({getattr(err, 'strerror', None) or err})") from None


def _pyarrow() -> Any:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise InputError("reading and writing Parquet needs pyarrow, which is not installed: pip install 'neardup[parquet]'") from None
    return pq


def _parquet_file(path: Path) -> Any:
    pq = _pyarrow()
    import pyarrow as pa

    try:
        return pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as err:
        raise InputError(f"{path.as_posix()}: not a readable Parquet file ({_first_line(err)})") from None


def _first_line(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__


def parquet_schema(path: Path) -> Any:
    """The ``pyarrow.Schema`` of a Parquet file (:class:`InputError` if it is not one)."""
    return _parquet_file(path).schema_arrow


def iter_parquet(
    path: Path,
    text_field: str = "text",
    id_field: str = "id",
    fields: Sequence[str] = (),
    *,
    batches: bool = False,
    batch_size: int = 4096,
) -> Iterator[Any]:
    """Documents of a Parquet file, read batch by batch (memory bounded by a batch).

    Yields ``(document, {field: value})``; with ``batches=True``, ``(record batch with
    every column, [document ids])`` for writers. A row's id is its ``id_field`` value, or
    ``FILE:ROW`` (1-based) when the file has no such column; a null text is empty.
    """
    import pyarrow as pa

    name = path.as_posix()
    pf = _parquet_file(path)
    schema = pf.schema_arrow
    if text_field not in schema.names:
        raise InputError(f"{name}: no column {text_field!r} (columns: {', '.join(schema.names)}); set --text-field")
    if not (pa.types.is_string(schema.field(text_field).type) or pa.types.is_large_string(schema.field(text_field).type)):
        raise InputError(f"{name}: column {text_field!r} holds {schema.field(text_field).type}, not text; set --text-field")
    has_id = id_field in schema.names
    wanted = [c for c in dict.fromkeys([text_field, *([id_field] if has_id else []), *fields]) if c in schema.names]
    row = 0
    try:
        for batch in pf.iter_batches(batch_size=batch_size, columns=None if batches else wanted):
            n = batch.num_rows
            ids = (
                [str(v) for v in batch.column(batch.schema.get_field_index(id_field)).to_pylist()]
                if has_id
                else [f"{name}:{row + k + 1}" for k in range(n)]
            )
            if batches:
                yield batch, ids
            else:
                texts = batch.column(batch.schema.get_field_index(text_field)).to_pylist()
                extra = {f: batch.column(batch.schema.get_field_index(f)).to_pylist() for f in fields if f in schema.names}
                for k in range(n):
                    yield Document(ids[k], texts[k] or "", path=name), {f: extra[f][k] if f in extra else None for f in fields}
            row += n
    except (pa.ArrowException, OSError) as err:
        raise InputError(f"{name}: not a readable Parquet file ({_first_line(err)})") from None


def input_files(paths: Sequence[str]) -> list[Path]:
    """The files ``paths`` name, in reading order: folders recursed, globs expanded.

    Standard input (``-``) cannot be read twice, so commands that do are refused it.
    """
    files = []
    for path in _expand(paths):
        if path is None:
            raise InputError("'-' (standard input) cannot be read twice: save it to a file first")
        files.append(path)
    return files


def _toml(path: Path) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on Python 3.10 only
        import tomli as tomllib
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise InputError(f"{path}: cannot read settings ({err})") from None


def load_settings(explicit: str | None = None, start: Path | None = None) -> tuple[dict[str, Any], str | None]:
    """Settings from ``--config FILE``, else the nearest ``neardup.toml`` or ``pyproject.toml`` ``[tool.neardup]``.

    Returns ``(settings, file)``; keys use the flag names (``max-copied``), and a
    sub-table per command (``[tool.neardup.gate]``) overrides the shared keys for it.
    """
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise InputError(f"{explicit}: no such settings file")
        data = _toml(path)
        table = data.get("tool", {}).get("neardup", data) if path.name == "pyproject.toml" else data
        return dict(table), str(path)
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        own = folder / "neardup.toml"
        if own.is_file():
            return _toml(own), str(own)
        project = folder / "pyproject.toml"
        if project.is_file():
            table = _toml(project).get("tool", {}).get("neardup")
            if table is not None:
                return dict(table), str(project)
        if (folder / ".git").exists():
            break
    return {}, None


def read_pairs(pairs_file: str) -> list[Any]:
    """Labelled pairs for ``neardup calibrate`` from a JSONL file (see :func:`neardup.calibrate.parse_pairs`).

    A value naming an existing file (as given, or beside the pairs file) is that file's
    text, decoded like any input.
    """
    from neardup.calibrate import parse_pairs

    source = Path(pairs_file)
    try:
        text, _ = decode(source.read_bytes(), pairs_file)
    except OSError as err:
        raise InputError(f"{pairs_file}: cannot read ({err.strerror})") from None

    def resolve(value: str) -> str:
        if "\n" in value or len(value) > 1024:
            return value
        for path in (Path(value), source.parent / value):
            try:
                is_file = path.is_file()
            except OSError:  # a long text is no file name (ENAMETOOLONG)
                is_file = False
            if is_file:
                try:
                    return decode(path.read_bytes(), value)[0]
                except OSError as err:
                    raise InputError(f"{value}: cannot read ({err.strerror})") from None
        return value

    return parse_pairs(text, pairs_file, resolve)
