"""Linter benchmark: lint the core benchmark's generated 10,000-line menu script.

    python benchmarks/bench_lint.py [--lines 10000] [--repeat 5]

Prints the best time of the full lint (parse + core checks + every rule), lines/s, and the ratio
against parsing alone measured in the same run (how much the rules add on top of the parser), plus the
formatter's time on the same text, and the cost of did-you-mean hints on a script with 300 gotos to
missing labels among 900 labels (1,800 lines).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import menu_script  # noqa: E402

from ipxescript.fmt import format_text  # noqa: E402
from ipxescript.lint import lint_source  # noqa: E402
from ipxescript.syntax.parser import parse  # noqa: E402


def best(fn, repeat: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def missing_labels_script(labels: int = 900, missing: int = 300) -> str:
    lines = ["#!ipxe"]
    for i in range(labels):
        lines += [f":section_number_{i}", f"echo {i}"]
    lines += [f"iseq ${{x}} {i} && goto section_numbr_{i} ||" for i in range(missing)]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lines", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    text = menu_script(args.lines)
    lines = text.count("\n")
    found = lint_source(text, "bench.ipxe")  # warm up (catalog, grammar)
    t_parse = best(lambda: parse(text), args.repeat)
    t_lint = best(lambda: lint_source(text, "bench.ipxe"), args.repeat)
    t_fmt = best(lambda: format_text(text), args.repeat)
    print(f"script: {lines} lines, {len(text)} characters; findings: {dict(Counter(d.code for d in found))}")
    print(f"parse only : {t_parse * 1000:8.1f} ms  {lines / t_parse:10.0f} lines/s")
    print(
        f"lint (all) : {t_lint * 1000:8.1f} ms  {lines / t_lint:10.0f} lines/s  ({t_lint / t_parse:.1f}x parse)"
    )
    print(f"fmt        : {t_fmt * 1000:8.1f} ms  {lines / t_fmt:10.0f} lines/s")
    missing = missing_labels_script()
    t_missing = best(lambda: lint_source(missing, "missing.ipxe"), args.repeat)
    t_missing_parse = best(lambda: parse(missing), args.repeat)
    print(
        f"300 missing labels among 900 (1,801 lines): lint {t_missing * 1000:.1f} ms "
        f"(parse {t_missing_parse * 1000:.1f} ms)"
    )


if __name__ == "__main__":
    main()
