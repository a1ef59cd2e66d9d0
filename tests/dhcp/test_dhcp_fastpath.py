"""The DHCP fast path (serve/dhcp/fastpath.py) answers exactly as the full path: the same reply bytes to the
same destination and the same log lines, for generated sequences of requests against the same lease state.
"""

from __future__ import annotations

import logging
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from dhcp_testlib import client_packet
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ipxescript.serve.boot_files import BootFilesPolicy
from ipxescript.serve.dhcp import DhcpConfig, DhcpServer
from ipxescript.serve.dhcp import codec as c
from ipxescript.serve.dhcp.logfile import LINE_FORMAT, LoopFlushedFileHandler, SecondCachingFormatter
from ipxescript.serve.policy import BootOffer, BootPolicy, Client

SERVER = "10.9.0.1"
POOL = [f"10.9.0.{i}" for i in range(10, 14)]  # small, so that runs also exhaust it
MACS = [bytes.fromhex(f"5254000000{i:02x}") for i in range(1, 6)]


class PerMachinePolicy:
    """A policy that answers by MAC and address as well (like `ipxescript serve`'s rules): it does not
    declare `answers_by_kind`, so the fast path must ask it for every request."""

    def __init__(self) -> None:
        self.files = BootFilesPolicy(http_address=SERVER, http_port=8080)

    def boot_offer(self, client: Client) -> BootOffer | None:
        offer = self.files.boot_offer(client)
        if offer is None or client.mac != MACS[2].hex(":"):
            return offer
        return BootOffer(f"{client.ip}.efi", None, f"per machine: {client.mac} at {client.ip}")

    def tftp_file(self, path: str, client: Client) -> None:
        return None


POLICIES: list[BootPolicy] = [
    BootFilesPolicy(http_address=SERVER, http_port=8080),
    BootFilesPolicy(
        http_address=SERVER,
        next_server="10.9.0.2",
        files={"efi64": "e" * 200 + ".efi", "arm64": "a" * 300 + ".efi", "bios": "pxelinux.0"},
    ),
    PerMachinePolicy(),
]


class Recorder:
    """Stands in for the UDP endpoint: what would have been sent, and where."""

    boot_port = False

    def __init__(self) -> None:
        self.sent: list[tuple[bytes, tuple[str, int]]] = []

    def sendto(self, data: bytes, destination: tuple[str, int]) -> None:
        self.sent.append((data, destination))


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.levelname} {record.getMessage()}")


@contextmanager
def logged(at: int = logging.DEBUG) -> Iterator[Lines]:
    logger = logging.getLogger("ipxescript.dhcp")
    handler, level = Lines(), logger.level
    logger.addHandler(handler)
    logger.setLevel(at)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def make_server(policy: BootPolicy, fast: bool, reservation: bool, long_domain: bool = False) -> DhcpServer:
    config = DhcpConfig(
        mode="full",
        server_address=SERVER,
        interface="fastpath0",  # never opened: unicast replies fall back to broadcast (no ARP entry)
        pool_start=POOL[0],
        pool_end=POOL[-1],
        router="10.9.0.254",
        dns=("10.9.0.53",),
        domain="d" * 250 if long_domain else "lab.example",  # long: replies spill into sname
        reservations={MACS[4].hex(":"): POOL[1]} if reservation else {},
    )
    server = DhcpServer(config, policy)
    if not fast:
        server.fast = None
    return server


addresses = st.sampled_from([*POOL, "10.9.0.200", "192.168.1.5", SERVER])
option_values: dict[int, st.SearchStrategy[bytes]] = {
    c.OPT_REQUESTED_IP: st.one_of(addresses.map(c.ip_bytes), st.binary(max_size=6)),
    c.OPT_SERVER_ID: st.one_of(st.sampled_from([SERVER, "10.9.0.99"]).map(c.ip_bytes), st.binary(max_size=5)),
    c.OPT_VENDOR_CLASS: st.sampled_from(
        [
            b"PXEClient:Arch:00007:UNDI:003016",
            b"PXEClient",
            b"HTTPClient:Arch:00016",
            b"MSFT 5.0",
            b"\xff\x00",
        ]
    ),
    c.OPT_CLIENT_ARCH: st.sampled_from(
        [b"\x00\x00", b"\x00\x07", b"\x00\x09", b"\x00\x0b", b"\x00\x10", b"\x00"]
    ),
    c.OPT_USER_CLASS: st.sampled_from([b"iPXE", b"\x04iPXE", b"\x04iPXE\x03foo", b"other", b"\x09"]),
    c.OPT_IPXE: st.sampled_from([b"\x13\x01\x01\x14\x01\x01", b"", b"\x13"]),
    c.OPT_CLIENT_UUID: st.one_of(st.just(b"\0" + bytes(range(16))), st.binary(max_size=18)),
    c.OPT_HOSTNAME: st.sampled_from([b"node1", b"n\x00", b"\xe9t\xe9"]),
    c.OPT_MAX_SIZE: st.sampled_from([b"\x02\x40", b"\x05\xdc", b"\x01\x00", b"\x05"]),
    c.OPT_PARAM_REQUEST: st.just(bytes([1, 3, 6, 15, 66, 67])),
    c.OPT_CLIENT_ID: st.just(b"\x01" + MACS[0]),
    c.OPT_RELAY_AGENT: st.just(b"\x01\x03abc"),  # takes the full path
    c.OPT_OVERLOAD: st.sampled_from([b"\x01", b"\x07"]),  # takes the full path
}


@st.composite
def requests(draw: st.DrawFn) -> bytes:
    """A request as raw bytes: mostly what boot clients send, sometimes odd (relayed, renewing, repeated or
    truncated options, other message types, another hardware type)."""
    kind = draw(
        st.sampled_from([c.DISCOVER, c.DISCOVER, c.REQUEST, c.REQUEST, c.DECLINE, c.RELEASE, c.INFORM])
    )
    codes = draw(st.lists(st.sampled_from(sorted(option_values)), unique=True, max_size=8))
    options = [(code, draw(option_values[code])) for code in codes]
    if draw(st.integers(0, 9)) == 0 and options:
        options.append(options[0])  # a repeated option (concatenated by the decoder)
    packet = client_packet(
        kind,
        mac=draw(st.sampled_from(MACS)).hex(":"),
        xid=draw(st.integers(0, 2**32 - 1)),
        ciaddr=draw(st.sampled_from(["0.0.0.0"] * 6 + POOL[:2])),
        giaddr=draw(st.sampled_from(["0.0.0.0"] * 8 + ["10.9.0.77", "172.16.0.1"])),
        broadcast=draw(st.booleans()),
    )
    packet.htype = draw(st.sampled_from([1] * 9 + [6]))
    data = bytearray(c.encode(packet))
    end = data.index(c.END, 243)  # after option 53
    body = b"".join(bytes((code, len(value))) + value for code, value in options)
    tail = draw(st.sampled_from([b"\xff", b"\xff", b"", b"\x00\x00\xff", b"\x0c"]))  # END, none, pads, cut
    return bytes(data[:end] + body + tail + bytes(draw(st.integers(0, 40))))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    policy=st.sampled_from(POLICIES),
    reservation=st.booleans(),
    long_domain=st.booleans(),
    sequence=st.lists(requests(), min_size=1, max_size=10),
    burst=st.booleans(),
    level=st.sampled_from([logging.DEBUG, logging.INFO]),
)
def test_fast_path_answers_exactly_as_the_full_path(
    policy: BootPolicy,
    reservation: bool,
    long_domain: bool,
    sequence: list[bytes],
    burst: bool,
    level: int,
) -> None:
    """`burst`: the sequence arrives in one wake-up of the socket (above DEBUG the fast path then holds its
    log lines until the burst ends)."""
    results = []
    for fast in (True, False):
        server, endpoint = make_server(policy, fast, reservation, long_domain), Recorder()
        with logged(level) as log:
            if burst:
                server.burst_begins()
            for data in sequence:
                server.received(data, ("0.0.0.0", 68), endpoint)  # type: ignore[arg-type]
            if burst:
                server.burst_ends()
        results.append((endpoint.sent, log.lines, server.stats))
        server.close()
    (fast_sent, fast_log, fast_stats), (full_sent, full_log, full_stats) = results
    assert fast_sent == full_sent
    assert fast_log == full_log
    del fast_stats["fast path"]
    assert fast_stats == full_stats


@pytest.mark.parametrize("policy", POLICIES, ids=["default", "files", "per-machine"])
def test_the_policy_is_asked_per_kind_only_when_it_says_so(policy: BootPolicy) -> None:
    """The default policy answers by kind of firmware (`answers_by_kind`): the fast path asks it once per
    kind. A policy that answers per machine is asked for every request, and both paths agree."""
    pxe = {"arch": 7, "vendor": "PXEClient:Arch:00007"}
    sequence = [client_packet(c.DISCOVER, mac=mac.hex(":"), **pxe) for mac in (*MACS[:4], MACS[2])]
    sent = []
    for fast in (True, False):
        server, endpoint = make_server(policy, fast, reservation=False), Recorder()
        for packet in sequence:
            server.received(c.encode(packet), ("0.0.0.0", 68), endpoint)  # type: ignore[arg-type]
        sent.append(endpoint.sent)
        server.close()
    assert sent[0] == sent[1]
    files = [c.decode(data).boot_file for data, _ in sent[0]]
    if isinstance(policy, PerMachinePolicy):
        assert files == ["ipxe.efi", "ipxe.efi", f"{POOL[2]}.efi", "ipxe.efi", f"{POOL[2]}.efi"]
    else:
        assert len(set(files)) == 1


def test_a_plain_pxe_discover_and_request_take_the_fast_path() -> None:
    server, endpoint = make_server(POLICIES[0], fast=True, reservation=False), Recorder()
    pxe = {"arch": 7, "vendor": "PXEClient:Arch:00007"}
    server.received(
        c.encode(client_packet(c.DISCOVER, mac=MACS[0].hex(":"), **pxe)), ("0.0.0.0", 68), endpoint
    )  # type: ignore[arg-type]
    offer = c.decode(endpoint.sent[-1][0])
    request = client_packet(c.REQUEST, mac=MACS[0].hex(":"), requested=offer.yiaddr, server_id=SERVER, **pxe)
    server.received(c.encode(request), ("0.0.0.0", 68), endpoint)  # type: ignore[arg-type]
    ack = c.decode(endpoint.sent[-1][0])
    assert (offer.message_type, ack.message_type, ack.yiaddr) == (c.OFFER, c.ACK, POOL[0])
    assert ack.boot_file == "ipxe.efi"
    assert server.stats["fast path"] == 2
    server.close()


@pytest.mark.parametrize("fast", [True, False])
def test_a_reply_too_big_for_the_client_spills_into_sname(fast: bool) -> None:
    server = make_server(POLICIES[0], fast=fast, reservation=False, long_domain=True)
    endpoint = Recorder()
    discover = client_packet(c.DISCOVER, mac=MACS[0].hex(":"), arch=7, vendor="PXEClient:Arch:00007")
    server.received(c.encode(discover), ("0.0.0.0", 68), endpoint)  # type: ignore[arg-type]
    data = endpoint.sent[-1][0]
    assert len(data) <= c.DEFAULT_MAX_SIZE - 28
    assert data[44] == c.OPT_VENDOR_CLASS  # sname holds options
    assert c.decode(data).boot_file == "ipxe.efi"


@pytest.mark.parametrize("burst", [False, True])
def test_the_runner_log_file_gets_the_same_lines_from_both_paths(tmp_path: Path, burst: bool) -> None:
    """The fast path writes straight into the runner's log file (logfile.write_lines): same lines. In a
    burst (one wake-up of the socket) its lines are held until the replies are out, and still come out in
    decision order around the full path's own lines (the INFORM)."""
    logger = logging.getLogger("ipxescript.dhcp")
    pxe = {"arch": 7, "vendor": "PXEClient:Arch:00007"}
    sequence = [
        client_packet(c.DISCOVER, mac=MACS[0].hex(":"), **pxe),
        client_packet(c.REQUEST, mac=MACS[0].hex(":"), requested=POOL[0], server_id=SERVER, **pxe),
        client_packet(c.INFORM, mac=MACS[0].hex(":"), ciaddr=POOL[0], **pxe),  # full path
        client_packet(c.REQUEST, mac=MACS[1].hex(":"), requested=POOL[0], **pxe),  # NAK: in use
        client_packet(c.REQUEST, mac=MACS[2].hex(":"), server_id="10.9.0.99"),  # silent
    ]
    texts = []
    for fast in (True, False):
        path = tmp_path / f"{fast}.log"
        handler = LoopFlushedFileHandler(path)
        handler.setFormatter(SecondCachingFormatter(LINE_FORMAT))
        propagate, level = logger.propagate, logger.level
        logger.addHandler(handler)
        logger.propagate = False
        logger.setLevel(logging.INFO)  # (setLevel, not the attribute: it clears the logger's cache)
        try:
            server, endpoint = make_server(POLICIES[0], fast, reservation=False), Recorder()
            if burst:
                server.burst_begins()
            written = []
            for packet in sequence:
                server.received(c.encode(packet), ("0.0.0.0", 68), endpoint)  # type: ignore[arg-type]
                written.append(path.read_text().count("\n"))
            if burst:
                server.burst_ends()
            # Held until the INFORM (full path) needs its line after theirs, then until the burst ends.
            assert written == ([0, 0, 3, 3, 3] if burst and fast else [1, 2, 3, 4, 5])
            assert server.stats["fast path"] == (4 if fast else 0)
            server.close()
        finally:
            logger.removeHandler(handler)
            logger.propagate = propagate
            logger.setLevel(level)
            handler.close()
        lines = path.read_text().splitlines()
        assert all(
            re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} ipxescript\.dhcp (INFO|WARNING) ", x)
            for x in lines
        )
        texts.append([line.split(" ", 2)[2] for line in lines])
    assert texts[0] == texts[1]
    assert [line.split(": ")[1] for line in texts[0]] == [
        "OFFER 10.9.0.10 (free address from the range), boot file ipxe.efi (not iPXE, arch 7 (efi64, option 93)",
        "ACK 10.9.0.10 (lease bound (selecting)), boot file ipxe.efi (not iPXE, arch 7 (efi64, option 93)",
        "ACK with options for 10.9.0.10, boot file ipxe.efi (not iPXE, arch 7 (efi64, option 93)",
        "NAK",
        "silent",
    ]


def test_an_ack_waits_until_its_lease_is_on_disk(tmp_path: Path) -> None:
    """In a burst the lease changes are one transaction at its end; an ACK (and every reply after it) is sent
    only once that is committed, and not at all if the commit fails: no client holds an address the
    database could forget."""
    config = DhcpConfig(
        mode="full",
        server_address=SERVER,
        interface="fastpath0",
        pool_start=POOL[0],
        pool_end=POOL[-1],
        lease_db=tmp_path / "leases.sqlite",
    )
    pxe = {"arch": 7, "vendor": "PXEClient:Arch:00007"}

    def on_disk() -> list[tuple[str, str]]:
        with sqlite3.connect(tmp_path / "leases.sqlite") as db:
            return list(db.execute("SELECT ip, mac FROM leases"))

    server, endpoint = DhcpServer(config, POLICIES[0]), Recorder()
    server.burst_begins()
    for packet in (
        client_packet(c.DISCOVER, mac=MACS[0].hex(":"), **pxe),
        client_packet(c.REQUEST, mac=MACS[0].hex(":"), requested=POOL[0], server_id=SERVER, **pxe),
        client_packet(c.DISCOVER, mac=MACS[1].hex(":"), **pxe),
    ):
        server.received(c.encode(packet), ("0.0.0.0", 68), endpoint)  # type: ignore[arg-type]
    assert [c.decode(data).message_type for data, _ in endpoint.sent] == [c.OFFER]
    assert on_disk() == []
    server.burst_ends()
    assert [c.decode(data).message_type for data, _ in endpoint.sent] == [c.OFFER, c.ACK, c.OFFER]
    assert on_disk() == [(POOL[0], MACS[0].hex(":"))]

    with logged(logging.INFO) as log:
        server.burst_begins()
        request = client_packet(c.REQUEST, mac=MACS[1].hex(":"), requested=POOL[1], server_id=SERVER, **pxe)
        server.received(c.encode(request), ("0.0.0.0", 68), endpoint)  # type: ignore[arg-type]
        assert server.leases is not None
        server.leases.db.close()  # type: ignore[attr-defined]  # the commit fails
        server.burst_ends()
    assert len(endpoint.sent) == 3 and server.stats["errors"] == 1
    assert len(log.lines) == 2 and f"(full): ACK {POOL[1]} (lease bound" in log.lines[0]
    assert log.lines[1].startswith("ERROR lease database write failed, 1 replies not sent")
