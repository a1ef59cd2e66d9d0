"""Certificate store commands (src/hci/commands/cert_cmd.c: certstat, certfree, certstore). The
simulated store is empty: no certificate a script could load parses here."""

from __future__ import annotations

from ipxescript.sim import errors
from ipxescript.sim.commands.registry import command
from ipxescript.sim.errors import IpxeError
from ipxescript.sim.machine import Simulator
from ipxescript.sim.options import Parsed


@command("certstat", "certfree")
def certstat(sim: Simulator, p: Parsed, argv0: str) -> int:
    subject = p.options.get("subject")
    if subject is not None:
        raise IpxeError(sim.err(errors.NO_SUCH_CERTIFICATE), f'"{subject}" : no such certificate')
    return 0


@command("certstore")
def certstore(sim: Simulator, p: Parsed, argv0: str) -> int:
    status, image = sim.acquire(p.args[0], None)
    if status:
        return status
    status = sim.err(errors.CERT_NOT_PARSED)
    raise IpxeError(status, f"Could not parse certificate: {sim.strerror(status)}")
