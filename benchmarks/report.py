"""One summary row per measured ratio, so `benchmarks/run` can show every benchmark in one table.

Each benchmark calls `goal(...)` for the ratios the issues set goals for; when `benchmarks/run` sets
$BENCH_RESULTS the row is appended there as one JSON line (the benchmark's own printout stays as it is).
"""

from __future__ import annotations

import json
import math
import os


def goal(bench: str, metric: str, ratio: float, target: float, higher_is_better: bool = True) -> None:
    """Record `ratio` (ours relative to the reference, as the metric's name says) and its goal."""
    path = os.environ.get("BENCH_RESULTS")
    if not path:
        return
    met = not math.isnan(ratio) and (ratio >= target if higher_is_better else ratio <= target)
    row = {
        "bench": bench,
        "metric": metric,
        "ratio": ratio,
        "goal": f"{'>=' if higher_is_better else '<='} {target:g}x",
        "met": met,
    }
    with open(path, "a", encoding="utf-8") as out:
        out.write(json.dumps(row) + "\n")


def table(rows: list[dict[str, object]]) -> str:
    """The one table: benchmark, metric, ratio, goal, verdict."""
    lines = [f"{'benchmark':10} {'metric':58} {'ratio':>8}  {'goal':>8}  verdict"]
    for row in rows:
        ratio = float(row["ratio"])  # type: ignore[arg-type]
        lines.append(
            f"{row['bench']!s:10} {row['metric']!s:58} {ratio:7.2f}x  {row['goal']!s:>8}  "
            f"{'met' if row['met'] else 'NOT MET'}"
        )
    return "\n".join(lines)
