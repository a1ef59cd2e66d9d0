"""Commands that end the run by resetting or powering off (reboot_cmd.c, poweroff_cmd.c)."""

from __future__ import annotations

from ipxescript.sim.commands.registry import command
from ipxescript.sim.machine import Simulator
from ipxescript.sim.options import Parsed
from ipxescript.sim.status import RunEnded


@command("reboot")
def reboot(sim: Simulator, p: Parsed, argv0: str) -> int:
    raise RunEnded("reboot", 0, {"where": sim.engine.where(), "boot": {"warm": bool(p.options.get("warm"))}})


@command("poweroff")
def poweroff(sim: Simulator, p: Parsed, argv0: str) -> int:
    raise RunEnded("poweroff", 0, {"where": sim.engine.where()})
