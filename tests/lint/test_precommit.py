"""The real ``pre-commit try-repo`` against a copy of this checkout, offline.

The hook is ``language: python``: pre-commit makes a virtualenv and pip-installs the repository. To
keep that offline, the test hands pip the packages this environment already has (PYTHONPATH to its
site-packages, so every dependency counts as installed), forbids the index (PIP_NO_INDEX) and builds
without isolation (the local setuptools builds the checkout). Only the checkout itself is installed.
"""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

IGNORE = shutil.ignore_patterns(
    ".git", ".venv", "venv", "__pycache__", "*.egg-info", "tests", "node_modules", ".*_cache", "editors",
    "benchmarks", "examples", "build", "dist",
)  # fmt: skip


def _git(*args: str, cwd: Path) -> None:
    subprocess.run(
        ["git", "-c", "user.name=test", "-c", "user.email=test@example.com", *args],
        cwd=cwd, check=True, capture_output=True, timeout=60,
    )  # fmt: skip


@pytest.mark.timeout(600)
def test_pre_commit_try_repo_passes_clean_and_fails_broken(tmp_path):
    if shutil.which("git") is None:
        pytest.fail("git is needed for pre-commit")
    repo = tmp_path / "ipxescript"
    shutil.copytree(ROOT, repo, ignore=IGNORE)
    _git("init", "-q", cwd=repo)
    _git("add", "-A", cwd=repo)
    _git("commit", "-qm", "snapshot", cwd=repo)

    work = tmp_path / "work"
    work.mkdir()
    (work / "good.ipxe").write_text("#!ipxe\ndhcp || goto failed\nchain ${filename} ||\n:failed\nshell\n")
    (work / "bad.ipxe").write_text("#!ipxe\ndhcp || failed\n:failed\nshell\n")
    _git("init", "-q", cwd=work)
    _git("add", "-A", cwd=work)

    env = dict(os.environ)
    env.update(
        PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home"),
        PYTHONPATH=os.pathsep.join(site.getsitepackages()),
        PIP_NO_INDEX="1",
        PIP_NO_BUILD_ISOLATION="0",
    )

    def try_repo(name: str, hook: str = "ipxelint") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "pre_commit", "try-repo", str(repo), hook, "--files", name],
            cwd=work, env=env, capture_output=True, text=True, timeout=500,
        )  # fmt: skip

    good = try_repo("good.ipxe")
    assert good.returncode == 0, good.stdout + good.stderr
    assert "Passed" in good.stdout

    bad = try_repo("bad.ipxe")
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "bad.ipxe:2:9: error IPX205" in bad.stdout

    # the formatter's hook: a formatted file passes; an untidy one is reformatted and stops the commit
    (work / "untidy.ipxe").write_text("#!ipxe\n  echo   hi  \ngoto   end\n:end\n")
    _git("add", "-A", cwd=work)
    tidy = try_repo("good.ipxe", "ipxescript-fmt")
    assert tidy.returncode == 0, tidy.stdout + tidy.stderr
    untidy = try_repo("untidy.ipxe", "ipxescript-fmt")
    assert untidy.returncode == 1, untidy.stdout + untidy.stderr
    assert "files were modified by this hook" in untidy.stdout
    assert (work / "untidy.ipxe").read_text() == "#!ipxe\necho hi\ngoto end\n:end\n"
