"""What the DHCP server needs to know, checked once at start with errors a user can act on."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from pathlib import Path

MODES = ("full", "proxy")
MAC_RE = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")


class DhcpConfigError(ValueError):
    """A DHCP setting is wrong; the message names the setting and the cause."""


@dataclass(frozen=True)
class DhcpConfig:
    mode: str  # "full" (addresses + boot options) or "proxy" (boot options only, beside another server)
    server_address: str  # our address on the client link: option 54, siaddr default, unicast source
    interface: str | None = None  # bind to this device (SO_BINDTODEVICE); None = loopback only
    pool_start: str | None = None  # full mode: first and last address handed out
    pool_end: str | None = None
    netmask: str = "255.255.255.0"
    router: str | None = None
    dns: tuple[str, ...] = ()
    domain: str | None = None
    lease_time: int = 3600
    lease_db: Path | None = None  # SQLite file; None = leases kept in memory only
    reservations: dict[str, str] = field(default_factory=dict)  # MAC -> address, always the same
    port: int = 67
    proxy_port: int | None = 4011  # PXE boot-server port (proxy requests); None = not opened
    client_port: int = 68  # where replies to clients go (tests use a high port)
    decline_hold: int = 600  # seconds a DECLINEd address is kept from everyone

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise DhcpConfigError(f"dhcp mode {self.mode!r} is not one of {', '.join(MODES)}")
        _address("server address", self.server_address)
        _address("netmask", self.netmask)
        try:
            ipaddress.IPv4Network(f"0.0.0.0/{self.netmask}")
        except ValueError:
            raise DhcpConfigError(f"netmask {self.netmask!r} is not a contiguous mask") from None
        if self.router:
            _address("router", self.router)
        for server in self.dns:
            _address("dns server", server)
        if self.lease_time < 60:
            raise DhcpConfigError(f"lease time {self.lease_time}s is shorter than 60s")
        normalized: dict[str, str] = {}
        for mac, ip in self.reservations.items():
            key = mac.lower().replace("-", ":")
            if not MAC_RE.match(key):
                raise DhcpConfigError(
                    f"reservation {mac}={ip}: {mac!r} is not a MAC address like 52:54:00:12:34:56"
                )
            _address(f"reservation {mac}", ip)
            normalized[key] = ip
        object.__setattr__(self, "reservations", normalized)
        if self.mode == "full":
            self._check_pool()

    def _check_pool(self) -> None:
        if not self.pool_start or not self.pool_end:
            raise DhcpConfigError("full mode needs an address range (--dhcp-range START-END)")
        start = _address("range start", self.pool_start)
        end = _address("range end", self.pool_end)
        if int(end) < int(start):
            raise DhcpConfigError(f"range {self.pool_start}-{self.pool_end}: the end is before the start")
        network = self.pool_network
        if end not in network:
            raise DhcpConfigError(
                f"range {self.pool_start}-{self.pool_end} is not inside one subnet with netmask {self.netmask}"
            )
        if int(end) - int(start) >= 1 << 16:
            raise DhcpConfigError(f"range {self.pool_start}-{self.pool_end} holds more than 65536 addresses")
        for mac, ip in self.reservations.items():
            if ipaddress.IPv4Address(ip) not in network:
                raise DhcpConfigError(f"reservation {mac}={ip} is outside the range's subnet {network}")

    @property
    def pool_network(self) -> ipaddress.IPv4Network:
        return ipaddress.IPv4Network(f"{self.pool_start}/{self.netmask}", strict=False)


def _address(what: str, value: str) -> ipaddress.IPv4Address:
    try:
        return ipaddress.IPv4Address(value)
    except ValueError:
        raise DhcpConfigError(f"{what} {value!r} is not an IPv4 address") from None


def parse_range(text: str) -> tuple[str, str]:
    """`START-END` as given to --dhcp-range."""
    start, sep, end = text.partition("-")
    if not sep:
        raise DhcpConfigError(f"dhcp range {text!r} must look like START-END (10.0.0.100-10.0.0.199)")
    _address("range start", start.strip())
    _address("range end", end.strip())
    return start.strip(), end.strip()


def parse_reservation(text: str) -> tuple[str, str]:
    """`MAC=IP` as given to --reserve."""
    mac, sep, ip = text.partition("=")
    if not sep:
        raise DhcpConfigError(f"reservation {text!r} must look like MAC=IP (52:54:00:12:34:56=10.0.0.5)")
    return mac.strip(), ip.strip()
