"""Digest commands (src/hci/commands/digest_cmd.c: md5sum, sha1sum, ...)."""

from __future__ import annotations

import hashlib
from functools import partial

from ipxescript.sim import errors
from ipxescript.sim.commands.registry import command
from ipxescript.sim.commands.settings import parse_setting, stored
from ipxescript.sim.machine import Simulator
from ipxescript.sim.options import Parsed

DIGESTS = {
    "md5sum": "md5",
    "sha1sum": "sha1",
    "sha224sum": "sha224",
    "sha256sum": "sha256",
    "sha384sum": "sha384",
    "sha512sum": "sha512",
    "md4sum": "md4",
}


@command(*DIGESTS)
def digest(sim: Simulator, p: Parsed, argv0: str) -> int:
    for name in p.args:
        if not sim.profile.legacy:
            # upstream acquires each argument (an image name, else a URI to download: found by the
            # differential fuzzer, `sha512sum 1.2.3.4` prints `1.2.3.4... Not found`)
            status, found = sim.acquire(name, None)
            if status:
                return status
            image = found
        else:
            image = sim.registry.find(name)
        if image is None:
            status = sim.err(errors.NO_SUCH_IMAGE)
            sim.out(f'"{name}": no such image\n')
            return status
        if image.data is None:
            sim.notes.append(f"{sim.engine.where()}: {argv0} of {name}: the image was not downloaded whole")
            value = bytes(hashlib.new(DIGESTS[argv0]).digest_size)
        else:
            value = hashlib.new(DIGESTS[argv0], image.data).digest()
        target = p.options.get("set")
        if target:
            # the digest's bytes, typed hexraw unless the name gives a type (observed: `md5sum --set x`
            # then `show x` is `x:hexraw = 6f59...`)
            ref = parse_setting(sim, target, create=True)
            status = stored(sim, ref, partial(sim.settings.store_raw, ref, ref.type or "hexraw", value))
            if status:
                return status
        else:
            sim.out(f"{value.hex()}  {image.name}\n")  # the image acquired: `sha1sum ""` names the script
    return 0
