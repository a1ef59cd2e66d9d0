"""Check oracle cases by hand: the simulator against the recording, or both against the live firmware.

    python -m tests.oracle.check NAME ...              # ipxesim vs expected/debian-12-efi/NAME.json
    python -m tests.oracle.check NAME --profile pcbios # ipxesim --profile pcbios vs expected/pcbios/NAME.json
    python -m tests.oracle.check --live NAME ...       # also boot the firmware on them (~20 s + cases)
    python -m tests.oracle.check --live my/new.ipxe    # any script: staged beside cases/ (files/ usable)
    python -m tests.oracle.check --show NAME ...       # print the recorded console and screens

A path argument is run as case `STEM` with the headers described in cases.py (`# keys:` ...).
"""

from __future__ import annotations

import argparse
import json
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from .builds import BUILDS, DEFAULT_PROFILE, PROFILES
from .cases import CASES_DIR, URL_PREFIX, Case, load_cases, stage_cases
from .compare import compare, expected_path, load_expected
from .firmware import FirmwareError, Transcript, run_cases

RUN_SIM = "import sys; sys.argv[0] = 'ipxesim'; from ipxescript.sim.cli import main; sys.exit(main())"


def sim_args(case: Case, root: Path, profile: str = DEFAULT_PROFILE) -> list[str]:
    """The ipxesim arguments for a case, with the URL the firmware saw mapped onto ROOT."""
    args = ["--profile", profile, "--json", "--map", f"{URL_PREFIX}={root}/"]
    if case.keys:
        args += ["--keys", case.keys]
    return [*args, case.url]


def run_sim(
    case: Case, root: Path, timeout: float = 60, profile: str = DEFAULT_PROFILE
) -> tuple[dict[str, object] | None, str]:
    """ipxesim's JSON object for the case, or None and a description of what went wrong."""
    args = sim_args(case, root, profile)
    command = "ipxesim " + shlex.join(args)
    try:
        proc = subprocess.run(
            [sys.executable, "-c", RUN_SIM, *args], capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return None, f"{command}\ndid not finish in {timeout:.0f} s"
    try:
        data = json.loads(proc.stdout)
    except json.JSONDecodeError:
        return (
            None,
            f"{command}\nprinted no JSON (exit {proc.returncode}):\n{proc.stdout[-2000:]}{proc.stderr[-3000:]}",
        )
    if not isinstance(data, dict):
        return None, f"{command}\nprinted JSON that is not one object"
    return data, command


def sim_problems(expected: Transcript, data: dict[str, object]) -> list[str]:
    console, screens, status = data.get("console"), data.get("screens", []), data.get("status")
    if not isinstance(console, str) or not isinstance(screens, list) or not isinstance(status, int):
        return ["ipxesim's JSON needs 'console' (string), 'screens' (list) and 'status' (integer)"]
    return compare(expected, console, screens, status)


def show(t: Transcript) -> str:
    out = [f"== {t.name}: status {t.status:#x}" + (f", keys {t.keys}" if t.keys else ""), t.console]
    for i, screen in enumerate(t.screens, 1):
        out += [f"-- screen {i}", "\n".join(screen).rstrip()]
    out += [f"!! {p}" for p in t.problems]
    return "\n".join(out)


def _gather(items: list[str], work: Path, profile: str) -> tuple[list[Case], Path]:
    """Cases for names and paths; paths are copied into a staged copy of the cases directory."""
    paths = [Path(i) for i in items if i.endswith(".ipxe")]
    if not paths:
        return load_cases(names=items, profile=profile), CASES_DIR
    root = work / "cases"
    shutil.copytree(CASES_DIR, root)
    for path in paths:
        shutil.copy(path, root / path.name)
    names = [Path(i).stem if i.endswith(".ipxe") else i for i in items]
    return load_cases(root, names, profile), root


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.oracle.check", description=__doc__.split("\n")[0])
    parser.add_argument("items", nargs="+", help="case names or paths to .ipxe scripts")
    parser.add_argument("--live", action="store_true", help="run the firmware on them too")
    parser.add_argument("--show", action="store_true", help="print the recordings and stop")
    parser.add_argument(
        "--profile", default=DEFAULT_PROFILE, choices=PROFILES, help="which build and ipxesim profile"
    )
    args = parser.parse_args(argv)
    profile = args.profile
    with tempfile.TemporaryDirectory(prefix="oracle-check-") as tmp:
        work = Path(tmp)
        try:
            cases, source = _gather(args.items, work, profile)
        except ValueError as exc:
            print(f"check: {exc}", file=sys.stderr)
            return 2
        if args.show:
            for case in cases:
                print(show(load_expected(case.name, profile)))
            return 0
        live: dict[str, Transcript] = {}
        if args.live:
            try:
                live = run_cases(cases, source, build=BUILDS[profile])
            except FirmwareError as exc:
                print(f"check: {exc}", file=sys.stderr)
                return 1
        root = stage_cases(work / "staged", source)
        failures = 0
        for case in cases:
            recorded = (
                load_expected(case.name, profile) if expected_path(case.name, profile).exists() else None
            )
            judge = live.get(case.name) or recorded
            if case.name in live:
                print(show(live[case.name]))
                if recorded and not live[case.name].problems:
                    drift = (
                        compare(recorded, judge.console, list(judge.screens), judge.status) if judge else []
                    )
                    print("recording: " + ("matches" if not drift else "DIFFERS\n" + "\n".join(drift)))
            if judge is not None and judge.problems:
                print(f"{case.name}: the firmware run had problems, nothing to compare")
                failures += 1
                continue
            if judge is None:
                print(
                    f"{case.name}: no recording; use --live or "
                    f"`python -m tests.oracle.record --profile {profile} {case.name}`"
                )
                failures += 1
                continue
            data, command = run_sim(case, root, profile=profile)
            problems = [command] if data is None else sim_problems(judge, data)
            failures += bool(problems)
            verdict = "simulator matches the firmware" if not problems else "simulator DIFFERS"
            print(f"{case.name}: {verdict}\n  {command if data else ''}".rstrip())
            for problem in problems if data else []:
                print(problem)
        return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
