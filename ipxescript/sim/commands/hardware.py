"""Commands that probe the machine (cpuid_cmd.c, pci_cmd.c, usb_cmd.c)."""

from __future__ import annotations

from ipxescript.sim import errors, types
from ipxescript.sim.commands.registry import command
from ipxescript.sim.commands.settings import parse_setting
from ipxescript.sim.machine import Simulator
from ipxescript.sim.options import Parsed, parse_integer

# CPUID feature bits of QEMU's default x86_64 CPU (qemu64) under software emulation, as the firmware
# reports them (oracle case fuzz_cpuid_bits): leaf 1 EDX/ECX and leaf 0x80000001 EDX/ECX (`--ext`)
CPU_FEATURES = {
    "edx": {0, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 14, 15, 16, 17, 19, 23, 24, 25, 26},
    "ecx": {0, 13, 31},
    "ext-edx": {0, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 14, 15, 16, 17, 20, 23, 24, 29},
    "ext-ecx": {0, 2},
}


# bus:dev.fn of the PCI devices of QEMU's pc machine as the oracle runs it (no VGA; virtio-net at 3)
PCI_DEVICES = [0x00, 0x08, 0x09, 0x0B, 0x18]


@command("cpuid")
def cpuid(sim: Simulator, p: Parsed, argv0: str) -> int:
    bit = parse_integer(p.args[0], sim.profile) & 31  # the C shift (1 << bit) wraps at 32
    extended = bool(p.options.get("ext") or p.options.get("amd"))
    register = ("ext-" if extended else "") + ("ecx" if p.options.get("ecx") else "edx")
    if bit in CPU_FEATURES[register]:
        return 0
    return sim.err(
        errors.CPUID_FEATURE_ABSENT if sim.profile.legacy else errors.CPUID_FEATURE_ABSENT_UPSTREAM
    )


@command("pciscan")
def pciscan(sim: Simulator, p: Parsed, argv0: str) -> int:
    """pci_cmd.c: the next device after the one the setting holds (from 00:00.0 when it holds no
    number), stored as a uint16 unless typed; past the last one ENODEV, the setting left as it was."""
    ref = parse_setting(sim, p.args[0], create=True)
    found = sim.settings.fetch_ref(ref)
    start = 0
    if found is not None and (ref.type or found[1].type) in (*types.INT_WIDTHS, "busdevfn"):
        start = types.numeric_value(found[1].data, False) + 1
    for busdevfn in PCI_DEVICES:
        if busdevfn >= start:
            sim.settings.store_raw(ref, ref.type or "uint16", busdevfn.to_bytes(2, "big"))
            return 0
    return sim.err(errors.PCI_NO_MORE_DEVICES)


@command("usbscan")
def usbscan(sim: Simulator, p: Parsed, argv0: str) -> int:
    return sim.err(errors.USB_NONE)  # QEMU's pc machine has no USB controller: fails silently (observed)
