"""Certificate store commands (src/hci/commands/cert_cmd.c: certstat, certstore, certfree).

The simulated store is empty, as in a build without embedded certificates (no `CERT=`) that has not
used TLS: the commands go through no certificate, and `--subject NAME` then fails with ENOENT.
"""

from __future__ import annotations

from ipxescript.sim import errors
from ipxescript.sim.commands.registry import command
from ipxescript.sim.errors import IpxeError
from ipxescript.sim.machine import Simulator
from ipxescript.sim.options import Parsed


@command("certstat", "certstore", "certfree")
def cert(sim: Simulator, p: Parsed, argv0: str) -> int:
    if p.args:  # certstore's image: acquired, its certificates parsed, then unregistered (unless --keep)
        status, image = sim.acquire(p.args[0], None)
        if status or image is None:
            return status
        try:
            if image.size:
                # no image type of a plain file yields ASN.1 (image_asn1 in src/crypto/asn1.c)
                status = sim.err(errors.CERT_NOT_PARSED)
                sim.out(f"Could not parse certificate: {sim.strerror(status)}\n")
                return status
        finally:
            if not p.options.get("keep"):
                sim.registry.unregister(image)
    subject = p.options.get("subject")
    if subject is not None:
        raise IpxeError(sim.err(errors.NO_SUCH_CERTIFICATE), f'"{subject}" : no such certificate')
    return 0
