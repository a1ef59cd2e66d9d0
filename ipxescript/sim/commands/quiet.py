"""Commands whose effect the simulator does not model and that succeed without output (sync, ibstat)."""

from __future__ import annotations

from ipxescript.sim.commands.registry import command
from ipxescript.sim.machine import Simulator
from ipxescript.sim.options import Parsed


@command(
    "sync",
    "ibstat",
)
def quiet_success(sim: Simulator, p: Parsed, argv0: str) -> int:
    return 0
