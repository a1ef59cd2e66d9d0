"""SAN commands (src/hci/commands/sanboot_cmd.c: sanboot, sanhook, sanunhook)."""

from __future__ import annotations

from ipxescript.sim import errors
from ipxescript.sim.commands.registry import command
from ipxescript.sim.machine import Simulator
from ipxescript.sim.options import Parsed
from ipxescript.sim.status import RunEnded


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
    plan = {
        "root_paths": root_paths or sim.san_hooked,
        "drive": drive,
        "filename": p.options.get("filename") or sim.settings.get("san-filename"),
    }
    raise RunEnded("sanboot", 0, {"where": sim.engine.where(), "boot": plan})


@command("sanhook")
def sanhook(sim: Simulator, p: Parsed, argv0: str) -> int:
    sim.san_hooked.extend(p.args)
    return 0


@command("sanunhook")
def sanunhook(sim: Simulator, p: Parsed, argv0: str) -> int:
    sim.san_hooked = []
    return 0
