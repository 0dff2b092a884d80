"""The pre-commit hook (real pre-commit on a throwaway repo) and the GitHub workflow script."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "examples" / "seeds"
ESSAY = "我对推进基层治理的一点思考。\n" + "基层治理要从群众最关心的小事做起，把服务送到家门口，让办事更方便、更透明。" * 8 + "\n"


def _copied_paragraph() -> str:
    text = (SEEDS / "001_dd9de37c9c444b8c.txt").read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if len(line.strip()) > 200][2]


def _git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid"}
    return subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True, text=True).stdout


def _repo(tmp_path: Path) -> Path:
    repo = tmp_path / "project"
    (repo / "reference").mkdir(parents=True)
    for p in SEEDS.iterdir():
        shutil.copy(p, repo / "reference" / p.name)
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "reference corpus")
    return repo


def test_published_hook_blocks_a_copied_file_fast(tmp_path: Path) -> None:
    """The hook as published, run by real pre-commit, from a local hook repository.

    The hook's own definition (entry, types, serial) is read from .pre-commit-hooks.yaml;
    only its language becomes ``unsupported`` (run from PATH), so pre-commit does not
    build a virtualenv and install neardup's dependencies (227 s): the slow test below
    does that.
    """
    [hook] = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    repo = _repo(tmp_path)
    (repo / "essay.txt").write_text(ESSAY, encoding="utf-8")
    (repo / "copied.txt").write_text(ESSAY + _copied_paragraph() + "\n", encoding="utf-8")
    (repo / "neardup.toml").write_text('[gate]\nagainst = ["reference/"]\n', encoding="utf-8")
    local = {**hook, "language": "unsupported"}
    config = {"repos": [{"repo": "local", "hooks": [local]}]}
    (repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    env = {
        **os.environ,
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    cmd = [sys.executable, "-m", "pre_commit", "run", "neardup-gate", "--verbose", "--files"]
    ok = subprocess.run([*cmd, "essay.txt"], cwd=repo, env=env, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "PASS essay.txt" in ok.stdout
    bad = subprocess.run([*cmd, "copied.txt"], cwd=repo, env=env, capture_output=True, text=True)
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "FAIL copied.txt" in bad.stdout and "reference/001_dd9de37c9c444b8c.txt" in bad.stdout
    (repo / "empty").mkdir()
    (repo / "neardup.toml").write_text('[gate]\nagainst = ["empty/"]\n', encoding="utf-8")
    closed = subprocess.run([*cmd, "essay.txt"], cwd=repo, env=env, capture_output=True, text=True)
    assert closed.returncode != 0 and "empty/: no readable reference text" in closed.stdout, closed.stdout


@pytest.mark.slow
def test_pre_commit_hook_blocks_a_copied_file(tmp_path: Path) -> None:
    """The published hook installed by pre-commit itself (a virtualenv with neardup's dependencies)."""
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert hooks[0]["id"] == "neardup-gate" and hooks[0]["entry"] == "neardup gate"
    repo = _repo(tmp_path)
    (repo / "essay.txt").write_text(ESSAY, encoding="utf-8")
    (repo / "copied.txt").write_text(ESSAY + _copied_paragraph() + "\n", encoding="utf-8")
    env = {**os.environ, "PRE_COMMIT_HOME": str(Path.home() / ".cache" / "neardup-pre-commit-test")}
    # try-repo runs the hook as published (no args), so the project's settings file
    # names the reference corpus, as a user of the hook would.
    (repo / "neardup.toml").write_text('[gate]\nagainst = ["reference/"]\n', encoding="utf-8")
    cmd = [sys.executable, "-m", "pre_commit", "try-repo", str(ROOT), "neardup-gate", "--verbose", "--files"]
    ok = subprocess.run([*cmd, "essay.txt"], cwd=repo, env=env, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    bad = subprocess.run([*cmd, "copied.txt"], cwd=repo, env=env, capture_output=True, text=True)
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "FAIL copied.txt" in bad.stdout and "reference/001_dd9de37c9c444b8c.txt" in bad.stdout


def test_github_workflow_script_gates_changed_files(tmp_path: Path) -> None:
    workflow = yaml.safe_load((ROOT / "examples" / "github" / "neardup-gate.yml").read_text(encoding="utf-8"))
    [step] = [s for s in workflow["jobs"]["gate"]["steps"] if "neardup gate" in s.get("run", "")]
    repo = _repo(tmp_path)
    _git(repo, "checkout", "-q", "-b", "feature")
    (repo / "essay.txt").write_text(ESSAY, encoding="utf-8")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "an original essay")
    env = {**os.environ, "NEARDUP_BASE": "main", "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    ok = subprocess.run(["bash", "-c", step["run"]], cwd=repo, env=env, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "::notice title=neardup gate::1 passed, 0 failed" in ok.stdout
    (repo / "copied.txt").write_text(ESSAY + _copied_paragraph() + "\n", encoding="utf-8")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "a copied essay")
    bad = subprocess.run(["bash", "-c", step["run"]], cwd=repo, env=env, capture_output=True, text=True)
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert bad.stdout.startswith("::error file=copied.txt,line=3,endLine=3,")
