"""The only file output of a dedup: the survivors, in the input's own format.

* **Parquet** (pyarrow): the input is read again batch by batch and the kept rows are
  written with the input's schema (every other column untouched) by a
  ``pyarrow.parquet.ParquetWriter``: memory stays bounded by one batch.
* **JSONL** / ``.jsonl.gz``: kept records are copied byte for byte; a record whose text
  lost passages is re-serialised with its other fields as they were.
* **Text files**: a mirrored folder, kept files copied (or re-encoded in their own
  encoding when passages were cut).

Output goes to a temporary file (or folder) beside the target, renamed into place at
the end: an error half-way leaves no partial output.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from neardup.errors import InputError
from neardup.read import decode, input_files, input_format, iter_jsonl, iter_parquet, parquet_schema

__all__ = ["output_kind", "write_survivors"]


def output_kind(paths: Sequence[str]) -> str:
    """``parquet``, ``jsonl`` or ``text``: the one format of all inputs (mixed: an error)."""
    kinds = {"jsonl" if input_format(p.as_posix()) == "jsonl.gz" else input_format(p.as_posix()) for p in input_files(paths)}
    if not kinds:
        raise InputError("no input file: give JSONL, Parquet or text files")
    if len(kinds) > 1:
        raise InputError(f"inputs mix formats ({', '.join(sorted(kinds))}): dedup writes one format; run it once per format")
    return kinds.pop()


@contextmanager
def _atomic_file(target: Path) -> Iterator[Path]:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes it private; outputs are ordinary files
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def _atomic_dir(target: Path) -> Iterator[Path]:
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise InputError(f"{target}: already exists and is not an empty folder; give a new output folder")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"))
    try:
        yield tmp
        os.chmod(tmp, 0o777 & ~_umask())
        if target.exists():
            target.rmdir()
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)


def write_survivors(
    paths: Sequence[str],
    output: str,
    kept: set[str] | frozenset[str],
    texts: Mapping[str, str],
    *,
    text_field: str = "text",
    id_field: str = "id",
) -> int:
    """Write the records of ``paths`` whose id is in ``kept`` to ``output``; returns how many.

    ``texts``: new texts for kept documents that lost passages. The format is the
    inputs' (:func:`output_kind`); ``output`` is a file for Parquet and JSONL (gzipped
    when it ends in ``.gz``), a new folder for text files.
    """
    kind = output_kind(paths)
    try:
        if kind == "parquet":
            return _write_parquet(paths, Path(output), kept, texts, text_field, id_field)
        if kind == "jsonl":
            return _write_jsonl(paths, Path(output), kept, texts, text_field, id_field)
        return _write_texts(paths, Path(output), kept, texts)
    except OSError as err:
        raise InputError(f"{output}: cannot write ({err.strerror or err})") from None


def _write_parquet(
    paths: Sequence[str], output: Path, kept: set[str] | frozenset[str], texts: Mapping[str, str], text_field: str, id_field: str
) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    files = input_files(paths)
    schema = parquet_schema(files[0])
    for f in files[1:]:
        other = parquet_schema(f)
        if not other.equals(schema):
            raise InputError(f"{f.as_posix()}: its columns differ from {files[0].as_posix()}'s; dedup writes one Parquet file with one schema")
    written = 0
    with _atomic_file(output) as tmp:
        with pq.ParquetWriter(tmp, schema) as writer:
            for f in files:
                for batch, ids in iter_parquet(f, text_field, id_field, batches=True):
                    mask = [i in kept for i in ids]
                    if not any(mask):
                        continue
                    batch = batch.filter(pa.array(mask))
                    kept_ids = [i for i, m in zip(ids, mask) if m]
                    if any(i in texts for i in kept_ids):
                        column = batch.schema.get_field_index(text_field)
                        old = batch.column(column).to_pylist()
                        new = pa.array([texts.get(i, t) for i, t in zip(kept_ids, old)], type=batch.schema.field(column).type)
                        batch = pa.RecordBatch.from_arrays(
                            [new if n == column else batch.column(n) for n in range(batch.num_columns)], schema=batch.schema
                        )
                    writer.write_batch(batch)
                    written += batch.num_rows
    return written


def _write_jsonl(
    paths: Sequence[str], output: Path, kept: set[str] | frozenset[str], texts: Mapping[str, str], text_field: str, id_field: str
) -> int:
    written = 0
    with _atomic_file(output) as tmp:
        opener: Any = gzip.open if output.name.lower().endswith(".gz") else open
        with opener(tmp, "wb") as out:
            for f in input_files(paths):
                for doc, _, raw, record in iter_jsonl(f, text_field, id_field, raw=True):
                    if doc.id not in kept:
                        continue
                    if doc.id in texts:
                        record[text_field] = texts[doc.id]
                        out.write((json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8"))
                    else:
                        out.write(raw if raw.endswith(b"\n") else raw + b"\n")
                    written += 1
    return written


def _write_texts(paths: Sequence[str], output: Path, kept: set[str] | frozenset[str], texts: Mapping[str, str]) -> int:
    written = 0
    with _atomic_dir(output) as tmp:
        for raw in paths:
            root = Path(raw)
            for path in input_files([raw]):
                name = path.as_posix()
                if name not in kept:
                    continue
                rel = path.relative_to(root) if root.is_dir() else Path(path.name)
                target = tmp / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                if name in texts:
                    _, encoding = decode(path.read_bytes(), name)
                    target.write_bytes(texts[name].encode(encoding))
                else:
                    shutil.copyfile(path, target)
                written += 1
    return written
