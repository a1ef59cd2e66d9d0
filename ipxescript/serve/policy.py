"""The boot policy interface, apart from the protocols (in the manner of pixiecore's Booter).

DHCP, TFTP and HTTP modules know nothing about targets or assignments: they describe the client and ask
the policy. The policy answers with plain data and a human reason that the protocols log.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

# DHCP option 93 (RFC 4578 + IANA registry) values the boot flow distinguishes.
ARCH_NAMES: dict[int, str] = {
    0: "bios",
    6: "efi32",
    7: "efi64",
    9: "efi64",
    10: "arm32",
    11: "arm64",
    15: "efi32-http",
    16: "efi64-http",
    19: "arm64-http",
}


@dataclass(frozen=True)
class Client:
    """What a protocol knows about the machine that is asking."""

    mac: str  # lower-case, colon separated: "52:54:00:12:34:56"
    arch: int | None = None  # DHCP option 93, None when not sent
    user_class: str | None = None  # option 77, decoded (raw or RFC 3004)
    vendor_class: str | None = None  # option 60
    is_ipxe: bool = False  # user-class "iPXE" or option 175 present
    uuid: str | None = None  # option 97, formatted as iPXE's ${uuid}
    ip: str | None = None  # the client's address, when known
    hostname: str | None = None  # option 12
    labels: dict[str, str] = field(default_factory=dict)  # anything else (HTTP query parameters, ...)

    @property
    def arch_name(self) -> str:
        return ARCH_NAMES.get(self.arch if self.arch is not None else 0, "bios")


@dataclass(frozen=True)
class BootOffer:
    """What DHCP should tell a PXE/iPXE client to load next."""

    boot_file: str  # a TFTP path for first-stage loaders, or a full URL for iPXE clients
    next_server: str | None  # siaddr; None = the server's own address
    reason: str  # why this answer, for the log


@dataclass(frozen=True)
class VirtualFile:
    """Content the policy generates for a path instead of a file under ROOT."""

    data: bytes
    reason: str


class BootPolicy(Protocol):
    def boot_offer(self, client: Client) -> BootOffer | None:
        """What this client should boot, or None to stay silent (e.g. not a PXE client in proxy mode)."""
        ...

    def tftp_file(self, path: str, client: Client) -> VirtualFile | None:
        """Generated content for a TFTP path, or None to serve the file from ROOT."""
        ...
