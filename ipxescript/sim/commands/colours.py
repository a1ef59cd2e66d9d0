"""Console commands (src/hci/commands/console_cmd.c: console, colour, cpair). Colours are not seen by
the oracle (its terminal drops them), so only their checks are simulated."""

from __future__ import annotations

from ipxescript.sim import errors
from ipxescript.sim.commands.registry import command
from ipxescript.sim.errors import IpxeError
from ipxescript.sim.machine import Simulator
from ipxescript.sim.options import Parsed, parse_integer

# How many of each can be defined, the status past the end, and what the message calls it (observed:
# `colour 9` and `cpair 8` fail with EINVAL)
LIMITS = {
    "colour": (8, errors.COLOUR_INVALID, "colour"),
    "cpair": (8, errors.CPAIR_INVALID, "colour pair"),
}


@command(*LIMITS)
def define(sim: Simulator, p: Parsed, argv0: str) -> int:
    count, code, what = LIMITS[argv0]
    if parse_integer(p.args[0], sim.profile) >= count:
        status = sim.err(code)
        raise IpxeError(status, f"Could not define {what}: {sim.strerror(status)}")
    return 0


@command("console")
def console(sim: Simulator, p: Parsed, argv0: str) -> int:
    return 0  # the framebuffer console is not simulated; its options were checked
