"""SAN commands (src/hci/commands/sanboot_cmd.c: sanboot, sanhook, sanunhook)."""

from __future__ import annotations

from ipxescript.sim import errors, uri
from ipxescript.sim.commands.registry import command
from ipxescript.sim.machine import Simulator
from ipxescript.sim.options import Parsed
from ipxescript.sim.status import RunEnded

# Transfers that are no block devices: hooking one fails when the SAN layer asks for its capacity
# (block_read_capacity in src/core/blockdev.c); http(s), iscsi, aoe, ib_srp and fcp are block devices.
NOT_BLOCK_SCHEMES = {"tftp", "ftp", "file", "data", "nfs", "slam"}


def hook_failed(sim: Simulator, root_paths: list[str]) -> int:
    """san_hook of ROOT_PATHS (resolved like any URI): the status when none is a block device, else 0."""
    cw = uri.parse(sim.engine.cwuri) if sim.engine.cwuri else None
    schemes = {
        (uri.resolve(cw, uri.parse(p, legacy=sim.profile.legacy)).scheme or "").lower() for p in root_paths
    }
    if not root_paths or not schemes <= NOT_BLOCK_SCHEMES:
        return 0
    status = sim.err(errors.SAN_NOT_BLOCK_DEVICE)
    sim.out(f"Could not open SAN device: {sim.strerror(status)}\n")
    return status


@command("sanboot")
def sanboot(sim: Simulator, p: Parsed, argv0: str) -> int:
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
    failed = hook_failed(sim, root_paths)
    if failed:
        return failed
    plan = {
        "root_paths": root_paths or sim.san_hooked,
        "drive": drive,
        "filename": p.options.get("filename") or sim.settings.get("san-filename"),
    }
    raise RunEnded("sanboot", 0, {"where": sim.engine.where(), "boot": plan})


@command("sanhook")
def sanhook(sim: Simulator, p: Parsed, argv0: str) -> int:
    failed = hook_failed(sim, p.args)
    if failed:
        return failed
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
