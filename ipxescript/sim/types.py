"""Setting types: how a value's bytes are parsed from text and formatted back (ipxe-settings.json types).

``parse(type, text)`` returns bytes or raises ``TypeParseError``; ``format(type, data)`` returns the text
or raises ``TypeFormatError`` (expansion then gives ""). Profile differences are passed in as flags.
"""

from __future__ import annotations

import base64
import ipaddress
import re
from dataclasses import dataclass

from ipxescript.analysis.values import strtoul
from ipxescript.sim import errors


@dataclass(frozen=True, slots=True)
class Rules:
    """How one build parses and formats values, where builds differ (observed on the firmware)."""

    uuid_parse: bool = True  # Debian's 2019 build cannot parse uuid values (ENOTSUP)
    escape_plus: bool = True  # uristring escapes "+" (not in Debian's 2019 build)
    ipv6: bool = True  # without IPv6 (upstream BIOS) the ipv6 type neither parses nor formats
    long_bits: int = 64  # i386 prints signed values through a 32-bit long: -2^31's digits come out wrong


DEFAULT_RULES = Rules()


class TypeParseError(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(f"0x{status:08x}")
        self.status = status


class TypeFormatError(Exception):
    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status  # the error `show` reports, where the firmware's format fails with one


ALL_TYPES = (
    "string uristring ipv4 ipv6 int8 int16 int32 uint8 uint16 uint32 hex hexhyp hexraw base64 uuid guid busdevfn dnssl"
).split()
INT_WIDTHS = {"int8": 1, "int16": 2, "int32": 4, "uint8": 1, "uint16": 2, "uint32": 4}
HEX_SEPARATORS = {"hex": ":", "hexhyp": "-", "hexraw": ""}


def _uri_escaped(ch: int, plus: bool) -> bool:
    if ch <= 0x20 or ch >= 0x7F or ch == ord("%"):
        return True
    return chr(ch) in ("/#:@?=&+" if plus else "/#:@?=&")


def uri_encode_bytes(data: bytes, escape_plus: bool = True) -> str:
    """uri_encode: "%%%02X" of a (signed) char, so a byte >= 0x80 comes out sign-extended (observed on
    every build: ${b:uristring} of int8 -5 is %FFFFFFFB)."""
    return "".join(uri_escape(b) if _uri_escaped(b, escape_plus) else chr(b) for b in data)


def uri_escape(byte: int) -> str:
    return f"%FFFFFF{byte:02X}" if byte >= 0x80 else f"%{byte:02X}"


def uri_decode_text(text: str) -> bytes:
    raw = text.encode("utf-8", "surrogateescape")
    out = bytearray()
    i = 0
    while i < len(raw):
        if raw[i] == 0x25 and i + 2 < len(raw) + 0 and re.fullmatch(rb"[0-9A-Fa-f]{2}", raw[i + 1 : i + 3]):
            out.append(int(raw[i + 1 : i + 3], 16))
            i += 3
        else:
            out.append(raw[i])
            i += 1
    return bytes(out)


def to_bytes(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


def to_text(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")


def parse(type_name: str, text: str, rules: Rules = DEFAULT_RULES) -> bytes:
    """Text -> stored bytes for a type (the value is never empty here: empty means delete)."""
    if type_name == "string":
        return to_bytes(text)
    if type_name == "uristring":
        return uri_decode_text(text)
    if type_name in INT_WIDTHS:
        value, end = strtoul(text)
        if end != len(text):
            raise TypeParseError(errors.STORE_INVALID)
        width = INT_WIDTHS[type_name]
        return (value & ((1 << (8 * width)) - 1)).to_bytes(width, "big")
    if type_name == "ipv4":
        parts = text.split(".")
        if len(parts) != 4:
            raise TypeParseError(errors.STORE_INVALID_IPV4)
        out = bytearray()
        for part in parts:
            value, end = strtoul(part)
            if not part or end != len(part) or value > 255:
                raise TypeParseError(errors.STORE_INVALID_IPV4)
            out.append(value)
        return bytes(out)
    if type_name == "ipv6":
        if not rules.ipv6:
            raise TypeParseError(errors.STORE_UNSUPPORTED)
        try:
            if "." in text:  # inet6_aton knows no embedded IPv4 tail (observed: ::ffff:10.0.2.15)
                raise ValueError(text)
            return ipaddress.IPv6Address(text).packed
        except ValueError as exc:
            raise TypeParseError(errors.STORE_INVALID_IPV6) from exc
    if type_name in HEX_SEPARATORS:
        return _parse_hex(text, HEX_SEPARATORS[type_name])
    if type_name == "base64":
        return _parse_base64(text)
    if type_name in ("uuid", "guid"):
        if not rules.uuid_parse:
            raise TypeParseError(errors.STORE_UNSUPPORTED)
        # uuid_aton (src/core/uuid.c): base16 with optional '-' (its errors: set g:guid 1), then the
        # length (its own EINVAL: set g:guid 0102)
        data = _parse_hex(text, "-", optional=True)
        if len(data) != 16:
            raise TypeParseError(errors.STORE_INVALID_UUID)
        return _guid_swap(data) if type_name == "guid" else data
    raise TypeParseError(errors.STORE_UNSUPPORTED)


_BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def _parse_base64(text: str) -> bytes:
    """base64_decode (src/core/base64.c): whitespace ignored, at most two pads and nothing after them,
    a whole number of bytes."""
    bits, value, pads = 0, 0, 0
    for ch in text:
        if ch.isspace():
            continue
        if ch == "=" and pads < 2:
            pads += 1
            bits -= 2
            continue
        if pads or ch not in _BASE64:
            raise TypeParseError(errors.STORE_INVALID_BASE64)
        value = (value << 6) | _BASE64.index(ch)
        bits += 6
    if bits % 8:
        raise TypeParseError(errors.STORE_INVALID_BASE64)
    return (value >> (2 * pads)).to_bytes(bits // 8, "big")


def _parse_hex(text: str, separator: str, optional: bool = False) -> bytes:
    """hex_decode (src/core/base16.c): two hex digits per byte, the separator between bytes (when
    OPTIONAL, it may be left out)."""
    out = bytearray()
    i = 0
    while i < len(text):
        if out and separator:
            if text[i] == separator:
                i += 1
            elif not optional:
                raise TypeParseError(errors.STORE_INVALID_HEX)
        pair = text[i : i + 2]
        if not re.fullmatch(r"[0-9A-Fa-f]{2}", pair):
            raise TypeParseError(errors.STORE_INVALID_HEX)
        out.append(int(pair, 16))
        i += 2
    return bytes(out)


def _guid_swap(data: bytes) -> bytes:
    return data[3::-1] + data[5:3:-1] + data[7:5:-1] + data[8:]


def numeric_value(data: bytes, signed: bool, long_bytes: int = 8) -> int:
    """numeric_setting_value: big-endian over all bytes, sign-extended for signed types; more bytes
    than a long holds is ERANGE (4 on i386: observed, `show g:int32` of a 6-byte string)."""
    if len(data) > long_bytes:
        raise TypeFormatError("too long", errors.FORMAT_RANGE)
    value = int.from_bytes(data, "big") if data else 0
    if signed and data and data[0] & 0x80:
        value -= 1 << (8 * len(data))
    return value


def format(type_name: str, data: bytes, rules: Rules = DEFAULT_RULES) -> str:  # noqa: A001 - iPXE's name
    """Stored bytes -> text for a type; raises TypeFormatError where iPXE's format fails."""
    if type_name == "string":
        return to_text(data.split(b"\0", 1)[0])
    if type_name == "uristring":
        return uri_encode_bytes(data, rules.escape_plus)  # every byte, NULs too (observed: ${mac:uristring})
    if type_name in INT_WIDTHS:
        signed = not type_name.startswith("u")
        value = numeric_value(data, signed, rules.long_bits // 8)
        if signed:
            return _decimal(value, rules.long_bits)
        return f"0x{value & 0xFFFFFFFFFFFFFFFF:x}"
    if type_name == "ipv4":
        if len(data) < 4:  # format_ipv4_setting (found by the fuzzer: `show fb:ipv4` of an int8)
            raise TypeFormatError("short", errors.STORE_INVALID_IPV4)
        return ".".join(str(b) for b in data[:4])
    if type_name == "ipv6":
        if not rules.ipv6:  # settings.c's weak format_ipv6_setting
            raise TypeFormatError("no ipv6", errors.STORE_UNSUPPORTED)
        if len(data) < 16:  # format_ipv6_setting (observed: show f_1:ipv6 of an int32)
            raise TypeFormatError("short", errors.STORE_INVALID_IPV6)
        return str(ipaddress.IPv6Address(data[:16]))
    if type_name in HEX_SEPARATORS:
        return HEX_SEPARATORS[type_name].join(f"{b:02x}" for b in data)
    if type_name == "base64":
        return base64.b64encode(data).decode("ascii")
    if type_name in ("uuid", "guid"):
        if len(data) != 16:  # format_uuid_setting (observed: show x:uuid of a string)
            raise TypeFormatError("uuid length", errors.FORMAT_RANGE)
        if type_name == "guid":
            data = _guid_swap(data)
        h = data.hex()
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
    if type_name == "busdevfn":
        value = numeric_value(data, False, rules.long_bits // 8)
        return f"{value >> 16:04x}:{(value >> 8) & 0xFF:02x}:{(value >> 3) & 0x1F:02x}.{value & 7:x}"
    if type_name == "dnssl":
        return _format_dnssl(data)
    raise TypeFormatError(type_name)


def _decimal(value: int, long_bits: int) -> str:
    """vsprintf's "%ld": negating the most negative long overflows, and each digit is '0' plus a
    negative remainder (observed on i386: -2147483648 prints as -./,),(-*,()."""
    if value != -(1 << (long_bits - 1)):
        return str(value)
    return "-" + "".join(chr(ord("0") - int(d)) for d in str(-value))


def _format_dnssl(data: bytes) -> str:
    """format_dnssl_setting: each RFC 1035 name (compression pointers must point backwards) decoded
    in turn, padding zeros between names skipped; a name running past the end is EINVAL."""

    def label(offset: int) -> int:  # dns_label
        while True:
            if offset + 1 > len(data):
                raise TypeFormatError("dnssl", errors.FORMAT_DNSSL_INVALID)
            if data[offset] & 0xC0 == 0xC0:
                if offset + 2 > len(data):
                    raise TypeFormatError("dnssl", errors.FORMAT_DNSSL_INVALID)
                pointer = int.from_bytes(data[offset : offset + 2], "big") & 0x3FFF
                if pointer >= offset:
                    raise TypeFormatError("dnssl", errors.FORMAT_DNSSL_INVALID)
                offset = pointer
                continue
            if offset + 1 + data[offset] > len(data):
                raise TypeFormatError("dnssl", errors.FORMAT_DNSSL_INVALID)
            return offset

    def walk(offset: int) -> tuple[str, int]:
        """The name at OFFSET (dns_decode) and the offset after it (dns_skip)."""
        labels: list[str] = []
        end = None
        for _ in range(len(data)):
            found = label(offset)
            if found != offset and end is None:
                end = offset + 2
            length = data[found]
            if length == 0:
                return ".".join(labels), end if end is not None else found + 1
            labels.append(to_text(data[found + 1 : found + 1 + length]))
            offset = found + 1 + length
        raise TypeFormatError("dnssl", errors.FORMAT_DNSSL_INVALID)

    names = []
    offset = 0
    while offset < len(data):
        name, offset = walk(offset)
        names.append(name)
        while offset < len(data) and data[offset] == 0:
            offset += 1
    return " ".join(names)
