"""neardup: find near-duplicate passages and template reuse in text, Chinese first.

>>> from neardup import Document, scan
>>> a = "各地各部门务必引起高度重视，全面动员，全员参与，集中攻坚，全力整改。"
>>> result = scan([Document("a", a), Document("b", "同志们：" + a)])
>>> result.stats.clusters
1
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from neardup.config import ScanConfig
from neardup.dedup import DedupResult, Removal, dedup
from neardup.errors import ConfigError, IndexMismatchError, InputError, NeardupError
from neardup.model import Cluster, Document, Match, Member, Passage, ScanResult
from neardup.read import read_paths
from neardup.report import render_json, render_text
from neardup.scan import scan
from neardup.store import Added, Index, IndexMatch, IndexSpan, IndexStats

try:
    __version__ = version("neardup")
except PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.0.0"

__all__ = [
    "Added",
    "Cluster",
    "ConfigError",
    "DedupResult",
    "Document",
    "Index",
    "IndexMatch",
    "IndexMismatchError",
    "IndexSpan",
    "IndexStats",
    "InputError",
    "Match",
    "Member",
    "NeardupError",
    "Removal",
    "Passage",
    "ScanConfig",
    "ScanResult",
    "__version__",
    "dedup",
    "read_paths",
    "render_json",
    "render_text",
    "scan",
]
