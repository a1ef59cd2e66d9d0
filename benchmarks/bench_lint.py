"""Linter benchmark: batch lint of real scripts against elfshoe, and the generated 10,000-line script.

    python benchmarks/bench_lint.py [--lines 10000] [--repeat 5] [--corpus DIR]

- Real scripts: every script of a corpus of real repositories (default /work/corpus, or $IPXE_CORPUS:
  one folder per repository and an INDEX.tsv of repo, commit, path, lines; the corpus itself is never
  committed) that elfshoe, a 250-line regex linter on PyPI, can read (it crashes on files that are not
  UTF-8: those are left out of both sides). Goal (issue 15): at most 3x elfshoe's time, measured two ways:
  - the whole command as a user runs it (pre-commit): `ipxelint FILES...` against elfshoe's
    `ipxelint FILES...` on the same files, start-up included, run in turn A B A B; the median of the
    pair-by-pair ratios of time (wall: what the user waits) and of CPU time (the process and its
    worker processes: `--jobs` defaults to the usable CPUs); `--jobs 1` (one process) printed beside,
    and the same files copied under one git work tree (pre-commit in one big repository: one project
    root, its boot tree holding every file);
  - in this process, without start-up: ours lints each repository's scripts as one boot tree, as
    `ipxelint REPO/` does; elfshoe validates each file; least CPU time of `--repeat`.
  elfshoe is a benchmark dependency, installed on first use into benchmarks/.deps (`pip install
  --target`): it also installs a script called `ipxelint`, which must not shadow ours.
  A rerun with ``--cache-dir`` over the same unchanged files is printed apart (a cache hit, not the goal).
- The generated 10,000-line menu script: the full lint (parse + core checks + every rule), lines per
  CPU second (goal: >= 50,000 lines/s; wall time printed), against parsing alone; the whole command on
  it; the formatter's time on the same text; the cost of did-you-mean hints on a script with 300 gotos
  to missing labels among 900 labels (1,800 lines).
"""

from __future__ import annotations

import argparse
import importlib
import os
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import menu_script  # noqa: E402
from report import best, best_cpu, goal, paired_commands  # noqa: E402

from ipxescript.fmt import format_text  # noqa: E402
from ipxescript.lint import LintConfig, lint_source  # noqa: E402
from ipxescript.lint.engine import lint_tree  # noqa: E402
from ipxescript.lint.workers import usable_cpus  # noqa: E402
from ipxescript.syntax.parser import parse  # noqa: E402
from ipxescript.syntax.source import decode_source  # noqa: E402


def missing_labels_script(labels: int = 900, missing: int = 300) -> str:
    lines = ["#!ipxe"]
    for i in range(labels):
        lines += [f":section_number_{i}", f"echo {i}"]
    lines += [f"iseq ${{x}} {i} && goto section_numbr_{i} ||" for i in range(missing)]
    return "\n".join(lines) + "\n"


def corpus(root: Path) -> dict[Path, list[Path]]:
    """The corpus's scripts by repository folder (INDEX.tsv: repo, commit, path, lines)."""
    repos: dict[Path, list[Path]] = {}
    with open(root / "INDEX.tsv", encoding="utf-8") as index:
        next(index)
        for row in index:
            repo, _commit, path, _lines = row.rstrip("\n").split("\t")
            folder = root / repo.replace("/", "+")
            repos.setdefault(folder, []).append(folder / path)
    return repos


def one_root(files: list[Path], corpus_root: Path, top: Path) -> list[str]:
    """The files copied under ``top``, one git work tree (its repositories as folders): their names."""
    (top / ".git").mkdir()
    names = []
    for path in files:
        copy = top / path.relative_to(corpus_root)
        copy.parent.mkdir(parents=True, exist_ok=True)
        copy.write_bytes(path.read_bytes())
        names.append(str(copy))
    return names


def elfshoe_reads(validator, path: Path) -> bool:  # type: ignore[no-untyped-def]
    try:
        validator.validate_file(path)
    except (UnicodeDecodeError, OSError):
        return False
    return True


def lint_repos(repos: dict[Path, list[Path]]) -> int:
    """What `ipxelint REPO/` does for each repository, without the output: read, decode, lint as a tree."""
    config = LintConfig()
    found = 0
    for folder, paths in repos.items():
        inputs = [(str(path), decode_source(path.read_bytes())[0], config) for path in paths]
        found += sum(len(result.diagnostics) for result in lint_tree(inputs, root=folder))
    return found


DEPS = Path(__file__).resolve().parent / ".deps"


def import_elfshoe():  # type: ignore[no-untyped-def]
    """elfshoe's validator, installed into benchmarks/.deps when it is not there yet (None if that fails)."""
    sys.path.append(str(DEPS))
    try:
        from elfshoe.validator import IPXEValidator
    except ImportError:
        install = [sys.executable, "-m", "pip", "install", "-q", "--target", str(DEPS), "elfshoe"]
        if subprocess.run(install, check=False).returncode != 0:
            return None
        importlib.invalidate_caches()  # the folder did not exist at the first try
        from elfshoe.validator import IPXEValidator
    return IPXEValidator


def real_scripts(root: Path, repeat: int) -> None:
    IPXEValidator = import_elfshoe()  # noqa: N806
    if IPXEValidator is None:
        print("real scripts: skipped (elfshoe, the reference, could not be installed)")
        return
    if not (root / "INDEX.tsv").is_file():
        print(f"real scripts: skipped (no corpus at {root}; set IPXE_CORPUS)")
        return
    validator = IPXEValidator()
    everything = corpus(root)
    repos = {
        folder: [p for p in paths if elfshoe_reads(validator, p)] for folder, paths in everything.items()
    }
    repos = {folder: paths for folder, paths in repos.items() if paths}
    files = [path for paths in repos.values() for path in paths]
    lines = sum(path.read_bytes().count(b"\n") for path in files)
    skipped = sum(len(paths) for paths in everything.values()) - len(files)

    def theirs() -> None:
        for path in files:
            validator.validate_file(path)

    found = lint_repos(repos)  # warm up (catalog, rules)
    t_theirs = best_cpu(theirs, repeat)
    t_ours = best_cpu(lambda: lint_repos(repos), repeat)
    print(
        f"real scripts: {len(files)} files ({lines} lines) in {len(repos)} repositories"
        f" ({skipped} files elfshoe cannot read left out); {found} findings"
    )
    names = [str(p) for p in files]
    whole = paired_commands(OURS + names, ELFSHOE + names, repeat, ELFSHOE_ENV)
    serial = paired_commands(OURS + ["--jobs", "1", *names], ELFSHOE + names, repeat, ELFSHOE_ENV)
    with tempfile.TemporaryDirectory() as top:  # pre-commit over one big repository: one project root
        copies = one_root(files, root, Path(top))
        single = paired_commands(OURS + copies, ELFSHOE + copies, repeat, ELFSHOE_ENV)
    print(
        f"  whole command, start-up included (medians; ratio of A/B pairs; CPU of the process and its"
        f" workers; {usable_cpus()} usable CPUs, load {os.getloadavg()[0]:.1f} at the end):"
    )
    for name, pair in (("ipxelint FILES", whole), ("... --jobs 1", serial), ("... one root", single)):
        print(f"    {name:16}: {pair['cpu_a'] * 1000:8.0f} ms CPU  {pair['wall_a'] * 1000:8.0f} ms wall")
    print(
        f"    {'elfshoe FILES':16}: {whole['cpu_b'] * 1000:8.0f} ms CPU  {whole['wall_b'] * 1000:8.0f} ms wall"
    )
    print(
        "    (one root: the same files copied under one git work tree, as pre-commit runs it in one repository)"
    )
    for name, pair in (("ipxelint", whole), ("--jobs 1", serial), ("one root", single)):
        print(
            f"    ratio {name:8} / elfshoe: {pair['wall_ratio']:.2f}x time (wall), {pair['cpu_ratio']:.2f}x CPU"
            "   (target <= 3x)"
        )
    with tempfile.TemporaryDirectory() as cache:  # the first (warm-up) run fills it: the rest are hits
        warm = paired_commands(OURS + ["--cache-dir", cache, *names], ELFSHOE + names, repeat, ELFSHOE_ENV)
    print(
        f"    rerun, unchanged (--cache-dir hit): {warm['cpu_a'] * 1000:.0f} ms CPU, {warm['cpu_ratio']:.2f}x"
        " elfshoe's (not the goal: the goal is the cold run above)"
    )
    print("  in this process, no start-up (least CPU time):")
    print(f"    ipxelint (trees) : {t_ours * 1000:8.1f} ms  {lines / t_ours:10.0f} lines/s")
    print(f"    elfshoe          : {t_theirs * 1000:8.1f} ms  {lines / t_theirs:10.0f} lines/s")
    print(f"    ratio (our time / elfshoe's): {t_ours / t_theirs:.2f}x   (target <= 3x)")
    goal(
        "lint",
        f"{len(files)} real scripts, whole command, our time / elfshoe's",
        whole["wall_ratio"],
        3.0,
        higher_is_better=False,
    )
    goal(
        "lint",
        f"{len(files)} real scripts, whole command, our CPU / elfshoe's",
        whole["cpu_ratio"],
        3.0,
        higher_is_better=False,
    )
    goal(
        "lint",
        f"{len(files)} real scripts, in process, our CPU / elfshoe's",
        t_ours / t_theirs,
        3.0,
        higher_is_better=False,
    )


_SCRIPT = Path(sys.executable).with_name("ipxelint")  # the console script, as a user runs it
OURS = [str(_SCRIPT)] if _SCRIPT.is_file() else [sys.executable, "-m", "ipxescript.lint.cli"]
OURS += ["-q", "--fail-on", "never"]
ELFSHOE = [sys.executable, str(DEPS / "bin" / "ipxelint")]  # elfshoe's own `ipxelint` script
ELFSHOE_ENV = {"PYTHONPATH": str(DEPS)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lines", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--corpus", type=Path, default=Path(os.environ.get("IPXE_CORPUS", "/work/corpus")))
    args = parser.parse_args()
    real_scripts(args.corpus, args.repeat)
    text = menu_script(args.lines)
    lines = text.count("\n")
    found = lint_source(text, "bench.ipxe")  # warm up (catalog, rules)
    t_parse = best_cpu(lambda: parse(text), args.repeat)
    t_lint = best_cpu(lambda: lint_source(text, "bench.ipxe"), args.repeat)
    t_wall = best(lambda: lint_source(text, "bench.ipxe"), args.repeat)
    t_fmt = best_cpu(lambda: format_text(text), args.repeat)
    print(f"script: {lines} lines, {len(text)} characters; findings: {dict(Counter(d.code for d in found))}")
    print(f"parse only : {t_parse * 1000:8.1f} ms  {lines / t_parse:10.0f} lines/s (CPU)")
    print(
        f"lint (all) : {t_lint * 1000:8.1f} ms  {lines / t_lint:10.0f} lines/s (CPU; {lines / t_wall:.0f} wall)"
        f"  ({t_lint / t_parse:.1f}x parse); {lines / t_lint / 50_000:.2f}x the goal of 50,000 lines/s"
    )
    goal("lint", f"{lines}-line script, lines linted per CPU second", lines / t_lint, 50_000, unit="lines/s")
    with tempfile.TemporaryDirectory() as folder:
        big = Path(folder) / "bench.ipxe"
        big.write_text(text)
        whole = paired_commands(OURS + [str(big)], ELFSHOE + [str(big)], args.repeat, ELFSHOE_ENV)
    print(
        f"whole command on it: ipxelint {whole['cpu_a'] * 1000:.0f} ms CPU ({lines / whole['cpu_a']:.0f} lines/s,"
        f" start-up included), elfshoe {whole['cpu_b'] * 1000:.0f} ms; ratio {whole['cpu_ratio']:.2f}x"
    )
    print(f"fmt        : {t_fmt * 1000:8.1f} ms  {lines / t_fmt:10.0f} lines/s (CPU)")
    missing = missing_labels_script()
    t_missing = best(lambda: lint_source(missing, "missing.ipxe"), args.repeat)
    t_missing_parse = best(lambda: parse(missing), args.repeat)
    print(
        f"300 missing labels among 900 (1,801 lines): lint {t_missing * 1000:.1f} ms "
        f"(parse {t_missing_parse * 1000:.1f} ms)"
    )


if __name__ == "__main__":
    main()
