"""BOOTP/DHCPv4 packets (RFC 951, 2131, 2132, 3396) as plain data: decode, encode, and the option helpers
the boot flow needs.

Options are kept as raw bytes keyed by code, in the order they arrived, unknown ones included, so a server
can echo what it does not understand (option 82) and tests can compare exactly. The typed readers below
never raise: a malformed option value reads as "absent". `decode` raises only `DhcpDecodeError`.
"""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass, field

MAGIC_COOKIE = b"\x63\x82\x53\x63"
HEADER = struct.Struct("!BBBBIHH4s4s4s4s16s64s128s")  # 236 bytes, then the cookie
BOOTREQUEST, BOOTREPLY = 1, 2
BROADCAST_FLAG = 0x8000
MIN_BOOTP_SIZE = 300  # RFC 951 packets are at least this long; old clients drop shorter ones
DEFAULT_MAX_SIZE = 576  # RFC 2131: what every client accepts without option 57

# Message types (option 53).
DISCOVER, OFFER, REQUEST, DECLINE, ACK, NAK, RELEASE, INFORM = 1, 2, 3, 4, 5, 6, 7, 8
MESSAGE_NAMES = {
    DISCOVER: "DISCOVER",
    OFFER: "OFFER",
    REQUEST: "REQUEST",
    DECLINE: "DECLINE",
    ACK: "ACK",
    NAK: "NAK",
    RELEASE: "RELEASE",
    INFORM: "INFORM",
}

# Option codes used by the boot flow.
PAD, END = 0, 255
OPT_SUBNET_MASK = 1
OPT_ROUTER = 3
OPT_DNS = 6
OPT_HOSTNAME = 12
OPT_DOMAIN = 15
OPT_BROADCAST = 28
OPT_VENDOR_SPECIFIC = 43
OPT_REQUESTED_IP = 50
OPT_LEASE_TIME = 51
OPT_OVERLOAD = 52
OPT_MESSAGE_TYPE = 53
OPT_SERVER_ID = 54
OPT_PARAM_REQUEST = 55
OPT_MESSAGE = 56
OPT_MAX_SIZE = 57
OPT_RENEWAL_TIME = 58
OPT_REBINDING_TIME = 59
OPT_VENDOR_CLASS = 60
OPT_CLIENT_ID = 61
OPT_TFTP_SERVER = 66
OPT_BOOTFILE = 67
OPT_USER_CLASS = 77
OPT_RELAY_AGENT = 82
OPT_CLIENT_ARCH = 93
OPT_CLIENT_NDI = 94
OPT_CLIENT_UUID = 97
OPT_IPXE = 175

# Option 43 sub-options for PXE clients (PXE 2.1 spec).
PXE_DISCOVERY_CONTROL = 6
PXE_BOOT_SERVERS = 8
PXE_BOOT_MENU = 9
PXE_MENU_PROMPT = 10
PXE_BOOT_ITEM = 71
# Discovery control bit 3: "boot file name in this offer: download it, no menu, no discovery".
DISCOVERY_USE_BOOTFILE = 0x08

# Option 175 (iPXE encapsulated) feature flags: each present sub-option says iPXE was built with it.
# (Other sub-options carry settings: 1 priority, 176 no-pxedhcp, 177 bus id, 235 version.)
IPXE_FEATURES = {
    16: "pxeext",
    17: "iscsi",
    18: "aoe",
    19: "http",
    20: "https",
    21: "tftp",
    22: "ftp",
    23: "dns",
    24: "bzimage",
    25: "multiboot",
    26: "slam",
    27: "srp",
    32: "nbi",
    33: "pxe",
    34: "elf",
    35: "comboot",
    36: "efi",
    37: "fcoe",
    38: "vlan",
    39: "menu",
    40: "sdi",
    41: "nfs",
}

# Option 82 sub-options (RFC 3046).
RELAY_CIRCUIT_ID = 1
RELAY_REMOTE_ID = 2


class DhcpDecodeError(ValueError):
    """The bytes are not a BOOTP/DHCP packet this decoder can read (the only error `decode` raises)."""


@dataclass
class DhcpPacket:
    op: int = BOOTREQUEST
    htype: int = 1
    hlen: int = 6
    hops: int = 0
    xid: int = 0
    secs: int = 0
    flags: int = 0
    ciaddr: str = "0.0.0.0"
    yiaddr: str = "0.0.0.0"
    siaddr: str = "0.0.0.0"
    giaddr: str = "0.0.0.0"
    chaddr: bytes = b""  # up to 16 bytes; only the first hlen are the hardware address
    sname: bytes = b""  # NUL-padded on the wire
    file: bytes = b""
    options: dict[int, bytes] = field(default_factory=dict)
    bootp: bool = False  # a plain BOOTP packet: no magic cookie, no options

    # --- typed readers (never raise) -------------------------------------------------------------

    @property
    def mac(self) -> str:
        return self.chaddr[: min(self.hlen, 16)].hex(":")

    @property
    def message_type(self) -> int | None:
        value = self.options.get(OPT_MESSAGE_TYPE)
        return value[0] if value is not None and len(value) == 1 else None

    @property
    def message_name(self) -> str:
        kind = self.message_type
        if kind is None:
            return "BOOTP" if self.bootp or OPT_MESSAGE_TYPE not in self.options else "?"
        name = MESSAGE_NAMES.get(kind)
        return name if name is not None else f"type-{kind}"

    def ip_option(self, code: int) -> str | None:
        return ip_option(self.options, code)

    def text_option(self, code: int) -> str | None:
        return text_option(self.options, code)

    @property
    def requested_ip(self) -> str | None:
        return self.ip_option(OPT_REQUESTED_IP)

    @property
    def server_id(self) -> str | None:
        return self.ip_option(OPT_SERVER_ID)

    @property
    def vendor_class(self) -> str | None:
        return text_option(self.options, OPT_VENDOR_CLASS)

    @property
    def hostname(self) -> str | None:
        return text_option(self.options, OPT_HOSTNAME)

    @property
    def client_arch(self) -> int | None:
        return client_arch(self.options)

    @property
    def user_classes(self) -> list[str]:
        return user_classes(self.options)

    @property
    def uuid(self) -> str | None:
        return client_uuid(self.options)

    @property
    def ipxe_options(self) -> dict[int, bytes] | None:
        value = self.options.get(OPT_IPXE)
        return decode_suboptions(value) if value is not None else None

    @property
    def ipxe_features(self) -> list[str]:
        return ipxe_features(self.options)

    @property
    def is_ipxe(self) -> bool:
        return OPT_IPXE in self.options or "iPXE" in self.user_classes

    @property
    def max_size(self) -> int:
        return max_size(self.options)

    @property
    def param_request(self) -> bytes:
        return self.options.get(OPT_PARAM_REQUEST, b"")

    @property
    def boot_file(self) -> str:
        """Option 67 when present, else the `file` field (what PXE clients do)."""
        if OPT_BOOTFILE in self.options:
            return self.options[OPT_BOOTFILE].rstrip(b"\0").decode("utf-8", "replace")
        return self.file.rstrip(b"\0").decode("utf-8", "replace")


# --- typed readers of an options mapping (the packet's properties, and the fast path, use these) ------


def ip_option(options: dict[int, bytes], code: int) -> str | None:
    value = options.get(code)
    return socket.inet_ntoa(value) if value is not None and len(value) == 4 else None


def text_option(options: dict[int, bytes], code: int) -> str | None:
    value = options.get(code)
    return value.rstrip(b"\0").decode("utf-8", "replace") if value else None


def client_arch(options: dict[int, bytes]) -> int | None:
    """The first architecture of option 93 (a list of 16-bit types; clients send one)."""
    value = options.get(OPT_CLIENT_ARCH)
    return int.from_bytes(value[:2], "big") if value is not None and len(value) >= 2 else None


def user_classes(options: dict[int, bytes]) -> list[str]:
    value = options.get(OPT_USER_CLASS)
    return decode_user_class(value) if value else []


def client_uuid(options: dict[int, bytes]) -> str | None:
    value = options.get(OPT_CLIENT_UUID)
    return format_uuid(value[1:]) if value is not None and len(value) == 17 and value[0] == 0 else None


def max_size(options: dict[int, bytes]) -> int:
    value = options.get(OPT_MAX_SIZE)
    if value is None or len(value) != 2:
        return DEFAULT_MAX_SIZE
    return max(DEFAULT_MAX_SIZE, int.from_bytes(value, "big"))


def ipxe_features(options: dict[int, bytes]) -> list[str]:
    """Names of the feature flags in option 175 (`http`, `https`, `efi`, ...), in code order."""
    value = options.get(OPT_IPXE)
    subs = decode_suboptions(value) if value is not None else {}
    return [IPXE_FEATURES[code] for code in sorted(subs) if code in IPXE_FEATURES]


# --- sub-option and option-value helpers ------------------------------------------------------------


def decode_suboptions(value: bytes) -> dict[int, bytes]:
    """Encapsulated options (43, 82, 175): code, length, data... A truncated tail is dropped."""
    result: dict[int, bytes] = {}
    i = 0
    while i < len(value):
        code = value[i]
        if code == PAD:
            i += 1
            continue
        if code == END or i + 1 >= len(value):
            break
        length = value[i + 1]
        data = value[i + 2 : i + 2 + length]
        if len(data) < length:
            break
        result[code] = result.get(code, b"") + data
        i += 2 + length
    return result


def encode_suboptions(subs: dict[int, bytes], end: bool = False) -> bytes:
    out = bytearray()
    for code, data in subs.items():
        for start in range(0, max(len(data), 1), 255):
            chunk = data[start : start + 255]
            out += bytes((code, len(chunk))) + chunk
    if end:
        out.append(END)
    return bytes(out)


def decode_user_class(value: bytes) -> list[str]:
    """Option 77 either as RFC 3004 (length-prefixed items) or raw text, as iPXE sends it.

    "\\x04iPXE" is RFC 3004 and "iPXE" is raw: a printable first byte (>= 0x20) is longer than any short
    text that follows it, so the length walk fails and the value is read as one raw class.
    """
    items: list[str] = []
    i = 0
    while i < len(value):
        length = value[i]
        if length == 0 or i + 1 + length > len(value):
            return [value.decode("utf-8", "replace")]  # not RFC 3004: the whole value is the class
        items.append(value[i + 1 : i + 1 + length].decode("utf-8", "replace"))
        i += 1 + length
    return items


def encode_user_class(classes: list[str], rfc3004: bool = True) -> bytes:
    if not rfc3004:
        return "".join(classes).encode()
    return b"".join(bytes((len(c.encode()),)) + c.encode() for c in classes)


def format_uuid(raw: bytes) -> str:
    """16 bytes as iPXE prints ${uuid}: the first three fields little-endian (SMBIOS order)."""
    a, b, c = struct.unpack_from("<IHH", raw)
    rest = raw[8:].hex()
    return f"{a:08x}-{b:04x}-{c:04x}-{rest[:4]}-{rest[4:]}"


def uuid_option(text: str) -> bytes:
    """Option 97 value (type 0 + 16 bytes) for a UUID written as `format_uuid` prints it."""
    digits = text.replace("-", "")
    raw = bytes.fromhex(digits)
    a, b, c = struct.unpack_from(">IHH", raw)
    return b"\0" + struct.pack("<IHH", a, b, c) + raw[8:]


def arch_option(arch: int) -> bytes:
    return arch.to_bytes(2, "big")


def ip_bytes(address: str) -> bytes:
    """Dotted quad to 4 bytes (strict, unlike inet_aton; and much faster than the ipaddress module)."""
    try:
        return socket.inet_pton(socket.AF_INET, address)
    except OSError:
        raise ValueError(f"{address!r} is not an IPv4 address") from None


def ip_list(addresses: list[str]) -> bytes:
    return b"".join(ip_bytes(a) for a in addresses)


# --- decode -------------------------------------------------------------------------------------------


def _parse_options(data: bytes, into: dict[int, bytes], where: str) -> None:
    """Append the options in `data` to `into` (RFC 3396: repeated codes concatenate)."""
    i = 0
    while i < len(data):
        code = data[i]
        if code == PAD:
            i += 1
            continue
        if code == END:
            return
        if i + 1 >= len(data):
            raise DhcpDecodeError(f"option {code} in {where} has no length byte")
        length = data[i + 1]
        if i + 2 + length > len(data):
            raise DhcpDecodeError(f"option {code} in {where} runs past the end ({length} bytes announced)")
        end = i + 2 + length
        if code in into:
            into[code] += data[i + 2 : end]
        else:
            into[code] = data[i + 2 : end]
        i = end
    # No END in the options field is tolerated (many embedded clients omit it).


def decode(data: bytes) -> DhcpPacket:
    """Parse a BOOTP/DHCP packet. Raises `DhcpDecodeError` (and nothing else) on malformed input."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise DhcpDecodeError("not bytes")
    data = bytes(data)
    if len(data) < HEADER.size:
        raise DhcpDecodeError(f"too short for BOOTP: {len(data)} bytes, need {HEADER.size}")
    (op, htype, hlen, hops, xid, secs, flags, ci, yi, si, gi, chaddr, sname, file) = HEADER.unpack_from(data)
    if op not in (BOOTREQUEST, BOOTREPLY):
        raise DhcpDecodeError(f"op {op} is neither BOOTREQUEST nor BOOTREPLY")
    if hlen > 16:
        raise DhcpDecodeError(f"hardware address length {hlen} exceeds 16")
    packet = DhcpPacket(
        op=op,
        htype=htype,
        hlen=hlen,
        hops=hops,
        xid=xid,
        secs=secs,
        flags=flags,
        ciaddr=socket.inet_ntoa(ci),
        yiaddr=socket.inet_ntoa(yi),
        siaddr=socket.inet_ntoa(si),
        giaddr=socket.inet_ntoa(gi),
        chaddr=chaddr[:hlen],
        sname=sname.split(b"\0", 1)[0],
        file=file.split(b"\0", 1)[0],
    )
    rest = data[HEADER.size :]
    if rest[:4] != MAGIC_COOKIE:
        packet.bootp = True  # vendor area without the DHCP cookie: plain BOOTP, options ignored
        return packet
    _parse_options(rest[4:], packet.options, "options")
    overload = packet.options.pop(OPT_OVERLOAD, None)
    if overload is not None:
        if len(overload) != 1 or overload[0] not in (1, 2, 3):
            raise DhcpDecodeError(f"option 52 (overload) has invalid value {overload.hex()}")
        # RFC 2131 order: options field, then file, then sname.
        if overload[0] & 1:
            _parse_options(file, packet.options, "file")
            packet.file = b""
        if overload[0] & 2:
            _parse_options(sname, packet.options, "sname")
            packet.sname = b""
    return packet


# --- encode -------------------------------------------------------------------------------------------


def _option_bytes(code: int, value: bytes) -> bytes:
    """One option, split into 255-byte instances when longer (RFC 3396)."""
    if len(value) <= 255:
        return bytes((code, len(value))) + value
    return b"".join(
        bytes((code, len(value[i : i + 255]))) + value[i : i + 255] for i in range(0, len(value), 255)
    )


def encode(packet: DhcpPacket, max_size: int | None = None) -> bytes:
    """Serialize; when options do not fit in `max_size`, spill whole options into file/sname (option 52)."""
    chaddr = packet.chaddr[:16]
    header = HEADER.pack(
        packet.op,
        packet.htype,
        packet.hlen,
        packet.hops,
        packet.xid & 0xFFFFFFFF,
        packet.secs & 0xFFFF,
        packet.flags & 0xFFFF,
        ip_bytes(packet.ciaddr),
        ip_bytes(packet.yiaddr),
        ip_bytes(packet.siaddr),
        ip_bytes(packet.giaddr),
        chaddr,
        packet.sname[:64],
        packet.file[:128],
    )
    if packet.bootp:
        return header.ljust(MIN_BOOTP_SIZE, b"\0")
    out = bytearray(header)
    out += MAGIC_COOKIE
    for code, value in packet.options.items():
        if len(value) <= 255 and 0 < code < 255:  # the common case, inline
            out.append(code)
            out.append(len(value))
            out += value
        elif 0 < code < 255:
            out += _option_bytes(code, value)
    out.append(END)
    room = None if max_size is None else max_size - 28  # minus the IP and UDP headers
    if room is None or len(out) <= room:
        if len(out) < MIN_BOOTP_SIZE:
            out += bytes(MIN_BOOTP_SIZE - len(out))
        return bytes(out)
    encoded = [_option_bytes(code, value) for code, value in packet.options.items() if 0 < code < 255]
    return _encode_overloaded(packet, header, encoded, room - HEADER.size - 4)


def _encode_overloaded(packet: DhcpPacket, header: bytes, encoded: list[bytes], room: int) -> bytes:
    # Areas in RFC order; file and sname are usable only when the packet does not need them.
    areas: list[tuple[str, int]] = [("options", room - 3)]  # keep 3 bytes for option 52
    if not packet.file:
        areas.append(("file", 127))
    if not packet.sname:
        areas.append(("sname", 63))
    filled: dict[str, bytearray] = {name: bytearray() for name, _ in areas}
    index = 0
    for item in encoded:
        while index < len(areas) and len(filled[areas[index][0]]) + len(item) > areas[index][1]:
            index += 1
        if index == len(areas):
            raise ValueError("options do not fit in the packet even with file/sname overload")
        filled[areas[index][0]] += item
    overload = (1 if filled.get("file") else 0) | (2 if filled.get("sname") else 0)
    options = bytes(filled["options"])
    if overload:
        options = bytes((OPT_OVERLOAD, 1, overload)) + options
    header_bytes = bytearray(header)
    if filled.get("file"):
        header_bytes[108:236] = (bytes(filled["file"]) + bytes((END,))).ljust(128, b"\0")
    if filled.get("sname"):
        header_bytes[44:108] = (bytes(filled["sname"]) + bytes((END,))).ljust(64, b"\0")
    return (bytes(header_bytes) + MAGIC_COOKIE + options + bytes((END,))).ljust(MIN_BOOTP_SIZE, b"\0")
