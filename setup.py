"""Build hook: compile neardup's numba kernels ahead of time (:mod:`neardup.prebuilt`).

Everything else about the package is in ``pyproject.toml``. The extension module is
optional: when numba, a C compiler or the build itself is missing, neardup installs
without it and numba compiles the same kernels at first use (same results; each process
then pays numba's import, about half a second).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

SRC = Path(__file__).resolve().parent / "src"


class BuildPrebuiltKernels(build_ext):
    """Builds ``neardup.kernels_prebuilt`` with :func:`neardup.kernels.build_ahead`."""

    def build_extension(self, ext: Extension) -> None:
        target = Path(self.get_ext_fullpath(ext.name))
        target.parent.mkdir(parents=True, exist_ok=True)
        sys.path.insert(0, str(SRC))
        # numba's cache of the kernels it compiles on the way goes to a scratch folder,
        # removed afterwards, not into the source tree.
        with tempfile.TemporaryDirectory(prefix="neardup-build-") as scratch:
            os.environ.setdefault("NUMBA_CACHE_DIR", scratch)
            try:
                from neardup.kernels import build_ahead

                built = build_ahead(target.parent)
                if built != target:
                    built.replace(target)
            except Exception as error:  # noqa: BLE001 - optional: any failure leaves numba's JIT path
                print(f"neardup: kernels not compiled ahead of time ({type(error).__name__}: {error}); "
                      "numba will compile them at first use", file=sys.stderr)
            finally:
                sys.path.remove(str(SRC))


setup(
    ext_modules=[Extension("neardup.kernels_prebuilt", sources=[], optional=True)],
    cmdclass={"build_ext": BuildPrebuiltKernels},
)
