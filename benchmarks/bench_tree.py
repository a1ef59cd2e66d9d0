"""Boot-tree lint benchmark: a netboot.xyz-shaped tree of 200 scripts and 30,000 lines.

    python benchmarks/bench_tree.py [--files 200] [--lines 30000] [--repeat 3]

Prints the best CPU time (user + system, steadier than wall time on a shared machine) of linting the
folder as one tree (``lint_tree``, what ``ipxelint DIR`` runs: every file parsed once, the tree model
built once, settings and failures across files) and the ratio against linting the same files one by
one (``lint_text`` per file, no tree), both measured in this run, plus the CPU time of the whole
``ipxelint DIR`` command (interpreter start, imports and printing every finding included). The target
is a lint under 3 s.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import boot_tree  # noqa: E402
from report import best_cpu, goal  # noqa: E402

from ipxescript.lint.config import LintConfig  # noqa: E402
from ipxescript.lint.engine import lint_text, lint_tree  # noqa: E402


def best_command(command: list[str], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(command, capture_output=True, check=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        times.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--lines", type=int, default=30_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        for name, text in boot_tree(args.files, args.lines).items():
            (root / name).write_text(text)
        paths = sorted(root.glob("*.ipxe"))
        lines = sum(p.read_text().count("\n") for p in paths)
        config = LintConfig()

        def tree() -> list:  # type: ignore[type-arg]
            return lint_tree([(str(p), p.read_bytes(), config) for p in paths], root=root)

        def one_by_one() -> list:  # type: ignore[type-arg]
            return [lint_text(p.read_bytes(), str(p), config) for p in paths]

        found = Counter(d.code for r in tree() for d in r.diagnostics)  # warm up (catalog, grammar)
        alone = Counter(d.code for r in one_by_one() for d in r.diagnostics)
        t_tree = best_cpu(tree, args.repeat)
        t_alone = best_cpu(one_by_one, args.repeat)
        command = [sys.executable, "-m", "ipxescript", "check", "--fail-on", "never", str(root)]
        t_cli = best_command(command, args.repeat)
    print(f"tree: {len(paths)} files, {lines} lines")
    print(f"findings as a tree : {dict(found)}")
    print(f"findings one by one: {dict(alone)}")
    print(f"one by one  : {t_alone * 1000:8.1f} ms CPU  {lines / t_alone:10.0f} lines/s")
    verdict = "under" if t_tree < 3 else "OVER"
    print(
        f"as a tree   : {t_tree * 1000:8.1f} ms CPU  {lines / t_tree:10.0f} lines/s  "
        f"({t_tree / t_alone:.2f}x one by one; {verdict} the 3 s target)"
    )
    print(f"ipxelint DIR: {t_cli * 1000:8.1f} ms CPU  (interpreter start, imports and output included)")
    goal("tree", f"lint a {len(paths)}-file, {lines}-line boot tree (CPU)", t_tree, 3.0, False, "s")
    goal("tree", "tree lint / the same files linted one by one", t_tree / t_alone, 1.5, False)


if __name__ == "__main__":
    main()
