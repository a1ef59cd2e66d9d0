"""What the benchmarks share: one summary row per measured goal, so `benchmarks/run` can show every
benchmark in one table, and the best-of-N timer.

Each benchmark calls `goal(...)` for the numbers the issues set goals for (mostly ratios against a
reference measured in the same run); when `benchmarks/run` sets $BENCH_RESULTS the row is appended there
as one JSON line. The benchmark's own printout stays as it is.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Callable


def best(fn: Callable[[], object], repeat: int) -> float:
    """The shortest of `repeat` runs of `fn`, in seconds (the run least disturbed by other work)."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def goal(
    bench: str, metric: str, value: float, target: float, higher_is_better: bool = True, unit: str = "x"
) -> None:
    """Record `value` (a ratio ours/reference unless `unit` says otherwise) and its goal."""
    path = os.environ.get("BENCH_RESULTS")
    if not path:
        return
    met = not math.isnan(value) and (value >= target if higher_is_better else value <= target)
    row = {
        "bench": bench,
        "metric": metric,
        "value": value,
        "unit": unit,
        "goal": f"{'>=' if higher_is_better else '<='} {_number(target, unit, exact=True)}",
        "met": met,
    }
    with open(path, "a", encoding="utf-8") as out:
        out.write(json.dumps(row) + "\n")


def _number(value: float, unit: str, exact: bool = False) -> str:
    text = f"{value:,g}" if exact else f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.2f}"
    return f"{text}x" if unit == "x" else f"{text} {unit}"


def table(rows: list[dict[str, object]]) -> str:
    """The one table: benchmark, metric, measured, goal, verdict."""
    lines = [f"{'benchmark':9} {'metric':62} {'measured':>16} {'goal':>18}  verdict", "-" * 116]
    for row in rows:
        measured = _number(float(row["value"]), str(row["unit"]))  # type: ignore[arg-type]
        verdict = "met" if row["met"] else "NOT MET"
        lines.append(f"{row['bench']!s:9} {row['metric']!s:62} {measured:>16} {row['goal']!s:>18}  {verdict}")
    return "\n".join(lines)


if __name__ == "__main__":  # benchmarks/run: print the table of the rows collected in a file
    import sys

    with open(sys.argv[1], encoding="utf-8") as rows_file:
        collected = [json.loads(line) for line in rows_file if line.strip()]
    print(table(collected) if collected else "(no goal rows recorded)")
