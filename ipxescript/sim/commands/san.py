"""SAN commands (src/hci/commands/sanboot_cmd.c: sanboot, sanhook, sanunhook)."""

from __future__ import annotations

from ipxescript.sim import errors, uri
from ipxescript.sim.commands.registry import command
from ipxescript.sim.errors import IpxeError
from ipxescript.sim.machine import Simulator
from ipxescript.sim.options import Parsed
from ipxescript.sim.status import RunEnded


def check_schemes(sim: Simulator, root_paths: list[str]) -> None:
    """The root paths (resolved against the working URI) are a device's paths, tried in turn: it
    opens when one of them has a SAN opener in this build, else it fails with the last one's error.
    An unknown scheme is ENOTSUP (observed: `sanhook foo:bar`); TFTP opens, but not as a block device
    (observed: `sanboot a` from a TFTP script fails with tftp.c's 0x3f122083). `01:02:ff` has the
    scheme `01` in the 2019 build, none upstream (found by the differential fuzzer, after an empty
    path that was the TFTP script's own URI)."""
    legacy = sim.profile.legacy
    working = uri.parse(sim.engine.cwuri, legacy=False) if sim.engine.cwuri else None
    status = 0
    for root_path in root_paths:
        scheme = uri.resolve(working, uri.parse(root_path, legacy=legacy)).scheme or ""
        scheme = scheme if legacy else scheme.lower()
        if scheme in ("tftp", "tftm", "mtftp"):
            status = sim.err(errors.TFTP_NOT_BLOCK_DEVICE)
        elif scheme not in sim.profile.schemes:
            status = sim.err(errors.SCHEME_UNSUPPORTED)
        else:
            return
    if status:
        raise IpxeError(status, f"Could not open SAN device: {sim.strerror(status)}")


@command("sanboot")
def sanboot(sim: Simulator, p: Parsed, argv0: str) -> int:
    check_schemes(sim, p.args)
    default_root = sim.settings.get("root-path")
    root_paths = p.args or ([default_root] if default_root else [])
    drive = p.options.get("drive")
    if drive is None:
        configured = sim.settings.get("san-drive")
        drive = int(configured, 16) if configured else 0x80
    if not root_paths and not sim.san_hooked:
        # nothing to boot: iPXE tries the drive number and finds no such SAN device (observed)
        status = sim.err(
            errors.SAN_BIOS_DISK_FAILED if sim.profile.platform == "pcbios" else errors.SAN_NO_DEVICE
        )
        sim.out(f"Booting from SAN device {drive:#04x}\nBoot from SAN device {drive:#04x} failed: ")
        sim.out(f"{sim.strerror(status)}\n")
        return status
    plan = {
        "root_paths": root_paths or sim.san_hooked,
        "drive": drive,
        "filename": p.options.get("filename") or sim.settings.get("san-filename"),
    }
    raise RunEnded("sanboot", 0, {"where": sim.engine.where(), "boot": plan})


@command("sanhook")
def sanhook(sim: Simulator, p: Parsed, argv0: str) -> int:
    check_schemes(sim, p.args)
    sim.san_hooked.extend(p.args)
    return 0


@command("sanunhook")
def sanunhook(sim: Simulator, p: Parsed, argv0: str) -> int:
    # every build unregisters the drive, 0x80 by default, even when nothing was hooked (found by the
    # differential fuzzer; recorded in the oracle case fuzz_sanunhook)
    drive = p.options.get("drive")
    if drive is None:
        configured = sim.settings.get("san-drive")
        drive = int(configured, 16) if configured else 0x80
    sim.out(f"Unregistered SAN device {drive:#04x}\n")
    sim.san_hooked = []
    return 0
