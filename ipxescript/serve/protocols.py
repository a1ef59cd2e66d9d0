"""Start the DHCP and TFTP modules (ipxescript.serve.dhcp / .tftp) with the serve policy.

Kept in one place so the runner does not care how those modules are configured; any error they raise at
start becomes a ServeError with a message for the user.
"""

from __future__ import annotations

import fcntl
import resource
import socket
import struct
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Protocol

from ipxescript.serve.config import ServeConfig
from ipxescript.serve.policy import Client
from ipxescript.serve.serve_policy import ServePolicy
from ipxescript.serve.state import StateUnavailable

if TYPE_CHECKING:
    from ipxescript.serve.dhcp.config import DhcpConfig
    from ipxescript.serve.dhcp.leases import Leases


class ServeError(Exception):
    """The server cannot start (port in use, bad DHCP setting, ...); the message says why."""


class Closable(Protocol):
    def close(self) -> None: ...


def interface_netmask(name: str) -> str:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        packed = fcntl.ioctl(sock.fileno(), 0x891B, struct.pack("256s", name.encode()[:15]))  # SIOCGIFNETMASK
    return socket.inet_ntoa(packed[20:24])


def port_message(exc: OSError, what: str, host: str, port: int) -> str:
    reason = exc.strerror or str(exc)
    if exc.errno in (98,):  # EADDRINUSE
        return f"{what} port {port} on {host} is already in use (another server running? pick another with flags)"
    if exc.errno in (13,):  # EACCES
        return f"{what} port {port} on {host}: permission denied (ports below 1024 need root)"
    if exc.errno in (99,):  # EADDRNOTAVAIL
        return f"{what}: address {host} is not on this machine (check --address / --interface)"
    return f"{what} on {host}:{port}: {reason}"


def tftp_settings(config: ServeConfig) -> Any:
    """TFTP's limits, with the number of transfers fitted to the descriptors the process may open (each
    holds two: its socket and the file), beside HTTP's quarter."""
    from ipxescript.serve.tftp.server import TftpSettings

    settings = TftpSettings(max_duration=config.tftp_max_seconds)
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY:
        fit = max(8, (soft - 64) // 8)
        if fit < settings.max_transfers:
            return replace(settings, max_transfers=fit)
    return settings


async def start_tftp(config: ServeConfig, policy: ServePolicy) -> Closable:
    from ipxescript.serve.tftp import start_tftp as start

    def client_info(ip: str) -> Client | None:
        mac = policy.bootlog.client_of(None, ip)
        return Client(mac=mac if mac != ip else "", ip=ip)

    try:
        server: Any = await start(
            config.root,
            config.bind_address,
            config.tftp_port,
            policy,
            client_info=client_info,
            is_private=policy.root.is_private,
            settings=tftp_settings(config),
        )
    except OSError as exc:
        raise ServeError(port_message(exc, "TFTP", config.bind_address, config.tftp_port)) from None
    if config.tftp_port == 0:  # a free port: the banner names the one taken
        config.tftp_port = server.address[1]
    return server  # type: ignore[no-any-return]


async def start_dhcp(
    config: ServeConfig, policy: ServePolicy, leases: Callable[[DhcpConfig], Leases] | None = None
) -> Closable | None:
    """`leases`: the shared lease store of the state backend; None = SQLite in the state directory."""
    if config.dhcp == "off":
        return None
    from ipxescript.serve.dhcp.config import DhcpConfig, DhcpConfigError
    from ipxescript.serve.dhcp.server import start_dhcp as start

    assert config.interface is not None  # load_config requires it for DHCP
    settings = dict(config.dhcp_settings)
    settings.setdefault("netmask", interface_netmask(config.interface))
    try:
        dhcp_config = DhcpConfig(
            mode=config.dhcp,
            server_address=config.address,
            interface=config.interface,
            pool_start=config.dhcp_range[0] if config.dhcp_range else None,
            pool_end=config.dhcp_range[1] if config.dhcp_range else None,
            lease_db=config.state_dir / "leases.sqlite3",
            port=config.dhcp_port,
            proxy_port=config.proxy_port if config.dhcp == "proxy" else None,
            **settings,
        )
    except (DhcpConfigError, TypeError) as exc:
        raise ServeError(f"DHCP: {exc}") from None
    try:
        store = leases(dhcp_config) if leases is not None and dhcp_config.mode == "full" else None
        server: Any = await start(dhcp_config, policy, store)
    except OSError as exc:
        raise ServeError(f"DHCP: {exc.strerror or exc}") from None
    except StateUnavailable as exc:
        raise ServeError(f"DHCP: {exc}") from None
    return server  # type: ignore[no-any-return]
