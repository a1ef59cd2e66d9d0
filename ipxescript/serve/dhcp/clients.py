"""What a DHCP request says about the machine that sent it, as the policy's `Client`."""

from __future__ import annotations

from ipxescript.serve.policy import ARCH_NAMES, Client

from . import codec as c
from .codec import OPT_IPXE, RELAY_CIRCUIT_ID, RELAY_REMOTE_ID, DhcpPacket, decode_suboptions

# Option 60 prefixes of network-boot firmware. iPXE hands its settings to what it chains, so a proxy's
# "PXEClient" can leak into a later stage's option 60 with more text after it: match by prefix.
BOOT_VENDOR_PREFIXES = ("PXEClient", "HTTPClient")


def is_boot_client(packet: DhcpPacket) -> bool:
    """Network-boot firmware (PXE or UEFI HTTP boot), as opposed to an operating system's DHCP client."""
    return is_boot_vendor(packet.vendor_class)


def is_boot_vendor(vendor: str | None) -> bool:
    return (vendor or "").startswith(BOOT_VENDOR_PREFIXES)


def may_boot(client: Client) -> bool:
    """Is the policy asked about this client (network-boot firmware, iPXE, or a client naming its arch)?"""
    return is_boot_vendor(client.vendor_class) or client.is_ipxe or client.arch is not None


def vendor_class_answer(vendor: str | None) -> str | None:
    """The option 60 a reply carries: PXE and HTTP-boot firmware only trust offers that echo their kind."""
    vendor = vendor or ""
    for prefix in BOOT_VENDOR_PREFIXES:
        if vendor.startswith(prefix):
            return prefix
    return None


def client_from_packet(packet: DhcpPacket, ip: str | None = None) -> Client:
    return client_from_options(packet.mac, packet.giaddr, packet.ciaddr, packet.options, ip)


def client_from_options(
    mac: str, giaddr: str, ciaddr: str, options: dict[int, bytes], ip: str | None = None
) -> Client:
    """The `Client` a request describes, from its header addresses and options (the fast path has no
    `DhcpPacket`)."""
    labels: dict[str, str] = {}
    if giaddr != "0.0.0.0":
        labels["relay"] = giaddr
    relay_info = options.get(82)
    if relay_info:
        subs = decode_suboptions(relay_info)
        if RELAY_CIRCUIT_ID in subs:
            labels["circuit-id"] = subs[RELAY_CIRCUIT_ID].hex()
        if RELAY_REMOTE_ID in subs:
            labels["remote-id"] = subs[RELAY_REMOTE_ID].hex()
    features = c.ipxe_features(options) if OPT_IPXE in options else None
    if features:
        labels["ipxe-features"] = ",".join(features)  # e.g. whether this iPXE can fetch https:// URLs
    classes = c.user_classes(options)
    known_ip = ip or (ciaddr if ciaddr != "0.0.0.0" else None)
    return Client(
        mac=mac,
        arch=c.client_arch(options),
        user_class=",".join(classes) if classes else None,
        vendor_class=c.text_option(options, c.OPT_VENDOR_CLASS),
        is_ipxe=features is not None or "iPXE" in classes,  # what packet.is_ipxe says, computed once
        uuid=c.client_uuid(options),
        ip=known_ip,
        hostname=c.text_option(options, c.OPT_HOSTNAME),
        labels=labels,
    )


def printable(text: str) -> str:
    """Client-chosen text made safe for one log line."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" for ch in text)


def describe(client: Client) -> str:
    """One line for the log: who is asking and as what."""
    arch = "-" if client.arch is None else f"{client.arch}({ARCH_NAMES.get(client.arch, 'unknown')})"
    parts = [
        client.mac,
        f"arch={arch}",
        f"user-class={printable(client.user_class or '-')}",
        f"vendor-class={printable(client.vendor_class or '-')}",
    ]
    if client.is_ipxe:
        parts.append("ipxe")
    if "relay" in client.labels:
        parts.append(f"relay={client.labels['relay']}")
    return " ".join(parts)
