"""The few errors neardup raises on purpose.

Every message names the offending value, the limit and the fix, because the CLI shows
it as a single line with no traceback.
"""

from __future__ import annotations

__all__ = ["ConfigError", "CorruptIndexError", "IndexMismatchError", "InputError", "NeardupError", "UnusableReferenceError"]


class NeardupError(Exception):
    """Base class: anything neardup reports to a user as a clean one-line error."""


class ConfigError(NeardupError, ValueError):
    """An option is out of range or contradicts another one."""


class InputError(NeardupError):
    """A file or record cannot be read as text (names the file, line and what to do)."""


class IndexMismatchError(NeardupError):
    """A stored index was built with other signature parameters than the ones asked for."""


class UnusableReferenceError(InputError):
    """Nothing to check against: a reference path with no readable text, or an empty index.

    A check that cannot check must never approve, so the gate raises this (exit 2)
    instead of passing every submission.
    """


class CorruptIndexError(UnusableReferenceError):
    """A stored index that is not a neardup index, or fails its integrity check."""
