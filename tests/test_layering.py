"""The core imports only earlier stages; third-party libraries live in their one module."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src" / "neardup"
CORE = ["normalize", "passages", "shingle", "boilerplate", "signature", "candidates", "verify", "align", "templates", "cluster", "families"]
BASE = {"model", "config", "errors"}
HOMES = {
    "jieba": {"shingle", "templates"},
    "click": {"cli"},
    "networkx": {"cluster", "templates", "families"},
    "opencc": {"normalize"},
    # config reads datasketch's version for the stored signature parameters
    "datasketch": {"signature", "candidates", "config"},
    "redis": {"store.redis"},
    "sqlite3": {"store.sqlite"},
    "matplotlib": {"calibrate"},
    "pyspark": {"spark"},
    "pyarrow": {"read", "write"},
    "datasets": set(),  # dedup recognises a Dataset by its attributes, never imports it
}


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def _module(path: Path) -> str:
    rel = path.relative_to(SRC).with_suffix("")
    return ".".join(rel.parts)


def test_core_imports_only_earlier_stages() -> None:
    for i, stage in enumerate(CORE):
        path = SRC / f"{stage}.py"
        if not path.exists():
            continue
        allowed = BASE | set(CORE[:i])
        for name in _imports(path):
            if name.startswith("neardup."):
                assert name.split(".")[1] in allowed, f"{stage} imports {name}"


def test_nothing_imports_cli_and_libraries_stay_home() -> None:
    for path in SRC.rglob("*.py"):
        mod = _module(path)
        for name in _imports(path):
            top = name.split(".")[0]
            if mod not in ("cli", "__main__"):
                assert not name.startswith("neardup.cli"), f"{mod} imports the CLI"
            if top in HOMES:
                assert mod in HOMES[top], f"{mod} imports {top}"
