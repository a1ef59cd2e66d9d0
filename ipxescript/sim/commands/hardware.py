"""Commands that probe the machine (cpuid_cmd.c, pci_cmd.c, usb_cmd.c)."""

from __future__ import annotations

from ipxescript.sim import errors, types
from ipxescript.sim.commands.registry import command
from ipxescript.sim.commands.settings import parse_setting
from ipxescript.sim.machine import Simulator
from ipxescript.sim.options import Parsed, parse_integer

# CPUID feature bits of QEMU's default x86_64 CPU (qemu64): leaf 1 EDX/ECX and leaf 0x80000001 EDX/ECX
CPU_FEATURES = {
    "edx": {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 14, 15, 16, 17, 19, 23, 24, 25, 26},
    "ecx": {0, 13, 23, 31},
    "ext-edx": {11, 20, 29},
    "ext-ecx": {0, 2, 5, 6},
}


@command("cpuid")
def cpuid(sim: Simulator, p: Parsed, argv0: str) -> int:
    bit = parse_integer(p.args[0], sim.profile) & 31  # the C shift (1 << bit) wraps at 32
    extended = bool(p.options.get("ext") or p.options.get("amd"))
    register = ("ext-" if extended else "") + ("ecx" if p.options.get("ecx") else "edx")
    return 0 if bit in CPU_FEATURES[register] else sim.err(errors.CPUID_FEATURE_ABSENT)


@command("pciscan")
def pciscan(sim: Simulator, p: Parsed, argv0: str) -> int:
    devices = [0x00, 0x08, 0x09, 0x0B, 0x10, 0x18]
    ref = parse_setting(sim, p.args[0], create=True)
    found = sim.settings.fetch_ref(ref)
    start = 0
    if found is not None:
        start = types.numeric_value(found[1].data, False) + 1
    for busdevfn in devices:
        if busdevfn >= start:
            sim.settings.store_raw(ref, ref.type or "uint16", busdevfn.to_bytes(2, "big"))
            return 0
    sim.settings.delete(ref)
    return sim.err(errors.SETTING_NO_BLOCK)


@command("usbscan")
def usbscan(sim: Simulator, p: Parsed, argv0: str) -> int:
    return sim.err(errors.USB_NONE)  # QEMU's pc machine has no USB controller: fails silently (observed)
