"""The DHCP server: asyncio datagram endpoints on port 67 (and 4011), full or proxy mode.

It holds no boot policy: for each boot client it builds a `Client` and asks the `BootPolicy`. Every
decision is logged on the `ipxescript.dhcp` logger with its reason.
"""

from __future__ import annotations

import asyncio
import collections
import fcntl
import ipaddress
import logging
import socket
import sqlite3
import struct
from dataclasses import dataclass

from ipxescript.serve.policy import BootOffer, BootPolicy, Client

from . import codec as c
from . import replies
from .clients import client_from_packet, describe, is_boot_client, may_boot
from .config import DhcpConfig
from .fastpath import FastPath
from .leases import Leases, LeaseStore, StateUnavailable

log = logging.getLogger("ipxescript.dhcp")

SIOCSARP = 0x8955
ATF_COM = 0x02
LOOPBACK = "127.0.0.1"
BROADCAST = "255.255.255.255"


@dataclass(frozen=True)
class Destination:
    ip: str
    port: int
    arp_mac: bytes | None = None  # unicast to an address the kernel cannot resolve yet: add this ARP entry
    why: str = ""


class _Endpoint:
    """One bound UDP socket driven by the event loop's reader callback.

    Not an asyncio DatagramProtocol on purpose: its transport reads one datagram per loop iteration, while
    a lab that powers on at once queues hundreds of DISCOVERs; draining the socket per wake-up is faster
    (benchmarks/bench_dhcp.py). Replies are sent directly: when the send buffer is full the reply is
    dropped and the client retransmits, as DHCP expects.
    """

    BATCH = 256  # datagrams per wake-up at most, so one busy port cannot starve the other

    def __init__(self, server: DhcpServer, sock: socket.socket, boot_port: bool) -> None:
        self.server = server
        self.sock = sock
        self.boot_port = boot_port
        self.port: int = sock.getsockname()[1]
        self._loop = asyncio.get_running_loop()
        self._loop.add_reader(sock.fileno(), self._readable)

    def _readable(self) -> None:
        """Answer what is queued (until EAGAIN, or BATCH), then write the burst's log lines."""
        server, receive = self.server, self.sock.recvfrom
        server.burst_begins()
        try:
            for _ in range(self.BATCH):
                try:
                    data, source = receive(4096)
                except (BlockingIOError, InterruptedError):
                    return
                except OSError as exc:  # e.g. an ICMP error reported on the socket
                    log.debug("socket error on port %d: %s", self.port, exc)
                    return
                server.received(data, source, self)
        finally:
            server.burst_ends()

    def sendto(self, data: bytes, destination: tuple[str, int]) -> None:
        try:
            self.sock.sendto(data, destination)
        except OSError as exc:
            if self.server.fast is not None:
                self.server.fast.log.flush()  # the decision's line first
            log.warning("could not send to %s:%d: %s", destination[0], destination[1], exc)

    def close(self) -> None:
        self._loop.remove_reader(self.sock.fileno())
        self.sock.close()


def _with_ip(client: Client, ip: str) -> Client:
    """`dataclasses.replace(client, ip=ip)` at half the cost (once per OFFER/ACK; Client has only init
    fields)."""
    return Client(**{**vars(client), "ip": ip})


class DhcpServer:
    def __init__(self, config: DhcpConfig, policy: BootPolicy, leases: Leases | None = None) -> None:
        """`leases`: a shared lease backend (PostgreSQL); None keeps them in `config.lease_db` (SQLite)."""
        self.config = config
        self.policy = policy
        self.stats: collections.Counter[str] = collections.Counter()
        self.leases: Leases | None = leases
        if config.mode == "full" and leases is None:
            assert config.pool_start and config.pool_end
            try:
                self.leases = LeaseStore(
                    config.lease_db,
                    config.pool_start,
                    config.pool_end,
                    config.reservations,
                    excluded={config.server_address, *([config.router] if config.router else [])},
                )
            except sqlite3.Error as exc:
                raise OSError(f"cannot open the lease database {config.lease_db}: {exc}") from None
        self._endpoints: list[_Endpoint] = []
        self._broadcasts: dict[str, Destination] = {}
        # Replies of a burst waiting for its lease changes to be committed (burst_begins), else None.
        self._held_replies: list[tuple[_Endpoint, bytes, Destination, int]] | None = None
        self._full_handlers = {
            c.DISCOVER: self._discover,
            c.REQUEST: self._request,
            c.DECLINE: self._decline,
            c.RELEASE: self._release,
            c.INFORM: self._inform,
        }
        # The common DISCOVERs and REQUESTs of full mode, answered from the raw bytes (fastpath.py).
        self.fast: FastPath | None = FastPath(self) if config.mode == "full" else None

    # --- life cycle ---------------------------------------------------------------------------------

    async def start(self) -> None:
        ports = [(self.config.port, False)]
        if self.config.proxy_port:
            ports.append((self.config.proxy_port, True))
        try:
            for port, boot_port in ports:
                self._endpoints.append(_Endpoint(self, self._open_socket(port), boot_port))
        except BaseException:
            self.close()
            raise
        where = f"interface {self.config.interface}" if self.config.interface else "127.0.0.1 (no interface)"
        log.info(
            "dhcp %s mode on %s, ports %s, server address %s%s",
            self.config.mode,
            where,
            "/".join(str(p) for p, _ in ports),
            self.config.server_address,
            f", range {self.config.pool_start}-{self.config.pool_end}" if self.config.mode == "full" else "",
        )

    def _open_socket(self, port: int) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            # SO_REUSEADDR: share port 67 with a DHCP server on the same host (proxy mode).
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
            # Whole labs power on at once: room for bursts (the kernel caps this at net.core.rmem_max).
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
            if self.config.interface:
                # Receive and send on this device only: requests arriving on other interfaces never reach us.
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, self.config.interface.encode())
                sock.bind(("0.0.0.0", port))
            else:
                sock.bind((LOOPBACK, port))
            sock.setblocking(False)
        except OSError as exc:
            sock.close()
            where = self.config.interface or LOOPBACK
            raise OSError(exc.errno, f"cannot open DHCP port {port} on {where}: {exc.strerror}") from None
        return sock

    def close(self) -> None:
        for endpoint in self._endpoints:
            endpoint.close()
        self._endpoints = []
        if self.leases is not None:
            self.leases.close()
            self.leases = None

    @property
    def ports(self) -> list[int]:
        """The ports actually bound (useful when the configuration asked for port 0)."""
        return [endpoint.port for endpoint in self._endpoints]

    # --- receiving ------------------------------------------------------------------------------------

    def burst_begins(self) -> None:
        """A wake-up of a socket: the lease store (SQLite) makes the burst's changes one transaction, and
        replies that rely on them wait for its commit; the fast path holds its log lines (replies first)."""
        if isinstance(self.leases, LeaseStore):  # a shared backend (PostgreSQL) commits each decision itself
            self.leases.hold_writes()
            self._held_replies = []
        if self.fast is not None:
            self.fast.log.begin()

    def burst_ends(self) -> None:
        held, self._held_replies = self._held_replies, None
        if held is not None:
            assert isinstance(self.leases, LeaseStore)
            try:
                self.leases.write_held()
            except sqlite3.Error as exc:  # nothing was promised: the clients ask again
                self.stats["errors"] += 1
                if self.fast is not None:
                    self.fast.log.flush()  # the decisions' lines first
                log.error("lease database write failed, %d replies not sent: %s", len(held), exc)
                held = []
            for endpoint, data, destination, kind in held:
                self._transmit(endpoint, data, destination, kind)
        if self.fast is not None:
            self.fast.log.end()

    def received(self, data: bytes, source: tuple[str, int], endpoint: _Endpoint) -> None:
        self.stats["received"] += 1
        fast = self.fast
        if fast is not None:
            try:
                if not endpoint.boot_port and fast.answer(data, endpoint):
                    return
            except Exception:  # as below: a bug costs one answer
                self.stats["errors"] += 1
                fast.log.flush()
                log.exception("internal error answering %d bytes from %s", len(data), source[0])
                return
            fast.log.flush()  # the full path logs directly: the lines held so far go first
        try:
            request = c.decode(data)
        except c.DhcpDecodeError as exc:
            self.stats["malformed"] += 1
            log.debug("ignored %d bytes from %s:%d: %s", len(data), source[0], source[1], exc)
            return
        try:
            answer = self.answer(request, source, endpoint.boot_port)
            if answer is not None:
                self._send(endpoint, *answer, max_size=request.max_size)
        except Exception:  # a bug must cost one answer, never the server
            self.stats["errors"] += 1
            log.exception("internal error answering %s from %s", request.message_name, request.mac)

    def answer(
        self, request: c.DhcpPacket, source: tuple[str, int], boot_port: bool
    ) -> tuple[c.DhcpPacket, Destination, int] | None:
        """The reply to one request and where it goes, or None (every outcome is logged)."""
        if request.op != c.BOOTREQUEST or request.message_type is None or not any(request.chaddr):
            self.stats["ignored"] += 1
            log.debug(
                "ignored %s from %s: not a DHCP request with a hardware address",
                request.message_name,
                request.mac,
            )
            return None
        if boot_port:
            return self._boot_server(request, source)
        if self.config.mode == "proxy":
            return self._proxy(request)
        return self._full(request)

    # --- proxy mode and the boot-server port --------------------------------------------------------------

    def _ask_policy(self, client: Client) -> BootOffer | None:
        return self.policy.boot_offer(client) if may_boot(client) else None

    def _proxy(self, request: c.DhcpPacket) -> tuple[c.DhcpPacket, Destination, int] | None:
        client = client_from_packet(request)
        who = describe(client)
        kind = request.message_type
        if not is_boot_client(request):
            log.info(
                "%s from %s (proxy): silent: not a PXE client (no option 60 PXEClient)",
                request.message_name,
                who,
            )
            return None
        if kind == c.REQUEST and (request.server_id != self.config.server_address or request.requested_ip):
            # A REQUEST naming an address belongs to the DHCP server (which may share our address when it
            # runs on this host); PXE clients ask the proxy on port 4011.
            log.info("REQUEST from %s (proxy): silent: it asks the DHCP server for an address", who)
            return None
        if kind not in (c.DISCOVER, c.REQUEST):
            log.debug(
                "%s from %s (proxy): silent: proxy mode answers DISCOVER and REQUEST",
                request.message_name,
                who,
            )
            return None
        boot = self.policy.boot_offer(client)
        if boot is None:
            log.info(
                "%s from %s (proxy): silent: the policy has no boot file for it", request.message_name, who
            )
            return None
        reply_type = c.OFFER if kind == c.DISCOVER else c.ACK
        reply = replies.proxy_reply(request, reply_type, boot, self.config)
        log.info(
            "%s from %s (proxy): %s boot file %s from %s, no address: %s",
            request.message_name,
            who,
            c.MESSAGE_NAMES[reply_type],
            boot.boot_file,
            reply.siaddr,
            boot.reason,
        )
        return reply, self._destination(request, reply), reply_type

    def _boot_server(
        self, request: c.DhcpPacket, source: tuple[str, int]
    ) -> tuple[c.DhcpPacket, Destination, int] | None:
        """Port 4011: PXE clients (EDK2, iPXE) ask the proxy here for the boot file; answer the sender."""
        client = client_from_packet(request)
        who = describe(client)
        if not is_boot_client(request):
            log.info("%s on port %s from %s: silent: not a PXE client", request.message_name, source[1], who)
            return None
        if request.message_type not in (c.REQUEST, c.INFORM):
            log.debug("%s on the boot-server port from %s: silent", request.message_name, who)
            return None
        boot = self.policy.boot_offer(client)
        if boot is None:
            log.info(
                "%s on port 4011 from %s: silent: the policy has no boot file for it",
                request.message_name,
                who,
            )
            return None
        reply = replies.proxy_reply(request, c.ACK, boot, self.config)
        log.info(
            "%s on the boot-server port from %s (%s): ACK boot file %s from %s to %s:%d: %s",
            request.message_name,
            who,
            self.config.mode,
            boot.boot_file,
            reply.siaddr,
            source[0],
            source[1],
            boot.reason,
        )
        return (
            reply,
            Destination(source[0], source[1], why="boot-server reply to the request's source"),
            c.ACK,
        )

    # --- full mode ------------------------------------------------------------------------------------------

    def _full(self, request: c.DhcpPacket) -> tuple[c.DhcpPacket, Destination, int] | None:
        leases = self.leases
        assert leases is not None
        client = client_from_packet(request)
        who = describe(client)
        if request.giaddr != "0.0.0.0" and not replies.in_subnet(request.giaddr, self.config.pool_network):
            log.info(
                "%s from %s via relay %s: silent: no range for that subnet (range is %s)",
                request.message_name,
                who,
                request.giaddr,
                self.config.pool_network,
            )
            return None
        handler = self._full_handlers.get(request.message_type or 0)
        if handler is None:
            log.debug("%s from %s: silent: not a client message", request.message_name, who)
            return None
        return handler(request, leases, client, who)

    def _discover(
        self, request: c.DhcpPacket, leases: Leases, client: Client, who: str
    ) -> tuple[c.DhcpPacket, Destination, int] | None:
        address, why = self.offer_address(leases, client.mac, request.requested_ip)
        if address is None:
            log.warning("DISCOVER from %s (full): no offer: %s", who, why)
            return None
        return self._grant(request, c.OFFER, address, client, who, why)

    def offer_address(self, leases: Leases, mac: str, requested: str | None) -> tuple[str | None, str]:
        """The DISCOVER decision (both paths): the address set aside for `mac` and why, or None and why not."""
        try:
            offer = leases.offer(mac, requested)
        except StateUnavailable as exc:  # the client retries; nothing is promised that could be lost
            self.stats["state_unavailable"] += 1
            return None, f"lease database unavailable: {exc}"
        if offer is None:
            reserved = mac in leases.reservations
            return None, "its reserved address is taken" if reserved else "the address range is exhausted"
        return offer.ip, offer.why

    def _grant(
        self, request: c.DhcpPacket, kind: int, address: str, client: Client, who: str, why: str
    ) -> tuple[c.DhcpPacket, Destination, int]:
        client = _with_ip(client, address)
        boot = self._ask_policy(client)
        reply = replies.lease_reply(request, kind, address, boot, self.config)
        boot_text = f"boot file {boot.boot_file} ({boot.reason})" if boot else "no boot file"
        log.info(
            "%s from %s (full): %s %s (%s), %s",
            request.message_name,
            who,
            c.MESSAGE_NAMES[kind],
            address,
            why,
            boot_text,
        )
        return reply, self._destination(request, reply), kind

    def _refuse(self, request: c.DhcpPacket, who: str, why: str) -> tuple[c.DhcpPacket, Destination, int]:
        log.info("%s from %s (full): NAK: %s", request.message_name, who, why)
        reply = replies.nak(request, why, self.config)
        return reply, self._destination(request, reply), c.NAK

    def _request(
        self, request: c.DhcpPacket, leases: Leases, client: Client, who: str
    ) -> tuple[c.DhcpPacket, Destination, int] | None:
        ciaddr = request.ciaddr if request.ciaddr != "0.0.0.0" else None
        outcome, why, address = self.request_decision(
            leases, client.mac, request.server_id, request.requested_ip, ciaddr, client.hostname
        )
        if outcome == "ack":
            assert address is not None
            return self._grant(request, c.ACK, address, client, who, why)
        if outcome == "nak":
            return self._refuse(request, who, why)
        log.info("REQUEST from %s (full): silent: %s", who, why)
        return None

    def request_decision(
        self,
        leases: Leases,
        mac: str,
        server_id: str | None,
        requested: str | None,
        ciaddr: str | None,
        hostname: str | None,
    ) -> tuple[str, str, str | None]:
        """The REQUEST decision (both paths): ("ack", why, address) with the lease bound, ("nak", why, None)
        or ("silent", why, None)."""
        try:
            return self._request_decision(leases, mac, server_id, requested, ciaddr, hostname)
        except StateUnavailable as exc:  # silence: the client retries, and keeps its lease meanwhile
            self.stats["state_unavailable"] += 1
            return "silent", f"lease database unavailable: {exc}", None

    def _request_decision(
        self,
        leases: Leases,
        mac: str,
        server_id: str | None,
        requested: str | None,
        ciaddr: str | None,
        hostname: str | None,
    ) -> tuple[str, str, str | None]:
        if server_id is not None and server_id != self.config.server_address:
            leases.withdraw_offer(mac, requested)
            return "silent", f"the client chose server {server_id}", None
        address = requested or ciaddr
        if address is None:
            return "silent", "it names no address (no option 50, no ciaddr)", None
        state = "selecting" if server_id else ("renewing" if ciaddr and not requested else "init-reboot")
        network = self.config.pool_network
        if not replies.in_subnet(address, network):
            return "nak", f"{address} is not on this network ({network})", None
        bound = leases.bind(address, mac, self.config.lease_time, hostname, renewing=state == "renewing")
        if isinstance(bound, str):
            return "nak", bound, None
        return "ack", f"lease bound ({state})", address

    def _decline(
        self, request: c.DhcpPacket, leases: Leases, client: Client, who: str
    ) -> tuple[c.DhcpPacket, Destination, int] | None:
        address = request.requested_ip
        if request.server_id != self.config.server_address or address is None:
            log.info("DECLINE from %s (full): ignored: not for this server or no address named", who)
            return None
        try:
            declined = leases.decline(address, client.mac, self.config.decline_hold)
        except StateUnavailable as exc:
            log.error("DECLINE from %s (full): not recorded: lease database unavailable: %s", who, exc)
            return None
        if not declined:
            log.info("DECLINE from %s (full): ignored: %s was not given to it", who, address)
            return None
        log.warning(
            "DECLINE from %s (full): %s is in use on the wire: withheld for %ds",
            who,
            address,
            self.config.decline_hold,
        )
        return None

    def _release(
        self, request: c.DhcpPacket, leases: Leases, client: Client, who: str
    ) -> tuple[c.DhcpPacket, Destination, int] | None:
        try:
            released = leases.release(request.ciaddr, client.mac)
        except StateUnavailable as exc:  # the lease simply runs out
            log.error("RELEASE from %s (full): not recorded: lease database unavailable: %s", who, exc)
            return None
        if released:
            log.info(
                "RELEASE from %s (full): %s released (kept for it if it comes back)", who, request.ciaddr
            )
        else:
            log.info("RELEASE from %s (full): ignored: %s is not leased to it", who, request.ciaddr)
        return None

    def _inform(
        self, request: c.DhcpPacket, leases: Leases, client: Client, who: str
    ) -> tuple[c.DhcpPacket, Destination, int] | None:
        if request.ciaddr == "0.0.0.0":
            log.info("INFORM from %s (full): silent: no ciaddr", who)
            return None
        boot = self._ask_policy(client)
        reply = replies.inform_reply(request, boot, self.config)
        log.info(
            "INFORM from %s (full): ACK with options for %s, %s",
            who,
            request.ciaddr,
            f"boot file {boot.boot_file} ({boot.reason})" if boot else "no boot file",
        )
        return reply, self._destination(request, reply), c.ACK

    # --- sending ----------------------------------------------------------------------------------------

    def _destination(self, request: c.DhcpPacket, reply: c.DhcpPacket) -> Destination:
        return self.destination(
            request.giaddr,
            request.ciaddr,
            request.flags,
            reply.yiaddr,
            reply.message_type == c.NAK,
            request.htype == 1 and request.hlen == 6,
            request.chaddr[:6],
        )

    def destination(
        self, giaddr: str, ciaddr: str, flags: int, yiaddr: str, nak: bool, ethernet: bool, chaddr: bytes
    ) -> Destination:
        """RFC 2131 4.1: relay first, then ciaddr, then broadcast (asked for, or nothing to unicast to)."""
        if giaddr != "0.0.0.0":
            return Destination(giaddr, self.config.port, why="relay agent")
        if nak:
            return self._broadcast("NAK")
        if ciaddr != "0.0.0.0":
            return Destination(ciaddr, self.config.client_port, why="client's ciaddr")
        if flags & c.BROADCAST_FLAG or yiaddr == "0.0.0.0" or not self.config.interface:
            return self._broadcast("broadcast flag" if flags & c.BROADCAST_FLAG else "no address yet")
        if not ethernet:
            return self._broadcast("not ethernet")
        return Destination(yiaddr, self.config.client_port, arp_mac=chaddr, why="unicast")

    def _broadcast(self, why: str) -> Destination:
        destination = self._broadcasts.get(why)
        if destination is None:
            # Without an interface everything stays on loopback: nothing may leave this machine.
            target = BROADCAST if self.config.interface else LOOPBACK
            destination = Destination(target, self.config.client_port, why=f"broadcast ({why})")
            self._broadcasts[why] = destination  # a handful of fixed reasons
        return destination

    def _send(
        self, endpoint: _Endpoint, reply: c.DhcpPacket, destination: Destination, kind: int, max_size: int
    ) -> None:
        try:
            data = c.encode(reply, max_size)  # spills into file/sname (option 52) only if it must
        except ValueError as exc:
            log.error("cannot encode %s for %s: %s", c.MESSAGE_NAMES.get(kind), reply.mac, exc)
            return
        self.send_bytes(endpoint, data, destination, kind)

    def send_bytes(self, endpoint: _Endpoint, data: bytes, destination: Destination, kind: int) -> None:
        """Send a reply, or hold it until the burst's lease changes are committed (burst_ends): a client
        must never hold an address the database could forget."""
        held, store = self._held_replies, self.leases
        if held is not None and (held or (isinstance(store, LeaseStore) and store.writes_held)):
            held.append((endpoint, data, destination, kind))  # after a held one too: replies keep their order
            return
        self._transmit(endpoint, data, destination, kind)

    def _transmit(self, endpoint: _Endpoint, data: bytes, destination: Destination, kind: int) -> None:
        if destination.arp_mac is not None and not self._add_arp(destination.ip, destination.arp_mac):
            destination = self._broadcast("ARP entry could not be set")
        endpoint.sendto(data, (destination.ip, destination.port))
        self.stats[c.MESSAGE_NAMES.get(kind, "reply")] += 1
        if log.isEnabledFor(logging.DEBUG):
            log.debug(
                "sent %s to %s:%d (%s)",
                c.MESSAGE_NAMES.get(kind),
                destination.ip,
                destination.port,
                destination.why,
            )

    def _add_arp(self, ip: str, mac: bytes) -> bool:
        """Tell the kernel the client's MAC so a unicast reply reaches a client that has no address yet."""
        endpoint = self._endpoints[0] if self._endpoints else None
        if endpoint is None or not self.config.interface:
            return False
        sock = endpoint.sock
        protocol_address = struct.pack("=H2s4s8s", socket.AF_INET, b"", ipaddress.IPv4Address(ip).packed, b"")
        hardware_address = struct.pack("=H14s", 1, mac.ljust(14, b"\0"))  # ARPHRD_ETHER
        request = (
            protocol_address
            + hardware_address
            + struct.pack("=i", ATF_COM)
            + bytes(16)
            + self.config.interface.encode()[:15].ljust(16, b"\0")
        )
        try:
            fcntl.ioctl(sock.fileno(), SIOCSARP, request)
        except OSError as exc:
            log.debug("could not add ARP entry %s -> %s: %s", ip, mac.hex(":"), exc)
            return False
        return True


async def start_dhcp(config: DhcpConfig, policy: BootPolicy, leases: Leases | None = None) -> DhcpServer:
    """Open the DHCP ports for `config` and answer with `policy`; call `.close()` on the result to stop."""
    server = DhcpServer(config, policy, leases)
    await server.start()
    return server
