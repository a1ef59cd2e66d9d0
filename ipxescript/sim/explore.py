"""``ipxesim --explore``: every path through a script tree.

Each run replays a list of choices (menu item, prompt key or timeout, read accepted or cancelled, and
with --explore-failures each fetch ok or failed); at a branch point past the list it takes the first
option and records the others, which become new runs. A path ends in an outcome; a path whose state
(script positions, settings, menus, images, errno) repeats at a branch point is reported as a loop.

The report ends with coverage per script run (the entry and every script it chains, through ``--map``
too): which labels no path ran and which menu items no path chose, read from the one script model
(``ipxescript.analysis.model``).
"""

from __future__ import annotations

import os
import time
from collections import deque
from typing import Any

from ipxescript.analysis.model import ScriptModel
from ipxescript.sim.fetch import Fetcher
from ipxescript.sim.machine import Result
from ipxescript.sim.run import RunOptions, make_fetcher, make_simulator
from ipxescript.sim.state import Inputs
from ipxescript.syntax.tree import Script


def describe_outcome(path: dict[str, Any]) -> str:
    if path.get("joins"):
        return f"as path {path['joins']}: " + describe_outcome({**path, "joins": None})
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
    if outcome in ("loop", "stuck", "back"):
        return f"{outcome}{where}: {path.get('message', '')}"
    return f"{outcome}{where}"


DEFAULT_TIME_LIMIT = 30.0


def explore(
    script: str,
    options: RunOptions,
    *,
    max_paths: int = 1000,
    failures: bool = False,
    time_limit: float | None = DEFAULT_TIME_LIMIT,
) -> dict[str, Any]:
    """Every path, bounded by max_paths and time_limit seconds (then the report says truncated).

    Each path replays its choices from the start; a path reaching a branch-point state another path
    already explored from ends there and ends as that path does (`joins`). (Forking the machine at
    branch points was measured slower: a fork costs about 4 ms here, more than a replay.)"""
    started = time.perf_counter()
    deadline = None if time_limit is None else time.monotonic() + time_limit
    paths, truncated, commands, visited = replay_explore(script, options, max_paths, failures, deadline)
    resolve_joins(paths)
    elapsed = time.perf_counter() - started
    outcomes: dict[str, int] = {}
    for done in paths:
        done["summary"] = describe_outcome(done)
        kind = str(done["outcome"])
        outcomes[kind] = outcomes.get(kind, 0) + 1
    return {
        "script": script,
        "profile": options.profile,
        "count": len(paths),
        "truncated": bool(truncated),
        "truncated_by": truncated or None,  # "max_paths" or "time_limit"
        "outcomes": outcomes,
        "seconds": round(elapsed, 3),
        "paths_per_second": round(len(paths) / elapsed, 1) if elapsed > 0 else None,
        "commands": commands,
        "paths": paths,
        "coverage": coverage(visited, paths, script),
    }


Visited = dict[str, tuple[str, Script, set[int]]]  # script key -> (image name, script, line indexes run)


def coverage(visited: Visited, paths: list[dict[str, Any]], entry: str) -> list[dict[str, Any]]:
    """Per script run: its labels and menu items, and those no path reached (a label: no path ran
    its line; an item: no path chose it)."""
    chosen: dict[str, set[str]] = {}
    for path in paths:
        for choice in path["choices"]:
            if choice["kind"] == "menu":
                chosen.setdefault(choice["where"].rpartition(":")[0], set()).add(choice["chose"])
    base = os.path.dirname(os.path.abspath(entry)) if "://" not in entry else None
    out = []
    for key, (name, script, lines) in visited.items():
        model = ScriptModel(script)
        unreached: list[dict[str, Any]] = [
            {"kind": "label", "name": label.name, "line": line.first_line + 1}
            for label, line in model.label_list
            if line.index not in lines
        ]
        items = [item for menu in model.menus.menus for item in menu.items if item.name is not None]
        picked = chosen.get(name, set())
        for item in items:
            if item.name not in picked:
                line = script.position(item.bound.command.start)[0] + 1
                unreached.append({"kind": "item", "name": item.name, "line": line})
        unreached.sort(key=lambda u: u["line"])
        out.append(
            {
                "file": _shown(key, base),
                "labels": len(model.label_list),
                "items": len(items),
                "unreached": unreached,
            }
        )
    return out


def _shown(key: str, base: str | None) -> str:
    """A local script relative to the entry's folder when under it; otherwise as it was fetched."""
    if base is not None and os.path.isabs(key):
        relative = os.path.relpath(key, base)
        return key if relative.startswith("..") else relative
    return key


def path_record(inputs: Inputs, result: Result, joined: Any) -> dict[str, Any]:
    decisions = inputs.decisions
    return {
        "inputs": [f"{d.kind}={d.options[d.chosen]}" for d in decisions],
        "choices": [{"kind": d.kind, "where": d.where, "chose": d.options[d.chosen]} for d in decisions],
        "outcome": result.outcome,
        "status": result.status,
        "error": result.error,
        "where": result.where,
        "message": result.message,
        "boot": result.boot,
        "joins": joined,
    }


def resolve_joins(paths: list[dict[str, Any]]) -> None:
    """A path that reached a branch-point state an earlier path explored from ends as that path ends
    (so every outcome is a run outcome); `joins` names the path that continues it."""
    for path in paths:
        number = path["joins"]
        seen: set[int] = set()
        while number is not None and paths[number - 1]["outcome"] == "joined" and number not in seen:
            seen.add(number)
            number = paths[number - 1]["joins"]
        if path["outcome"] != "joined":
            continue
        path["joins"] = number
        if number is None or number in seen:
            path.update(outcome="loop", message="joins a path that never ends")
            continue
        target = paths[number - 1]
        for key in ("outcome", "status", "error", "where", "message", "boot"):
            path[key] = target[key]


def replay_explore(
    script: str, options: RunOptions, max_paths: int, failures: bool, deadline: float | None
) -> tuple[list[dict[str, Any]], Any, int, Visited]:
    """Without fork: each path replays its choices from the start."""
    shared = make_fetcher(options)
    pending: deque[list[int]] = deque([[]])  # breadth first: short prefixes replay quickly
    paths: list[dict[str, Any]] = []
    memo: dict[Any, Any] = {}
    commands = 0
    truncated: Any = False
    visited: Visited = {}
    while pending:
        if len(paths) >= max_paths:
            truncated = "max_paths"
            break
        if deadline is not None and time.monotonic() > deadline:
            truncated = "time_limit"
            break
        prefix = pending.popleft()
        inputs = Inputs(forced=prefix, explore_failures=failures, memo=memo, path_number=len(paths) + 1)
        fetcher = Fetcher(
            shared.maps,
            shared.offline,
            shared.fail_globs,
            shared.download,
            cache=shared.cache,
            given=shared.given,
        )
        sim = make_simulator(options, inputs=inputs, fetcher=fetcher)
        result = sim.run(script)
        commands += sim.engine.steps
        for key, (image, parsed, lines) in sim.engine.visited.items():
            visited.setdefault(key, (image.name, parsed, set()))[2].update(lines)
        decisions = inputs.decisions
        for depth in range(len(prefix), len(decisions)):
            decision = decisions[depth]
            base = [d.chosen for d in decisions[:depth]]
            for alternative in range(1, len(decision.options)):
                pending.append(base + [alternative])
        paths.append(path_record(inputs, result, sim.joined_path))
    return paths, truncated, commands, visited


def format_table(report: dict[str, Any]) -> str:
    rows = [(" ".join(p["inputs"]) or "(no input)", p["summary"]) for p in report["paths"]]
    width = min(60, max([len("inputs")] + [len(r[0]) for r in rows]))
    lines = [f"{'#':>4}  {'inputs':<{width}}  outcome"]
    for number, (inputs, outcome) in enumerate(rows, 1):
        lines.append(f"{number:>4}  {inputs:<{width}}  {outcome}")
    counts = ", ".join(f"{n} {k}" for k, n in sorted(report["outcomes"].items()))
    why = {"max_paths": "--max-paths", "time_limit": "--time-limit"}.get(str(report.get("truncated_by")), "")
    more = f" (truncated: stopped at {why}; more paths exist)" if report["truncated"] else ""
    lines.append(f"{report['count']} paths: {counts}{more}")
    for covered in report.get("coverage", []):
        lines.append(format_coverage(covered, bool(report["truncated"])))
    return "\n".join(lines)


def format_coverage(covered: dict[str, Any], truncated: bool) -> str:
    """``menu.ipxe: 5/6 labels, 3/4 items reached; never: :old (line 12), item debug (line 7)``"""
    missed = covered["unreached"]
    labels = covered["labels"] - sum(1 for u in missed if u["kind"] == "label")
    items = covered["items"] - sum(1 for u in missed if u["kind"] == "item")
    text = f"{covered['file']}: {labels}/{covered['labels']} labels, {items}/{covered['items']} items reached"
    if missed:
        never = ", ".join(
            (f":{u['name']}" if u["kind"] == "label" else f"item {u['name']}") + f" (line {u['line']})"
            for u in missed
        )
        text += f"; {'not reached in the paths explored' if truncated else 'no path reaches'}: {never}"
    return text
