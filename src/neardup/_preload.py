"""What the fork server loads before it forks any worker (:mod:`neardup.workers`): the
scan's modules, and the numba kernels a scan calls, so that no worker loads them again.

The server leaves without Python's teardown (a quarter of a second with the kernels
loaded): it outlives the scan by that long, holding the scan's stdout and stderr, and a
pipe reading them (``neardup scan ... | jq``) waited for it. Only the server: any other
process that imports this module (pytest collecting doctests does) keeps its own exit
code, which leaving by ``os._exit(0)`` would have made 0 whatever happened.
"""

import atexit
import os
import sys
from multiprocessing import forkserver

from neardup import analyse, scan  # noqa: F401
from neardup.shingle import warm_kernels

warm_kernels()
# The fork server runs ``from multiprocessing.forkserver import main; main(...)``.
if getattr(sys.modules.get("__main__"), "main", None) is forkserver.main:
    atexit.register(os._exit, 0)  # the server holds nothing to flush; its workers never run atexit
