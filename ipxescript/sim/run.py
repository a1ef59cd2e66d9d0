"""Setting up one simulated run from user options (shared by the CLI, explore and tests)."""

from __future__ import annotations

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


def parse_maps(maps: list[str]) -> list[tuple[str, str]]:
    out = []
    for item in maps:
        prefix, eq, target = item.partition("=")
        if not eq or not prefix or not target:
            raise SetupError(f"--map {item!r}: expected PREFIX=TARGET (a directory or a URL prefix)")
        out.append((prefix, target))
    return out


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
        fetcher = Fetcher(parse_maps(options.maps), options.offline, list(options.fail), options.download)
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


def exit_code(result: Result) -> int:
    """The process exit status: what iPXE's status gives (its low byte, as the linux build exits),
    0 for a run that ends by booting/rebooting/dropping to the shell, 124 stuck, 125 loop."""
    if result.outcome == "stuck":
        return 124
    if result.outcome == "loop":
        return 125
    if result.outcome in ("boot", "sanboot", "reboot", "poweroff", "shell"):
        return 0
    if result.status == 0:
        return 0 if result.outcome == "exit" else 1
    return (result.status & 0xFF) or 1
