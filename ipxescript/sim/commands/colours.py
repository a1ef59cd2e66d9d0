"""Console commands (src/hci/commands/console_cmd.c: console, colour, cpair). Colours are not seen by
the oracle (its terminal drops them), so only their checks are simulated."""

from __future__ import annotations

from ipxescript.sim import errors
from ipxescript.sim.commands.registry import command
from ipxescript.sim.errors import IpxeError
from ipxescript.sim.machine import Simulator
from ipxescript.sim.options import Parsed, parse_integer

COLOURS = 8  # ansicol: colours 0-7 can be defined (observed: `colour 9` fails with EINVAL)
PAIRS = 8  # colour pairs 0-7 (observed: `cpair 8` fails with EINVAL)


@command("colour")
def colour(sim: Simulator, p: Parsed, argv0: str) -> int:
    if parse_integer(p.args[0], sim.profile) >= COLOURS:
        status = sim.err(errors.COLOUR_INVALID)
        raise IpxeError(status, f"Could not define colour: {sim.strerror(status)}")
    return 0


@command("cpair")
def cpair(sim: Simulator, p: Parsed, argv0: str) -> int:
    if parse_integer(p.args[0], sim.profile) >= PAIRS:
        status = sim.err(errors.CPAIR_INVALID)
        raise IpxeError(status, f"Could not define colour pair: {sim.strerror(status)}")
    return 0


@command("console")
def console(sim: Simulator, p: Parsed, argv0: str) -> int:
    return 0  # the framebuffer console is not simulated; its options were checked
