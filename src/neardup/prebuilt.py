"""The compiled kernels, built ahead of time when neardup was installed.

numba compiles :mod:`neardup.kernels` at first use and caches the machine code, but a
process still imports numba and sets up its compiler before it can call a cached kernel:
half a second or more (0.65 s on the benchmark machine), most of it holding the GIL,
which a 5 MB scan pays on its critical path and every ``neardup`` command with it. So
the install also compiles the same kernels into an extension module,
``neardup.kernels_prebuilt`` (numba's ahead-of-time compiler, run by ``setup.py``),
which loads in a millisecond and imports no numba. Where that build cannot run (no C
compiler, no numba at build time) neardup works as before: numba compiles at first use.

An extension module takes each argument's memory as it finds it: it checks no dtype,
layout or write flag. So each call is checked against the types the module was built
for (:data:`KERNEL_TYPES`, also the types :func:`neardup.kernels.warm` compiles), and
any other call goes to the numba kernel, which specialises as it always did. The module
answers the digest of the sources it was built from: a module built from other sources
(an edited checkout, an old build) is not used.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["KERNEL_TYPES", "ArrayType", "PrebuiltKernels", "ScalarType", "prebuilt_kernels", "source_digest"]

#: The sources the prebuilt kernels are compiled from (``local_moves`` and ``csr_rows``
#: live in :mod:`neardup.community`), and this file, which says their types.
SOURCES = ("kernels.py", "community.py", "prebuilt.py")


@dataclass(frozen=True)
class ArrayType:
    """A C-contiguous, aligned numpy array argument. ``readonly``: the kernel only reads
    it, so a writable array fits too; otherwise the array must be writable."""

    dtype: str
    ndim: int = 1
    readonly: bool = False

    def fits(self, value: object) -> bool:
        if not isinstance(value, np.ndarray):
            return False
        flags = value.flags
        return (
            value.dtype == self.dtype
            and value.ndim == self.ndim
            and flags.c_contiguous
            and flags.aligned
            and (self.readonly or flags.writeable)
        )


#: The numpy scalars numba types as each scalar kind; a Python ``int`` is an ``int64``
#: too, a Python ``bool`` (an ``int`` to Python) only a ``bool``.
_SCALARS: dict[str, tuple[type, ...]] = {
    "int64": (np.int64,),
    "uint64": (np.uint64,),
    "float64": (float, np.float64),
    "bool": (bool, np.bool_),
}


@dataclass(frozen=True)
class ScalarType:
    """A scalar argument: ``int64``, ``uint64``, ``float64`` or ``bool``."""

    kind: str

    def fits(self, value: object) -> bool:
        if self.kind == "int64" and type(value) is int:
            return -(1 << 63) <= value < 1 << 63
        return isinstance(value, _SCALARS[self.kind])


ArgType = ArrayType | ScalarType

_U64, _U64_RO = ArrayType("uint64"), ArrayType("uint64", readonly=True)
_U32_RO, _U32_2D = ArrayType("uint32", readonly=True), ArrayType("uint32", 2)
_I64, _I64_2D, _F64 = ArrayType("int64"), ArrayType("int64", 2), ArrayType("float64")
_INT, _UINT, _FLOAT, _BOOL = ScalarType("int64"), ScalarType("uint64"), ScalarType("float64"), ScalarType("bool")

#: Each kernel a scan calls, with the types it calls it with.
KERNEL_TYPES: dict[str, tuple[ArgType, ...]] = {
    "rolling_rows": (_U32_RO, _I64, _I64, _INT, _U64, _I64),
    "bucketed_rows": (_U64, _I64, _U32_RO, _U32_RO, _U64_RO, _U32_2D),
    "affine_rows": (_U64, _I64, _U32_RO, _U32_RO, _U32_2D),
    "bucket_lookup": (_U64, _I64, _I64, _UINT, _U64, _I64),
    "corpus_runs": (_I64, _INT, _INT, _INT, _INT, _INT, _INT, _FLOAT, _INT),
    "page_edges": (_U32_RO, _U32_RO, _I64, _I64, _INT, _INT, _INT, _INT),
    "sorted_positions": (_U64, _U64, _I64),
    "seed_pairs": (_U64_RO, _U64_RO, _INT, _BOOL, _INT),
    "sorted_sets": (_U64, _I64, _I64, _U64),
    "shared_counts": (_U64, _I64, _I64, _I64_2D),
    "csr_rows": (_INT, _I64, _I64, _F64, _F64),
    "local_moves": (_I64, _I64, _F64, _F64, _FLOAT, _FLOAT, _I64, _I64, _INT),
}


def source_digest(folder: Path | None = None) -> int:
    """A signed 64-bit digest of :data:`SOURCES` (in ``folder``, by default this package's)."""
    folder = folder or Path(__file__).parent
    digest = hashlib.sha256()
    for name in SOURCES:
        digest.update((folder / name).read_bytes())
    return int.from_bytes(digest.digest()[:8], "little", signed=True)


def _jit_kernel(name: str) -> Callable[..., Any]:
    from neardup import kernels  # numba: only for a call the prebuilt module does not fit

    return getattr(kernels, name)  # type: ignore[no-any-return]


def _checked(fast: Callable[..., Any], name: str, types: tuple[ArgType, ...]) -> Callable[..., Any]:
    def call(*args: Any) -> Any:
        if len(args) == len(types) and all(t.fits(a) for t, a in zip(types, args)):
            return fast(*args)
        return _jit_kernel(name)(*args)

    call.__name__ = call.__qualname__ = name
    call.__doc__ = f"neardup.kernels.{name}, prebuilt for the types in KERNEL_TYPES (numba's for others)."
    return call


class PrebuiltKernels:
    """Stands for :mod:`neardup.kernels`: the kernels of :data:`KERNEL_TYPES` from the
    prebuilt module, anything else from numba's (imported when first asked for)."""

    def __init__(self, module: Any) -> None:
        self.module = module
        for name, types in KERNEL_TYPES.items():
            setattr(self, name, _checked(getattr(module, name), name, types))

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return _jit_kernel(name)

    def warm(self) -> None:
        """Nothing to load: the module's kernels are ready when it is imported."""


@lru_cache(maxsize=1)
def prebuilt_kernels() -> PrebuiltKernels | None:
    """The prebuilt kernels, or ``None`` when the install built none, it was built from
    other sources, ``NEARDUP_PREBUILT=0`` (to run numba's, as a test does) or
    ``NEARDUP_NUMBA=0`` (numpy only)."""
    if os.environ.get("NEARDUP_PREBUILT", "1") == "0" or os.environ.get("NEARDUP_NUMBA", "1") == "0":
        return None
    try:
        from neardup import kernels_prebuilt as module  # type: ignore[attr-defined]  # the extension module
    except ImportError:
        return None
    if module.source_digest() != source_digest():
        return None
    return PrebuiltKernels(module)
