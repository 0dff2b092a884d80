"""neardup: find near-duplicate passages and template reuse in text, Chinese first.

>>> from neardup import Document, scan
>>> a = "各地各部门务必引起高度重视，全面动员，全员参与，集中攻坚，全力整改。"
>>> result = scan([Document("a", a), Document("b", "同志们：" + a)])
>>> result.stats.clusters
1
"""

from __future__ import annotations

import sys
import types
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

from neardup._lazy import lazy_getattr

if TYPE_CHECKING:
    from neardup.config import ScanConfig
    from neardup.dedup import DedupResult, Removal, dedup
    from neardup.errors import ConfigError, CorruptIndexError, IndexMismatchError, InputError, NeardupError, UnusableReferenceError
    from neardup.model import Cluster, Document, Match, Member, Passage, ReuseSpan, ScanResult
    from neardup.read import read_paths
    from neardup.report import render_json, render_text
    from neardup.scan import scan
    from neardup.store import Added, Index, IndexMatch, IndexStats

try:
    __version__ = version("neardup")
except PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.0.0"

# Loaded on first use (PEP 562), so ``neardup --version`` and a pre-commit run do not
# pay for numpy, the pipeline and the store before they need them.
_HOMES = {
    "ScanConfig": "config",
    "ConfigError": "errors",
    "DedupResult": "dedup",
    "Removal": "dedup",
    "dedup": "dedup",
    "CorruptIndexError": "errors",
    "UnusableReferenceError": "errors",
    "IndexMismatchError": "errors",
    "InputError": "errors",
    "NeardupError": "errors",
    "Cluster": "model",
    "Document": "model",
    "Match": "model",
    "Member": "model",
    "Passage": "model",
    "ReuseSpan": "model",
    "ScanResult": "model",
    "read_paths": "read",
    "render_json": "report",
    "render_text": "report",
    "scan": "scan",
    "Added": "store",
    "Index": "store",
    "IndexMatch": "store",
    "IndexStats": "store",
}


__getattr__ = lazy_getattr("neardup", _HOMES, globals())


def __dir__() -> list[str]:
    return sorted(__all__)


class _Package(types.ModuleType):
    """Keeps ``neardup.scan`` and ``neardup.dedup`` the functions when their modules first load.

    Importing ``neardup.scan`` (the module) sets the package attribute of that name; an
    eager ``from neardup.scan import scan`` used to overwrite it right after, so the
    function is what ``neardup.scan`` has always meant. The module stays in ``sys.modules``.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if name in ("scan", "dedup") and isinstance(value, types.ModuleType):
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


__all__ = [
    "Added",
    "Cluster",
    "ConfigError",
    "CorruptIndexError",
    "DedupResult",
    "Document",
    "Index",
    "IndexMatch",
    "IndexMismatchError",
    "IndexStats",
    "InputError",
    "Match",
    "Member",
    "NeardupError",
    "Passage",
    "Removal",
    "ReuseSpan",
    "ScanConfig",
    "ScanResult",
    "UnusableReferenceError",
    "__version__",
    "dedup",
    "read_paths",
    "render_json",
    "render_text",
    "scan",
]
