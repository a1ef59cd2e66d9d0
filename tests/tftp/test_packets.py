"""The TFTP codec: round trips, lenient-but-safe decoding, and one error class for every bad input."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ipxescript.serve.tftp import packets
from ipxescript.serve.tftp.packets import (
    Ack,
    Data,
    Error,
    OptionAck,
    ReadRequest,
    TftpPacketError,
    WriteRequest,
)

# text without NUL and without lone surrogates: what a real packet's strings can decode to
text = st.text(st.characters(codec="utf-8", exclude_characters="\0"), max_size=40)
nonempty = text.filter(bool)
option_names = nonempty.map(str.lower).filter(lambda s: s == s.lower() and bool(s))
options = st.dictionaries(option_names, text, max_size=6)
u16 = st.integers(0, 0xFFFF)

any_packet = st.one_of(
    st.builds(ReadRequest, nonempty, nonempty.map(str.lower).filter(bool), options),
    st.builds(WriteRequest, nonempty, nonempty.map(str.lower).filter(bool), options),
    st.builds(Data, u16, st.binary(max_size=600)),
    st.builds(Ack, u16),
    st.builds(Error, u16, text),
    st.builds(OptionAck, options),
)


@given(any_packet)
def test_round_trip(packet: packets.Packet) -> None:
    assert packets.decode(packets.encode(packet)) == packet


@settings(max_examples=2000)
@given(st.binary(max_size=300))
def test_decoding_arbitrary_bytes_raises_only_the_codec_error(data: bytes) -> None:
    try:
        packet = packets.decode(data)
    except TftpPacketError:
        return
    assert isinstance(packet, ReadRequest | WriteRequest | Data | Ack | Error | OptionAck)


@given(st.sampled_from([b"\x00\x01", b"\x00\x02", b"\x00\x06"]), st.lists(st.binary(max_size=12), max_size=8))
def test_nul_separated_fields_never_escape_the_error_class(opcode: bytes, fields: list[bytes]) -> None:
    try:
        packets.decode(opcode + b"\0".join(fields) + b"\0")
    except TftpPacketError:
        pass


def test_read_request_with_options_is_case_insensitive() -> None:
    packet = packets.decode(b"\x00\x01boot/ipxe.efi\x00OCTET\x00TSize\x000\x00BLKSIZE\x001428\x00")
    assert packet == ReadRequest("boot/ipxe.efi", "octet", {"tsize": "0", "blksize": "1428"})


def test_nul_padding_after_a_request_is_ignored() -> None:
    assert packets.decode(b"\x00\x01f\x00octet\x00\x00\x00\x00") == ReadRequest("f", "octet", {})


def test_non_utf8_file_names_survive_a_round_trip() -> None:
    raw = b"\x00\x01caf\xe9.cfg\x00octet\x00"
    assert packets.encode(packets.decode(raw)) == raw


@pytest.mark.parametrize(
    "raw, why",
    [
        (b"", "shorter than an opcode"),
        (b"\x00", "shorter than an opcode"),
        (b"\x00\x09abc", "unknown opcode 9"),
        (b"\x00\x01file", "not NUL-terminated"),
        (b"\x00\x01file\x00", "no transfer mode"),
        (b"\x00\x01\x00octet\x00", "empty file name"),
        (b"\x00\x01f\x00octet\x00blksize\x00", "has no value"),
        (b"\x00\x01f\x00octet\x00\x00x\x00", "empty option name"),
        (b"\x00\x04\x00", "no block number"),
    ],
)
def test_malformed_packets_say_why(raw: bytes, why: str) -> None:
    with pytest.raises(TftpPacketError, match=why):
        packets.decode(raw)


def test_ack_error_and_data_wire_format() -> None:
    assert packets.encode(Ack(65535)) == b"\x00\x04\xff\xff"
    assert packets.encode(Data(2, b"xy")) == b"\x00\x03\x00\x02xy"
    assert packets.encode(Error(1, "File not found")) == b"\x00\x05\x00\x01File not found\x00"
    assert packets.decode(b"\x00\x05\x00\x02no terminator") == Error(2, "no terminator")


def test_unencodable_values_raise_the_codec_error() -> None:
    with pytest.raises(TftpPacketError):
        packets.encode(Ack(70000))
    with pytest.raises(TftpPacketError):
        packets.encode(ReadRequest("a\0b", "octet"))


def test_error_packet_sanitises_its_message() -> None:
    assert packets.error_packet(1, "bad\0name") == b"\x00\x05\x00\x01bad?name\x00"
