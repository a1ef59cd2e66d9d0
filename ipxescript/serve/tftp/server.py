"""An asyncio TFTP server for read requests (RFC 1350, 2347, 2348, 2349, 7440).

The listener answers each read request from a new socket on an ephemeral port (the server's transfer
ID), connected to the client, so the kernel keeps other hosts' packets away from the transfer. Under
load the transfers run on the event loop (see `Transfer`), their sockets in one epoll set that the loop
watches: per ACK one read, a comparison of its four bytes and the write of the next block, each block an
existing memoryview (the packet cache's for small files, a ring of buffers for streamed ones).

The protocol holds no boot policy: for every path it first asks the policy (if any) for generated content,
and otherwise reads the file under ROOT.
"""

from __future__ import annotations

import asyncio
import logging
import os
import select
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from .. import metrics
from ..policy import BootPolicy, Client
from . import packets
from .cache import PacketCache
from .files import BytesSource, FileAccessError, FileRoot, FileSource, NetasciiSource, Source, normalise
from .options import Limits, negotiate

log = logging.getLogger("ipxescript.tftp")


@dataclass(frozen=True)
class TftpSettings:
    timeout: float = 1.0  # first retransmission timeout when the client negotiates none
    max_timeout: float = Limits.max_timeout  # backoff doubles the timeout up to this
    retries: int = 5  # retransmissions of one packet before the transfer is given up
    max_transfers: int = 256  # concurrent transfers; more requests are answered "server busy"
    max_per_client: int = 32  # concurrent transfers of one client address
    # Buffers of one transfer (blksize x (windowsize + 1)) stay under this: the window is made smaller
    # (RFC 7440 lets the server lower it), so 256 transfers hold at most 64 MiB however they ask.
    max_window_bytes: int = 256 * 1024
    # The longest a transfer may take, however the client paces its ACKs (one that answers just inside
    # every timeout would otherwise hold its transfer, and a slot of max_transfers, for ever): 100 MiB at
    # 512-byte blocks and 10 ms per round trip takes about 35 minutes.
    max_duration: float = 3600.0
    limits: Limits = Limits()


ClientInfo = Callable[[str], Client | None]

_read, _write, _from_bytes = os.read, os.write, int.from_bytes
ACK_OF_BLOCK = packets.OP_ACK << 16  # an ACK's 4 bytes as a big-endian number: this | block number

# While no more transfers than this run at once, a new one gets a thread of its own (see Transfer).
THREADED_UP_TO = 4
# A streamed file's ring holds this many packets (fewer for large blocks, see TftpSettings.max_window_bytes):
# the blocks after the window are read in one system call per ring, so most ACKs find their packet ready.
RING_BLOCKS = 64


def _asks_size(oack: dict[str, str] | None) -> bool:
    """Whether an OACK answers a size query: EDK2 sends tsize (with blksize and windowsize), reads the
    size from the OACK, ends that transfer with ERROR 8 and asks again for the file."""
    return oack is not None and "tsize" in oack


def _shown(name: str, limit: int = 120) -> str:
    """A requested name for the log: a refused request may name 64 KB, and each is logged."""
    return repr(name) if len(name) <= limit else f"{name[:limit]!r}... ({len(name)} characters)"


class _ReadError(Exception):
    """The content could not be read (an I/O error on the file); the client gets an ERROR."""


class Transfer:
    """One read transfer: a window of blocks in flight, sent again on timeout, moved on by ACKs.

    Per datagram: one `os.read` (a 4-byte ACK), and for the ACK a boot ROM sends hundreds of times per
    transfer (windowsize 1) one comparison and one `os.write` of the next block (`_readable` on the
    loop, `_answer_acks` in a thread), each block an existing memoryview (from the packet cache, or from a
    ring of buffers for a streamed file); anything else goes through `_datagram`. (`os.read`/`os.write` on the socket's descriptor: the socket
    methods parse their arguments the slow way, which at 715 ACKs per megabyte shows.)

    Where that runs depends on how many transfers there are. Under load (more than THREADED_UP_TO transfers
    at once) on the event loop: the non-blocking sockets are in one epoll set (`TftpServer._ready`), so a
    burst of ACKs is one wake-up of the loop and one pass over the sockets that have one, and one timer
    per transfer is re-armed only when it fires (an ACK just moves the deadline). A thread per transfer
    would there cost more in thread switches and GIL hand-offs than the transfers themselves. With few
    transfers, in a thread of its own on a blocking socket: one read and one write per block and no
    `epoll` wait in between, which at windowsize 1 is what bounds a lone transfer's rate.
    """

    def __init__(
        self,
        server: TftpServer,
        sock: socket.socket,
        peer: tuple[str, int],
        request: packets.ReadRequest,
        source: Source,
        blksize: int,
        windowsize: int,
        timeout: float,
        oack: dict[str, str] | None,
    ):
        self.server, self.sock, self.peer, self.request = server, sock, peer, request
        self.name, self.mode = request.filename, request.mode
        self.source, self.blksize, self.windowsize, self.oack = source, blksize, windowsize, oack
        self.loop = asyncio.get_running_loop()
        self.settings = server.settings
        self.fd = sock.fileno()
        self.prebuilt: list[memoryview] | None = None  # every DATA packet, from the packet cache
        # block b in slot b % ring: the window, and as many blocks after it as the bound on buffers allows
        fits = self.settings.max_window_bytes // (blksize + 4)
        self.ring = max(windowsize + 1, min(RING_BLOCKS, fits))
        self.slots: list[bytearray] = []
        self.views: list[memoryview] = []
        self.payloads: list[memoryview] = []
        self.packets: list[memoryview] = []  # what to send of each slot: all of it, the last block's part
        self.acked = -1 if oack else 0  # absolute number of the last block the client confirmed
        self.first_acked = self.acked
        self.finished = False
        self.read_upto = 0  # highest absolute block read into a slot
        self.sent_upto = 0  # highest absolute block sent
        self.last: int | None = None  # absolute number of the final (short) block, once known
        self.last_length = 0
        self.base_timeout = self.timeout = timeout
        self.retries = 0
        self.resend_from = 0 if self.acked < 0 else 1
        self.retransmitted = 0
        self.threaded = False  # in a thread of its own (else on the event loop)
        self.clock = self.loop.time  # the loop's clock; time.monotonic in a thread
        self.started = self.deadline = self.clock()
        self.give_up_at = self.started + self.settings.max_duration
        self.timer: asyncio.TimerHandle | None = None
        self.reading = False  # the socket is watched by the loop
        self.aborted = ""  # why the loop asked a threaded transfer to stop
        self.done = self.loop.create_future()

    def _use_packets(self, prebuilt: list[memoryview] | None) -> None:
        """Send from the cache's packets when there are some, else from a ring of buffers (header
        included) filled from the source: block b in slot b % ring, more slots than the window, so the
        blocks after it are read ahead (`_read_more`) while the client is busy with the window."""
        if prebuilt is not None:
            self.prebuilt = prebuilt
            self.last = len(prebuilt) - 1
            self.last_length = len(prebuilt[-1]) - 4
            self.read_upto = self.last
            return
        self.slots = [bytearray(4 + self.blksize) for _ in range(self.ring)]
        for slot in self.slots:
            slot[1] = packets.OP_DATA
        self.views = [memoryview(slot) for slot in self.slots]
        self.payloads = [view[4:] for view in self.views]
        self.packets = list(self.views)

    # ---- life cycle

    def start(self, prebuilt: list[memoryview] | OSError | None = None, threaded: bool = False) -> None:
        """Send the first packet; `prebuilt`: the packets from the cache, or the error reading them."""
        if isinstance(prebuilt, OSError):
            self._send_error(packets.ERR_UNDEFINED, "Read error on the server")
            return self._finish(f"reading the file failed ({prebuilt.strerror or prebuilt})", False)
        self._use_packets(prebuilt)
        if threaded:
            self.threaded, self.clock = True, time.monotonic
            self.started = self.deadline = self.clock()
            self.give_up_at = self.started + self.settings.max_duration
            self.sock.setblocking(True)
            threading.Thread(
                target=self._run, name=f"tftp {self.peer[0]}:{self.peer[1]}", daemon=True
            ).start()
            return
        self.server._watch(self)
        self.reading = True
        self._transmit(self.started)
        if not self.finished:
            self.timer = self.loop.call_at(min(self.deadline, self.give_up_at), self._tick)

    def is_repeat(self, request: packets.ReadRequest) -> bool:
        """Whether a request from this client's port is its first RRQ sent again (ours went unanswered).

        A client that answered us (an ACK or ERROR waiting in our socket, or already handled) and asks
        again is making a new request: EDK2 asks for the size, then for the file, from one port.
        """
        if self.finished or self.acked != self.first_acked or request != self.request:
            return False
        try:
            self.sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT)
        except BlockingIOError:
            return True  # nothing from the client since our first packet
        except OSError:
            return False
        return False

    def abort(self, reason: str) -> None:
        if not self.threaded:
            return self._finish(f"aborted: {reason}", False)
        self.aborted = reason  # the thread sees it when shutting the socket down wakes its recv
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _finish(self, outcome: str, ok: bool) -> None:
        if self.finished:
            return
        self.finished = True
        if self.timer is not None:
            self.timer.cancel()
        if self.reading:
            self.server._unwatch(self)
        self.sock.close()
        self.source.close()
        elapsed = self.clock() - self.started
        confirmed = self._confirmed_bytes()
        level = logging.INFO if ok else logging.WARNING
        if log.isEnabledFor(level):
            rate = confirmed / elapsed / 1e6 if elapsed > 0 else 0.0
            log.log(
                level,
                "RRQ %s:%d %r %s blksize=%d windowsize=%d: %s; %d bytes in %.3f s (%.1f MB/s), %d retransmitted",
                *self.peer,
                self.name,
                self.mode,
                self.blksize,
                self.windowsize,
                outcome,
                confirmed,
                elapsed,
                rate,
                self.retransmitted,
            )
        if not self.threaded:
            return self._ended(ok, confirmed)
        try:
            self.loop.call_soon_threadsafe(self._ended, ok, confirmed)
        except RuntimeError:  # the event loop is already closed
            pass

    def _ended(self, ok: bool, confirmed: int) -> None:
        """The end, on the event loop (which holds all server state)."""
        metrics.inc("tftp_transfers_total", outcome="sent" if ok else "failed")
        metrics.inc("tftp_bytes_total", confirmed)
        self.server._forget(self)
        if not self.done.done():
            self.done.set_result(ok)

    def _confirmed_bytes(self) -> int:
        """Bytes the client acknowledged: every block but the last is full."""
        if self.acked <= 0:
            return 0
        if self.acked == self.last:
            return (self.acked - 1) * self.blksize + self.last_length
        return self.acked * self.blksize

    # ---- the exchange: on the event loop (_readable, _tick) or in a thread (_run)

    def _readable(self) -> None:
        """One datagram, on the event loop (`TftpServer._ready`). What a boot ROM sends hundreds of times
        per transfer is answered here in one step, without a call: the ACK of the block last sent, when
        that is the one block in flight (windowsize 1, no backoff), the next block is at hand (a cached
        packet, or the ring's slot read ahead) and the acknowledged one is not the last: the next block is
        sent (and the ones after it read when the ring runs out). Anything else, that case too, goes
        step by step through `_datagram`. (`_answer_acks` is the same step for a transfer in its thread.)"""
        fd = self.fd
        try:
            data = _read(fd, 2048)
        except BlockingIOError:
            return
        except OSError as exc:  # ICMP port unreachable: the client went away
            return self._finish(f"client unreachable ({exc.strerror})", False)
        block = self.sent_upto
        if (
            len(data) != 4
            or _from_bytes(data, "big") != ACK_OF_BLOCK | (block & 0xFFFF)
            or self.acked != block - 1
            or self.windowsize != 1
            or self.retries
        ):
            return self._datagram(data)
        following = block + 1
        prebuilt = self.prebuilt
        if prebuilt is not None:
            if following >= len(prebuilt):
                return self._datagram(data)
            packet = prebuilt[following]
        else:
            if following > self.read_upto:  # not read yet, or the acknowledged block was the last
                return self._datagram(data)
            packet = self.packets[following % self.ring]
        now = self.clock()
        if now >= self.give_up_at:
            return self._datagram(data)
        self.acked = block
        self.sent_upto = self.resend_from = following
        try:
            _write(fd, packet)
            if prebuilt is None and self.read_upto == following and self.last is None:
                self._read_more()  # into the slots of the acknowledged blocks
        except _ReadError as exc:
            self._send_error(packets.ERR_UNDEFINED, "Read error on the server")
            return self._finish(f"reading the file failed ({exc})", False)
        except BlockingIOError:
            pass  # sent again on timeout
        except OSError as exc:
            return self._finish(f"client unreachable ({exc.strerror})", False)
        self.deadline = now + self.timeout

    def _run(self) -> None:
        fd, clock = self.fd, self.clock
        try:
            self._set_timeout(self.timeout)
            self._transmit(self.started)
            while not self.finished:
                try:
                    data: bytes | None = self._answer_acks() if self.windowsize == 1 else _read(fd, 2048)
                except BlockingIOError:
                    data = None  # SO_RCVTIMEO expired
                except OSError as exc:
                    self._finish(f"client unreachable ({exc.strerror})", False)
                    break
                if self.aborted:
                    self._finish(f"aborted: {self.aborted}", False)
                    break
                if self.finished:  # _answer_acks ended it (a read or send error)
                    break
                timeout = self.timeout
                if data is not None:
                    self._datagram(data)
                if not self.finished and clock() >= min(self.deadline, self.give_up_at):
                    self._expire(clock())
                if self.timeout != timeout and not self.finished:
                    self._set_timeout(self.timeout)
        except Exception as exc:  # a bug here must end this transfer only
            log.exception("RRQ %s:%d %r failed", *self.peer, self.name)
            self._finish(f"internal error ({exc})", False)
        finally:
            self.sock.close()

    def _answer_acks(self) -> bytes:
        """A lone transfer at windowsize 1 (a boot ROM's), in its thread: read datagrams and answer each ACK
        of the block last sent with the next block, in a loop over local variables, until a datagram
        that is anything else or a step that needs the general code (the last block, a ring to refill
        past the file's end, a retry, the time limit): that datagram is returned, read but not handled.

        This is `_readable`'s step without its attribute look-ups per ACK: at windowsize 1
        the rate is one block per round trip, and this code is on the round trip's path. A shutdown of
        the socket (`abort`) wakes the read."""
        fd, clock, give_up_at, timeout = self.fd, self.clock, self.give_up_at, self.timeout
        block = self.sent_upto
        if self.retries or self.acked != block - 1:
            return _read(fd, 2048)
        prebuilt = self.prebuilt
        packets_, ring = self.packets, self.ring
        ready = len(prebuilt) - 1 if prebuilt is not None else self.read_upto  # packets at hand up to it
        streamed = prebuilt is None and self.last is None  # slots to refill as blocks are acknowledged
        first, sent_at = block, 0.0
        try:
            while True:
                data = _read(fd, 2048)
                if (
                    self.aborted
                    or len(data) != 4
                    or _from_bytes(data, "big") != ACK_OF_BLOCK | (block & 0xFFFF)
                ):
                    return data
                following = block + 1
                if following > ready:
                    return data
                now = clock()
                if now >= give_up_at:
                    return data
                block, sent_at = following, now
                try:
                    _write(fd, prebuilt[block] if prebuilt is not None else packets_[block % ring])
                except BlockingIOError:
                    pass  # sent again on timeout
                except OSError as exc:
                    self.acked, self.sent_upto = block - 1, block
                    self._finish(f"client unreachable ({exc.strerror})", False)
                    return b""
                if streamed and block == ready:  # read the blocks after it into the acknowledged slots
                    self.acked, self.sent_upto = block - 1, block
                    try:
                        self._read_more()
                    except _ReadError as exc:
                        self._send_error(packets.ERR_UNDEFINED, "Read error on the server")
                        self._finish(f"reading the file failed ({exc})", False)
                        return b""
                    ready, streamed = self.read_upto, self.last is None
        finally:
            if block != first:
                self.acked, self.sent_upto, self.resend_from = block - 1, block, block
                self.deadline = sent_at + timeout

    def _set_timeout(self, seconds: float) -> None:
        # SO_RCVTIMEO rather than socket.settimeout: one recv system call per ACK, not poll + recv
        whole = int(seconds)
        self.sock.setsockopt(
            socket.SOL_SOCKET, socket.SO_RCVTIMEO, struct.pack("ll", whole, int((seconds - whole) * 1e6))
        )

    def _datagram(self, data: bytes) -> None:
        """One datagram from the client: an ACK that moves the window on is answered at once."""
        if len(data) < 4 or data[0] != 0:
            return
        if data[1] == packets.OP_ACK:
            acked = self.acked
            # the block number nearest above what is confirmed (numbers roll over at 65536)
            block = acked + ((((data[2] << 8) | data[3]) - acked) & 0xFFFF)
            # Duplicate and stale ACKs are never answered: answering them would multiply the packets in
            # flight (the sorcerer's apprentice); only the timeout sends again.
            if acked < block <= self.sent_upto:
                self.acked = block
                if block == self.last:
                    return self._finish("sent", True)
                now = self.clock()
                if now >= self.give_up_at:
                    return self._too_long()
                self.resend_from = block + 1
                if self.retries:  # the timeout was backed off: back to the first one, timer re-armed
                    self.retries, self.timeout = 0, self.base_timeout
                    self._transmit(now)
                    if self.timer is not None:
                        self.timer.cancel()
                        self.timer = None
                    if not self.finished and not self.threaded:
                        self.timer = self.loop.call_at(self.deadline, self._tick)
                    return
                self._transmit(now)
        elif data[1] == packets.OP_ERROR:
            return self._finish(*self._client_error(data))

    def _tick(self) -> None:
        """The timer: retransmit if the deadline passed without progress, else sleep until it."""
        self.timer = None
        if self.finished:
            return
        self._expire(self.clock())
        if not self.finished:
            self.timer = self.loop.call_at(min(self.deadline, self.give_up_at), self._tick)

    def _expire(self, now: float) -> None:
        """The time limit, or the deadline passed without progress: retransmit, or give up."""
        if now >= self.give_up_at:
            return self._too_long()
        if now >= self.deadline:
            self.retries += 1
            if self.acked < 0 and _asks_size(self.oack) and self.retries > 1:
                # a size query the client did not follow up; it will send a new RRQ for the file
                return self._finish("size query answered, client did not go on", True)
            if self.retries > self.settings.retries:
                waited = "OACK" if self.acked < 0 else f"block {self.acked + 1}"
                return self._finish(f"timed out waiting for the ACK of {waited}", False)
            self.timeout = min(self.timeout * 2, max(self.settings.max_timeout, self.base_timeout))
            self.resend_from = self.acked + 1
            self.retransmitted += 1 if self.acked < 0 else self.sent_upto - self.acked
            self._transmit(now)

    def _too_long(self) -> None:
        limit = self.settings.max_duration
        self._send_error(packets.ERR_UNDEFINED, "Transfer took too long")
        self._finish(f"stopped after {limit:g} s, the longest a transfer may take", False)

    def _transmit(self, now: float) -> None:
        """(Re)send the OACK, or the window from resend_from; the deadline for the answer."""
        try:
            if self.acked < 0:
                self.sock.send(packets.encode(packets.OptionAck(self.oack or {})))
            else:
                self._send_window(self.resend_from)
            if self.prebuilt is None:
                self._read_ahead()
        except _ReadError as exc:
            self._send_error(packets.ERR_UNDEFINED, "Read error on the server")
            return self._finish(f"reading the file failed ({exc})", False)
        except BlockingIOError:
            pass  # the socket buffer is full: what did not go out is sent again on timeout
        except OSError as exc:  # ICMP port unreachable: the client went away
            return self._finish(f"client unreachable ({exc.strerror})", False)
        self.deadline = now + self.timeout

    def _send_window(self, block: int) -> None:
        """Send from `block` to the end of the window (or of the file)."""
        end = self.acked + self.windowsize
        send, prebuilt = self.sock.send, self.prebuilt
        while block <= end:
            packet = prebuilt[block] if prebuilt is not None else self._ring_packet(block)
            if block > self.sent_upto:
                self.sent_upto = block
            send(packet)
            if block == self.last:
                break
            block += 1

    def _ring_packet(self, block: int) -> memoryview:
        if block > self.read_upto:
            self._read_more()
        return self.packets[block % self.ring]

    def _read_more(self) -> None:
        """Read the blocks after read_upto into every free slot (those of acknowledged blocks; the
        unacknowledged ones stay for retransmission), in one system call for a file."""
        first, ring, blksize = self.read_upto + 1, self.ring, self.blksize
        count = self.acked + ring - self.read_upto
        slots = [(first + i) % ring for i in range(count)]
        payloads = self.payloads
        try:
            got = self.source.readinto_each([payloads[slot] for slot in slots])
        except OSError as exc:
            raise _ReadError(exc.strerror or str(exc)) from exc
        full, rest = divmod(got, blksize)
        if full < count:  # the end: block first + full is the last one, `rest` bytes (maybe none)
            del slots[full + 1 :]
            self.last, self.last_length = first + full, rest
        headers, views, to_send = self.slots, self.views, self.packets
        block = first
        for slot in slots:
            header = headers[slot]
            header[2] = (block >> 8) & 0xFF
            header[3] = block & 0xFF
            to_send[slot] = views[slot]
            block += 1
        self.read_upto = block - 1
        if self.last == self.read_upto:
            to_send[slots[-1]] = views[slots[-1]][: 4 + rest]

    def _read_ahead(self) -> None:
        """Read the blocks after the window now, so that the next ACKs are answered without a read."""
        if self.last is None and self.read_upto <= self.acked + self.windowsize:
            self._read_more()

    def _send_error(self, code: int, message: str) -> None:
        try:
            self.sock.send(packets.error_packet(code, message))
        except OSError:
            pass

    def _client_error(self, data: bytes) -> tuple[str, bool]:
        try:
            error = packets.decode(data)
        except packets.TftpPacketError:
            error = packets.Error(0, "(malformed error packet)")
        assert isinstance(error, packets.Error)
        if self.acked < 0 and _asks_size(self.oack):
            return f"size query answered, client ended it (error {error.code} {error.message!r})", True
        return f"client aborted with error {error.code} {error.message!r}", False


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
        is_private: Callable[[str], bool] | None = None,
    ):
        self.files = FileRoot(root, is_private)
        self.policy = policy
        self.settings = settings or TftpSettings()
        self.client_info = client_info
        self.transfers: dict[tuple[str, int], Transfer] = {}
        self.cache = PacketCache()
        self.per_client: dict[str, int] = {}
        self.transport: asyncio.DatagramTransport | None = None
        self.family = socket.AF_INET
        self.host = ""
        self._epoll: select.epoll | None = None
        self._epoll_loop: asyncio.AbstractEventLoop | None = None
        self._watched: dict[int, Callable[[], None]] = {}  # transfer sockets in _epoll: their _readable

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
        sock = socket.socket(self.family, socket.SOCK_DGRAM)
        try:  # bound here, so a bind error is the system's own on any event loop
            sock.bind((host, port))
            sock.setblocking(False)
            transport, _ = await loop.create_datagram_endpoint(lambda: _Listener(self), sock=sock)
        except BaseException:
            sock.close()
            raise
        self.transport = transport
        log.info("TFTP serving %s on %s:%d", self.files.root, *self.address)

    def close(self) -> None:
        """Stop listening and abort the transfers in progress."""
        if self.transport is not None:
            self.transport.close()
        for transfer in list(self.transfers.values()):
            transfer.abort("server closing")
        if self._epoll is not None:  # every transfer on the loop has ended (threaded ones never use it)
            if self._epoll_loop is not None and not self._epoll_loop.is_closed():
                self._epoll_loop.remove_reader(self._epoll.fileno())
            self._epoll.close()
            self._epoll = None

    async def wait_idle(self) -> None:
        """Wait until every transfer in progress has ended."""
        while self.transfers:
            await asyncio.gather(*(t.done for t in list(self.transfers.values())))

    def _watch(self, transfer: Transfer) -> None:
        """Have the event loop call `transfer._readable` for each datagram that reaches its socket."""
        if not hasattr(select, "epoll"):
            transfer.loop.add_reader(transfer.fd, transfer._readable)
            return
        if self._epoll is None:
            self._epoll, self._epoll_loop = select.epoll(), transfer.loop
            transfer.loop.add_reader(self._epoll.fileno(), self._ready)
        self._epoll.register(transfer.fd, select.EPOLLIN)
        self._watched[transfer.fd] = transfer._readable

    def _unwatch(self, transfer: Transfer) -> None:
        if self._watched.pop(transfer.fd, None) is not None:
            assert self._epoll is not None
            self._epoll.unregister(transfer.fd)
        elif not hasattr(select, "epoll"):
            transfer.loop.remove_reader(transfer.fd)

    def _ready(self) -> None:
        """Every transfer socket with a datagram waiting, in one pass: the loop watches one descriptor (this
        epoll set) for all of them, so a burst of ACKs costs one wake-up and one callback from the loop,
        not one per transfer."""
        assert self._epoll is not None
        watched = self._watched
        for fd, _ in self._epoll.poll(0):
            readable = watched.get(fd)
            if readable is not None:  # else ended by an earlier datagram of this pass
                readable()

    def _forget(self, transfer: Transfer) -> None:
        if self.transfers.get(transfer.peer) is transfer:
            del self.transfers[transfer.peer]
            metrics.set_gauge("tftp_transfers_active", len(self.transfers))
        host = transfer.peer[0]  # every transfer ends here exactly once, replaced by a new request or not
        left = self.per_client.get(host, 1) - 1
        if left > 0:
            self.per_client[host] = left
        else:
            self.per_client.pop(host, None)

    def _socket(self, peer: tuple[str, int], blocking: bool = False) -> socket.socket:
        sock = socket.socket(self.family, socket.SOCK_DGRAM)
        try:
            sock.setblocking(blocking)
            sock.bind((self.host, 0))
            sock.connect(peer)
        except BaseException:
            sock.close()
            raise
        return sock

    def _refuse(self, peer: tuple[str, int], code: int, message: str, why: str) -> None:
        """Answer a request with an ERROR from a fresh port, as RFC 1350 wants, and log why."""
        metrics.inc("tftp_requests_total", outcome="refused")
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
                f"WRQ {_shown(packet.filename)}",
            )
            return
        if not isinstance(packet, packets.ReadRequest):
            log.debug("ignored a %s from %s:%d on the listening port", type(packet).__name__, *peer)
            return
        running = self.transfers.get(peer)
        if running is not None:
            if running.is_repeat(packet):
                return  # the client sent its request again; the transfer's own retransmission answers it
            running.abort("the client sent a new request from the same port")
        try:
            self._start_transfer(packet, peer)
        except FileAccessError as exc:
            self._refuse(peer, exc.code, exc.message, f"{_shown(packet.filename)}: {exc.message}")
        except OSError as exc:  # out of descriptors or threads: busy, not a traceback per request
            self._refuse(peer, packets.ERR_UNDEFINED, "Server busy, try again later", f"no resources ({exc})")
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
        if self.per_client.get(peer[0], 0) >= self.settings.max_per_client:
            raise FileAccessError(
                packets.ERR_UNDEFINED, "Too many transfers from this address, try again later"
            )
        source = self._open(request, peer)
        try:
            agreed = negotiate(request.options, source.size, self.settings.limits)
            window = max(1, self.settings.max_window_bytes // (agreed.blksize + 4) - 1)
            if agreed.windowsize > window:  # lower the window so the buffers fit the per-transfer bound
                oack = dict(agreed.oack or {})
                oack["windowsize"] = str(window)
                agreed = replace(agreed, windowsize=window, oack=oack)
            prebuilt: list[memoryview] | OSError | None = None
            if isinstance(source, FileSource):  # octet from a file: the cache's packets if it is small
                try:
                    prebuilt = self.cache.packets(source, agreed.blksize)
                except OSError as exc:
                    prebuilt = exc  # the transfer reports it to the client
            sock = self._socket(peer)
        except BaseException:
            source.close()
            raise
        transfer = Transfer(
            self,
            sock,
            peer,
            request,
            source,
            agreed.blksize,
            agreed.windowsize,
            agreed.timeout or self.settings.timeout,
            agreed.oack,
        )
        log.debug(
            "RRQ %s:%d %r %s options %s -> %s", *peer, request.filename, request.mode, request.options, agreed
        )
        self.transfers[peer] = transfer
        self.per_client[peer[0]] = self.per_client.get(peer[0], 0) + 1
        # may end it at once (the client is gone): _forget undoes the above
        transfer.start(prebuilt, threaded=len(self.transfers) <= THREADED_UP_TO)
        metrics.inc("tftp_requests_total", outcome="started")
        metrics.set_gauge("tftp_transfers_active", len(self.transfers))


async def start_tftp(
    root: str | os.PathLike[str],
    host: str = "127.0.0.1",
    port: int = 69,
    policy: BootPolicy | None = None,
    *,
    settings: TftpSettings | None = None,
    client_info: ClientInfo | None = None,
    is_private: Callable[[str], bool] | None = None,
) -> TftpServer:
    """Serve ROOT by TFTP on host:port (port 0 picks a free one; see `TftpServer.address`)."""
    server = TftpServer(root, policy, settings, client_info, is_private)
    await server.start(host, port)
    return server
