"""The parameters an index stores about itself, and the check when it is opened.

The stored parameters are the options of :data:`neardup.config.OPTIONS` marked
``stored`` (ngram, tokens, num_perm, seed, MinHash scheme, passage lengths, the LSH and
verification thresholds, ``gap``, ``max_bucket``), each under its option's name, plus
what no option sets: the normalisation, datasketch's major version, ``keep_text``,
the schema version and the LSH band layout. They are stored as JSON when an index is
created. Opening it again with a different value of one of them raises
:class:`~neardup.errors.IndexMismatchError` naming it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, replace
from importlib.metadata import version
from typing import Any

from neardup.candidates import band_params
from neardup.config import OPTIONS, NormalizeConfig, Option, ScanConfig
from neardup.errors import ConfigError, IndexMismatchError, InputError

__all__ = ["ENV_PARAMS", "SCHEMA_VERSION", "STORED", "check_params", "config_of", "explicit_params", "flatten", "layout", "params_of"]

#: Layout version of the stored data; an index with another one is refused.
#: 2: band keys are :func:`neardup.candidates.band_keys` (SQLite and Redis alike; Redis
#: keeps its own buckets), and the verification threshold is stored on its own.
SCHEMA_VERSION = 2
#: Stored parameters that come from the environment, not from options.
ENV_PARAMS = ("datasketch_major",)
#: The options an index stores, and the keywords :meth:`neardup.store.Index.open` takes.
STORED: tuple[Option, ...] = tuple(o for o in OPTIONS if o.stored)


def params_of(config: ScanConfig, keep_text: bool) -> dict[str, Any]:
    """What an index stores about itself, except the LSH layout (see :func:`layout`).

    ``threshold`` is the LSH threshold the bands are laid out for; ``verify_threshold``
    the exact Jaccard a stored match needs (the same, unless a config says otherwise).
    """
    params = {o.name: o.value(config) for o in STORED}
    params.update(
        normalize=asdict(config.normalize),
        # the installed version, not ``import datasketch``: that loads scipy
        datasketch_major=version("datasketch").split(".")[0],
        schema_version=SCHEMA_VERSION,
        keep_text=keep_text,
    )
    return params


def explicit_params(config: ScanConfig | None, options: Mapping[str, Any]) -> set[str]:
    """The stored parameters a caller asked for: every one a ``config`` decides, or those
    the flat ``options`` set (``threshold`` sets both thresholds).

    An option that no stored parameter records is a :class:`ConfigError`: the index
    would otherwise ignore it without a word.
    """
    if config is not None:
        return set(flatten(params_of(config, True))) - {"keep_text", "schema_version", *ENV_PARAMS}
    stored = {o.name: o for o in STORED}
    unknown = sorted(set(options) - set(stored))
    if unknown:
        raise ConfigError(f"an index does not take the option {unknown[0]}: it stores only {', '.join(sorted(stored))}")
    # An option decides every stored parameter whose field it sets.
    return {o.name for name in options for o in STORED if o.paths[0] in stored[name].paths}


def layout(config: ScanConfig) -> dict[str, int]:
    """Bands and rows for a new index. Stored, never recomputed: a later version could
    choose differently."""
    bands, rows = band_params(config.candidates.threshold, config.signature.num_perm)
    return {"bands": bands, "rows": rows}


def flatten(params: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested parameters as ``{"normalize.t2s": True, ...}``."""
    out = {}
    for key, value in params.items():
        if isinstance(value, Mapping):
            out.update(flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def config_of(params: dict[str, Any], location: str) -> ScanConfig:
    """The config the stored parameters describe (defaults for what an index does not store)."""
    try:
        bands, rows, num_perm = int(params["bands"]), int(params["rows"]), int(params["num_perm"])
        if not (bands >= 2 and rows >= 1 and bands * rows <= num_perm):
            raise ValueError(f"bands={bands} x rows={rows} does not fit num_perm={num_perm}")
        # A parameter an older index did not store, or stored unset, takes the default.
        config = ScanConfig.from_options(**{o.name: o.kind(params[o.name]) for o in STORED if params.get(o.name) is not None})
        return replace(config, normalize=NormalizeConfig(**params["normalize"]))
    except (KeyError, TypeError, ValueError, ConfigError) as err:
        raise InputError(f"{location}: unreadable index parameters ({type(err).__name__}: {err})") from None


def check_params(stored: dict[str, Any], asked: dict[str, Any], explicit: Iterable[str], location: str) -> None:
    """Raise :class:`IndexMismatchError` naming the first parameter that differs."""
    if stored.get("schema_version") != SCHEMA_VERSION:
        raise IndexMismatchError(
            f"{location}: index schema_version is {stored.get('schema_version')!r}, this neardup reads"
            f" {SCHEMA_VERSION}; rebuild the index with this version"
        )
    flat_stored, flat_asked = flatten(stored), flatten(asked)
    for name in ENV_PARAMS:
        if flat_stored.get(name) != flat_asked[name]:
            raise IndexMismatchError(
                f"{location}: the index was built with {name}={flat_stored.get(name)!r}, this environment gives"
                f" {name}={flat_asked[name]!r}; signatures would not compare, rebuild the index"
            )
    for name in sorted(explicit):
        if flat_stored.get(name) != flat_asked.get(name):
            raise IndexMismatchError(
                f"{location}: the index was built with {name}={flat_stored.get(name)!r}, not {name}="
                f"{flat_asked.get(name)!r}; open it without that option to use its own parameters, or build"
                " a new index"
            )
