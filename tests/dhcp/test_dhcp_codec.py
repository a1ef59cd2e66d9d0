"""The BOOTP/DHCP codec: exact bytes for known packets, round trips and never-raise on arbitrary input."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ipxescript.serve.dhcp import codec as c
from ipxescript.serve.dhcp.codec import DhcpDecodeError, DhcpPacket, decode, encode

ipv4 = st.integers(0, 2**32 - 1).map(lambda n: str(ipaddress.IPv4Address(n)))
no_nul = st.binary(max_size=200).map(lambda b: b.replace(b"\0", b""))
option_codes = st.integers(1, 254).filter(lambda code: code != c.OPT_OVERLOAD)


@st.composite
def packets(draw: st.DrawFn, small: bool = False) -> DhcpPacket:
    hlen = draw(st.integers(0, 16))
    max_value = 40 if small else 600
    return DhcpPacket(
        op=draw(st.sampled_from([c.BOOTREQUEST, c.BOOTREPLY])),
        htype=draw(st.integers(0, 255)),
        hlen=hlen,
        hops=draw(st.integers(0, 255)),
        xid=draw(st.integers(0, 2**32 - 1)),
        secs=draw(st.integers(0, 2**16 - 1)),
        flags=draw(st.integers(0, 2**16 - 1)),
        ciaddr=draw(ipv4),
        yiaddr=draw(ipv4),
        siaddr=draw(ipv4),
        giaddr=draw(ipv4),
        chaddr=draw(st.binary(min_size=hlen, max_size=hlen)),
        sname=b"" if small else draw(no_nul.map(lambda b: b[:64])),
        file=b"" if small else draw(no_nul.map(lambda b: b[:128])),
        options=draw(st.dictionaries(option_codes, st.binary(max_size=max_value), max_size=12)),
    )


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(packets())
def test_round_trip(packet: DhcpPacket) -> None:
    assert decode(encode(packet)) == packet


@settings(max_examples=300, deadline=None)
@given(packets(small=True))
def test_round_trip_through_overload(packet: DhcpPacket) -> None:
    """Options that do not fit a 576-byte packet spill into file and sname (option 52) and come back."""
    try:
        data = encode(packet, max_size=c.DEFAULT_MAX_SIZE)
    except ValueError:
        return  # more than options+file+sname can hold: refused, not truncated
    assert len(data) <= c.DEFAULT_MAX_SIZE - 28
    assert decode(data) == packet


@settings(max_examples=2000, deadline=None)
@given(st.binary(max_size=700))
def test_arbitrary_bytes_only_raise_decode_error(data: bytes) -> None:
    try:
        packet = decode(data)
    except DhcpDecodeError:
        return
    _read_everything(packet)


HEADER_OK = encode(DhcpPacket(chaddr=b"\x52\x54\x00\x12\x34\x56", xid=7))[: c.HEADER.size] + c.MAGIC_COOKIE


@settings(max_examples=2000, deadline=None)
@given(st.binary(max_size=400), st.binary(max_size=128), st.binary(max_size=64))
def test_arbitrary_options_only_raise_decode_error(options: bytes, file: bytes, sname: bytes) -> None:
    """A valid header followed by garbage options (and garbage file/sname under overload)."""
    header = bytearray(HEADER_OK)
    header[108 : 108 + len(file)] = file
    header[44 : 44 + len(sname)] = sname
    try:
        packet = decode(bytes(header) + options)
    except DhcpDecodeError:
        return
    _read_everything(packet)


def _read_everything(packet: DhcpPacket) -> None:
    """Every typed reader must cope with whatever the options hold."""
    for name in (
        "mac",
        "message_type",
        "message_name",
        "requested_ip",
        "server_id",
        "vendor_class",
        "hostname",
        "client_arch",
        "user_classes",
        "uuid",
        "ipxe_options",
        "ipxe_features",
        "is_ipxe",
        "max_size",
        "param_request",
        "boot_file",
    ):
        getattr(packet, name)
    for value in packet.options.values():
        c.decode_suboptions(value)


def test_decode_errors_name_the_cause() -> None:
    with pytest.raises(DhcpDecodeError, match="too short"):
        decode(b"\x01" * 100)
    bad_op = bytearray(HEADER_OK)
    bad_op[0] = 9
    with pytest.raises(DhcpDecodeError, match="op 9"):
        decode(bytes(bad_op))
    with pytest.raises(DhcpDecodeError, match="option 53 in options runs past the end"):
        decode(HEADER_OK + bytes((53, 5, 1)))
    with pytest.raises(DhcpDecodeError, match="option 52"):
        decode(HEADER_OK + bytes((52, 1, 9, 255)))


def test_known_ipxe_discover() -> None:
    """A DISCOVER as iPXE sends it: raw user-class, option 175 with feature flags, arch 7, UUID."""
    data = encode(
        DhcpPacket(
            xid=0x11223344,
            flags=c.BROADCAST_FLAG,
            chaddr=bytes.fromhex("525400123456"),
            options={
                c.OPT_MESSAGE_TYPE: bytes((c.DISCOVER,)),
                c.OPT_MAX_SIZE: (1472).to_bytes(2, "big"),
                c.OPT_CLIENT_ARCH: c.arch_option(7),
                c.OPT_CLIENT_NDI: bytes((1, 2, 1)),
                c.OPT_VENDOR_CLASS: b"PXEClient:Arch:00007:UNDI:003010",
                c.OPT_USER_CLASS: b"iPXE",
                c.OPT_IPXE: bytes((19, 1, 1, 21, 1, 1, 36, 1, 1, 235, 4, 1, 0, 0, 0)),
                c.OPT_CLIENT_UUID: c.uuid_option("12345678-9abc-def0-1122-334455667788"),
            },
        )
    )
    assert data[:4] == bytes((1, 1, 6, 0))
    assert data[c.HEADER.size : c.HEADER.size + 4] == c.MAGIC_COOKIE
    assert data[c.HEADER.size + 4 : c.HEADER.size + 7] == bytes((53, 1, 1))
    assert len(data) >= c.MIN_BOOTP_SIZE
    packet = decode(data)
    assert packet.mac == "52:54:00:12:34:56"
    assert packet.message_name == "DISCOVER"
    assert packet.client_arch == 7
    assert packet.user_classes == ["iPXE"]
    assert packet.is_ipxe
    assert packet.ipxe_options is not None and packet.ipxe_options[19] == b"\x01"
    assert packet.ipxe_features == ["http", "tftp", "efi"]
    assert packet.uuid == "12345678-9abc-def0-1122-334455667788"
    assert packet.max_size == 1472
    assert packet.flags & c.BROADCAST_FLAG


def test_uuid_option_is_smbios_byte_order() -> None:
    """Option 97 carries the first three UUID fields little-endian, as SMBIOS stores them."""
    raw = c.uuid_option("00112233-4455-6677-8899-aabbccddeeff")
    assert raw == bytes.fromhex("0033221100554477668899aabbccddeeff")


@pytest.mark.parametrize(
    ("value", "classes"),
    [
        (b"iPXE", ["iPXE"]),  # raw, as iPXE sends it
        (b"\x04iPXE", ["iPXE"]),  # RFC 3004
        (b"\x04iPXE\x03lab", ["iPXE", "lab"]),
        (b"\x09iPXE", ["\tiPXE"]),  # the length does not fit: raw
        (b"gPXE", ["gPXE"]),
    ],
)
def test_user_class_both_encodings(value: bytes, classes: list[str]) -> None:
    assert c.decode_user_class(value) == classes
    packet = DhcpPacket(options={c.OPT_USER_CLASS: value})
    assert decode(encode(packet)).user_classes == classes


def test_user_class_encoder() -> None:
    assert c.encode_user_class(["iPXE"]) == b"\x04iPXE"
    assert c.encode_user_class(["iPXE"], rfc3004=False) == b"iPXE"


def test_long_option_is_split_and_joined() -> None:
    """RFC 3396: a 600-byte option goes out as three instances and decodes as one value."""
    value = bytes(range(256)) * 2 + bytes(88)
    data = encode(DhcpPacket(options={c.OPT_BOOTFILE: value}))
    body = data[c.HEADER.size + 4 :]
    assert body[0:2] == bytes((67, 255)) and body[257:259] == bytes((67, 255))
    assert decode(data).options[c.OPT_BOOTFILE] == value


def test_overload_reads_file_then_sname() -> None:
    header = bytearray(HEADER_OK)
    header[108:116] = bytes((67, 4)) + b"boot" + bytes((255, 0))
    header[44:52] = bytes((66, 4)) + b"tftp" + bytes((255, 0))
    packet = decode(bytes(header) + bytes((53, 1, 1, 52, 1, 3, 255)))
    assert packet.options[c.OPT_BOOTFILE] == b"boot"
    assert packet.options[c.OPT_TFTP_SERVER] == b"tftp"
    assert packet.file == b"" and packet.sname == b""
    assert c.OPT_OVERLOAD not in packet.options


def test_padding_and_missing_end_are_accepted() -> None:
    packet = decode(HEADER_OK + bytes((0, 0, 53, 1, 3, 0, 50, 4, 10, 0, 0, 5)))
    assert packet.message_type == c.REQUEST
    assert packet.requested_ip == "10.0.0.5"


def test_unknown_options_are_kept() -> None:
    packet = decode(HEADER_OK + bytes((53, 1, 1, 224, 3, 1, 2, 3, 255)))
    assert packet.options[224] == b"\x01\x02\x03"
    assert decode(encode(packet)).options[224] == b"\x01\x02\x03"


def test_plain_bootp_packet() -> None:
    data = encode(DhcpPacket(chaddr=b"\x01\x02\x03\x04\x05\x06", bootp=True))
    assert len(data) == c.MIN_BOOTP_SIZE
    packet = decode(data)
    assert packet.bootp and packet.message_type is None and packet.message_name == "BOOTP"


def test_pxe_and_relay_suboptions() -> None:
    subs = {c.PXE_DISCOVERY_CONTROL: b"\x08"}
    assert c.encode_suboptions(subs, end=True) == bytes((6, 1, 8, 255))
    assert c.decode_suboptions(bytes((6, 1, 8, 255))) == subs
    relay = c.encode_suboptions({c.RELAY_CIRCUIT_ID: b"port7", c.RELAY_REMOTE_ID: b"sw1"})
    assert c.decode_suboptions(relay) == {1: b"port7", 2: b"sw1"}
    assert c.decode_suboptions(bytes((1, 9, 1))) == {}  # truncated: dropped, no error


def test_options_too_long_for_576_bytes_spill_into_file_and_sname() -> None:
    packet = DhcpPacket(chaddr=bytes(6), options={code: bytes(30) for code in range(100, 113)})
    data = encode(packet, max_size=c.DEFAULT_MAX_SIZE)
    assert len(data) <= c.DEFAULT_MAX_SIZE - 28
    assert data[c.HEADER.size + 4 : c.HEADER.size + 7] == bytes((c.OPT_OVERLOAD, 1, 3))  # file and sname used
    assert decode(data) == packet
    assert len(encode(packet)) > c.DEFAULT_MAX_SIZE  # without a limit nothing spills
