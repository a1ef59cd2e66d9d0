"""Settings commands (src/hci/commands/nvo_cmd.c: set, clear, show, inc, read)."""

from __future__ import annotations

from collections.abc import Callable

from ipxescript.sim import errors, types
from ipxescript.sim.commands.registry import command, ticks
from ipxescript.sim.commands.shell import TIMED_OUT, read_line
from ipxescript.sim.errors import IpxeError
from ipxescript.sim.machine import Simulator
from ipxescript.sim.options import Parsed, parse_integer
from ipxescript.sim.settings import SettingRef


def parse_setting(sim: Simulator, text: str, create: bool) -> SettingRef:
    try:
        return sim.settings.parse_name(text, create=create)
    except IpxeError as exc:
        raise IpxeError(exc.status, f'"{text}": invalid setting') from exc


def stored(sim: Simulator, ref: SettingRef, write: Callable[[], None]) -> int:
    """Run WRITE, a store into REF; report its failure as nvo_cmd does and return the status."""
    try:
        write()
    except IpxeError as exc:
        status = sim.err(exc.status)
        sim.out(f'Could not store "{ref.name}": {sim.strerror(status)}\n')
        return status
    return 0


def store(sim: Simulator, ref: SettingRef, value: str) -> int:
    return stored(sim, ref, lambda: sim.settings.store_text(ref, value))


@command("set")
def set_(sim: Simulator, p: Parsed, argv0: str) -> int:
    ref = parse_setting(sim, p.args[0], create=True)
    return store(sim, ref, " ".join(p.args[1:]))


@command("clear")
def clear(sim: Simulator, p: Parsed, argv0: str) -> int:
    ref = parse_setting(sim, p.args[0], create=True)
    return store(sim, ref, "")


@command("show")
def show(sim: Simulator, p: Parsed, argv0: str) -> int:
    ref = parse_setting(sim, p.args[0], create=False)
    try:
        line = sim.settings.show_line(p.args[0])
    except IpxeError as exc:
        status = sim.err(exc.status)
        sim.out(f'Could not find "{ref.name}": {sim.strerror(status)}\n')
        return status
    sim.out((line.split(" = ", 1)[1] if p.options.get("quiet") else line) + "\n")
    return 0


@command("inc")
def inc(sim: Simulator, p: Parsed, argv0: str) -> int:
    ref = parse_setting(sim, p.args[0], create=False)
    increment = parse_integer(p.args[1], sim.profile) if len(p.args) > 1 else 1
    found = sim.settings.fetch_ref(ref)
    type_name = ref.type or (found[1].type if found else "int32")

    def increment_stored() -> None:
        if type_name not in types.INT_WIDTHS:
            raise IpxeError(errors.STORE_UNSUPPORTED)
        value = types.numeric_value(found[1].data, not type_name.startswith("u")) if found else 0
        width = types.INT_WIDTHS[type_name]
        data = ((value + increment) & ((1 << (8 * width)) - 1)).to_bytes(width, "big")
        sim.settings.store_raw(ref, type_name, data)

    return stored(sim, ref, increment_stored)


@command("read")
def read(sim: Simulator, p: Parsed, argv0: str) -> int:
    ref = parse_setting(sim, p.args[0], create=True)
    current = sim.settings.get(p.args[0]) or ""
    found = sim.settings.fetch_ref(ref)
    if found is not None and ref.type is None:
        ref.type = found[1].type  # read_value fetches into the setting: the stored type is kept
    timeout = ticks(p.options.get("timeout", 0))
    line = read_line(sim, current, "read", timeout=timeout)
    if line is None:
        return sim.err(errors.READ_CANCELLED)
    if line is TIMED_OUT:
        return sim.err(errors.READ_TIMED_OUT)
    return store(sim, ref, line)
