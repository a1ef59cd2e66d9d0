"""The DHCP server at packet level, on loopback: full mode (DORA, NAK, DECLINE, RELEASE, INFORM, relay,
reservations, restart) and proxy mode, with the default boot-file policy."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from dhcp_testlib import AsyncUdp, client_packet, free_udp_port, malformed_packets

from ipxescript.serve.boot_files import BootFilesPolicy
from ipxescript.serve.dhcp import DhcpConfig, DhcpConfigError, DhcpServer, start_dhcp
from ipxescript.serve.dhcp import codec as c
from ipxescript.serve.policy import BootOffer, Client, VirtualFile
from ipxescript.serve.state import open_state

pytestmark = pytest.mark.timeout(60)

SERVER = "127.0.0.1"
A, B, C, D = (f"52:54:00:00:00:0{i}" for i in range(1, 5))


@dataclass
class Harness:
    server: DhcpServer
    client: AsyncUdp
    config: DhcpConfig

    async def ask(
        self, packet: c.DhcpPacket, port: int | None = None, timeout: float = 1.0
    ) -> c.DhcpPacket | None:
        await self.client.send(packet, (SERVER, port or self.config.port))
        got = await self.client.receive(timeout)
        return got[0] if got else None

    async def tell(self, packet: c.DhcpPacket) -> None:
        """A message that gets no answer (DECLINE, RELEASE): check that none comes."""
        assert await self.ask(packet, timeout=0.3) is None

    async def lease(self, mac: str, **kw: Any) -> str:
        offer = await self.ask(client_packet(c.DISCOVER, mac=mac, **kw))
        assert offer is not None and offer.message_type == c.OFFER
        ack = await self.ask(
            client_packet(c.REQUEST, mac=mac, requested=offer.yiaddr, server_id=SERVER, **kw)
        )
        assert ack is not None and ack.message_type == c.ACK, ack and ack.options.get(c.OPT_MESSAGE)
        assert ack.yiaddr == offer.yiaddr
        return ack.yiaddr


MakeServer = Callable[..., Awaitable[Harness]]


@pytest.fixture
async def make_server(tmp_path: Path, state_url: str | None) -> AsyncIterator[MakeServer]:
    """Servers on the SQLite lease file, or on one PostgreSQL database (each test runs on both)."""
    made: list[Harness] = []
    state = open_state(state_url, tmp_path / "state") if state_url else None

    async def make(mode: str = "full", **overrides: Any) -> Harness:
        client = AsyncUdp(SERVER)
        settings: dict[str, Any] = dict(
            mode=mode,
            server_address=SERVER,
            pool_start="127.0.0.100" if mode == "full" else None,
            pool_end="127.0.0.102" if mode == "full" else None,
            router="127.0.0.254",
            dns=("127.0.0.53",),
            lease_time=600,
            lease_db=tmp_path / "leases.sqlite",
            port=free_udp_port(),
            proxy_port=free_udp_port(),
            client_port=client.port,
        )
        settings.update(overrides)
        config = DhcpConfig(**settings)
        leases = state.leases(config) if state and state.leases and mode == "full" else None
        server = await start_dhcp(config, BootFilesPolicy(http_address=SERVER, http_port=8080), leases)
        harness = Harness(server, client, config)
        made.append(harness)
        return harness

    yield make
    for harness in made:
        harness.server.close()
        harness.client.close()
    if state is not None:
        state.close()


# --- full mode ----------------------------------------------------------------------------------------


async def test_discover_offer_request_ack(make_server: MakeServer) -> None:
    h = await make_server()
    offer = await h.ask(client_packet(c.DISCOVER, mac=A, xid=77))
    assert offer is not None
    assert (offer.op, offer.message_type, offer.xid, offer.mac) == (c.BOOTREPLY, c.OFFER, 77, A)
    assert offer.yiaddr == "127.0.0.100"
    assert offer.server_id == SERVER
    assert offer.options[c.OPT_LEASE_TIME] == (600).to_bytes(4, "big")
    assert offer.ip_option(c.OPT_SUBNET_MASK) == "255.255.255.0"
    assert offer.ip_option(c.OPT_ROUTER) == "127.0.0.254"
    assert offer.options[c.OPT_DNS] == c.ip_bytes("127.0.0.53")
    assert c.OPT_BOOTFILE not in offer.options and offer.file == b""  # not a boot client
    assert c.OPT_VENDOR_CLASS not in offer.options
    ack = await h.ask(client_packet(c.REQUEST, mac=A, xid=78, requested="127.0.0.100", server_id=SERVER))
    assert ack is not None and ack.message_type == c.ACK and ack.yiaddr == "127.0.0.100"
    assert await h.lease(B) == "127.0.0.101"


async def test_offer_is_held_for_the_client_it_was_made_to(make_server: MakeServer) -> None:
    h = await make_server()
    first = await h.ask(client_packet(c.DISCOVER, mac=A))
    second = await h.ask(client_packet(c.DISCOVER, mac=B))
    assert first and second and first.yiaddr != second.yiaddr
    again = await h.ask(client_packet(c.DISCOVER, mac=A))
    assert again and again.yiaddr == first.yiaddr


async def test_request_for_another_server_withdraws_the_offer(make_server: MakeServer) -> None:
    h = await make_server()
    offer = await h.ask(client_packet(c.DISCOVER, mac=A))
    assert offer is not None
    await h.tell(client_packet(c.REQUEST, mac=A, requested="10.9.9.9", server_id="10.9.9.1"))
    taken = await h.ask(client_packet(c.REQUEST, mac=B, requested=offer.yiaddr, server_id=SERVER))
    assert taken and taken.message_type == c.ACK  # the address was free again


@pytest.mark.parametrize(
    ("request_kw", "reason"),
    [
        (dict(requested="10.1.2.3"), "not on this network"),  # INIT-REBOOT after moving networks
        (dict(requested="127.0.0.150", server_id=SERVER), "not in the range"),
        (dict(requested="127.0.0.100", server_id=SERVER), "in use by another client"),
        (dict(ciaddr="127.0.0.101", broadcast=False), "no lease of 127.0.0.101"),  # renewing nothing
    ],
)
async def test_wrong_requests_get_nak(
    make_server: MakeServer, request_kw: dict[str, Any], reason: str
) -> None:
    h = await make_server()
    assert await h.lease(A) == "127.0.0.100"
    nak = await h.ask(client_packet(c.REQUEST, mac=B, **request_kw))
    assert nak is not None and nak.message_type == c.NAK
    assert nak.yiaddr == "0.0.0.0" and c.OPT_LEASE_TIME not in nak.options
    assert reason in nak.text_option(c.OPT_MESSAGE)  # type: ignore[operator]


async def test_renewal_is_answered_to_ciaddr(make_server: MakeServer) -> None:
    h = await make_server()
    address = await h.lease(A)
    at_lease = AsyncUdp(address, h.config.client_port)
    try:
        await h.client.send(
            client_packet(c.REQUEST, mac=A, ciaddr=address, broadcast=False), (SERVER, h.config.port)
        )
        got = await at_lease.receive()
        assert got is not None
        ack, _ = got
        assert ack.message_type == c.ACK and ack.yiaddr == address and ack.ciaddr == address
    finally:
        at_lease.close()


async def test_decline_withholds_the_address(make_server: MakeServer) -> None:
    h = await make_server()
    address = await h.lease(A)
    await h.tell(client_packet(c.DECLINE, mac=A, requested=address, server_id=SERVER))
    for mac in (A, B):
        offer = await h.ask(client_packet(c.DISCOVER, mac=mac))
        assert offer is not None and offer.yiaddr != address
    nak = await h.ask(client_packet(c.REQUEST, mac=D, requested=address))
    assert nak is not None and nak.message_type == c.NAK
    assert "declined" in (nak.text_option(c.OPT_MESSAGE) or "")


async def test_decline_of_an_address_never_given_is_ignored(make_server: MakeServer) -> None:
    h = await make_server()
    address = await h.lease(A)
    await h.tell(client_packet(c.DECLINE, mac=B, requested=address, server_id=SERVER))
    renewed = await h.ask(client_packet(c.REQUEST, mac=A, requested=address))
    assert renewed is not None and renewed.message_type == c.ACK


async def test_release_frees_the_address_but_keeps_it_for_the_client(make_server: MakeServer) -> None:
    h = await make_server()
    address = await h.lease(A)
    await h.tell(client_packet(c.RELEASE, mac=A, ciaddr=address, server_id=SERVER, broadcast=False))
    assert await h.lease(B) != address  # never-used addresses go first
    assert await h.lease(A) == address  # the client that released it gets it back
    await h.tell(client_packet(c.RELEASE, mac=A, ciaddr=address, server_id=SERVER, broadcast=False))
    assert await h.lease(C) != address
    assert await h.lease(D) == address  # range exhausted: the released address is reused


async def test_exhausted_range_gets_no_offer(
    make_server: MakeServer, caplog: pytest.LogCaptureFixture
) -> None:
    h = await make_server()
    for mac in (A, B, C):
        await h.lease(mac)
    with caplog.at_level(logging.INFO, logger="ipxescript.dhcp"):
        assert await h.ask(client_packet(c.DISCOVER, mac=D), timeout=0.3) is None
    assert "range is exhausted" in caplog.text


async def test_inform_gets_options_without_an_address(make_server: MakeServer) -> None:
    h = await make_server()
    informer = AsyncUdp("127.0.0.77", h.config.client_port)
    try:
        packet = client_packet(c.INFORM, mac=B, ciaddr="127.0.0.77", broadcast=False)
        await informer.send(packet, (SERVER, h.config.port))
        got = await informer.receive()
        assert got is not None
        ack, _ = got
        assert ack.message_type == c.ACK and ack.yiaddr == "0.0.0.0" and ack.ciaddr == "127.0.0.77"
        assert c.OPT_LEASE_TIME not in ack.options
        assert ack.ip_option(c.OPT_ROUTER) == "127.0.0.254"
    finally:
        informer.close()


async def test_reservation_by_mac(make_server: MakeServer) -> None:
    h = await make_server(reservations={A.upper(): "127.0.0.150"})
    assert await h.lease(A) == "127.0.0.150"
    nak = await h.ask(client_packet(c.REQUEST, mac=A, requested="127.0.0.101"))
    assert (
        nak is not None and nak.message_type == c.NAK and "reserved" in (nak.text_option(c.OPT_MESSAGE) or "")
    )
    nak = await h.ask(client_packet(c.REQUEST, mac=B, requested="127.0.0.150"))
    assert nak is not None and nak.message_type == c.NAK


async def test_leases_survive_a_restart(make_server: MakeServer) -> None:
    h = await make_server()
    address_a = await h.lease(A)
    h.server.close()
    h2 = await make_server(port=free_udp_port())  # same lease database
    offer_b = await h2.ask(client_packet(c.DISCOVER, mac=B))
    assert offer_b is not None and offer_b.yiaddr != address_a
    nak = await h2.ask(client_packet(c.REQUEST, mac=B, requested=address_a))
    assert nak is not None and nak.message_type == c.NAK
    ack = await h2.ask(client_packet(c.REQUEST, mac=A, requested=address_a))  # INIT-REBOOT
    assert ack is not None and ack.message_type == c.ACK and ack.yiaddr == address_a
    offer_a = await h2.ask(client_packet(c.DISCOVER, mac=A))
    assert offer_a is not None and offer_a.yiaddr == address_a


async def test_relay_is_answered_by_unicast_to_the_relay(make_server: MakeServer) -> None:
    h = await make_server()
    relay = AsyncUdp("127.0.0.2", h.config.port)
    relay_info = c.encode_suboptions({c.RELAY_CIRCUIT_ID: b"port7"})
    try:
        packet = client_packet(c.DISCOVER, mac=A, giaddr="127.0.0.2", extra={c.OPT_RELAY_AGENT: relay_info})
        await relay.send(packet, (SERVER, h.config.port))
        got = await relay.receive()
        assert got is not None
        offer, source = got
        assert source == (SERVER, h.config.port)
        assert offer.message_type == c.OFFER and offer.giaddr == "127.0.0.2" and offer.yiaddr == "127.0.0.100"
        assert offer.options[c.OPT_RELAY_AGENT] == relay_info
        assert await h.client.receive(0.2) is None  # nothing was broadcast to the client directly
        foreign = client_packet(c.DISCOVER, mac=B, giaddr="127.0.9.1")
        await relay.send(foreign, (SERVER, h.config.port))
        assert await relay.receive(0.3) is None  # no range for that subnet
    finally:
        relay.close()


# --- boot files in full mode -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kw", "boot_file", "vendor_answer"),
    [
        (dict(arch=0, vendor="PXEClient:Arch:00000:UNDI:002001"), "undionly.kpxe", b"PXEClient"),
        (dict(vendor="PXEClient"), "undionly.kpxe", b"PXEClient"),  # no option 93: BIOS
        (dict(arch=7, vendor="PXEClient:Arch:00007:UNDI:003000"), "ipxe.efi", b"PXEClient"),
        (dict(arch=9, vendor="PXEClient:Arch:00009:UNDI:003000"), "ipxe.efi", b"PXEClient"),
        (dict(arch=7), "ipxe.efi", None),  # udhcpc -x 0x5d:0007 without a vendor class
        (dict(arch=16, vendor="HTTPClient:Arch:00016"), "http://127.0.0.1:8080/ipxe.efi", b"HTTPClient"),
        (
            dict(arch=0, user_class=b"iPXE", vendor="PXEClient:Arch:00000"),
            "http://127.0.0.1:8080/boot.ipxe",
            b"PXEClient",
        ),
        (dict(arch=7, user_class=b"\x04iPXE"), "http://127.0.0.1:8080/boot.ipxe", None),
        (dict(arch=7, extra={c.OPT_IPXE: bytes((19, 1, 1))}), "http://127.0.0.1:8080/boot.ipxe", None),
    ],
)
async def test_boot_file_per_client_class(
    make_server: MakeServer, kw: dict[str, Any], boot_file: str, vendor_answer: bytes | None
) -> None:
    h = await make_server()
    offer = await h.ask(client_packet(c.DISCOVER, mac=A, **kw))
    assert offer is not None and offer.yiaddr == "127.0.0.100"
    assert offer.options[c.OPT_BOOTFILE] == boot_file.encode()
    assert offer.file == boot_file.encode()
    assert offer.siaddr == SERVER
    assert offer.options.get(c.OPT_VENDOR_CLASS) == vendor_answer
    if vendor_answer == b"PXEClient":
        pxe = c.decode_suboptions(offer.options[c.OPT_VENDOR_SPECIFIC])
        assert pxe == {c.PXE_DISCOVERY_CONTROL: bytes((c.DISCOVERY_USE_BOOTFILE,))}  # never a menu


async def test_arch_without_a_debian_binary_gets_an_address_only(make_server: MakeServer) -> None:
    h = await make_server()
    offer = await h.ask(client_packet(c.DISCOVER, mac=A, arch=11, vendor="PXEClient:Arch:00011"))
    assert offer is not None and offer.yiaddr == "127.0.0.100"
    assert c.OPT_BOOTFILE not in offer.options


async def test_decisions_are_logged_with_reasons(
    make_server: MakeServer, caplog: pytest.LogCaptureFixture
) -> None:
    h = await make_server()
    with caplog.at_level(logging.INFO, logger="ipxescript.dhcp"):
        await h.ask(
            client_packet(c.DISCOVER, mac=A, arch=7, vendor="PXEClient:Arch:00007", user_class=b"iPXE")
        )
    line = next(r.getMessage() for r in caplog.records if r.getMessage().startswith("DISCOVER"))
    for part in (
        A,
        "arch=7(efi64)",
        "user-class=iPXE",
        "(full)",
        "OFFER 127.0.0.100",
        "boot.ipxe",
        "iPXE client",
    ):
        assert part in line, line


# --- proxy mode -------------------------------------------------------------------------------------------


async def test_proxy_answers_only_pxe_clients(make_server: MakeServer) -> None:
    h = await make_server("proxy")
    assert await h.ask(client_packet(c.DISCOVER, mac=A), timeout=0.3) is None
    assert await h.ask(client_packet(c.DISCOVER, mac=A, arch=7), timeout=0.3) is None  # no option 60
    uuid_value = c.uuid_option("01234567-89ab-cdef-0123-456789abcdef")
    offer = await h.ask(
        client_packet(
            c.DISCOVER,
            mac=B,
            arch=7,
            vendor="PXEClient:Arch:00007:UNDI:003000",
            extra={c.OPT_CLIENT_UUID: uuid_value},
        )
    )
    assert offer is not None and offer.message_type == c.OFFER
    assert offer.yiaddr == "0.0.0.0" and c.OPT_LEASE_TIME not in offer.options
    assert offer.siaddr == SERVER and offer.file == b"ipxe.efi"
    assert offer.options[c.OPT_VENDOR_CLASS] == b"PXEClient"
    assert offer.options[c.OPT_CLIENT_UUID] == uuid_value
    assert c.PXE_BOOT_MENU not in c.decode_suboptions(offer.options[c.OPT_VENDOR_SPECIFIC])


async def test_proxy_ignores_requests_for_the_real_dhcp_server(make_server: MakeServer) -> None:
    h = await make_server("proxy")
    request = client_packet(
        c.REQUEST, mac=A, arch=0, vendor="PXEClient", requested="10.0.0.5", server_id="10.0.0.1"
    )
    assert await h.ask(request, timeout=0.3) is None
    same_host = client_packet(
        c.REQUEST, mac=A, arch=0, vendor="PXEClient", requested="10.0.0.5", server_id=SERVER
    )
    assert await h.ask(same_host, timeout=0.3) is None  # a DHCP server on our own address
    to_us = client_packet(c.REQUEST, mac=A, arch=0, vendor="PXEClient", server_id=SERVER)
    ack = await h.ask(to_us)
    assert ack is not None and ack.message_type == c.ACK and ack.file == b"undionly.kpxe"


async def test_boot_server_port_replies_to_the_source_port(make_server: MakeServer) -> None:
    """EDK2 asks on 4011 from port 4011 and listens there: the ACK goes back to the request's port."""
    h = await make_server("proxy")
    request = client_packet(
        c.REQUEST, mac=A, arch=7, vendor="PXEClient:Arch:00007", ciaddr="127.0.0.1", broadcast=False
    )
    assert h.config.proxy_port is not None
    ack = await h.ask(request, port=h.config.proxy_port)
    assert ack is not None and ack.message_type == c.ACK
    assert ack.file == b"ipxe.efi" and ack.siaddr == SERVER and ack.yiaddr == "0.0.0.0"


async def test_ipxe_behind_a_proxy_gets_the_script(make_server: MakeServer) -> None:
    h = await make_server("proxy")
    offer = await h.ask(
        client_packet(c.DISCOVER, mac=A, arch=0, vendor="PXEClient:Arch:00000", user_class=b"iPXE")
    )
    assert offer is not None
    assert offer.options[c.OPT_BOOTFILE] == b"http://127.0.0.1:8080/boot.ipxe"
    assert offer.siaddr == SERVER  # iPXE drops proxy offers without a next-server


# --- robustness and configuration -------------------------------------------------------------------------


async def test_server_survives_malformed_packets(make_server: MakeServer) -> None:
    h = await make_server(pool_start="127.0.0.10", pool_end="127.0.0.250")
    leased = await h.lease(A)
    for sent, data in enumerate(malformed_packets(10_000)):
        h.client.sock.sendto(data, (SERVER, h.config.port))
        if sent % 10 == 0:  # let the server read so its socket buffer does not overflow
            await asyncio.sleep(0.001)
    while await h.client.receive(0.1) is not None:  # drop the answers to packets that still made sense
        pass
    assert h.server.stats["received"] == 10_000 + 2
    assert h.server.stats["errors"] == 0
    assert h.server.stats["malformed"] > 3000
    # ...and still serves correct clients: a renewal and a new client
    renewed = await h.ask(client_packet(c.REQUEST, mac=A, requested=leased))
    assert renewed is not None and renewed.message_type == c.ACK and renewed.yiaddr == leased
    offer = await h.ask(client_packet(c.DISCOVER, mac=B, xid=999, arch=7, vendor="PXEClient"))
    assert offer is not None and offer.xid == 999 and offer.message_type == c.OFFER
    assert offer.file == b"ipxe.efi"


def test_config_errors_name_the_setting() -> None:
    base = DhcpConfig(mode="proxy", server_address=SERVER)
    with pytest.raises(DhcpConfigError, match="dhcp mode 'relay'"):
        replace(base, mode="relay")
    with pytest.raises(DhcpConfigError, match="needs an address range"):
        replace(base, mode="full")
    with pytest.raises(DhcpConfigError, match="end is before the start"):
        replace(base, mode="full", pool_start="10.0.0.9", pool_end="10.0.0.1")
    with pytest.raises(DhcpConfigError, match="not inside one subnet"):
        replace(base, mode="full", pool_start="10.0.0.9", pool_end="10.0.1.1")
    with pytest.raises(DhcpConfigError, match="'10.0.0.300' is not an IPv4 address"):
        replace(base, router="10.0.0.300")
    with pytest.raises(DhcpConfigError, match="outside the range's subnet 10.0.0.0/24"):
        replace(base, mode="full", pool_start="10.0.0.9", pool_end="10.0.0.20", reservations={A: "10.0.1.5"})
    with pytest.raises(DhcpConfigError, match="not a MAC address"):
        replace(base, reservations={"52:54:00": "10.0.0.5"})


async def test_a_new_reservation_does_not_take_an_address_still_leased(make_server: MakeServer) -> None:
    h = await make_server()
    taken = await h.lease(A)
    h.server.close()
    h2 = await make_server(port=free_udp_port(), reservations={B: taken})  # same lease database
    assert await h2.ask(client_packet(c.DISCOVER, mac=B), timeout=0.3) is None
    # The holder is moved off the address at its next request, and only then does the reservation apply.
    nak = await h2.ask(client_packet(c.REQUEST, mac=A, requested=taken))
    assert nak is not None and nak.message_type == c.NAK
    assert await h2.lease(A) != taken
    assert await h2.lease(B) == taken


class RecordingPolicy:
    """Answers like the default policy and keeps every Client it was asked about."""

    def __init__(self) -> None:
        self.clients: list[Client] = []
        self.inner = BootFilesPolicy(http_address=SERVER)

    def boot_offer(self, client: Client) -> BootOffer | None:
        self.clients.append(client)
        return self.inner.boot_offer(client)

    def tftp_file(self, path: str, client: Client) -> VirtualFile | None:
        return None


async def test_the_policy_sees_everything_the_request_says(make_server: MakeServer) -> None:
    h = await make_server()
    policy = RecordingPolicy()
    h.server.policy = policy
    relay = AsyncUdp("127.0.0.2", h.config.port)
    try:
        packet = client_packet(
            c.DISCOVER,
            mac=A,
            giaddr="127.0.0.2",
            arch=7,
            vendor="PXEClient:Arch:00007:UNDI:003010",
            user_class=b"iPXE",
            extra={
                c.OPT_IPXE: bytes((19, 1, 1, 20, 1, 1, 36, 1, 1)),
                c.OPT_CLIENT_UUID: c.uuid_option("01234567-89ab-cdef-0123-456789abcdef"),
                c.OPT_HOSTNAME: b"node7",
                c.OPT_RELAY_AGENT: c.encode_suboptions({c.RELAY_CIRCUIT_ID: b"sw1/7"}),
            },
        )
        await relay.send(packet, (SERVER, h.config.port))
        assert await relay.receive() is not None
    finally:
        relay.close()
    assert policy.clients == [
        Client(
            mac=A,
            arch=7,
            user_class="iPXE",
            vendor_class="PXEClient:Arch:00007:UNDI:003010",
            is_ipxe=True,
            uuid="01234567-89ab-cdef-0123-456789abcdef",
            ip="127.0.0.100",
            hostname="node7",
            labels={"relay": "127.0.0.2", "circuit-id": b"sw1/7".hex(), "ipxe-features": "http,https,efi"},
        )
    ]


@pytest.mark.parametrize("state_url", [None], indirect=False)
async def test_an_exhausted_large_pool_answers_a_storm_of_strangers_cheaply(
    make_server: MakeServer, tmp_path: Path
) -> None:
    """Issue 13: every DISCOVER to an exhausted /16 scanned the pool (~110 ms each). A client holding a
    lease must still get its offer at once after 300 DISCOVERs from strangers. (SQLite; the PostgreSQL
    store takes a free address with one index probe, tests/state.)"""
    import sqlite3
    import time

    from ipxescript.serve.dhcp.leases import SCHEMA, int_to_ip, ip_to_int

    db = tmp_path / "big.sqlite"
    first, last = ip_to_int("127.1.0.1"), ip_to_int("127.1.255.254")
    with sqlite3.connect(db) as conn:
        conn.execute(SCHEMA)
        conn.executemany(
            "INSERT INTO leases VALUES (?, ?, 'bound', ?, NULL)",
            ((int_to_ip(v), f"02:00:{(v >> 24) & 255:02x}:{(v >> 16) & 255:02x}:{(v >> 8) & 255:02x}:{v & 255:02x}",
              time.time() + 3600) for v in range(first, last + 1)),
        )  # fmt: skip
    h = await make_server(
        pool_start="127.1.0.1", pool_end="127.1.255.254", netmask="255.255.0.0", router=None, lease_db=db
    )
    holder = f"02:00:7f:01:{(first >> 8) & 255:02x}:{first & 255:02x}"
    for index in range(300):
        await h.client.send(client_packet(c.DISCOVER, mac=f"52:54:01:00:{index >> 8:02x}:{index & 255:02x}"),
                            (SERVER, h.config.port))  # fmt: skip
    started = time.monotonic()
    offer = await h.ask(client_packet(c.DISCOVER, mac=holder), timeout=30)
    assert offer is not None and offer.yiaddr == "127.1.0.1"
    assert time.monotonic() - started < 2.0  # was ~33 s: 300 pool scans before this packet
    assert h.server.stats["OFFER"] == 1
