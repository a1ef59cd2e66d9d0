"""Request parameter lists (src/hci/commands/param_cmd.c: params, param; src/core/params.c).

A list lives until the boot ends or `params --delete` removes it: `params` (re)creates one, empty;
`param` adds to one that exists, else fails with ENOENT (parse_parameters in src/core/parseopt.c).
"""

from __future__ import annotations

from ipxescript.sim import errors
from ipxescript.sim.commands.registry import command
from ipxescript.sim.errors import IpxeError
from ipxescript.sim.machine import Simulator
from ipxescript.sim.options import Parsed


@command("params")
def params(sim: Simulator, p: Parsed, argv0: str) -> int:
    name = p.options.get("name")
    sim.param_lists.discard(name)  # create_parameters replaces a list of the same name
    if not p.options.get("delete"):
        sim.param_lists.add(name)
    return 0


@command("param")
def param(sim: Simulator, p: Parsed, argv0: str) -> int:
    name = p.options.get("params")
    if name not in sim.param_lists:
        text = f'"{name}": no such parameter list' if name is not None else "No default parameter list"
        raise IpxeError(sim.err(errors.NO_SUCH_PARAMS), text)
    return 0
