"""Form parameter lists (src/hci/commands/param_cmd.c: params, param)."""

from __future__ import annotations

from ipxescript.sim import errors
from ipxescript.sim.commands.registry import command
from ipxescript.sim.errors import IpxeError
from ipxescript.sim.machine import Simulator
from ipxescript.sim.options import Parsed


@command("params")
def params(sim: Simulator, p: Parsed, argv0: str) -> int:
    name = p.options.get("name")
    if p.options.get("delete"):
        sim.param_lists.discard(name)  # deleting a list that is not there succeeds (observed)
    else:
        sim.param_lists.add(name)
    return 0


@command("param")
def param(sim: Simulator, p: Parsed, argv0: str) -> int:
    name = p.options.get("params")
    if name is not None and name not in sim.param_lists:
        raise IpxeError(sim.err(errors.NO_SUCH_PARAMS), f'"{name}": no such parameter list')
    return 0
