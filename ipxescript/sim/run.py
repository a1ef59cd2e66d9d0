"""Setting up one simulated run from user options (shared by the CLI, explore and tests)."""

from __future__ import annotations

import os
from collections import deque
from dataclasses import dataclass, field

from ipxescript.sim.commands import run_command
from ipxescript.sim.engine import DEFAULT_MAX_STEPS
from ipxescript.sim.errors import IpxeError
from ipxescript.sim.fetch import Fetcher
from ipxescript.sim.keys import parse_keys
from ipxescript.sim.machine import Result, Simulator
from ipxescript.sim.profile import load_profile
from ipxescript.sim.state import Inputs


class SetupError(ValueError):
    """Bad user input (a --set, --map or --keys that cannot be used)."""


@dataclass
class RunOptions:
    profile: str = "efi"
    sets: list[str] = field(default_factory=list)
    keys: str = ""
    choose: list[str] = field(default_factory=list)
    maps: list[str] = field(default_factory=list)
    offline: bool = False
    fail: list[str] = field(default_factory=list)
    download: bool = False
    trace: bool = False
    max_steps: int = DEFAULT_MAX_STEPS
    stdin: bytes | None = None  # the script's bytes when SCRIPT is '-' (relative names resolve in cwd)


def stdin_uri() -> str:
    """Where a script read from standard input ('-') is taken to be: the current folder."""
    return "file://" + os.path.abspath("-")


def parse_maps(maps: list[str]) -> list[tuple[str, str]]:
    out = []
    for item in maps:
        prefix, eq, target = item.partition("=")
        if not eq or not prefix or not target:
            raise SetupError(f"--map {item!r}: expected PREFIX=TARGET (a directory or a URL prefix)")
        if "://" not in target and not os.path.isdir(target):
            # a mistyped folder would make every mapped file missing (or, --offline, assumed present)
            raise SetupError(f"--map {item!r}: {target}: no such directory")
        out.append((prefix, target))
    return out


def make_fetcher(options: RunOptions) -> Fetcher:
    given = {} if options.stdin is None else {stdin_uri(): options.stdin}
    return Fetcher(
        parse_maps(options.maps), options.offline, list(options.fail), options.download, given=given
    )


def make_simulator(
    options: RunOptions,
    inputs: Inputs | None = None,
    fetcher: Fetcher | None = None,
    interactive: object = None,
) -> Simulator:
    try:
        profile = load_profile(options.profile)
    except KeyError as exc:
        raise SetupError(f"unknown profile {options.profile!r} (efi, pcbios, debian-12-efi)") from exc
    if fetcher is None:
        fetcher = make_fetcher(options)
    if inputs is None:
        try:
            key_list = parse_keys(options.keys, profile.key_offset)
        except ValueError as exc:
            raise SetupError(f"--keys: {exc}") from exc
        inputs = Inputs(keys=deque(key_list), choose_ids=deque(options.choose))
    sim = Simulator(
        profile,
        fetcher=fetcher,
        inputs=inputs,
        max_steps=options.max_steps,
        trace=options.trace,
        interactive=interactive,
        dispatch=run_command,
    )
    for item in options.sets:
        name, eq, value = item.partition("=")
        if not eq or not name:
            raise SetupError(f"--set {item!r}: expected NAME=VALUE")
        try:
            sim.settings.set(name, value)
        except IpxeError as exc:
            raise SetupError(f"--set {item!r}: {sim.strerror(exc.status)}") from exc
    return sim


def simulate(script: str, options: RunOptions | None = None, **kwargs: object) -> Result:
    """Run SCRIPT (path or URL) and return the result: the one-call API for tests and tools."""
    options = options or RunOptions(**kwargs)  # type: ignore[arg-type]
    return make_simulator(options).run(script)


FAIL_ON_DEFAULT = ("error", "loop", "stuck")
FAIL_ON_CHOICES = (
    "error",
    "loop",
    "stuck",
    "shell",
    "boot",
    "sanboot",
    "reboot",
    "poweroff",
    "back",
    "never",
)


def failure_kind(outcome: str, status: int) -> str:
    """The outcome as --fail-on names it: a script's non-zero `exit` is an error like a failed command."""
    return "error" if outcome == "exit" and status else outcome


def exit_code(result: Result, fail_on: tuple[str, ...] = FAIL_ON_DEFAULT) -> int:
    """The process exit status: 1 when the run ends in an outcome named by fail_on (by default an error,
    a non-zero exit, a loop or waiting for input that never comes), else 0. Usage and input errors are
    2 (docs/cli.md); iPXE's own status is in the output, never in the exit status."""
    return 1 if failure_kind(result.outcome, result.status) in fail_on else 0
