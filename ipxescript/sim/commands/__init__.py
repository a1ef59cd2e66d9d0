"""The commands of the simulated firmware, one module per iPXE source family, each as iPXE's *_exec
does it (cites in the reference: src/core/exec.c, src/hci/commands/*.c, src/image/script.c).
``run_command`` is execv's dispatch: the engine is handed it and never imports a command."""

from __future__ import annotations

from ipxescript.sim import errors
from ipxescript.sim.commands import (  # noqa: F401  (each module registers its commands)
    certs,
    colours,
    core,
    digest,
    hardware,
    images,
    login,
    menus,
    network,
    params,
    power,
    quiet,
    san,
    script,
    settings,
    shell,
)
from ipxescript.sim.commands.registry import HANDLERS, not_simulated
from ipxescript.sim.errors import IpxeError
from ipxescript.sim.machine import Simulator
from ipxescript.sim.options import UsageError, parse_argv, usage_text


def run_command(sim: Simulator, argv: list[str]) -> int:
    name = argv[0]
    if name not in sim.profile.commands:
        sim.out(f"{name}: command not found\n")
        return sim.err(errors.COMMAND_NOT_FOUND)
    if name in sim.profile.inert_commands:
        return 0
    if name == "help":
        return core.help_command(sim)
    try:
        parsed = parse_argv(argv, sim.profile)
        handler = HANDLERS.get(name, not_simulated)
        return handler(sim, parsed, argv[0])
    except UsageError as exc:
        if exc.message:
            sim.out(exc.message + "\n")
        if exc.usage:
            sim.out(usage_text(argv[0], sim.profile))
        return sim.err(exc.status)
    except IpxeError as exc:
        if exc.message:
            sim.out(exc.message + "\n")
        return sim.err(exc.status)
