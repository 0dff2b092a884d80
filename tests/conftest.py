from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "examples" / "seeds"
EZHOU_FILE = SEEDS / "004_21f10bf9ae509db8.txt"


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    return SEEDS


@pytest.fixture(scope="session")
def seed_texts() -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(SEEDS.iterdir())}


@pytest.fixture(scope="session")
def simplified_paragraphs(seed_texts: dict[str, str]) -> list[str]:
    """Long real paragraphs from the simplified seed pages (001-003)."""
    out = []
    for name in sorted(seed_texts)[1:4]:
        out.extend(line.strip() for line in seed_texts[name].splitlines() if len(line.strip()) > 150)
    return out


@pytest.fixture(scope="session")
def spark():
    """One real Spark session in local mode for the whole run (started on first use)."""
    import os

    import neardup
    from pyspark.sql import SparkSession  # a test dependency: missing pyspark or Java fails loudly

    src = str(Path(neardup.__file__).resolve().parent.parent)
    with pytest.MonkeyPatch.context() as mp:
        # Spark's Python workers must import this checkout of neardup, whatever the cwd.
        mp.setenv("PYTHONPATH", os.pathsep.join(p for p in (src, os.environ.get("PYTHONPATH")) if p))
        session = (
            SparkSession.builder.master("local[2]")
            .appName("neardup-tests")
            .config("spark.sql.shuffle.partitions", "2")
            .config("spark.default.parallelism", "2")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.driver.memory", "2g")
            .getOrCreate()
        )
        session.sparkContext.setLogLevel("ERROR")
        yield session
        session.stop()
