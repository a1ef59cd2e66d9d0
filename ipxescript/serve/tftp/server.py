"""An asyncio TFTP server for read requests (RFC 1350, 2347, 2348, 2349, 7440).

The listener answers each read request from a new socket on an ephemeral port (the server's transfer ID),
connected to the client, so the kernel keeps other hosts' packets away from the transfer. A transfer is
driven by callbacks on that socket instead of a coroutine: the hot path per ACK is one recv, a few integer
operations and the sends of the next window, with the blocks read straight into preallocated buffers.

The protocol holds no boot policy: for every path it first asks the policy (if any) for generated content,
and otherwise reads the file under ROOT.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass

from ..policy import BootPolicy, Client
from . import packets
from .files import BytesSource, FileAccessError, FileRoot, NetasciiSource, Source, normalise
from .options import Limits, negotiate

log = logging.getLogger("ipxescript.tftp")


@dataclass(frozen=True)
class TftpSettings:
    timeout: float = 1.0  # first retransmission timeout when the client negotiates none
    max_timeout: float = 8.0  # backoff doubles the timeout up to this
    retries: int = 5  # retransmissions of one packet before the transfer is given up
    max_transfers: int = 1000  # concurrent transfers; more requests are answered "server busy"
    limits: Limits = Limits()


ClientInfo = Callable[[str], Client | None]


def _is_tsize_only(oack: dict[str, str] | None) -> bool:
    return oack is not None and set(oack) == {"tsize"}


class Transfer:
    """One read transfer: a window of blocks in flight, sent again on timeout, moved on by ACKs."""

    def __init__(
        self,
        server: TftpServer,
        sock: socket.socket,
        peer: tuple[str, int],
        name: str,
        mode: str,
        source: Source,
        blksize: int,
        windowsize: int,
        timeout: float,
        oack: dict[str, str] | None,
    ):
        self.server, self.sock, self.peer, self.name, self.mode = server, sock, peer, name, mode
        self.source, self.blksize, self.windowsize, self.oack = source, blksize, windowsize, oack
        self.loop = asyncio.get_running_loop()
        self.fd = sock.fileno()
        # ring of block buffers: absolute block b lives in slot b % windowsize, header included
        self.slots = [bytearray(4 + blksize) for _ in range(windowsize)]
        self.views = [memoryview(slot) for slot in self.slots]
        self.lengths = [0] * windowsize
        self.recv_buffer = bytearray(2048)
        self.acked = -1 if oack else 0  # absolute number of the last block the client confirmed
        self.read_upto = 0  # highest absolute block read into a slot
        self.next_send = 0 if oack else 1  # next block of the current window to put on the wire
        self.last: int | None = None  # absolute number of the final (short) block, once read
        self.base_timeout = timeout
        self.current_timeout = timeout
        self.retries = 0
        self.deadline = 0.0
        self.timer: asyncio.TimerHandle | None = None
        self.sent_bytes = 0
        self.retransmitted = 0
        self.started = self.loop.time()
        self.done = self.loop.create_future()

    # ---- life cycle

    def start(self) -> None:
        self.loop.add_reader(self.fd, self._readable)
        self._send_current()
        self._arm()

    def _arm(self) -> None:
        self.deadline = self.loop.time() + self.current_timeout
        if self.timer is None:
            self.timer = self.loop.call_at(self.deadline, self._on_timer)

    def finish(self, outcome: str, ok: bool) -> None:
        if self.done.done():
            return
        self.loop.remove_reader(self.fd)
        self.loop.remove_writer(self.fd)
        if self.timer is not None:
            self.timer.cancel()
        self.sock.close()
        self.source.close()
        self.server._forget(self)
        elapsed = self.loop.time() - self.started
        rate = self.sent_bytes / elapsed / 1e6 if elapsed > 0 else 0.0
        level = logging.INFO if ok else logging.WARNING
        log.log(
            level,
            "RRQ %s:%d %r %s blksize=%d windowsize=%d: %s; %d bytes in %.3f s (%.1f MB/s), %d retransmitted",
            *self.peer,
            self.name,
            self.mode,
            self.blksize,
            self.windowsize,
            outcome,
            self.sent_bytes,
            elapsed,
            rate,
            self.retransmitted,
        )
        self.done.set_result(ok)

    # ---- sending

    def _send_current(self) -> None:
        """Send the OACK while it is unconfirmed, else the window from `next_send` on."""
        if self.acked < 0:
            self._send(packets.encode(packets.OptionAck(self.oack or {})))
            return
        self._send_window()

    def _send(self, data: bytes | memoryview) -> bool:
        try:
            self.sock.send(data)
            return True
        except BlockingIOError:
            self.loop.add_writer(self.fd, self._writable)
        except OSError as exc:  # ICMP port unreachable etc.: the client went away
            self.finish(f"client unreachable ({exc.strerror})", ok=False)
        return False

    def _send_window(self) -> None:
        end = self.acked + self.windowsize
        if self.last is not None and end > self.last:
            end = self.last
        block = self.next_send
        slots, lengths, views, size = self.slots, self.lengths, self.views, self.windowsize
        while block <= end:
            slot = block % size
            if block > self.read_upto:
                view = views[slot]
                length = self.source.readinto(view[4 : 4 + self.blksize])
                lengths[slot] = length
                buffer = slots[slot]
                buffer[1] = 3  # DATA
                buffer[2] = (block >> 8) & 0xFF
                buffer[3] = block & 0xFF
                self.read_upto = block
                self.sent_bytes += length
                if length < self.blksize:
                    self.last = end = block
            else:
                self.retransmitted += 1
            if not self._send(views[slot][: 4 + lengths[slot]]):
                self.next_send = block
                return
            block += 1
        self.next_send = block

    def _writable(self) -> None:
        self.loop.remove_writer(self.fd)
        self._send_window()

    # ---- receiving

    def _readable(self) -> None:
        buffer, sock = self.recv_buffer, self.sock
        while True:
            try:
                n = sock.recv_into(buffer)
            except BlockingIOError:
                return
            except OSError as exc:
                self.finish(f"client unreachable ({exc.strerror})", ok=False)
                return
            if n >= 4 and buffer[0] == 0 and buffer[1] == packets.OP_ACK:
                self._on_ack((buffer[2] << 8) | buffer[3])
            elif n >= 4 and buffer[0] == 0 and buffer[1] == packets.OP_ERROR:
                self._on_error(bytes(buffer[:n]))
            if self.done.done():
                return

    def _on_ack(self, number: int) -> None:
        acked = self.acked
        block = acked + ((number - acked) & 0xFFFF)  # the block number nearest above what is confirmed
        if block == acked or block > self.read_upto:
            return  # a duplicate or stale ACK: never answered, or windows multiply (sorcerer's apprentice)
        self.acked = block
        if block == self.last:
            self.finish("sent", ok=True)
            return
        self.next_send = block + 1
        self.retries = 0
        self.current_timeout = self.base_timeout
        self.deadline = self.loop.time() + self.base_timeout
        self._send_window()

    def _on_error(self, data: bytes) -> None:
        try:
            error = packets.decode(data)
        except packets.TftpPacketError:
            return
        assert isinstance(error, packets.Error)
        if self.acked < 0 and _is_tsize_only(self.oack):
            self.finish(
                f"size query answered, client ended it (error {error.code} {error.message!r})", ok=True
            )
        else:
            self.finish(f"client aborted with error {error.code} {error.message!r}", ok=False)

    def _on_timer(self) -> None:
        self.timer = None
        now = self.loop.time()
        if now < self.deadline:  # progress since the timer was set
            self.timer = self.loop.call_at(self.deadline, self._on_timer)
            return
        self.retries += 1
        if self.retries > self.server.settings.retries:
            waited = "OACK" if self.acked < 0 else f"block {self.acked + 1}"
            self.finish(f"timed out waiting for the ACK of {waited}", ok=False)
            return
        self.current_timeout = min(
            self.current_timeout * 2, max(self.server.settings.max_timeout, self.base_timeout)
        )
        self.next_send = self.acked + 1
        if self.acked < 0:
            self.retransmitted += 1
        self._send_current()
        if not self.done.done():
            self._arm()


class _Listener(asyncio.DatagramProtocol):
    def __init__(self, server: TftpServer):
        self.server = server

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:  # type: ignore[override]
        self.server._on_request(data, addr[:2])

    def error_received(self, exc: Exception) -> None:
        log.debug("listener socket error: %s", exc)


class TftpServer:
    """A running TFTP server; make one with `start_tftp`."""

    def __init__(
        self,
        root: str | os.PathLike[str],
        policy: BootPolicy | None = None,
        settings: TftpSettings | None = None,
        client_info: ClientInfo | None = None,
    ):
        self.files = FileRoot(root)
        self.policy = policy
        self.settings = settings or TftpSettings()
        self.client_info = client_info
        self.transfers: dict[tuple[str, int], Transfer] = {}
        self.transport: asyncio.DatagramTransport | None = None
        self.family = socket.AF_INET
        self.host = ""

    @property
    def address(self) -> tuple[str, int]:
        """The (host, port) the listener is bound to (the real port when started with port 0)."""
        assert self.transport is not None
        host, port = self.transport.get_extra_info("sockname")[:2]
        return host, port

    async def start(self, host: str, port: int) -> None:
        loop = asyncio.get_running_loop()
        self.family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.host = host
        transport, _ = await loop.create_datagram_endpoint(
            lambda: _Listener(self), local_addr=(host, port), family=self.family
        )
        self.transport = transport
        log.info("TFTP serving %s on %s:%d", self.files.root, *self.address)

    def close(self) -> None:
        """Stop listening and abort the transfers in progress."""
        if self.transport is not None:
            self.transport.close()
        for transfer in list(self.transfers.values()):
            transfer.finish("aborted: server closing", ok=False)

    async def wait_idle(self) -> None:
        """Wait until every transfer in progress has ended."""
        while self.transfers:
            await asyncio.gather(*(t.done for t in list(self.transfers.values())))

    def _forget(self, transfer: Transfer) -> None:
        if self.transfers.get(transfer.peer) is transfer:
            del self.transfers[transfer.peer]

    def _socket(self, peer: tuple[str, int]) -> socket.socket:
        sock = socket.socket(self.family, socket.SOCK_DGRAM)
        try:
            sock.setblocking(False)
            sock.bind((self.host, 0))
            sock.connect(peer)
        except BaseException:
            sock.close()
            raise
        return sock

    def _refuse(self, peer: tuple[str, int], code: int, message: str, why: str) -> None:
        """Answer a request with an ERROR from a fresh port, as RFC 1350 wants, and log why."""
        log.info("RRQ %s:%d refused: %s", *peer, why)
        try:
            with self._socket(peer) as sock:
                sock.send(packets.error_packet(code, message))
        except OSError as exc:
            log.debug("could not send the error to %s:%d: %s", *peer, exc)

    def _on_request(self, data: bytes, peer: tuple[str, int]) -> None:
        try:
            packet = packets.decode(data)
        except packets.TftpPacketError as exc:
            log.debug("ignored a malformed packet from %s:%d: %s", *peer, exc)
            return
        if isinstance(packet, packets.WriteRequest):
            self._refuse(
                peer,
                packets.ERR_ACCESS,
                "Access violation: this server is read-only",
                f"WRQ {packet.filename!r}",
            )
            return
        if not isinstance(packet, packets.ReadRequest):
            log.debug("ignored a %s from %s:%d on the listening port", type(packet).__name__, *peer)
            return
        if peer in self.transfers:
            return  # the client sent its request again; the transfer's own retransmission answers it
        try:
            self._start_transfer(packet, peer)
        except FileAccessError as exc:
            self._refuse(peer, exc.code, exc.message, f"{packet.filename!r}: {exc.message}")
        except Exception:  # a broken policy must not take the server down
            log.exception("RRQ %s:%d %r failed", *peer, packet.filename)
            self._refuse(peer, packets.ERR_UNDEFINED, "Internal server error", "internal error")

    def _client(self, ip: str) -> Client:
        found = self.client_info(ip) if self.client_info else None
        return found if found is not None else Client(mac="", ip=ip)

    def _open(self, request: packets.ReadRequest, peer: tuple[str, int]) -> Source:
        netascii = request.mode == "netascii"
        path = normalise(request.filename)
        if self.policy is not None:
            virtual = self.policy.tftp_file(path, self._client(peer[0]))
            if virtual is not None:
                log.info("RRQ %s:%d %r answered by the policy: %s", *peer, path, virtual.reason)
                inner = BytesSource(virtual.data)
                return NetasciiSource(inner) if netascii else inner
        return self.files.open(path, netascii=netascii)

    def _start_transfer(self, request: packets.ReadRequest, peer: tuple[str, int]) -> None:
        if request.mode not in ("octet", "netascii"):
            raise FileAccessError(packets.ERR_ILLEGAL_OP, f"Unsupported transfer mode {request.mode!r}")
        if len(self.transfers) >= self.settings.max_transfers:
            raise FileAccessError(packets.ERR_UNDEFINED, "Server busy, try again later")
        source = self._open(request, peer)
        try:
            agreed = negotiate(request.options, source.size, self.settings.limits)
            sock = self._socket(peer)
        except BaseException:
            source.close()
            raise
        transfer = Transfer(
            self,
            sock,
            peer,
            request.filename,
            request.mode,
            source,
            agreed.blksize,
            agreed.windowsize,
            agreed.timeout or self.settings.timeout,
            agreed.oack,
        )
        self.transfers[peer] = transfer
        log.debug(
            "RRQ %s:%d %r %s options %s -> %s", *peer, request.filename, request.mode, request.options, agreed
        )
        transfer.start()


async def start_tftp(
    root: str | os.PathLike[str],
    host: str = "127.0.0.1",
    port: int = 69,
    policy: BootPolicy | None = None,
    *,
    settings: TftpSettings | None = None,
    client_info: ClientInfo | None = None,
) -> TftpServer:
    """Serve ROOT by TFTP on host:port (port 0 picks a free one; see `TftpServer.address`)."""
    server = TftpServer(root, policy, settings, client_info)
    await server.start(host, port)
    return server
