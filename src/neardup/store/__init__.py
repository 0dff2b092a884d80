"""The persistent index: :class:`Index` over a storage backend (SQLite file or Redis).

``index`` holds the :class:`Index`; ``params`` the stored parameters and their check;
``sqlite`` and ``redis`` the backends; ``spans`` the reused spans of a query.
"""

from __future__ import annotations

from neardup.model import Added, IndexMatch, IndexStats
from neardup.store.index import Addable, Index
from neardup.store.params import SCHEMA_VERSION
from neardup.store.spans import merge_passage_pairs
from neardup.store.sqlite import is_sqlite_file

__all__ = [
    "SCHEMA_VERSION",
    "Addable",
    "Added",
    "Index",
    "IndexMatch",
    "IndexStats",
    "is_sqlite_file",
    "merge_passage_pairs",
]
