"""`spark-scan --dedup` keeps the same survivors as `neardup dedup`, on real Spark (local[2])."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from neardup.cli import cli

from .conftest import need

pytestmark = pytest.mark.slow  # real Spark in local mode


def _rows(families: dict[str, str]) -> list[dict]:
    dates = {"a/trad": "2019-06-01", "b/reorder": "2018-01-01"}
    rows = [{"id": k, "text": v, "date": dates.get(k, "2020-01-01"), "n": i} for i, (k, v) in enumerate(families.items())]
    # 70 pages sharing one notice paragraph (an LSH bucket over max_bucket: star and chain
    # candidates), and page 00 is nothing but the notice.
    notice = families["other/x"].split("\n")[0]
    rows += [{"id": f"notice/{i:02d}", "text": notice + ("" if i == 0 else f"\n第{i}号文件\n" + "这是一段不同的说明文字，" * (3 + i % 5)), "date": "2020-01-01", "n": 100 + i} for i in range(70)]
    return rows


def test_spark_dedup_keeps_the_survivors_of_the_local_command(spark, families: dict[str, str], tmp_path: Path) -> None:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        need(False, "pyarrow is not installed (pip install -e '.[test]')")

    rows = _rows(families)
    src = tmp_path / "in.parquet"
    pq.write_table(pa.Table.from_pylist(rows), src, row_group_size=16)
    for n, extra in enumerate(([], ["--order-by", "date", "--keep", "longest"])):
        local_out = tmp_path / f"local{n}.parquet"
        local = CliRunner().invoke(cli, ["dedup", str(src), "-o", str(local_out), *extra])
        assert local.exit_code == 0, local.stderr
        want = pq.read_table(local_out).to_pylist()
        out = tmp_path / f"spark{n}"
        result = CliRunner().invoke(
            cli, ["spark-scan", str(src), str(out / "clusters"), "--master", "local[2]", "--dedup", str(out / "kept"), *extra],
            catch_exceptions=False,
        )
        assert result.exit_code == 0, result.output
        got = sorted(pq.read_table(out / "kept").to_pylist(), key=lambda r: r["n"])
        assert got == want  # the same rows, every column
        assert len(want) < len(rows)
        removed = len(rows) - len(want)
        assert f"neardup dedup: {len(want):,} kept, {removed:,} removed -> {out / 'kept'}" in result.output
        if extra:
            ids = {r["id"] for r in got}
            assert {"a/trad", "b/reorder"} <= ids and "a/orig" not in ids


def test_spark_dedup_refuses_passages(spark, families: dict[str, str]) -> None:
    from neardup import spark as nsp
    from neardup.dedup import DedupConfig
    from neardup.errors import InputError

    df = spark.createDataFrame([(k, v) for k, v in families.items()], "id string, text string")
    with pytest.raises(InputError, match="locally only"):
        nsp.dedup(df, nsp.scan(df), config=DedupConfig(passages=True))

