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
from collections.abc import Callable, Mapping


def best(fn: Callable[[], object], repeat: int) -> float:
    """The shortest of `repeat` runs of `fn`, in seconds (the run least disturbed by other work)."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def best_cpu(fn: Callable[[], object], repeat: int) -> float:
    """The least CPU time (user + system) of `repeat` runs of `fn`, in seconds: steadier than wall time
    on a shared machine, where other work takes the processor away."""
    times = []
    for _ in range(repeat):
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    return min(times)


def paired_commands(
    a: list[str], b: list[str], repeat: int, env_b: dict[str, str] | None = None
) -> dict[str, float]:
    """Run two whole commands in turn (A B A B ...), output thrown away, and give the median of the
    pair-by-pair ratios A/B of CPU time (user + system of the child) and of wall time, and A's and B's
    median CPU seconds. Pairing keeps the ratio meaningful when the machine's speed drifts."""
    import statistics
    import subprocess

    def run(command: list[str], env: dict[str, str] | None) -> tuple[float, float]:
        before = os.times()
        start = time.perf_counter()
        subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=False)
        wall = time.perf_counter() - start
        after = os.times()
        return (
            after.children_user - before.children_user + after.children_system - before.children_system,
            wall,
        )

    env = {**os.environ, **env_b} if env_b else None

    # The warm-up writes each side's bytecode caches even when PYTHONDONTWRITEBYTECODE is set (it is on
    # this machine): an installed package has them, and without them every timed run would compile.
    def compiling(environ: Mapping[str, str]) -> dict[str, str]:
        return {k: v for k, v in environ.items() if k != "PYTHONDONTWRITEBYTECODE"}

    run(a, compiling(os.environ)), run(b, compiling(env or os.environ))
    pairs = [(run(a, None), run(b, env)) for _ in range(repeat)]
    return {
        "cpu_ratio": statistics.median(x[0] / y[0] for x, y in pairs),
        "wall_ratio": statistics.median(x[1] / y[1] for x, y in pairs),
        "cpu_a": statistics.median(x[0] for x, _ in pairs),
        "cpu_b": statistics.median(y[0] for _, y in pairs),
        "wall_a": statistics.median(x[1] for x, _ in pairs),
        "wall_b": statistics.median(y[1] for _, y in pairs),
    }


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
