"""Parser benchmark: a generated 10,000-line menu script, our parse vs a naive Lark LALR parse of the
same grammar and text, measured in the same run; lines per CPU second on it (goal, issue 15: 200,000)
and on the real corpus as a batch lint parses it (one ``LineMemo`` per repository, when $IPXE_CORPUS or
/work/corpus is there); and a one-line edit reparsed incrementally.

Run: python benchmarks/bench_parse.py
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import lark  # noqa: E402
from bench_lint import corpus  # noqa: E402
from generate import menu_script  # noqa: E402
from report import best_cpu, goal  # noqa: E402

from ipxescript.syntax.grammar import grammar_text  # noqa: E402
from ipxescript.syntax.incremental import Document  # noqa: E402
from ipxescript.syntax.parser import LineMemo, parse  # noqa: E402
from ipxescript.syntax.source import decode_source  # noqa: E402


def best_of(fn, runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> dict[str, float]:
    text = menu_script(10_000)
    nlines = text.count("\n")
    naive = lark.Lark(grammar_text(), parser="lalr")  # Lark's defaults: contextual lexer, Tree output
    parse(text)  # warm up (grammar compiled once per process)
    ours = best_of(lambda: parse(text))
    theirs = best_of(lambda: naive.parse(text))
    cpu = best_cpu(lambda: parse(text), 7)
    corpus_rate = corpus_lines_per_cpu_s(Path(os.environ.get("IPXE_CORPUS", "/work/corpus")))

    doc = Document(text)
    target = text.index("item --key 3 os200_3")
    edits = []
    for i in range(50):
        t0 = time.perf_counter()
        doc.edit(target + 5 + (i % 3), target + 5 + (i % 3), "x")  # type one character
        edits.append(time.perf_counter() - t0)
        doc.edit(target + 5 + (i % 3), target + 6 + (i % 3), "")  # and delete it again
    edit_p50 = statistics.median(edits) * 1000
    edit_max = max(edits) * 1000

    rows = {
        "lines": nlines,
        "ours_s": ours,
        "naive_lark_lalr_s": theirs,
        "ours_lines_per_s": nlines / ours,
        "naive_lines_per_s": nlines / theirs,
        "speedup_vs_naive": theirs / ours,
        "lines_per_cpu_s": nlines / cpu,
        "corpus_lines_per_cpu_s": corpus_rate,
        "edit_reparse_p50_ms": edit_p50,
        "edit_reparse_max_ms": edit_max,
    }
    print(f"parse: {nlines} lines")
    print(f"  ipxescript parse (full tree, positions): {ours * 1000:8.1f} ms  {nlines / ours:10,.0f} lines/s")
    print(
        f"  naive Lark LALR parse, same grammar:     {theirs * 1000:8.1f} ms  {nlines / theirs:10,.0f} lines/s"
    )
    print(f"  ratio (naive time / ours):               {theirs / ours:8.2f}x   (target >= 2x)")
    print(f"  ipxescript parse, CPU time:              {cpu * 1000:8.1f} ms  {nlines / cpu:10,.0f} lines/s")
    if corpus_rate == corpus_rate:  # not NaN: the corpus is there
        print(f"  real corpus, one line memo per repository:           {corpus_rate:10,.0f} lines/s")
    print(
        f"  one-line edit reparsed: p50 {edit_p50:.2f} ms, max {edit_max:.2f} ms over 50 edits (target < 5 ms)"
    )
    goal("parse", "10,000-line parse, naive Lark LALR time / ours", theirs / ours, 2.0)
    goal("parse", "one-line edit reparsed, p50", edit_p50, 5.0, higher_is_better=False, unit="ms")
    goal("parse", "10,000-line parse, lines per CPU second", nlines / cpu, 200_000, unit="lines/s")
    return rows


def corpus_lines_per_cpu_s(root: Path) -> float:
    """Parse every script of the corpus (INDEX.tsv: repo, commit, path, lines) as ``ipxelint REPO/`` does:
    one line memo per repository. NaN without a corpus."""
    if not (root / "INDEX.tsv").is_file():
        return float("nan")
    repos = {
        folder: [decode_source(p.read_bytes())[0] for p in paths] for folder, paths in corpus(root).items()
    }
    lines = sum(text.count("\n") for texts in repos.values() for text in texts)

    def parse_all() -> None:
        for texts in repos.values():
            memo = LineMemo()
            for text in texts:
                parse(text, None, memo)

    return lines / best_cpu(parse_all, 3)


if __name__ == "__main__":
    main()
