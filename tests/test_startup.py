"""Issue 13 (start fast): a pre-commit hook pays for start-up on every commit.

Checked as imports in fresh processes rather than as timings, so the tests hold on a
loaded machine; ``benchmarks/gate_latency.py`` measures the seconds.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ["numpy", "jieba", "opencc", "networkx", "numba", "datasketch", "scipy", "rich", "neardup.scan", "neardup.store"]


def _loaded(code: str, names: list[str], cwd: Path = ROOT) -> list[str]:
    probe = f"{code}\nimport sys\nprint(' '.join(n for n in {names!r} if n in sys.modules), file=sys.stderr)"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=cwd)
    return out.stderr.split()


def test_version_and_help_load_no_heavy_module() -> None:
    code = "import sys\nfrom neardup.cli import cli\ntry:\n    cli(['--version'], prog_name='neardup')\nexcept SystemExit:\n    pass"
    assert _loaded(code, HEAVY) == []


def test_import_neardup_is_light_and_the_api_still_resolves() -> None:
    assert _loaded("import neardup", HEAVY) == []
    code = "import neardup, neardup.gate\nassert callable(neardup.scan) and neardup.scan.__name__ == 'scan'\nfrom neardup import Index, scan"
    assert "neardup.scan" in _loaded(code, HEAVY)


def test_gate_loads_neither_scipy_nor_jieba_analyse(tmp_path: Path) -> None:
    sub = tmp_path / "essay.txt"
    sub.write_text("我的观点如下。\n" + (ROOT / "examples/seeds/001_dd9de37c9c444b8c.txt").read_text(encoding="utf-8")[:3000], encoding="utf-8")
    code = (
        "from neardup.cli import cli\ntry:\n"
        f"    cli(['gate', {str(sub)!r}, '--against', 'examples/seeds'], prog_name='neardup')\n"
        "except SystemExit:\n    pass"
    )
    assert _loaded(code, ["scipy", "datasketch.lsh", "jieba.analyse"]) == []


def test_the_bundled_example_scan_loads_no_compiler(tmp_path: Path) -> None:
    """Five pages need no numba: its import and registries (half a second) cost more than
    the loops they would speed up (the families' graph of the seeds has a few edges)."""
    code = (
        "from neardup.cli import cli\ntry:\n"
        f"    cli(['scan', 'examples/seeds', '--format', 'json', '-o', {str(tmp_path / 'r.json')!r}], prog_name='neardup')\n"
        "except SystemExit:\n    pass"
    )
    assert _loaded(code, ["numba", "neardup.kernels"]) == []
    assert (tmp_path / "r.json").stat().st_size > 10_000


def test_compiled_kernels_load_without_importing_scipy_and_leave_numba_whole() -> None:
    """numba's BLAS probe (``scipy.linalg``, 0.17 s a process) is skipped when the kernels
    load; afterwards the probe's module is importable again and ``np.dot`` still compiles."""
    code = "import numpy as np\nfrom neardup import kernels\nkernels.mix64(np.uint64(7))"
    assert _loaded(code, ["scipy.linalg"]) == []
    code = (
        "import sys\nfrom neardup import kernels\n"
        "assert 'scipy.linalg.cython_blas' not in sys.modules\n"
        "import numba, numpy as np\n"
        "dot = numba.njit(lambda a, b: np.dot(a, b))\n"
        "assert dot(np.ones(3), np.arange(3.0)) == 3.0\n"
    )
    assert "scipy.linalg" in _loaded(code, ["scipy.linalg"])
