"""Commands that probe the machine (cpuid_cmd.c, pci_cmd.c, usb_cmd.c)."""

from __future__ import annotations

from ipxescript.sim import errors, types
from ipxescript.sim.commands.registry import command
from ipxescript.sim.commands.settings import parse_setting, stored
from ipxescript.sim.errors import IpxeError
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


# types with numerate/denumerate in settings.c, what fetchn_setting and storen_setting can use:
# the integers only (`busdevfn` cannot be stored as a number: oracle case fuzz_pciscan_typed)
NUMBER_TYPES = tuple(types.INT_WIDTHS)

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
    number), stored as a uint16 unless the setting has a type; past the last one ENODEV, the setting
    left as it was. The store is storen_setting's: a type with no number form (a numeric tag that names
    `netmask`, an ipv4 setting; a stored string) fails with ENOTSUP (oracle case fuzz_pciscan_typed)."""
    ref = parse_setting(sim, p.args[0], create=True)
    found = sim.settings.fetch_ref(ref)
    type_name = ref.type or (found[1].type if found is not None else None)
    start = 0
    if found is not None and type_name in NUMBER_TYPES:
        start = types.numeric_value(found[1].data, False) + 1
    busdevfn = next((d for d in PCI_DEVICES if d >= start), None)
    if busdevfn is None:
        return sim.err(errors.PCI_NO_MORE_DEVICES)
    store_type = type_name or "uint16"

    def write() -> None:
        if store_type not in NUMBER_TYPES:
            raise IpxeError(errors.STORE_UNSUPPORTED)
        sim.settings.store_raw(ref, store_type, busdevfn.to_bytes(2, "big"))

    return stored(sim, ref, write)


@command("usbscan")
def usbscan(sim: Simulator, p: Parsed, argv0: str) -> int:
    parse_setting(sim, p.args[0], create=True)  # usb_cmd.c parses the setting first (fuzz_usbscan_setting)
    return sim.err(errors.USB_NONE)  # QEMU's pc machine has no USB controller: fails silently (observed)
