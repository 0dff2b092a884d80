from __future__ import annotations

import os
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
def filler_paragraphs(seed_texts: dict[str, str]) -> list[str]:
    """Long paragraphs of seed 000, which nothing else in the seeds copies."""
    text = seed_texts["000_1005f49524910cf3.txt"]
    return [line.strip() for line in text.splitlines() if len(line.strip()) > 100]


def _edit(text: str, every: int = 45) -> str:
    """A light copy edit: every ``every``-th character becomes 某 (a blank), as templates do."""
    return "".join("某" if i % every == every - 1 else c for i, c in enumerate(text))


@pytest.fixture(scope="session")
def planted_corpus(simplified_paragraphs: list[str], filler_paragraphs: list[str]):
    """Sources, edited copies, a document bridging two sources and one copying itself."""
    from neardup import Document

    p, f = simplified_paragraphs, filler_paragraphs
    docs = {
        "src/a.txt": p[0:6],
        "src/b.txt": p[6:12],
        "src/c.txt": p[12:18],
        "src/d.txt": p[18:24],
        "copy/a1.txt": ["会议指出：", *map(_edit, p[1:4]), f[0]],
        "copy/a2.txt": [f[1], p[2], p[3], _edit(p[4], 30)],
        "copy/b1.txt": [*map(_edit, p[7:10]), f[2]],
        "copy/bridge.txt": [p[4], p[5], f[3], p[10], p[11]],
        "copy/self.txt": [p[13], f[4], f[5], _edit(p[13], 60)],
        "other/x.txt": [f[6], f[7]],
    }
    return [Document(doc_id, "\n".join(paras) + "\n") for doc_id, paras in docs.items()]


@pytest.fixture(scope="session")
def families(simplified_paragraphs: list[str], filler_paragraphs: list[str]) -> dict[str, str]:
    """Two originals with whole-document copies, a partial copy, and unrelated text."""
    p, f = simplified_paragraphs, filler_paragraphs
    a, b = p[0:5], p[5:10]
    import opencc

    s2t = opencc.OpenCC("s2t")
    docs = {
        "a/orig": a,
        "a/edit": [_edit(x) for x in a],
        "a/trad": [s2t.convert(x) for x in a],
        "b/orig": b,
        "b/reorder": [b[3], b[0], b[4], b[1], b[2]],
        "host/partial": [f[0], f[1], b[1], b[2], f[2], f[3], f[8]],
        "other/x": [f[4], f[5]],
        "other/y": [f[6], f[7]],
    }
    return {k: "\n".join(v) + "\n" for k, v in docs.items()}


@pytest.fixture(scope="session")
def redis_server():
    """A real redis-server on a free loopback port, without persistence; stopped after."""
    import shutil
    import socket
    import subprocess
    import time

    exe = shutil.which("redis-server")
    if exe is None:
        need(False, "redis-server is not installed (.ci/run installs it)")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [exe, "--save", "", "--appendonly", "no", "--port", str(port), "--bind", "127.0.0.1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    import redis

    client = redis.Redis(host="127.0.0.1", port=port)
    deadline = time.monotonic() + 15
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise RuntimeError(f"redis-server did not start on port {port}") from None
            time.sleep(0.05)
    client.close()
    yield f"redis://127.0.0.1:{port}/0"
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture
def redis_url(redis_server: str) -> str:
    """A fresh index name on the shared test server."""
    import uuid

    return f"{redis_server}?basename=t{uuid.uuid4().hex[:12]}"


def need(available: bool, why: str) -> None:
    """A missing external component skips a test on a developer's machine, but fails in CI
    (where .ci/run installs everything), so a skip can never hide a broken install."""
    if available:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{why} (required in CI)")
    pytest.skip(why)


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


#: Hypothesis: lists of small half-open ranges ``(start, end)``, overlapping or not (the
#: interval helpers' property tests).
def range_lists():
    from hypothesis import strategies as st

    return st.lists(st.tuples(st.integers(0, 50), st.integers(0, 9)).map(lambda t: (t[0], t[0] + t[1])), max_size=8)
