"""Reply packets: the header fields and options each answer carries, in one place."""

from __future__ import annotations

import ipaddress

from ipxescript.serve.policy import BootOffer

from . import codec as c
from .clients import vendor_class_answer
from .config import DhcpConfig


def _reply_header(request: c.DhcpPacket, message_type: int, config: DhcpConfig) -> c.DhcpPacket:
    reply = c.DhcpPacket(
        op=c.BOOTREPLY,
        htype=request.htype,
        hlen=request.hlen,
        xid=request.xid,
        flags=request.flags,
        giaddr=request.giaddr,
        chaddr=request.chaddr,
    )
    reply.options[c.OPT_MESSAGE_TYPE] = bytes((message_type,))
    reply.options[c.OPT_SERVER_ID] = _fixed(config)[c.OPT_SERVER_ID]
    return reply


_FIXED_CACHE: dict[int, tuple[DhcpConfig, dict[int, bytes]]] = {}


def _fixed(config: DhcpConfig) -> dict[int, bytes]:
    """The options that depend only on the configuration, encoded once per configuration."""
    cached = _FIXED_CACHE.get(id(config))
    if cached is not None and cached[0] is config:
        return cached[1]
    options = {
        c.OPT_SERVER_ID: c.ip_bytes(config.server_address),
        c.OPT_SUBNET_MASK: c.ip_bytes(config.netmask),
    }
    if config.router:
        options[c.OPT_ROUTER] = c.ip_bytes(config.router)
    if config.dns:
        options[c.OPT_DNS] = c.ip_list(list(config.dns))
    if config.domain:
        options[c.OPT_DOMAIN] = config.domain.encode()
    if config.pool_start:
        options[c.OPT_BROADCAST] = c.ip_bytes(str(config.pool_network.broadcast_address))
    lease = config.lease_time
    options[c.OPT_LEASE_TIME] = lease.to_bytes(4, "big")
    options[c.OPT_RENEWAL_TIME] = (lease // 2).to_bytes(4, "big")
    options[c.OPT_REBINDING_TIME] = (lease * 7 // 8).to_bytes(4, "big")
    _FIXED_CACHE[id(config)] = (config, options)
    return options


NETWORK_OPTIONS = (c.OPT_SUBNET_MASK, c.OPT_ROUTER, c.OPT_DNS, c.OPT_DOMAIN, c.OPT_BROADCAST)
LEASE_OPTIONS = (c.OPT_LEASE_TIME, c.OPT_RENEWAL_TIME, c.OPT_REBINDING_TIME)


_LEASE_CACHE: dict[tuple[int, int], tuple[DhcpConfig, dict[int, bytes]]] = {}


def lease_options(config: DhcpConfig, message_type: int) -> dict[int, bytes]:
    """The options every OFFER/ACK of an address starts with, in wire order, built once per configuration
    (a lab powering on asks for hundreds of offers a second; copying this dict is cheap)."""
    cached = _LEASE_CACHE.get((id(config), message_type))
    if cached is not None and cached[0] is config:
        return cached[1]
    fixed = _fixed(config)
    options = {c.OPT_MESSAGE_TYPE: bytes((message_type,)), c.OPT_SERVER_ID: fixed[c.OPT_SERVER_ID]}
    for code in LEASE_OPTIONS:
        options[code] = fixed[code]
    for code in NETWORK_OPTIONS:
        if code in fixed:
            options[code] = fixed[code]
    _LEASE_CACHE[(id(config), message_type)] = (config, options)
    return options


# Discovery control "use the boot file in this offer": no menu, no boot-server discovery. A menu
# (sub-option 9) would send iPXE into discovery and make it load the first stage again.
PXE_USE_BOOTFILE = c.encode_suboptions(
    {c.PXE_DISCOVERY_CONTROL: bytes((c.DISCOVERY_USE_BOOTFILE,))}, end=True
)


def _network_options(reply: c.DhcpPacket, config: DhcpConfig) -> None:
    fixed = _fixed(config)
    for code in NETWORK_OPTIONS:
        if code in fixed:
            reply.options[code] = fixed[code]


def _boot_options(
    reply: c.DhcpPacket, request: c.DhcpPacket, boot: BootOffer | None, config: DhcpConfig
) -> None:
    vendor = vendor_class_answer(request.vendor_class)
    if vendor:
        # Without option 60 PXE firmware ignores the offer, and iPXE waits ~3 s for proxy offers.
        reply.options[c.OPT_VENDOR_CLASS] = vendor.encode()
    if boot is None:
        return
    next_server = boot.next_server or config.server_address
    reply.siaddr = next_server
    name = boot.boot_file.encode()
    if len(name) < 128:
        reply.file = name  # shim reads only this field
    if "://" not in boot.boot_file:
        reply.options[c.OPT_TFTP_SERVER] = next_server.encode()
    reply.options[c.OPT_BOOTFILE] = name
    if vendor == "PXEClient":
        reply.options[c.OPT_VENDOR_SPECIFIC] = PXE_USE_BOOTFILE
    if c.OPT_CLIENT_UUID in request.options:
        reply.options[c.OPT_CLIENT_UUID] = request.options[c.OPT_CLIENT_UUID]  # PXE servers echo it


def _relay_echo(reply: c.DhcpPacket, request: c.DhcpPacket) -> None:
    if c.OPT_RELAY_AGENT in request.options:  # RFC 3046: echo the relay's information back, last
        reply.options[c.OPT_RELAY_AGENT] = request.options[c.OPT_RELAY_AGENT]


def lease_reply(
    request: c.DhcpPacket,
    message_type: int,
    address: str,
    boot: BootOffer | None,
    config: DhcpConfig,
) -> c.DhcpPacket:
    """OFFER or ACK of an address (full mode)."""
    reply = c.DhcpPacket(
        op=c.BOOTREPLY,
        htype=request.htype,
        hlen=request.hlen,
        xid=request.xid,
        flags=request.flags,
        yiaddr=address,
        giaddr=request.giaddr,
        chaddr=request.chaddr,
        options=dict(lease_options(config, message_type)),  # the header's options, then lease, network
    )
    if request.ciaddr != "0.0.0.0" and message_type == c.ACK:
        reply.ciaddr = request.ciaddr
    _boot_options(reply, request, boot, config)
    _relay_echo(reply, request)
    return reply


def inform_reply(request: c.DhcpPacket, boot: BootOffer | None, config: DhcpConfig) -> c.DhcpPacket:
    """ACK to an INFORM: configuration only, no address and no lease time (RFC 2131 4.3.5)."""
    reply = _reply_header(request, c.ACK, config)
    reply.ciaddr = request.ciaddr
    _network_options(reply, config)
    _boot_options(reply, request, boot, config)
    _relay_echo(reply, request)
    return reply


def proxy_reply(
    request: c.DhcpPacket, message_type: int, boot: BootOffer, config: DhcpConfig
) -> c.DhcpPacket:
    """A proxyDHCP OFFER/ACK: boot options only, no address (yiaddr 0), beside another DHCP server."""
    reply = _reply_header(request, message_type, config)
    if request.ciaddr != "0.0.0.0":
        reply.ciaddr = request.ciaddr
    _boot_options(reply, request, boot, config)
    _relay_echo(reply, request)
    return reply


def nak(request: c.DhcpPacket, reason: str, config: DhcpConfig) -> c.DhcpPacket:
    reply = _reply_header(request, c.NAK, config)
    reply.options[c.OPT_MESSAGE] = reason.encode()[:255]
    if request.giaddr != "0.0.0.0":
        reply.flags |= c.BROADCAST_FLAG  # RFC 2131 4.3.2: the relay must broadcast a NAK
    _relay_echo(reply, request)
    return reply


def in_subnet(address: str, network: ipaddress.IPv4Network) -> bool:
    return ipaddress.IPv4Address(address) in network
