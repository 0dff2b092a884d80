"""The same scan on Apache Spark, for corpora that do not fit one machine.

Every stage is the local one run in a distributed way, so a Spark scan reports the same
clusters as :func:`neardup.scan.scan` on the same documents:

1. **Documents** are numbered in id order (a distributed sort), as the local scan does.
2. **Boilerplate**: every document's distinct 12-character windows are counted over the
   corpus (one ``groupBy``); each document then gets the counts of its own windows, which
   is all the local second pass needs to find its boilerplate.
3. **Passages and signatures**: ``mapPartitions`` calls the local second pass
   (:func:`~neardup.scan.prepare_masked`: normalise, split, find boilerplate, shingle what
   is not boilerplate) and :func:`~neardup.signature.signatures` on batches of documents;
   a passage is keyed by ``pid = doc << 32 | index``, which sorts like the local global
   passage number.
4. **Candidates**: one row per (band, band key: :func:`~neardup.candidates.band_keys`,
   the local scan's, as a signed ``LongType``), grouped into buckets; a bucket of two
   passages is one pair, and a bigger one gives its pairs by the rule of ``candidates.py``
   (its own function: all pairs up to ``max_bucket`` members, else a star and a chain in
   passage order).
5. **Verify**: candidate pairs join both shingle sets; :func:`~neardup.verify.verify_pairs`
   runs inside ``mapPartitions``.
6. **Cluster**: the matched pairs (two integers each) come to the driver, which runs the
   local rules (:func:`~neardup.cluster.star_centres`, then
   :func:`~neardup.cluster.merge_runs`): copies of one text per cluster, never chained.
   Shingles and texts stay distributed: regions are runs of a document's passages at most
   ``gap`` apart (a window), and each cluster's members are scored against its
   representative with the local :func:`~neardup.verify.similarity`.
   Only the matched pairs, two integers each, reach the driver: 1.6 GB for 100 million
   matches.

Rows of the result have exactly the fields of a cluster in the JSON report
(``neardup.scan/3``): ``chars``, ``documents``, ``id``, ``members``, ``size``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from neardup.boilerplate import WindowCounts, document_windows
from neardup.candidates import band_keys, band_params, pairs_in_bucket
from neardup.cluster import attach_loners, merge_runs, star_centres
from neardup.config import ScanConfig
from neardup.dedup import DedupConfig, NearCopy, Removal, pair_share, resolve, survivor_key
from neardup.errors import InputError, NeardupError
from neardup.model import PASSAGE_COLUMNS, Document
from neardup.normalize import normalize
from neardup.scan import prepare_masked
from neardup.signature import signatures
from neardup.verify import shingle_positions, similarity, verify_pairs

try:
    from pyspark import StorageLevel
    from pyspark.errors import AnalysisException
    from pyspark.sql import DataFrame, SparkSession, Window
    from pyspark.sql import functions as F
    from pyspark.sql import types as T
except ImportError:
    raise NeardupError("Spark support needs pyspark, which is not installed: pip install 'neardup[spark]'") from None

__all__ = [
    "CLUSTER_SCHEMA",
    "SparkScanResult",
    "dedup",
    "output_exists",
    "read_documents",
    "scan",
    "scan_files",
    "session",
    "write_clusters",
]

logger = logging.getLogger(__name__)

_DOC_SHIFT = 32  # pid = doc << 32 | passage index: sorts like the local passage number
_BATCH_DOCS = 256  # documents per prepare()/signatures() call inside a partition
_BATCH_PAIRS = 4096  # candidate pairs per verify_pairs() call
_STORAGE = StorageLevel.MEMORY_AND_DISK

_PASSAGE_SCHEMA = T.StructType(
    [
        T.StructField("pid", T.LongType(), False),
        *(T.StructField(c, T.LongType() if c == "doc" else T.IntegerType(), False) for c in PASSAGE_COLUMNS),
        T.StructField("shingles", T.BinaryType(), False),
        T.StructField("keys", T.ArrayType(T.LongType(), False), False),
    ]
)
_MATCH_SCHEMA = T.StructType(
    [
        T.StructField("a", T.LongType(), False),
        T.StructField("b", T.LongType(), False),
        T.StructField("jaccard", T.DoubleType(), False),
        T.StructField("containment", T.DoubleType(), False),
    ]
)
_MEMBER_SCHEMA = T.StructType(
    [
        T.StructField("doc_id", T.StringType(), False),
        T.StructField("end", T.IntegerType(), False),
        T.StructField("jaccard", T.DoubleType(), False),
        T.StructField("line_end", T.IntegerType(), False),
        T.StructField("line_start", T.IntegerType(), False),
        T.StructField("passages", T.ArrayType(T.IntegerType(), False), False),
        T.StructField("start", T.IntegerType(), False),
        T.StructField("text", T.StringType(), False),
    ]
)
#: One row per cluster, fields as in the JSON report (sorted, as ``render_json`` sorts keys).
CLUSTER_SCHEMA = T.StructType(
    [
        T.StructField("chars", T.LongType(), False),
        T.StructField("documents", T.ArrayType(T.StringType(), False), False),
        T.StructField("id", T.LongType(), False),
        T.StructField("members", T.ArrayType(_MEMBER_SCHEMA, False), False),
        T.StructField("representative", T.IntegerType(), False),
        T.StructField("size", T.IntegerType(), False),
    ]
)
_UNSORTED_CLUSTER_SCHEMA = T.StructType([f for f in CLUSTER_SCHEMA.fields if f.name != "id"] + [T.StructField("first_doc_id", T.StringType(), False), T.StructField("first_start", T.IntegerType(), False)])


@dataclass(frozen=True)
class SparkScanResult:
    """What a Spark scan found: DataFrames, computed lazily and cached where reused.

    ``clusters`` has one row per cluster in the JSON report's shape, ordered by ``id``;
    the other frames are intermediate stages, useful for inspection and counts.
    """

    clusters: DataFrame
    documents: DataFrame
    passages: DataFrame
    candidates: DataFrame
    matches: DataFrame
    config: ScanConfig
    cached: tuple[DataFrame, ...] = ()  # other persisted intermediate frames

    def summary(self) -> dict[str, int]:
        """The report's ``summary`` block (runs one Spark job per count)."""
        return {
            "documents": self.documents.count(),
            "passages": self.passages.count(),
            "candidates": self.candidates.count(),
            "matches": self.matches.count(),
            "clusters": self.clusters.count(),
            "duplicated_chars": _covered_chars(self.clusters),
        }

    def unpersist(self) -> None:
        """Release the cached stages."""
        for frame in (self.clusters, self.documents, self.passages, self.candidates, self.matches, *self.cached):
            frame.unpersist()


def scan(
    df: DataFrame,
    *,
    text_col: str = "text",
    id_col: str = "id",
    config: ScanConfig | None = None,
    **options: Any,
) -> SparkScanResult:
    """Find clusters of near-duplicate passages in a DataFrame of documents.

    ``options`` are the local scan's (``threshold``, ``ngram``, ``num_perm``, ``seed``,
    ``tokens``, ``min_chars``, ``max_chars``); or pass a whole ``config``. Ids must be
    unique and not null; a null text counts as an empty document.

    Returns a :class:`SparkScanResult` whose ``clusters`` rows equal the ``clusters`` of
    ``to_dict(neardup.scan.scan(documents))``.
    """
    if config is None:
        config = ScanConfig.from_options(**options)
    elif options:
        raise InputError(f"give either config or options ({', '.join(sorted(options))}), not both")
    documents = _documents(df, text_col, id_col)
    cached: list[DataFrame] = []
    passages = _passages(_with_window_counts(documents, config, cached), config).persist(_STORAGE)
    candidates = _candidates(passages, config, cached).persist(_STORAGE)
    matches = _verify(candidates, passages, config).persist(_STORAGE)
    clusters = _clusters(_stars(matches, passages, config), passages, documents, config.cluster.gap)
    return SparkScanResult(clusters, documents, passages, candidates, matches, config, tuple(cached))


# --- documents -------------------------------------------------------------------------


def _documents(df: DataFrame, text_col: str, id_col: str) -> DataFrame:
    """``(doc, id, text)``: ``doc`` numbers the documents in id order, from 0."""
    for col, option in ((text_col, "text_col / --text-field"), (id_col, "id_col / --id-field")):
        if col not in df.columns:
            raise InputError(f"no column {col!r} in the input (columns: {', '.join(df.columns)}); set {option}")
    if not isinstance(df.schema[text_col].dataType, T.StringType):
        raise InputError(f"column {text_col!r} holds {df.schema[text_col].dataType.simpleString()}, not text")
    docs = df.select(F.col(id_col).cast("string").alias("id"), F.coalesce(F.col(text_col), F.lit("")).alias("text"))
    bad = docs.groupBy("id").count().where("id IS NULL OR count > 1").limit(1).collect()
    if bad:
        if bad[0]["id"] is None:
            raise InputError(f"column {id_col!r} is null in {bad[0]['count']} rows: every document needs an id")
        raise InputError(f"document id {bad[0]['id']!r} appears {bad[0]['count']} times: ids must be unique")
    ids = docs.select("id").orderBy("id").rdd.map(lambda row: row[0]).zipWithIndex()
    numbers = ids.toDF(T.StructType([T.StructField("id", T.StringType(), False), T.StructField("doc", T.LongType(), False)]))
    return docs.join(numbers, "id").select("doc", "id", "text").persist(_STORAGE)


# --- passages and signatures -----------------------------------------------------------


_WINDOWS_SCHEMA = T.StructType([T.StructField("doc", T.LongType(), False), T.StructField("w", T.LongType(), False)])


def _with_window_counts(documents: DataFrame, config: ScanConfig, cached: list[DataFrame]) -> DataFrame:
    """``documents`` plus ``wv``/``wc``: the document's windows carried by 2+ documents, and how many.

    Windows are the local 64-bit hashes, held as signed longs (the same bits).
    """
    k = config.boilerplate.min_chars
    norm_config = config.normalize

    def windows(partition: Iterable[Any]) -> Iterator[tuple[int, int]]:
        for row in partition:
            w = document_windows(normalize(row["text"], norm_config).text, k)
            for value in w.view(np.int64).tolist():
                yield (row["doc"], value)

    spark = documents.sparkSession
    per_doc = spark.createDataFrame(documents.rdd.mapPartitions(windows), _WINDOWS_SCHEMA, verifySchema=False).persist(_STORAGE)
    cached.append(per_doc)
    shared = per_doc.groupBy("w").agg(F.count("*").alias("c")).where("c >= 2")
    lists = per_doc.join(shared, "w").groupBy("doc").agg(F.collect_list("w").alias("wv"), F.collect_list("c").alias("wc"))
    return documents.join(lists, "doc", "left")


def _passages(documents: DataFrame, config: ScanConfig) -> DataFrame:
    bands, rows = band_params(config.candidates.threshold, config.signature.num_perm)

    def run(partition: Iterable[Any]) -> Iterator[tuple[Any, ...]]:
        return _passage_rows(partition, config, bands, rows)

    rdd = documents.rdd.mapPartitions(run)
    return documents.sparkSession.createDataFrame(rdd, _PASSAGE_SCHEMA, verifySchema=False)


def _batches(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _passage_rows(partition: Iterable[Any], config: ScanConfig, bands: int, rows: int) -> Iterator[tuple[Any, ...]]:
    """Rows of ``_PASSAGE_SCHEMA`` for one partition of ``(doc, id, text)`` rows."""
    for batch in _batches(partition, _BATCH_DOCS):
        values = np.array([v for row in batch for v in (row["wv"] or ())], dtype=np.int64).view(np.uint64)
        counts = np.array([c for row in batch for c in (row["wc"] or ())], dtype=np.int64)
        order = np.argsort(values, kind="stable")
        values, counts = values[order], counts[order]
        keep = np.concatenate(([True], values[1:] != values[:-1])) if len(values) else np.empty(0, bool)
        table, _ = prepare_masked([Document(row["id"], row["text"]) for row in batch], config, WindowCounts(values[keep], counts[keep]))
        sigs = signatures(table.hashes, table.offsets, config.signature)
        # the local scan's band keys (uint64), as Spark's signed LongType
        keys = band_keys(sigs, config.candidates, params=(bands, rows)).view(np.int64).tolist()
        for i, p in enumerate(table.passages):
            doc = int(batch[p.doc]["doc"])
            yield (doc << _DOC_SHIFT | p.index, *p.row(doc), table.shingles(i).astype("<u8").tobytes(), keys[i])


# --- candidates ------------------------------------------------------------------------


def _candidates(passages: DataFrame, config: ScanConfig, cached: list[DataFrame] | None = None) -> DataFrame:
    """Candidate pairs ``(a, b)``, ``a < b``, as ``find_candidates`` and ``scan`` give them.

    Pairs inside one document whose passages overlap are dropped, as the local scan does.
    """
    max_bucket = config.candidates.max_bucket
    # A passage with no shingle left (all boilerplate) is nobody's candidate, as locally.
    keyed = passages.where(F.length("shingles") > 0).select("pid", F.posexplode("keys").alias("band", "key"))
    # Most keys are unique and most shared ones join two passages: one hash aggregate
    # (count, min, max) settles those; only keys of three or more list their members.
    sizes = keyed.groupBy("band", "key").agg(
        F.count("*").alias("n"), F.min("pid").alias("a"), F.max("pid").alias("b")
    ).where("n >= 2").persist(_STORAGE)  # read twice: pairs of two, and the keys to list
    if cached is not None:
        cached.append(sizes)
    two = sizes.where("n = 2").select("a", "b")
    more = sizes.where("n > 2").select("band", "key")
    buckets = keyed.join(more, ["band", "key"], "left_semi").groupBy("band", "key").agg(F.collect_list("pid").alias("pids"))

    def bucket_pairs(row: Any) -> list[tuple[int, int]]:
        return [tuple(p) for p in pairs_in_bucket(np.array(row["pids"], dtype=np.int64), max_bucket).tolist()]

    pair_schema = T.StructType([T.StructField("a", T.LongType(), False), T.StructField("b", T.LongType(), False)])
    listed = passages.sparkSession.createDataFrame(buckets.rdd.flatMap(bucket_pairs), pair_schema, verifySchema=False)
    pairs = two.union(listed).distinct()
    spans = passages.select("pid", "doc", "start", "end")
    sa = spans.select(*(F.col(c).alias(f"{c}_a") for c in spans.columns))
    sb = spans.select(*(F.col(c).alias(f"{c}_b") for c in spans.columns))
    joined = pairs.join(sa, F.col("a") == F.col("pid_a")).join(sb, F.col("b") == F.col("pid_b"))
    overlapping = (F.col("doc_a") == F.col("doc_b")) & (F.col("start_a") < F.col("end_b")) & (F.col("start_b") < F.col("end_a"))
    return joined.where(~overlapping).select("a", "b")


# --- verify ----------------------------------------------------------------------------


def _verify(candidates: DataFrame, passages: DataFrame, config: ScanConfig) -> DataFrame:
    """Matches ``(a, b, jaccard, containment)``: candidates whose exact Jaccard reaches the threshold."""
    # The normalised span tells a whole short text from a masked passage (verify.match_scores).
    sets = passages.select("pid", "shingles", (F.col("norm_end") - F.col("norm_start")).alias("span"))
    joined = (
        candidates.join(sets.select(F.col("pid").alias("a"), F.col("shingles").alias("set_a"), F.col("span").alias("span_a")), "a")
        .join(sets.select(F.col("pid").alias("b"), F.col("shingles").alias("set_b"), F.col("span").alias("span_b")), "b")
        .select("a", "b", "set_a", "set_b", "span_a", "span_b")
    )
    verify = config.verification()
    ngram = config.shingle.ngram

    def run(partition: Iterable[Any]) -> Iterator[tuple[Any, ...]]:
        for batch in _batches(partition, _BATCH_PAIRS):
            arrays = [_uint64(row[side]) for row in batch for side in ("set_a", "set_b")]
            spans = [row[side] for row in batch for side in ("span_a", "span_b")]
            held = shingle_positions(0, np.array(spans, dtype=np.int64), ngram).tolist()
            pairs = np.arange(2 * len(batch), dtype=np.int64).reshape(-1, 2)
            for m in verify_pairs(pairs, arrays, verify, held):
                row = batch[m.a // 2]
                yield (row["a"], row["b"], m.jaccard, m.containment)

    return candidates.sparkSession.createDataFrame(joined.rdd.mapPartitions(run), _MATCH_SCHEMA, verifySchema=False)


def _uint64(data: bytes) -> np.ndarray:
    """A shingle set stored as bytes (little-endian uint64) -> the sorted array it was."""
    return np.frombuffer(data, dtype="<u8").astype(np.uint64)


# --- cluster ---------------------------------------------------------------------------


def _stars(matches: DataFrame, passages: DataFrame, config: ScanConfig) -> DataFrame:
    """``(node, comp, centre)``: each clustered passage, its cluster (the smallest pid) and
    whether it is a centre, by the local rules on the matched pairs collected here."""
    rows = matches.select("a", "b").collect()
    pairs = np.array([(r["a"], r["b"]) for r in rows], dtype=np.int64).reshape(-1, 2)
    pairs = pairs[np.lexsort((pairs[:, 1], pairs[:, 0]))] if len(pairs) else pairs
    nodes, centre = star_centres(pairs)
    centre = _attach_loners(nodes, centre, pairs, passages, config.verify.threshold)
    groups = merge_runs(nodes, centre, nodes >> _DOC_SHIFT, config.cluster.gap)
    out = [(int(n), int(g[0]), int(n) in centres) for g, centres in groups for n in g]
    schema = T.StructType(
        [T.StructField("node", T.LongType(), False), T.StructField("comp", T.LongType(), False), T.StructField("centre", T.BooleanType(), False)]
    )
    return matches.sparkSession.createDataFrame(out, schema)


def _attach_loners(
    nodes: np.ndarray, centre: np.ndarray, pairs: np.ndarray, passages: DataFrame, threshold: float
) -> np.ndarray:
    """The local :func:`neardup.cluster.attach_loners`, with the shingles it may need fetched."""
    wanted: set[int] = set()

    def shingle_set(numbers: Any) -> np.ndarray:
        return fetched[int(numbers[0])]

    # Which shingle sets the rule may need: every loner and its neighbours' centres.
    size = np.bincount(np.searchsorted(nodes, centre), minlength=len(nodes)) if len(nodes) else np.empty(0, np.int64)
    loners = nodes[(size == 1) & (centre == nodes)] if len(nodes) else nodes
    if len(loners) == 0:
        return centre
    wanted.update(loners.tolist())
    both = np.concatenate((pairs, pairs[:, ::-1]))
    near = both[np.isin(both[:, 0], loners), 1]
    wanted.update(centre[np.searchsorted(nodes, near)].tolist())
    got = passages.where(F.col("pid").isin(sorted(wanted))).select("pid", "shingles").collect()
    fetched = {int(r["pid"]): _uint64(r["shingles"]) for r in got}
    return attach_loners(nodes, centre, pairs, shingle_set, threshold)


def _clusters(components: DataFrame, passages: DataFrame, documents: DataFrame, gap: int) -> DataFrame:
    """Cluster rows from ``(node, comp, centre)``: regions as members, scored against the representative."""
    nodes = components.join(
        passages.select(F.col("pid").alias("node"), "doc", "idx", "start", "end", "line_start", "line_end", "shingles"), "node"
    )
    in_doc = Window.partitionBy("comp", "doc").orderBy("idx")
    new_region = F.lag("idx").over(in_doc).isNull() | (F.col("idx") - F.lag("idx").over(in_doc) > gap)
    nodes = nodes.withColumn("region", F.sum(new_region.cast("int")).over(in_doc.rowsBetween(Window.unboundedPreceding, 0)))
    regions = nodes.groupBy("comp", "doc", "region").agg(
        F.min("idx").alias("first_idx"),
        F.min_by("start", "idx").alias("start"),
        F.max("end").alias("end"),
        F.min_by("line_start", "idx").alias("line_start"),
        F.max("line_end").alias("line_end"),
        F.array_sort(F.collect_list("idx")).alias("passages"),
        F.collect_list("shingles").alias("shingles"),
        F.sum(F.col("centre").cast("int")).alias("centres"),
    )
    regions = regions.withColumn("regions", F.count("*").over(Window.partitionBy("comp"))).where("regions >= 2")
    members = regions.join(documents, "doc").select(
        "comp",
        "doc",
        "first_idx",
        F.col("id").alias("doc_id"),
        "start",
        "end",
        "line_start",
        "line_end",
        "passages",
        F.expr("substring(text, start + 1, end - start)").alias("text"),
        "shingles",
        "centres",
    )
    grouped = members.groupBy("comp").agg(F.collect_list(F.struct(*[c for c in members.columns if c != "comp"])).alias("regions"))
    spark = passages.sparkSession
    made = grouped.rdd.map(lambda row: _cluster_row(row["regions"])).filter(lambda row: row is not None)
    unsorted = spark.createDataFrame(made, _UNSORTED_CLUSTER_SCHEMA, verifySchema=False)
    order = [F.col("size").desc(), F.col("chars").desc(), F.col("first_doc_id"), F.col("first_start")]
    numbered = unsorted.orderBy(*order).drop("first_doc_id", "first_start").rdd.zipWithIndex()
    rows = numbered.map(
        lambda pair: (pair[0]["chars"], pair[0]["documents"], pair[1] + 1, pair[0]["members"], pair[0]["representative"], pair[0]["size"])
    )
    return spark.createDataFrame(rows, CLUSTER_SCHEMA, verifySchema=False).persist(_STORAGE)


def _cluster_row(regions: list[Any]) -> tuple[Any, ...] | None:
    """One cluster from its regions, as ``cluster._members`` builds it locally.

    The representative holds the most centres (then: the longest, the first in report
    order); every member's ``jaccard`` is its Jaccard with it, and a member sharing
    nothing with it is left out. ``None`` when fewer than two members remain.
    """
    regions = sorted(regions, key=lambda r: (r["doc"], r["first_idx"]))
    rep_k = min(range(len(regions)), key=lambda k: (-regions[k]["centres"], regions[k]["start"] - regions[k]["end"], regions[k]["doc_id"], regions[k]["start"]))
    sets = [np.unique(np.concatenate([_uint64(s) for s in r["shingles"]])) for r in regions]
    members = []
    for k, r in enumerate(regions):
        score = 1.0 if k == rep_k else similarity(sets[k], sets[rep_k])[0]
        if score <= 0.0:
            continue
        members.append(
            (r["doc_id"], r["end"], round(score, 4), r["line_end"], r["line_start"], list(r["passages"]), r["start"], r["text"], k == rep_k)
        )
    if len(members) < 2:
        return None
    members.sort(key=lambda m: (m[0], m[6]))
    rep = next(i for i, m in enumerate(members) if m[8])
    members = [m[:8] for m in members]
    chars = sum(m[1] - m[6] for m in members)
    return (chars, sorted({m[0] for m in members}), members, rep, len(members), members[0][0], members[0][6])


def _covered_chars(clusters: DataFrame) -> int:
    """Original characters inside some cluster member, each counted once (as ``scan.covered_chars``)."""
    spans = clusters.select(F.explode("members").alias("m")).select("m.doc_id", "m.start", "m.end")
    before = Window.partitionBy("doc_id").orderBy("start", "end").rowsBetween(Window.unboundedPreceding, -1)
    covered_to = F.coalesce(F.max("end").over(before), F.lit(-1))
    gain = F.greatest(F.col("end") - F.greatest(F.col("start"), covered_to), F.lit(0))
    row = spans.select(gain.alias("gain")).agg(F.sum("gain").alias("total")).first()
    return int(row["total"] or 0) if row is not None else 0


# --- dedup -----------------------------------------------------------------------------


def dedup(
    df: DataFrame,
    result: SparkScanResult,
    *,
    id_col: str = "id",
    order_by: str | None = None,
    config: DedupConfig | None = None,
) -> tuple[DataFrame, list[Removal]]:
    """The rows of ``df`` that survive deduplication, and the removed documents.

    The same decision as :func:`neardup.dedup.decide` on the local scan: each pair of
    documents' verified passage matches are gathered in Spark and scored with the local
    :func:`~neardup.dedup.pair_share`; only the near-copy pairs (a few per removed
    document) reach the driver, which resolves them in survivor order with the local
    :func:`~neardup.dedup.resolve`. Rows keep every column of ``df``. Cutting passages
    (``passages=True``) runs locally only.
    """
    config = config or DedupConfig()
    if config.passages:
        raise InputError("Spark dedup removes whole documents; cutting passages (--passages) runs locally only")
    if order_by is not None and order_by not in df.columns:
        raise InputError(f"no column {order_by!r} to order by (columns: {', '.join(df.columns)})")
    spark = df.sparkSession
    mask = (1 << _DOC_SHIFT) - 1
    sides = [
        result.matches.select(
            F.shiftright(mine, _DOC_SHIFT).alias("doc"), F.shiftright(theirs, _DOC_SHIFT).alias("other"),
            (mine.bitwiseAND(F.lit(mask))).cast("int").alias("idx"), "jaccard",
        )
        for mine, theirs in ((F.col("a"), F.col("b")), (F.col("b"), F.col("a")))
    ]  # fmt: skip
    matched = sides[0].union(sides[1]).where(F.col("doc") != F.col("other"))
    pairs = matched.groupBy("doc", "other").agg(F.collect_list(F.struct("idx", "jaccard")).alias("matched"))
    spans = result.passages.groupBy("doc").agg(F.collect_list(F.struct("idx", "start", "end")).alias("passages"))
    gap, min_share = result.config.cluster.gap, config.min_share

    def share_of(row: Any) -> Iterator[tuple[Any, ...]]:
        passages = [(p["start"], p["end"]) for p in sorted(row["passages"], key=lambda p: p["idx"])]
        share, sim = pair_share([(m["idx"], m["jaccard"]) for m in row["matched"]], passages, gap)
        if share >= min_share:
            yield (row["doc"], row["other"], share, sim)

    near_schema = "doc long, other long, share double, similarity double"
    scored = spark.createDataFrame(pairs.join(spans, "doc").rdd.flatMap(share_of), near_schema, verifySchema=False)
    names = result.documents.select("doc", "id")
    near_df = (
        scored.join(names.select("doc", F.col("id").alias("doc_id")), "doc")
        .join(names.select(F.col("doc").alias("other"), F.col("id").alias("other_id")), "other")
        .select("doc_id", F.col("other_id").alias("other"), "share", "similarity")
    )
    value = F.col(order_by) if order_by else F.lit(None)
    info = result.documents.select(F.col("id").alias("doc_id"), F.length("text").alias("length")).join(
        df.select(F.col(id_col).cast("string").alias("doc_id"), value.alias("value")), "doc_id"
    )
    keep = config.keep
    near = [NearCopy(r["doc_id"], r["other"], r["share"], r["similarity"]) for r in near_df.collect()]
    involved = sorted({n.doc_id for n in near} | {n.other for n in near})
    wanted = spark.createDataFrame([(i,) for i in involved], "doc_id string")
    keys = {
        r["doc_id"]: survivor_key(r["doc_id"], r["length"], r["value"], keep)
        for r in info.join(F.broadcast(wanted), "doc_id").collect()
    }
    _, removed = resolve(keys, near)
    removed.sort(key=lambda r: r.doc_id)
    gone = spark.createDataFrame([(r.doc_id,) for r in removed], "doc_id string")
    survivors = df.join(F.broadcast(gone), df[id_col].cast("string") == gone["doc_id"], "left_anti")
    return survivors, removed


# --- files -----------------------------------------------------------------------------


def _format(path: str, fmt: str) -> str:
    if fmt != "auto":
        return fmt
    return "parquet" if path.rstrip("/").endswith(".parquet") else "jsonl"


def read_documents(spark: SparkSession, path: str, *, fmt: str = "auto", text_col: str = "text", id_col: str = "id") -> DataFrame:
    """Documents from JSONL (one ``{"id": …, "text": …}`` object a line) or Parquet.

    ``fmt="auto"`` reads Parquet when the path ends in ``.parquet``, JSONL otherwise.
    """
    fmt = _format(path, fmt)
    try:
        if fmt == "parquet":
            return spark.read.parquet(path)
        schema = T.StructType([T.StructField(id_col, T.StringType()), T.StructField(text_col, T.StringType())])
        return spark.read.schema(schema).option("mode", "FAILFAST").json(path)
    except AnalysisException as err:
        raise InputError(f"{path}: cannot read as {fmt} ({_first_line(err)})") from None


def write_clusters(clusters: DataFrame, path: str, *, fmt: str = "auto", overwrite: bool = False) -> None:
    """Write one cluster per row: a folder of JSONL part files or Parquet.

    ``scan`` numbers the clusters in partition order, so the part files, read in name
    order, list the clusters by ``id``.
    """
    fmt = _format(path, fmt)
    writer = clusters.write.mode("overwrite" if overwrite else "errorifexists")
    try:
        if fmt == "parquet":
            writer.parquet(path)
        else:
            writer.json(path)
    except AnalysisException as err:
        raise InputError(f"{path}: cannot write ({_first_line(err)}); pass --overwrite to replace it") from None


def scan_files(
    spark: SparkSession,
    input_path: str,
    output: str,
    *,
    config: ScanConfig | None = None,
    input_format: str = "auto",
    output_format: str = "auto",
    text_col: str = "text",
    id_col: str = "id",
    overwrite: bool = False,
    dedup_output: str | None = None,
    dedup_config: DedupConfig | None = None,
    order_by: str | None = None,
) -> dict[str, int]:
    """Read documents, scan them, write the clusters; returns the summary counts.

    With ``dedup_output``, also write the surviving rows there as Parquet (every input
    column kept; the same survivors as ``neardup dedup``) and count ``removed``.
    Refuses an existing ``output`` unless ``overwrite``, before any work is done.
    """
    for target in (output, dedup_output):
        if target and not overwrite and output_exists(spark, target):
            raise InputError(f"{target}: already exists; remove it or pass --overwrite")
    df = read_documents(spark, input_path, fmt=input_format, text_col=text_col, id_col=id_col)
    if dedup_output and _format(input_path, input_format) == "jsonl" and order_by:
        raise InputError("--order-by on Spark needs Parquet input (JSONL is read as id and text only)")
    result = scan(df, text_col=text_col, id_col=id_col, config=config)
    write_clusters(result.clusters, output, fmt=output_format, overwrite=overwrite)
    removed: list[Removal] = []
    if dedup_output:
        survivors, removed = dedup(df, result, id_col=id_col, order_by=order_by, config=dedup_config)
        try:
            survivors.write.mode("overwrite" if overwrite else "errorifexists").parquet(dedup_output)
        except AnalysisException as err:
            raise InputError(f"{dedup_output}: cannot write ({_first_line(err)}); pass --overwrite to replace it") from None
    summary = result.summary()
    if dedup_output:
        summary["removed"] = len(removed)
    result.unpersist()
    return summary


def output_exists(spark: SparkSession, path: str) -> bool:
    """Whether ``path`` exists on its file system (local, HDFS, S3...), checked before scanning."""
    jvm: Any = spark.sparkContext._jvm
    hadoop_path = jvm.org.apache.hadoop.fs.Path(path)
    fs = hadoop_path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())  # type: ignore[attr-defined]
    return bool(fs.exists(hadoop_path))


def _first_line(err: Exception) -> str:
    return str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__


def session(master: str | None = None, app_name: str = "neardup") -> SparkSession:
    """The active SparkSession (under ``spark-submit``), or a new one on ``master``."""
    builder = SparkSession.builder.appName(app_name)
    if master:
        builder = builder.master(master)
    return builder.getOrCreate()

