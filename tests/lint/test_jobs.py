"""``ipxelint --jobs N``: the rules run in worker processes, the output is the one of ``--jobs 1``.

The runs go through a small driver that records which process linted each file (and, for the crash
test, kills a worker outright with SIGKILL), then runs the real ``ipxelint`` entry point: the tests see
that workers really ran, that a boot tree stayed in one of them, and that a tiny run started none.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

DRIVER = """
import os, sys
from ipxescript.lint import engine
from ipxescript.lint.cli import main

parent = os.getpid()
finish = engine._finish
crash = os.environ.get("CRASH_ON")
with open(os.environ["LINTED_LOG"], "a") as log:
    log.write(f"{parent} (parent)\\n")

def spy(prepared, run):
    path = prepared.ctx.script.path
    with open(os.environ["LINTED_LOG"], "a") as log:
        log.write(f"{os.getpid()} {path}\\n")
    if crash and os.getpid() != parent and path == crash:
        os.kill(os.getpid(), 9)
    return finish(prepared, run)

engine._finish = spy
sys.argv[0] = "ipxelint"
main()
"""

PAD = 220  # lines of menu items per script: four trees of ~1,000 lines are work enough for two processes


def _tree(folder: Path, k: int) -> None:
    """A boot tree of two scripts: the menu sets a base URL, chains the child and handles its failure;
    the child reads the base, has a misspelt setting, a typo'd command and a goto to a missing label."""
    folder.mkdir(parents=True)
    items = "".join(f"item os{i} Operating system {i} of site {k}\n" for i in range(PAD))
    cases = "".join(f":os{i}\necho booting os{i} from ${{base-url}}\ngoto start\n" for i in range(PAD))
    (folder / "menu.ipxe").write_text(
        "#!ipxe\n"
        f"set base-url http://boot{k}.example.com/\n"
        ":start\n"
        f"menu Site {k}\n{items}"
        "choose target || goto failed\n"
        "goto ${target}\n"
        f"{cases}"
        "chain sub.ipxe || goto failed\n"
        ":failed\necho failed\nshell\n"
    )
    (folder / "sub.ipxe").write_text(
        "#!ipxe\n"
        "kernel ${base-url}vmlinuz initrd=initrd.img\n"
        "initrd ${base_url}initrd.img\n"
        "imgfetc ${base-url}extra.img\n"
        "dhcp || failed\n"
        "boot || goto missing\n"
        "sleep 3000\n"
        ":failed\n"
        "shell\n"
    )


@pytest.fixture(scope="module")
def trees(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("trees")
    for k in range(4):
        _tree(root / f"site{k}", k)
    return root


def _run(
    log: Path, *args: str, cwd: Path | None = None, crash_on: str = ""
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LINTED_LOG": str(log), "CRASH_ON": crash_on}
    log.unlink(missing_ok=True)
    return subprocess.run(
        [sys.executable, "-c", DRIVER, *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=120
    )


def _linted_by(log: Path) -> dict[str, str]:
    """Process id by file linted ("(parent)": the process ipxelint started in)."""
    return {path: pid for pid, path in (line.split(" ", 1) for line in log.read_text().splitlines())}


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github"])
def test_a_folder_of_trees_gives_the_same_output_with_workers(trees: Path, tmp_path: Path, fmt: str) -> None:
    log = tmp_path / "linted"
    one = _run(log, "--format", fmt, "--jobs", "1", str(trees))
    assert len(set(_linted_by(log).values())) == 1
    two = _run(log, "--format", fmt, "--jobs", "2", str(trees))
    by_pid = _linted_by(log)
    assert len(set(by_pid.values())) == 2, "two processes lint the four trees"
    assert len(by_pid) == 9
    for k in range(4):  # a boot tree stays in one process
        assert by_pid[str(trees / f"site{k}" / "menu.ipxe")] == by_pid[str(trees / f"site{k}" / "sub.ipxe")]
    assert one.returncode == two.returncode == 1
    assert "IPX403" in one.stdout  # a setting set nowhere in the tree (${base_url})
    assert two.stdout == one.stdout
    assert two.stderr == one.stderr


def test_files_given_one_by_one_give_the_same_output_with_workers(trees: Path, tmp_path: Path) -> None:
    files = sorted(str(p.relative_to(trees)) for p in trees.rglob("*.ipxe"))
    log = tmp_path / "linted"
    one = _run(log, "--format", "json", "--jobs", "1", *files, cwd=trees)
    two = _run(log, "--format", "json", "--jobs", "2", *files, cwd=trees)
    assert len(set(_linted_by(log).values())) == 2
    assert '"IPX' in one.stdout
    assert (two.stdout, two.stderr, two.returncode) == (one.stdout, one.stderr, one.returncode)


def test_a_worker_that_dies_loses_no_findings(trees: Path, tmp_path: Path) -> None:
    log = tmp_path / "linted"
    one = _run(log, "--jobs", "1", str(trees))
    _run(log, "--jobs", "2", str(trees))
    by_pid = _linted_by(log)
    victim = next(path for path, pid in by_pid.items() if pid != by_pid["(parent)"])
    crashed = _run(log, "--jobs", "2", str(trees), crash_on=victim)
    assert crashed.stdout == one.stdout
    assert crashed.returncode == one.returncode
    warning, summary = crashed.stderr.splitlines()
    assert warning == (
        "ipxelint: a worker process linting 4 files died: killed by signal 9 (SIGKILL);"
        " linting them again in this process"
    )
    assert summary == one.stderr.strip()


def test_one_file_starts_no_worker(trees: Path, tmp_path: Path) -> None:
    log = tmp_path / "linted"
    result = _run(log, "--jobs", "4", str(trees / "site1" / "sub.ipxe"), cwd=trees)
    assert result.returncode == 1
    linted = _linted_by(log)
    assert set(linted.values()) == {linted[str(trees / "site1" / "sub.ipxe")]}


def test_fix_with_workers_fixes_each_file_once(trees: Path, tmp_path: Path) -> None:
    import shutil

    outputs = []
    for jobs in ("1", "2"):
        copy = tmp_path / f"copy{jobs}"
        shutil.copytree(trees, copy)
        result = _run(tmp_path / "linted", "--fix", "--jobs", jobs, ".", cwd=copy)
        texts = {str(p.relative_to(copy)): p.read_text() for p in sorted(copy.rglob("*.ipxe"))}
        outputs.append((result.stdout, result.stderr, result.returncode, texts))
    assert outputs[0] == outputs[1]
    assert "dhcp || goto failed" in outputs[0][3]["site0/sub.ipxe"]


def test_shares_keep_groups_together_and_balance_lines() -> None:
    from ipxescript.lint.workers import plan

    sizes = [900, 100, 1000, 50, 950]
    groups = [0, 0, 1, 2, 3]  # files 0 and 1 chain each other
    shares = plan(sizes, groups, jobs=2)
    assert sorted(i for share in shares for i in share) == [0, 1, 2, 3, 4]
    assert any({0, 1} <= set(share) for share in shares)
    assert sorted(sum(sizes[i] for i in share) for share in shares) == [1050, 1950]
    assert plan(sizes, groups, jobs=1) == [[0, 1, 2, 3, 4]]
    assert plan([10, 10], [0, 1], jobs=8) == [[0, 1]]  # too little work for a second process


def test_no_process_to_be_had_means_the_work_is_done_here(monkeypatch: pytest.MonkeyPatch) -> None:
    from ipxescript.lint import workers

    def refuse() -> int:
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(workers.os, "fork", refuse)
    warned: list[str] = []
    done = workers.run_shares([[0, 2], [1, 3]], lambda share: [i * 10 for i in share], warned.append)
    assert done == [0, 10, 20, 30]
    assert warned == []
