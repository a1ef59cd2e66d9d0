"""``ipxesim --explore``: every path through a script tree.

Each run replays a list of choices (menu item, prompt key or timeout, read accepted or cancelled, and
with --explore-failures each fetch ok or failed); at a branch point past the list it takes the first
option and records the others, which become new runs. A path ends in an outcome; a path whose state
(script positions, settings, menus, images, errno) repeats at a branch point is reported as a loop.
"""

from __future__ import annotations

import time
from typing import Any

from ipxescript.sim.fetch import Fetcher
from ipxescript.sim.run import RunOptions, make_simulator, parse_maps
from ipxescript.sim.state import Inputs


def describe_outcome(path: dict[str, Any]) -> str:
    outcome = path["outcome"]
    where = f" at {path['where']}" if path.get("where") else ""
    if outcome == "boot" and path.get("boot"):
        boot = path["boot"]
        text = f"boot {boot.get('kernel')}"
        if boot.get("cmdline"):
            text += f" {boot['cmdline']}"
        initrds = [i["name"] for i in boot.get("initrds", [])]
        if initrds:
            text += f" (initrds: {', '.join(initrds)})"
        return text
    if outcome == "exit":
        return f"exit {path['status']:#x}" if path["status"] else "exit 0"
    if outcome == "error":
        return f"error{where}: {path['error'] or path.get('message', '')}"
    if outcome == "joined":
        return f"joins path {path.get('joins')} here{where}"
    if outcome in ("loop", "stuck"):
        return f"{outcome}{where}: {path.get('message', '')}"
    return f"{outcome}{where}"


def explore(
    script: str, options: RunOptions, *, max_paths: int = 1000, failures: bool = False
) -> dict[str, Any]:
    started = time.perf_counter()
    shared = Fetcher(parse_maps(options.maps), options.offline, list(options.fail), options.download)
    pending: list[list[int]] = [[]]
    paths: list[dict[str, Any]] = []
    memo: dict[Any, int] = {}
    commands = 0
    while pending and len(paths) < max_paths:
        prefix = pending.pop()
        inputs = Inputs(forced=prefix, explore_failures=failures, memo=memo, path_number=len(paths) + 1)
        fetcher = Fetcher(shared.maps, shared.offline, shared.fail_globs, shared.download, cache=shared.cache)
        sim = make_simulator(options, inputs=inputs, fetcher=fetcher)
        result = sim.run(script)
        commands += sim.steps
        decisions = inputs.decisions
        for depth in range(len(prefix), len(decisions)):
            decision = decisions[depth]
            base = [d.chosen for d in decisions[:depth]]
            for alternative in range(len(decision.options) - 1, 0, -1):
                pending.append(base + [alternative])
        path: dict[str, Any] = {
            "inputs": [f"{d.kind}={d.options[d.chosen]}" for d in decisions],
            "choices": [{"kind": d.kind, "where": d.where, "chose": d.options[d.chosen]} for d in decisions],
            "outcome": result.outcome,
            "status": result.status,
            "error": result.error,
            "where": result.where,
            "message": result.message,
            "boot": result.boot,
            "joins": sim.joined_path,
        }
        path["summary"] = describe_outcome(path)
        paths.append(path)
    elapsed = time.perf_counter() - started
    outcomes: dict[str, int] = {}
    for done in paths:
        kind = str(done["outcome"])
        outcomes[kind] = outcomes.get(kind, 0) + 1
    return {
        "script": script,
        "profile": options.profile,
        "count": len(paths),
        "truncated": bool(pending),
        "outcomes": outcomes,
        "seconds": round(elapsed, 3),
        "commands": commands,
        "paths": paths,
    }


def format_table(report: dict[str, Any]) -> str:
    rows = [(" ".join(p["inputs"]) or "(no input)", p["summary"]) for p in report["paths"]]
    width = min(60, max([len("inputs")] + [len(r[0]) for r in rows]))
    lines = [f"{'#':>4}  {'inputs':<{width}}  outcome"]
    for number, (inputs, outcome) in enumerate(rows, 1):
        lines.append(f"{number:>4}  {inputs:<{width}}  {outcome}")
    counts = ", ".join(f"{n} {k}" for k, n in sorted(report["outcomes"].items()))
    more = " (stopped at --max-paths; more paths exist)" if report["truncated"] else ""
    lines.append(f"{report['count']} paths: {counts}{more}")
    return "\n".join(lines)
