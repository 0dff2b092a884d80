"""What the fork server loads before it forks any worker (:mod:`neardup.workers`): the
scan's modules, and the numba kernels a scan calls, so that no worker loads them again."""

from neardup import analyse, scan  # noqa: F401
from neardup.shingle import compiled_kernels

_kernels = compiled_kernels()
if _kernels is not None:
    _kernels.warm()
