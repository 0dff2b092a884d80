"""The core imports only earlier stages; third-party libraries live in their one module."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src" / "neardup"
CORE = ["normalize", "passages", "shingle", "boilerplate", "signature", "candidates", "verify", "align", "alignments", "containment", "templates", "cluster", "community", "pieces", "links", "families"]
BASE = {"model", "config", "errors", "arrays", "prebuilt"}  # arrays: numpy set operations (imports prebuilt only); prebuilt: the prebuilt kernels
HOMES = {
    "jieba": {"shingle", "templates"},
    "click": {"cli"},
    "networkx": {"cluster", "templates", "families"},
    "opencc": {"normalize"},
    "datasketch": {"signature", "candidates"},
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


def _private_imports(path: Path) -> list[str]:
    """``from X import _name`` (ours or a dependency's) and ``from neardup import _module``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                if alias.name.startswith("_") and not alias.name.startswith("__"):
                    found.append(f"from {node.module} import {alias.name}")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if any(part.startswith("_") and not part.startswith("__") for part in alias.name.split(".")):
                    found.append(f"import {alias.name}")
        elif isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
            # datasketch's privates reached through a module attribute (lsh._optimal_param)
            if isinstance(node.value, ast.Name) and node.value.id in {"lsh", "datasketch", "storage"}:
                found.append(f"{node.value.id}.{node.attr}")
    return found


def test_no_private_name_crosses_a_module() -> None:
    """Private means private: ``_name`` is never imported from another module, ours or a
    dependency's (STYLE.md section 8)."""
    offenders = {_module(p): _private_imports(p) for p in SRC.rglob("*.py")}
    assert {m: found for m, found in offenders.items() if found} == {}


def test_the_private_import_check_sees_one(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("from neardup.scan import _covered_chars\nfrom neardup import _kernels\nfrom datasketch import lsh\nlsh._optimal_param(0.5, 128, 0.5, 0.5)\n")
    assert len(_private_imports(sample)) == 3


def test_no_module_is_over_700_lines() -> None:
    """One concept, one place: a module that grows past 700 lines holds more than one."""
    long = {_module(p): n for p in SRC.rglob("*.py") if (n := len(p.read_text(encoding="utf-8").splitlines())) > 700}
    assert long == {}
