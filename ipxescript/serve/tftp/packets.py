"""TFTP packet codec: RFC 1350 packets plus the option extension (RFC 2347) and its OACK.

`decode` turns any bytes into one packet object or raises `TftpPacketError`, and nothing else: the server
feeds it whatever arrives on the wire. `encode` is its inverse for well-formed packets.

Strings (file names, modes, option names and values, error messages) are decoded as UTF-8 with
`surrogateescape`, so every byte string survives a decode/encode round trip unchanged. Option names and
the transfer mode are case-insensitive on the wire (RFC 2347, RFC 1350) and are lower-cased on decode.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

OP_RRQ = 1
OP_WRQ = 2
OP_DATA = 3
OP_ACK = 4
OP_ERROR = 5
OP_OACK = 6

# RFC 1350 error codes, and 8 from RFC 2347.
ERR_UNDEFINED = 0
ERR_NOT_FOUND = 1
ERR_ACCESS = 2
ERR_DISK_FULL = 3
ERR_ILLEGAL_OP = 4
ERR_UNKNOWN_TID = 5
ERR_EXISTS = 6
ERR_NO_USER = 7
ERR_OPTIONS = 8

MAX_BLOCK = 0xFFFF


class TftpPacketError(ValueError):
    """The bytes are not a TFTP packet (the only exception `decode` raises), or a packet cannot be encoded."""


@dataclass(frozen=True)
class ReadRequest:
    filename: str
    mode: str = "octet"
    options: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class WriteRequest:
    filename: str
    mode: str = "octet"
    options: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Data:
    block: int
    payload: bytes


@dataclass(frozen=True)
class Ack:
    block: int


@dataclass(frozen=True)
class Error:
    code: int
    message: str


@dataclass(frozen=True)
class OptionAck:
    options: dict[str, str]


Packet = ReadRequest | WriteRequest | Data | Ack | Error | OptionAck

_U16 = struct.Struct("!H")
_U16_PAIR = struct.Struct("!HH")


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "surrogateescape")


def _raw(text: str, what: str) -> bytes:
    try:
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError as exc:
        raise TftpPacketError(f"{what} cannot be encoded: {exc.reason}") from None
    if b"\0" in raw:
        raise TftpPacketError(f"{what} contains a NUL byte")
    return raw


def _fields(body: bytes, what: str) -> list[bytes]:
    if not body.endswith(b"\0"):
        raise TftpPacketError(f"{what}: last string is not NUL-terminated")
    return body[:-1].split(b"\0")


def _options(parts: list[bytes], what: str) -> dict[str, str]:
    options: dict[str, str] = {}
    for i in range(0, len(parts), 2):
        if not parts[i]:
            if any(parts[i:]):
                raise TftpPacketError(f"{what}: empty option name")
            break  # only NUL padding is left, which some boot ROMs send
        if i + 1 == len(parts):
            raise TftpPacketError(f"{what}: option {_text(parts[i])!r} has no value")
        # the first of duplicated options wins
        options.setdefault(_text(parts[i]).lower(), _text(parts[i + 1]))
    return options


def _decode_request(body: bytes, cls: type[ReadRequest] | type[WriteRequest]) -> ReadRequest | WriteRequest:
    what = "RRQ" if cls is ReadRequest else "WRQ"
    parts = _fields(body, what)
    if len(parts) < 2:
        raise TftpPacketError(f"{what}: no transfer mode")
    filename, mode = _text(parts[0]), _text(parts[1]).lower()
    if not filename:
        raise TftpPacketError(f"{what}: empty file name")
    if not mode:
        raise TftpPacketError(f"{what}: empty transfer mode")
    return cls(filename, mode, _options(parts[2:], what))


def decode(data: bytes) -> Packet:
    """Parse one datagram. Raises TftpPacketError (and only that) when it is not a valid TFTP packet."""
    if len(data) < 2:
        raise TftpPacketError("packet shorter than an opcode")
    (opcode,) = _U16.unpack_from(data)
    body = data[2:]
    if opcode == OP_RRQ:
        return _decode_request(body, ReadRequest)
    if opcode == OP_WRQ:
        return _decode_request(body, WriteRequest)
    if opcode in (OP_DATA, OP_ACK, OP_ERROR) and len(body) < 2:
        raise TftpPacketError(f"opcode {opcode}: packet has no block number or error code")
    if opcode == OP_DATA:
        return Data(_U16.unpack_from(body)[0], bytes(body[2:]))
    if opcode == OP_ACK:
        return Ack(_U16.unpack_from(body)[0])  # bytes after the block number are padding
    if opcode == OP_ERROR:
        message = bytes(body[2:])
        end = message.find(b"\0")
        return Error(_U16.unpack_from(body)[0], _text(message if end < 0 else message[:end]))
    if opcode == OP_OACK:
        return OptionAck(_options(_fields(body, "OACK") if body else [], "OACK"))
    raise TftpPacketError(f"unknown opcode {opcode}")


def _u16(value: int, what: str) -> int:
    if not 0 <= value <= MAX_BLOCK:
        raise TftpPacketError(f"{what} {value} is outside 0..65535")
    return value


def _encode_options(options: dict[str, str]) -> bytes:
    out = bytearray()
    for name, value in options.items():
        if not name:
            raise TftpPacketError("empty option name")
        out += _raw(name, "option name") + b"\0" + _raw(value, "option value") + b"\0"
    return bytes(out)


def encode(packet: Packet) -> bytes:
    """Serialise a packet. Raises TftpPacketError for values the wire format cannot carry."""
    if isinstance(packet, ReadRequest | WriteRequest):
        opcode = OP_RRQ if isinstance(packet, ReadRequest) else OP_WRQ
        if not packet.filename or not packet.mode:
            raise TftpPacketError("a request needs a file name and a mode")
        return (
            _U16.pack(opcode)
            + _raw(packet.filename, "file name")
            + b"\0"
            + _raw(packet.mode, "mode")
            + b"\0"
            + _encode_options(packet.options)
        )
    if isinstance(packet, Data):
        return _U16_PAIR.pack(OP_DATA, _u16(packet.block, "block")) + packet.payload
    if isinstance(packet, Ack):
        return _U16_PAIR.pack(OP_ACK, _u16(packet.block, "block"))
    if isinstance(packet, Error):
        return (
            _U16_PAIR.pack(OP_ERROR, _u16(packet.code, "error code"))
            + _raw(packet.message, "message")
            + b"\0"
        )
    if isinstance(packet, OptionAck):
        return _U16.pack(OP_OACK) + _encode_options(packet.options)
    raise TftpPacketError(f"not a TFTP packet: {packet!r}")


def error_packet(code: int, message: str) -> bytes:
    """An ERROR packet; the message is made encodable rather than refused (it often quotes client input)."""
    safe = message.encode("utf-8", "replace").replace(b"\0", b"?")
    return _U16_PAIR.pack(OP_ERROR, code & MAX_BLOCK) + safe + b"\0"
