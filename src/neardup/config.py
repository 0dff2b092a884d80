"""One frozen dataclass per pipeline stage, and ``ScanConfig`` composing them.

Each stage receives only its own config. The flat user options are one table,
:data:`OPTIONS`: the click options, :meth:`ScanConfig.from_options`, the keywords of
:meth:`neardup.store.Index.open` and the parameters a stored index keeps about itself
(:mod:`neardup.store.params`) all come from it, and every default is read from the
dataclasses below, so a name or a default is written once.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

from neardup.errors import ConfigError

__all__ = [
    "OPTIONS",
    "AlignConfig",
    "BoilerplateConfig",
    "CandidateConfig",
    "ClusterConfig",
    "FamilyConfig",
    "NormalizeConfig",
    "Option",
    "PassageConfig",
    "ScanConfig",
    "ShingleConfig",
    "SignatureConfig",
    "VerifyConfig",
]


def _check(ok: bool, message: str) -> None:
    if not ok:
        raise ConfigError(message)


@dataclass(frozen=True)
class NormalizeConfig:
    """What matching ignores. All on by default: copies differ in exactly these ways."""

    t2s: bool = True
    fold_variants: bool = True
    strip_ruby: bool = True
    fold_placeholders: bool = True
    casefold: bool = True
    drop_punctuation: bool = True
    #: Keep one space between two words of an alphabetic script where punctuation and
    #: spaces were dropped; on for word shingles (``tokens="words"``), which need them.
    word_spaces: bool = False


@dataclass(frozen=True)
class PassageConfig:
    """Passage lengths in normalised characters.

    ``min_chars`` merges short paragraphs (a heading, ``同志们：``) into their
    neighbours; ``max_chars`` cuts longer ones at content-defined points.
    """

    min_chars: int = 60
    max_chars: int = 400

    def __post_init__(self) -> None:
        _check(self.min_chars >= 1, f"min_chars must be >= 1, got {self.min_chars}")
        _check(
            self.max_chars >= 2 * self.min_chars,
            f"max_chars ({self.max_chars}) must be at least twice min_chars ({self.min_chars})",
        )


@dataclass(frozen=True)
class ShingleConfig:
    """Character k-grams by default; jieba word k-grams with ``tokens="words"``."""

    ngram: int = 4
    tokens: Literal["chars", "words"] = "chars"

    def __post_init__(self) -> None:
        _check(1 <= self.ngram <= 32, f"ngram must be in [1, 32], got {self.ngram}")
        _check(self.tokens in ("chars", "words"), f"tokens must be 'chars' or 'words', got {self.tokens!r}")


@dataclass(frozen=True)
class SignatureConfig:
    """MinHash size and scheme (see :mod:`neardup.signature`).

    ``bucketed`` is several times faster on passages of a few hundred characters and
    estimates Jaccard as well; ``affine32`` reproduces datasketch's ``MinHash`` bit for
    bit, for signatures that must be compared with ones datasketch made.
    """

    num_perm: int = 128
    seed: int = 1
    scheme: Literal["bucketed", "affine32"] = "bucketed"

    def __post_init__(self) -> None:
        _check(8 <= self.num_perm <= 1024, f"num_perm must be in [8, 1024], got {self.num_perm}")
        _check(self.scheme in ("bucketed", "affine32"), f"minhash_scheme must be 'bucketed' or 'affine32', got {self.scheme!r}")
        _check(0 <= self.seed < 2**32, f"seed must be in [0, 2**32), got {self.seed}")


@dataclass(frozen=True)
class CandidateConfig:
    """LSH banding; ``bands``/``rows`` default to datasketch's optimum for the threshold.

    ``containment``: also propose pairs that share rare shingles (a passage quoted,
    rewritten a little, inside a longer one: :mod:`neardup.containment`), kept when the
    aligner finds a reused span in them.
    """

    threshold: float = 0.3
    backend: Literal["numpy", "datasketch"] = "numpy"
    max_bucket: int = 64
    containment: bool = True

    def __post_init__(self) -> None:
        _check(0.0 < self.threshold <= 1.0, f"threshold must be in (0, 1], got {self.threshold}")
        _check(self.backend in ("numpy", "datasketch"), f"backend must be 'numpy' or 'datasketch', got {self.backend!r}")
        _check(self.max_bucket >= 2, f"max_bucket must be >= 2, got {self.max_bucket}")


#: Below the shared-shingle floor, a pair still matches when it shares this share of the
#: smaller passage's shingles: a short text copied whole, not a clause two texts share.
SHORT_CONTAINMENT = 0.8
#: A passage that boilerplate leaves with fewer shingles than this loses them all (the
#: scan's second pass): the few characters between a formula's pieces are no evidence.
MIN_RESIDUE = 24
#: A pair whose smaller passage has fewer shingles than both the floor and
#: :data:`MIN_RESIDUE` is a whole short text (boilerplate cannot have left it that
#: small): it matches sharing this share of its shingles (and at the Jaccard threshold).
#: A quatrain of 22 characters with two changed in another edition keeps 12 of its 19.
WHOLE_SHORT_SHARE = 0.5
#: Shingles two passages must share, by token kind: 24 character 4-grams is about 27
#: characters of own text; 5 word 3-grams about 7 words.
MIN_SHARED = {"chars": 24, "words": 5}


@dataclass(frozen=True)
class VerifyConfig:
    """A candidate pair is a match when its exact Jaccard reaches ``threshold`` and the
    two passages share at least ``min_shared`` shingles (boilerplate left out), or nearly
    all (:data:`SHORT_CONTAINMENT`) of the smaller one's.

    The floor keeps two short passages from matching on one stock clause: once a corpus's
    phrases are masked, a 90-character passage may keep only 30 shingles, and a shared
    20-character clause alone then gives a Jaccard above 0.3 (containment about a half).
    24 shingles is the same residue a passage needs to be compared at all (about 27
    characters of own text). A text too short to have that many (a 20-character quatrain
    has 17 shingles) matches sharing half of them (:data:`WHOLE_SHORT_SHARE`): passages
    are at least 60 characters unless the whole document is shorter, and boilerplate
    empties a passage it would leave that small, so such a passage is a whole short text.
    """

    threshold: float = 0.3
    #: ``None``: as the scan's tokens say (:data:`MIN_SHARED`).
    min_shared: int | None = None

    def __post_init__(self) -> None:
        _check(0.0 < self.threshold <= 1.0, f"threshold must be in (0, 1], got {self.threshold}")
        _check(self.min_shared is None or self.min_shared >= 0, f"min_shared must be >= 0, got {self.min_shared}")

    @property
    def shared_floor(self) -> int:
        """``min_shared``, or the floor for character shingles when it is left to the tokens
        (a scan resolves it with :meth:`ScanConfig.verification`)."""
        return MIN_SHARED["chars"] if self.min_shared is None else self.min_shared


@dataclass(frozen=True)
class ClusterConfig:
    """``gap``: how many unmatched passages may sit inside one reused region."""

    gap: int = 2

    def __post_init__(self) -> None:
        _check(self.gap >= 1, f"gap must be >= 1, got {self.gap}")


@dataclass(frozen=True)
class AlignConfig:
    """Reused-span alignment (passim-like): seed, chain, then diff inside.

    ``ngram``: seed length in normalised characters (8: long enough that chance seeds
    between two texts on one topic are rare, short enough that a blanked year every
    sentence still leaves seeds); ``max_gap``: normalised characters allowed between two
    seeds of one span on either side; ``min_chars``: the shortest span reported
    (normalised characters matched); ``max_repeat``: seeds occurring more often than this
    in either text are ignored (runs of ``20xx年``, tables), which keeps seeding linear.
    """

    normalize: NormalizeConfig = field(default_factory=NormalizeConfig)
    ngram: int = 8
    max_gap: int = 60
    min_chars: int = 30
    max_repeat: int = 8

    def __post_init__(self) -> None:
        _check(2 <= self.ngram <= 32, f"align ngram must be in [2, 32], got {self.ngram}")
        _check(self.max_gap >= 0, f"max_gap must be >= 0, got {self.max_gap}")
        _check(self.min_chars >= self.ngram, f"min_chars ({self.min_chars}) must be >= the seed ngram ({self.ngram})")
        _check(self.max_repeat >= 1, f"max_repeat must be >= 1, got {self.max_repeat}")

    def reporting_from(self, chars: int) -> AlignConfig:
        """This config, or one whose shortest span is ``chars`` (at least a seed) when that
        is shorter: a whole short text (a quatrain) is copied as a span under ``min_chars``."""
        return self if chars >= self.min_chars else replace(self, min_chars=max(chars, self.ngram))


@dataclass(frozen=True)
class BoilerplateConfig:
    """What counts as boilerplate rather than copying, and whether it may link documents.

    ``corpus``: a phrase, a run of at most ``phrase_chars`` normalised characters every
    ``min_chars`` window of which occurs in at least ``min_docs`` distinct documents (on
    the seeds, 3 documents and 12 characters keep exactly the stock phrases), or a
    formula, a run of at most ``formula_chars`` whose windows occur in at least
    ``formula_docs`` documents; either only where it stands alone (the text around it
    that at least ``standalone`` times as many documents carry, bridged over
    ``context_gap`` characters, is at most ``formula_chars`` long: otherwise it is part of
    a copy that as many documents share); longer shared runs are copies. A run in Latin
    letters must also hold ``min_chars`` words (a CJK character and a Latin word each
    count one). ``page``: with ``page_edges``, the
    short lines before a page's first line of prose and after its last (``prose_chars``
    content units: a CJK character or a Latin/digit word each count one); where three
    or more of those lines hold two sentences each, the chrome stops at them (quatrains,
    short paragraphs: content).

    ``link``: let boilerplate count as shared text (``--link-boilerplate``). By default
    boilerplate is found and reported but makes no match, no cluster edge and no part of
    any similarity: twenty speeches that end with one formula are not copies of each
    other. Base-file text never counts, whatever ``link`` says.
    """

    min_docs: int = 3
    min_chars: int = 12
    page_edges: bool = True
    prose_chars: int = 50
    phrase_chars: int = 48
    formula_chars: int = 240
    formula_docs: int = 10
    context_gap: int = 24
    standalone: float = 0.5
    link: bool = False

    def __post_init__(self) -> None:
        _check(self.min_docs >= 2, f"boilerplate min_docs must be >= 2, got {self.min_docs}")
        _check(4 <= self.min_chars <= 32, f"boilerplate min_chars must be in [4, 32], got {self.min_chars}")
        _check(self.prose_chars >= 1, f"prose_chars must be >= 1, got {self.prose_chars}")
        _check(self.formula_chars >= self.phrase_chars, f"formula_chars must be >= phrase_chars, got {self.formula_chars}")
        _check(self.phrase_chars >= self.min_chars, f"phrase_chars must be >= min_chars, got {self.phrase_chars}")
        _check(self.formula_docs >= self.min_docs, f"formula_docs must be >= min_docs, got {self.formula_docs}")
        _check(self.context_gap >= 0, f"context_gap must be >= 0, got {self.context_gap}")
        _check(0 < self.standalone < 1, f"standalone must be in (0, 1), got {self.standalone}")


@dataclass(frozen=True)
class FamilyConfig:
    """Content and template families: Louvain communities of the two document graphs (fixed ``seed``)."""

    seed: int = 1
    resolution: float = 1.0
    keywords: int = 6

    def __post_init__(self) -> None:
        _check(self.resolution > 0, f"resolution must be > 0, got {self.resolution}")
        _check(self.keywords >= 0, f"keywords must be >= 0, got {self.keywords}")


@dataclass(frozen=True)
class ScanConfig:
    normalize: NormalizeConfig = field(default_factory=NormalizeConfig)
    passages: PassageConfig = field(default_factory=PassageConfig)
    shingle: ShingleConfig = field(default_factory=ShingleConfig)
    signature: SignatureConfig = field(default_factory=SignatureConfig)
    candidates: CandidateConfig = field(default_factory=CandidateConfig)
    verify: VerifyConfig = field(default_factory=VerifyConfig)
    cluster: ClusterConfig = field(default_factory=ClusterConfig)
    align: AlignConfig = field(default_factory=AlignConfig)
    boilerplate: BoilerplateConfig = field(default_factory=BoilerplateConfig)
    families: FamilyConfig = field(default_factory=FamilyConfig)
    #: ``full``: clusters plus reused spans, templates and families, at every size;
    #: ``clusters``: clusters and boilerplate only (an opt-out for speed).
    detail: Literal["full", "clusters"] = "full"

    def __post_init__(self) -> None:
        _check(self.detail in ("full", "clusters"), f"detail must be 'full' or 'clusters', got {self.detail!r}")
        if self.shingle.tokens == "words" and not self.normalize.word_spaces:
            # Word shingles need word boundaries: English must not become "thequickbrownfox".
            object.__setattr__(self, "normalize", replace(self.normalize, word_spaces=True))

    @classmethod
    def from_options(cls, **options: Any) -> ScanConfig:
        """Build a config from the flat option names the CLI and API share (None = default).

        The names are those of :data:`OPTIONS`; an unknown name is an error. Options are
        applied in the table's order, so one later in it overrides an earlier one on the
        same field (``verify_threshold`` beats ``threshold`` on the verification threshold).

        >>> c = ScanConfig.from_options(threshold=0.5, ngram=None)
        >>> (c.candidates.threshold, c.verify.threshold, c.shingle.ngram)
        (0.5, 0.5, 4)
        >>> ScanConfig.from_options(verify_threshold=0.9, threshold=0.5).verify.threshold
        0.9
        """
        known = {o.name for o in OPTIONS}
        unknown = sorted(set(options) - known)
        if unknown:
            raise ConfigError(f"unknown option {unknown[0]!r}; options are {', '.join(sorted(known))}")
        base = cls()
        stages: dict[str, dict[str, Any]] = {}
        top: dict[str, Any] = {}
        for option in OPTIONS:
            value = options.get(option.name)
            if value is None:
                continue
            for path in option.paths:
                if len(path) == 1:
                    top[path[0]] = value
                else:  # every option of one stage set at once, then its checks run
                    stages.setdefault(path[0], {})[path[1]] = value
        fields = {f: replace(getattr(base, f), **values) for f, values in stages.items()}
        return replace(base, **fields, **top)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def verification(self) -> VerifyConfig:
        """The verify settings with ``min_shared`` resolved for this scan's tokens."""
        if self.verify.min_shared is not None:
            return self.verify
        return replace(self.verify, min_shared=MIN_SHARED[self.shingle.tokens])


def _get(obj: Any, path: tuple[str, ...]) -> Any:
    for name in path:
        obj = getattr(obj, name)
    return obj


@dataclass(frozen=True)
class Option:
    """One flat user option: its name (``threshold``; the flag is ``--threshold``), where
    it goes in a :class:`ScanConfig`, and what the command line accepts.

    The default is read from ``ScanConfig()`` (:attr:`default`), so it lives in one place.
    ``choices`` for a string option, ``low``/``high`` bounds for a number (``low_open``:
    the low bound excluded), ``flag_only`` for an on/off switch. ``stored`` options are
    parameters a stored index keeps (under the option's name, the value at its first
    path) and checks when it is opened: they decide its signatures, passages, LSH layout
    or matches, so an index built with one value cannot honour another. ``cli=False``:
    a library option, with no command-line flag.
    """

    name: str
    paths: tuple[tuple[str, ...], ...]
    help: str
    kind: type = int
    choices: tuple[str, ...] = ()
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    flag_only: bool = False
    stored: bool = False
    cli: bool = True

    def value(self, config: ScanConfig) -> Any:
        """The option's value in ``config`` (at its first path)."""
        return _get(config, self.paths[0])

    @property
    def default(self) -> Any:
        return self.value(ScanConfig())

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")


#: The user options of a scan, the index and the gate, in the order ``--help`` lists them
#: (library options last).
OPTIONS: tuple[Option, ...] = (
    Option("threshold", (("candidates", "threshold"), ("verify", "threshold")), "Jaccard similarity a passage pair must reach.", float, low=0, high=1, low_open=True, stored=True),
    Option("ngram", (("shingle", "ngram"),), "Shingle length in tokens.", low=1, high=32, stored=True),
    Option("num_perm", (("signature", "num_perm"),), "MinHash permutations.", low=8, high=1024, stored=True),
    Option("seed", (("signature", "seed"),), "MinHash seed.", low=0, high=2**32 - 1, stored=True),
    Option("minhash_scheme", (("signature", "scheme"),), "bucketed (fast) or affine32 (datasketch's MinHash, bit for bit).", str, ("bucketed", "affine32"), stored=True),
    Option("tokens", (("shingle", "tokens"),), "Shingle characters, or jieba words.", str, ("chars", "words"), stored=True),
    Option("min_chars", (("passages", "min_chars"),), "Merge paragraphs shorter than this.", low=1, stored=True),
    Option("max_chars", (("passages", "max_chars"),), "Cut paragraphs longer than this into windows.", low=1, stored=True),
    Option("link_boilerplate", (("boilerplate", "link"),), "Let boilerplate (stock phrases, closing formulas, page menus and footers) count as shared text; by default it is reported but never links documents.", bool, flag_only=True),
    Option("boilerplate_docs", (("boilerplate", "min_docs"),), "Text carried by this many distinct documents is boilerplate.", low=2),
    Option("backend", (("candidates", "backend"),), "LSH backend: numpy (fast) or datasketch's MinHashLSH (the reference).", str, ("numpy", "datasketch"), cli=False),
    Option("detail", (("detail",),), "full: clusters, reused spans, templates, boilerplate, families; clusters: clusters and boilerplate only (faster).", str, ("full", "clusters")),
    Option("verify_threshold", (("verify", "threshold"),), "Exact Jaccard a verified match needs, when it differs from the LSH threshold.", float, low=0, high=1, low_open=True, stored=True, cli=False),
    Option("min_shared", (("verify", "min_shared"),), "Shingles a verified match must share (unset: 24 for characters, 5 for words).", low=0, stored=True, cli=False),
    Option("gap", (("cluster", "gap"),), "Unmatched passages allowed inside one reused region.", low=1, stored=True, cli=False),
    Option("containment", (("candidates", "containment"),), "Also find passages quoted, rewritten a little, inside longer ones (pairs sharing rare shingles, checked by alignment).", bool, stored=True, cli=False),
    Option("max_bucket", (("candidates", "max_bucket"),), "LSH bucket size beyond which a bucket gives a star and a chain (an index: matches kept per new passage).", low=2, stored=True, cli=False),
)
