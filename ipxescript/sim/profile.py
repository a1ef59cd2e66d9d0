"""Build profiles: what the simulated firmware is (commands, schemes, types from the catalog) and how it
behaves where Debian's 2019 build and upstream differ (DEBIAN-12-BUILD.md §3), plus the machine the
firmware runs on (the QEMU user-network NIC that the oracle firmware sees).
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

from ipxescript.sim import errors

PROFILE_NAMES = ("efi", "pcbios", "debian-12-efi")


@functools.cache
def catalog_data() -> dict[str, Any]:
    """The core's catalog (commands with options and usage, settings, build profiles)."""
    try:
        from ipxescript.catalog import get_catalog  # type: ignore[attr-defined]

        catalog = get_catalog()
        raw = getattr(catalog, "raw", None)
        if isinstance(raw, dict):
            return raw
    except Exception:  # the catalog API may not be importable yet: read its data file directly
        pass
    text = resources.files("ipxescript.catalog").joinpath("catalog.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    platform: str  # efi | pcbios
    buildarch: str
    version: str
    commands: frozenset[str]
    command_order: tuple[str, ...]  # what `help` lists, in its order
    schemes: frozenset[str]
    setting_types: frozenset[str]
    absent_settings: frozenset[str]
    empty_integer_is_zero: bool
    url_base: str  # "http://ipxe.org" or "https://ipxe.org"
    key_offset: int
    legacy: bool  # Debian's 2019 snapshot: the behaviours listed in DEBIAN-12-BUILD.md §3
    ipv6: bool = True  # the build has IPv6 (NDP settings, IPv6 routes); upstream's BIOS build has not
    inert_commands: frozenset[str] = frozenset()  # listed by `help`, but accept anything and do nothing

    # Behaviour switches that follow from `legacy` (named so the code says why it branches)
    @property
    def menu_messages(self) -> tuple[str, str]:
        if self.legacy:
            return ("No default menu", '"{}": no such menu')
        return ("No default user interface", '"{}": no such user interface')

    @property
    def screen_start_text(self) -> str:
        """What a terminal shows of the reset a full-screen UI starts with: the BIOS build's mucurses
        writes "\\0330m" (its `[` missing), so a stray `m` (observed on ipxe.lkrn's serial console)."""
        return "m" if self.platform == "pcbios" else ""

    @property
    def bytes_shown_alone(self) -> bool:
        """Whether each byte >= 0x80 reaches the terminal on its own: Debian's EFI console and the BIOS
        serial console do (`café` shows as `caf??`); upstream's EFI console sends one character."""
        return self.legacy or self.platform == "pcbios"

    @property
    def readline_max(self) -> int:
        return 255 if self.legacy else 1023

    @property
    def http_404_text(self) -> str | None:
        return None if self.legacy else "Not found"

    def error_texts(self) -> dict[int, str]:
        """Exact-value entries of the error table beyond the generic ones."""
        texts = {0x1D0C6498: "HTTP 4xx Client Error", 0x1D0C6598: "HTTP 5xx Server Error"}
        if not self.legacy:
            texts[0x2D0C618E] = "Not found"
            texts[0x2D12618E] = "Not found"  # tftp.c (observed on ipxe.efi and ipxe.lkrn)
            texts[errors.EFI_FILE_NOT_FOUND] = "Not found"  # efi_local.c (observed on ipxe.efi)
        return {errors.for_platform(status, self.platform): text for status, text in texts.items()}


_BEHAVIOUR = {"debian-12-efi": True}


def load_profile(name: str) -> Profile:
    data = catalog_data()
    profiles = data["profiles"]
    if name not in profiles:
        raise KeyError(name)
    p = profiles[name]
    order = list(p["commands"])
    legacy = _BEHAVIOUR.get(name, False)
    if not legacy:
        order = sorted(order)
    return Profile(
        name=name,
        description=p.get("description", name),
        platform=p["platform"],
        buildarch=p["buildarch"],
        version=p["version"],
        commands=frozenset(p["commands"]),
        command_order=tuple(order),
        schemes=frozenset(p["schemes"]),
        setting_types=frozenset(p["setting_types"]),
        absent_settings=frozenset(p.get("absent_settings", [])),
        empty_integer_is_zero=bool(p.get("empty_integer_is_zero", False)),
        url_base=str(p.get("error_url", "https://ipxe.org/")).rstrip("/"),
        key_offset=int(p.get("key_offset", 0x110000)),
        legacy=legacy,
        ipv6=bool(p.get("ipv6", True)),
        inert_commands=frozenset(p.get("inert_commands", [])),
    )


def command_specs() -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in catalog_data()["commands"]}


@dataclass(frozen=True)
class Machine:
    """The simulated computer: QEMU's virtio NIC on user networking (RUNNING-IPXE.md)."""

    mac: str = "52:54:00:12:34:56"
    ip: str = "10.0.2.15"
    netmask: str = "255.255.255.0"
    gateway: str = "10.0.2.2"
    dns: str = "10.0.2.3"
    dhcp_server: str = "10.0.2.2"
    next_server: str = "10.0.2.2"
    ip6: str = "fec0::5054:ff:fe12:3456"  # SLAAC from QEMU's router advertisement
    link_ip6: str = "fe80::5054:ff:fe12:3456"
    gateway6: str = "fe80::2"
    chip: str = "virtio-net"
    busloc: int = 0x18  # PCI 00:03.0 (the oracle's QEMU pins the NIC there; DEBIAN-12-BUILD.md §2 too)
    pci_vendor: int = 0x1AF4
    pci_device: int = 0x1000
    manufacturer: str = "QEMU"
    product: str = "Standard PC (i440FX + PIIX, 1996)"
    uuid: bytes = bytes(16)
    cpuvendor: str = "AuthenticAMD"  # QEMU's TCG CPU (observed on upstream ipxe.efi: show cpuvendor)
    cpumodel: str = "QEMU Virtual CPU version 2.5+"
    start_unixtime: int | None = None  # None: the host's clock when the run starts (the VM's RTC)
    # PCI functions present (busdevfn -> vendor, device): i440FX host bridge, PIIX3 ISA/IDE/ACPI, the NIC
    pci: tuple[tuple[int, int, int], ...] = (
        (0x00, 0x8086, 0x1237),
        (0x08, 0x8086, 0x7000),
        (0x09, 0x8086, 0x7010),
        (0x0B, 0x8086, 0x7113),
        (0x18, 0x1AF4, 0x1000),
    )
