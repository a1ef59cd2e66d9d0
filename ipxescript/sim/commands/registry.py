"""The command table: each command module registers its handlers here by name."""

from __future__ import annotations

from collections.abc import Callable

from ipxescript.sim.machine import Simulator
from ipxescript.sim.options import Parsed

Handler = Callable[[Simulator, Parsed, str], int]
HANDLERS: dict[str, Handler] = {}


def command(*names: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        for name in names:
            HANDLERS[name] = handler
        return handler

    return register


def ticks(ms: int) -> int:
    """parse_timeout: TICKS_PER_MS is 1, so N ms become N ticks of 1/1024 s (src/include/ipxe/timer.h)."""
    return ms


def not_simulated(sim: Simulator, parsed: Parsed, argv0: str) -> int:
    sim.notes.append(f"{sim.engine.where()}: '{argv0}' is not simulated; it was assumed to succeed")
    return 0
