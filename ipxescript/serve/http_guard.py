"""Limits that keep strangers from exhausting the HTTP server: connections, header size and time.

aiohttp bounds one header line but not the whole header block, has no deadline for finishing the
headers, and accepts connections until the process runs out of descriptors (then every service of the
process fails). `Guard` sits between the listening socket and aiohttp's protocol: it refuses connections
over the global and per-address limits with a 503, closes connections whose headers are not complete
`header_timeout` seconds after their first byte, and answers 431 once the headers pass `max_header_bytes`.
Idle keep-alive connections are closed by aiohttp after `keepalive_timeout`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import resource
import socket
import struct
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.web_runner import BaseSite

from ipxescript.serve import metrics
from ipxescript.serve.http_limits import HttpLimits
from ipxescript.serve.sendfile import SendStalled, send_file

if TYPE_CHECKING:
    from ipxescript.serve.http_fast import FileBody, LeanPath

log = logging.getLogger("ipxescript.serve.http")

BUSY = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 20\r\n"
    b"Retry-After: 1\r\nConnection: close\r\n\r\n503 Server busy, 1s\n"
)
TOO_LARGE = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Type: text/plain\r\nContent-Length: 17\r\n"
    b"Connection: close\r\n\r\n431 Too large\r\n\r\n"
)


def reset(transport: Any) -> None:
    """Drop a connection with a reset, discarding what the kernel still holds for it (a client that reads
    nothing would otherwise keep up to megabytes of socket buffer queued behind a FIN)."""
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


class MalformedRequests(logging.Filter):
    """aiohttp answers a malformed request (a bad request line, a header too long or with a bad
    character, a smuggling shape) with 400 and logs it at ERROR with a traceback: a stranger could fill
    the log with one short packet per line. On `aiohttp.server`, such records become a count and a
    debug line; any other error keeps its traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if not isinstance(exc, HttpProcessingError):
            return True
        metrics.inc("http_refused_total", reason="malformed")
        peer = record.args[0] if isinstance(record.args, tuple) and record.args else "?"
        log.debug("HTTP %s: malformed request refused: %s", peer, str(exc.message)[:200])
        return False


def quiet_malformed_requests() -> None:
    logging.getLogger("aiohttp.server").addFilter(MALFORMED)  # once: addFilter skips a filter it has


MALFORMED = MalformedRequests()


def raise_descriptor_limit(wanted: int = 65536) -> int:
    """Raise the soft RLIMIT_NOFILE towards the hard one (as nginx does); the limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(hard, wanted)
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            return target
        except (ValueError, OSError):
            pass
    return soft


class Guard:
    """Counts connections by address and enforces HttpLimits on every one of them."""

    def __init__(self, limits: HttpLimits, lean: LeanPath | None = None) -> None:
        self.limits = limits
        self.lean = lean  # answers plain hot requests before aiohttp (set by http_app.make_app)
        self.active: dict[Any, GuardedProtocol] = {}  # transport -> protocol
        self.per_client: dict[str, int] = {}
        self._sweeper: asyncio.TimerHandle | None = None

    def wrap(self, factory: Callable[[], asyncio.Protocol]) -> Callable[[], asyncio.Protocol]:
        def make() -> asyncio.Protocol:
            return GuardedProtocol(self, factory)

        return make

    def start(self) -> None:
        self._sweeper = asyncio.get_running_loop().call_later(1.0, self._sweep)

    def stop(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            self._sweeper = None

    def _sweep(self) -> None:
        """Once a second: close the connections whose headers are overdue, whose client has read nothing
        of a response for `send_stall_timeout`, or (on the lean path) that idled past `keepalive_timeout`."""
        now = time.monotonic()
        limits = self.limits
        for transport, protocol in list(self.active.items()):
            if protocol.deadline is not None and now > protocol.deadline:
                metrics.inc("http_refused_total", reason="header_timeout")
                log.debug("HTTP %s: headers not complete in time, connection closed", protocol.peer)
                transport.abort()
            elif (
                protocol.stalled_since is not None
                and now - protocol.stalled_since > limits.send_stall_timeout
            ):
                metrics.inc("http_refused_total", reason="send_stall")
                log.debug(
                    "HTTP %s: the client read nothing for %g s, dropped",
                    protocol.peer,
                    limits.send_stall_timeout,
                )
                reset(transport)
            elif (
                protocol.idle_since is not None
                and protocol.stalled_since is None
                and now - protocol.idle_since > limits.keepalive_timeout
            ):
                if transport.get_write_buffer_size():
                    transport.abort()
                else:
                    transport.close()
        self._sweeper = asyncio.get_running_loop().call_later(1.0, self._sweep)

    def request_done(self, transport: Any) -> None:
        """A request was answered: the next one's header clock starts with its first byte."""
        protocol = self.active.get(transport)
        if protocol is not None:
            protocol.rearm()

    def admit(self, peer: str) -> str | None:
        """None to accept a new connection from `peer`, else why not."""
        if len(self.active) >= self.limits.max_connections:
            return "connection_limit"
        if self.per_client.get(peer, 0) >= self.limits.max_per_client:
            return "client_connection_limit"
        return None


class GuardedProtocol(asyncio.Protocol):
    """One HTTP connection, with the guard's checks in front: plain hot requests are answered by the
    lean path (http_fast) while they come; at the first other request the connection is handed to
    aiohttp's protocol, with every byte not answered yet, for the rest of its life. Responses keep
    their order: the lean path writes its answers before the hand-over."""

    __slots__ = (
        "guard", "make_inner", "inner", "transport", "peer", "local", "deadline", "waiting", "header_bytes",
        "tail", "cut", "buffer", "idle_since", "stalled_since", "sending",
    )  # fmt: skip

    def __init__(self, guard: Guard, make_inner: Callable[[], asyncio.Protocol]) -> None:
        self.guard = guard
        self.make_inner = make_inner
        self.inner: asyncio.Protocol | None = None  # aiohttp's protocol, once the connection is handed over
        self.transport: Any = None
        self.peer = "?"
        self.local: str | None = None
        self.deadline: float | None = None  # when the headers must be complete; None when not waiting
        self.waiting = True  # headers of a request are expected
        self.header_bytes = 0
        self.tail = b""
        self.cut = False  # refused: nothing more is read
        self.buffer = b""  # lean path: bytes of requests not answered yet
        self.idle_since: float | None = None  # lean path: no request under way since then
        self.stalled_since: float | None = None  # the transport's buffer is full: the client reads nothing
        self.sending: asyncio.Task[None] | None = None  # lean path: a large file's body being sent

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        peername = transport.get_extra_info("peername")
        self.peer = peername[0] if peername else "?"
        refused = self.guard.admit(self.peer)
        if refused is not None:
            metrics.inc("http_refused_total", reason=refused)
            log.debug("HTTP %s refused: %s", self.peer, refused)
            self.cut = True
            write = getattr(transport, "write", None)  # uvloop's transports are no asyncio.WriteTransport
            if write is not None:
                write(BUSY)
            transport.close()
            return
        self.transport = transport
        sockname = transport.get_extra_info("sockname")
        self.local = sockname[0] if sockname else None
        guard = self.guard
        guard.active[transport] = self
        guard.per_client[self.peer] = guard.per_client.get(self.peer, 0) + 1
        metrics.set_gauge("http_connections", len(guard.active))
        now = time.monotonic()
        self.deadline = now + guard.limits.header_timeout
        if guard.lean is None:
            self._hand_over(b"")
        else:
            self.idle_since = now

    def rearm(self) -> None:
        self.waiting, self.header_bytes, self.tail, self.deadline = True, 0, b"", None

    def data_received(self, data: bytes) -> None:
        if self.cut:
            return
        if self.inner is not None:
            self._guarded(data)
            return
        self.buffer += data
        self._serve()

    def _serve(self) -> None:
        """Answer the complete plain requests in the buffer; hand the connection over at any other."""
        lean = self.guard.lean
        assert lean is not None
        limit = self.guard.limits.max_header_bytes
        buffer = self.buffer
        out: list[bytes] = []
        keep = True
        while buffer and self.stalled_since is None and self.sending is None:
            end = buffer.find(b"\r\n\r\n")
            if end < 0 and len(buffer) <= limit and b"\n\n" not in buffer and b"\n\r\n" not in buffer:
                break  # the rest of the headers is still to come
            if end < 0 or end > limit:
                if end < 0 and len(buffer) <= limit:  # ends its lines with bare LFs: aiohttp decides
                    self._hand_over(buffer, out)
                    return
                self._too_large(out)
                return
            # a large file's body goes by sendfile straight to the socket: only when nothing is queued
            # before it (pipelined behind other answers it goes to aiohttp's path, which copes)
            large = not out and not self.transport.get_write_buffer_size()
            answer = lean.answer(buffer[:end], self.peer, self.local, large)
            if answer is None:
                self._hand_over(buffer, out)
                return
            response, keep, body = answer
            buffer = buffer[end + 4 :]
            if body is not None:
                self.buffer = buffer
                self.deadline = self.idle_since = None
                self._send(response, body, keep)
                return
            out.append(response)
            if not keep:
                break
        self.buffer = buffer
        now = time.monotonic()
        if not keep or self.stalled_since is not None:  # closing, or the stall clock runs
            self.deadline = self.idle_since = None
        elif buffer:  # part of a request: its header clock runs from its first byte
            if self.deadline is None:
                self.deadline = now + self.guard.limits.header_timeout
            self.idle_since = None
        else:
            self.deadline, self.idle_since = None, now
        if out:
            self.transport.write(b"".join(out) if len(out) > 1 else out[0])
        if not keep:
            self.cut = True
            self.transport.close()

    def _send(self, head: bytes, body: FileBody, keep: bool) -> None:
        """Send a large file's answer by sendfile; read no request meanwhile (they wait in the socket)."""
        self.transport.pause_reading()
        self.sending = asyncio.get_running_loop().create_task(self._sending(head, body, keep))

    async def _sending(self, head: bytes, body: FileBody, keep: bool) -> None:
        transport = self.transport
        try:
            sock = transport.get_extra_info("socket")
            if sock is None or transport.is_closing():
                raise ConnectionResetError("the client went away")
            await send_file(
                sock.fileno(),
                body.fd,
                0,
                body.size,
                self.guard.limits.send_stall_timeout,
                head,
                blocking=True,
            )
        except SendStalled as exc:
            metrics.inc("http_refused_total", reason="send_stall")
            log.debug("HTTP %s: %s, dropped", self.peer, exc)
            self.cut = True
            reset(transport)
            return
        except OSError as exc:  # the client went away mid-body
            log.debug("HTTP %s: the client went away during the body: %s", self.peer, exc)
            self.cut = True
            transport.abort()
            return
        finally:
            os.close(body.fd)
            self.sending = None
        if not keep:
            self.cut = True
            transport.close()
            return
        self.idle_since = time.monotonic()
        transport.resume_reading()
        self._serve()  # requests that came with the last read

    def _hand_over(self, pending: bytes, out: list[bytes] | None = None) -> None:
        """From now on aiohttp's protocol serves this connection, starting with `pending`."""
        if out:
            self.transport.write(b"".join(out))
        self.buffer = b""
        self.idle_since = None
        inner = self.inner = self.make_inner()
        inner.connection_made(self.transport)
        if self.stalled_since is not None:
            inner.pause_writing()
        self.rearm()
        if pending:
            self._guarded(pending)

    def _too_large(self, out: list[bytes] | None = None) -> None:
        metrics.inc("http_refused_total", reason="header_too_large")
        log.debug("HTTP %s: headers over %d bytes, refused", self.peer, self.guard.limits.max_header_bytes)
        self.waiting, self.deadline, self.cut = False, None, True
        self.transport.write(b"".join([*(out or ()), TOO_LARGE]))
        self.transport.close()  # aiohttp's protocol (if any) hears of it through connection_lost

    def _guarded(self, data: bytes) -> None:
        """aiohttp serves this connection: count header bytes and time, then pass the bytes on."""
        inner = self.inner
        assert inner is not None
        if self.waiting:
            if self.deadline is None:
                self.deadline = time.monotonic() + self.guard.limits.header_timeout
            joined = self.tail + data
            end = joined.find(b"\r\n\r\n")
            if end < 0:
                end = joined.find(b"\n\n")  # aiohttp accepts bare LF line ends too
            if end >= 0:
                self.header_bytes += end
                self.waiting, self.deadline = False, None
            else:
                self.header_bytes += len(data)
                self.tail = joined[-3:]
            if self.header_bytes > self.guard.limits.max_header_bytes:
                self._too_large()
                return
        inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self.inner.eof_received() if self.inner is not None else None

    def pause_writing(self) -> None:
        """The client does not read as fast as we write: the stall clock runs (see Guard._sweep), and
        the lean path reads no more requests until it catches up (pipelined requests cannot pile up)."""
        self.stalled_since = time.monotonic()
        if self.inner is not None:
            self.inner.pause_writing()
        elif not self.cut:
            self.transport.pause_reading()

    def resume_writing(self) -> None:
        self.stalled_since = None
        if self.inner is not None:
            self.inner.resume_writing()
        elif not self.cut and self.sending is None:
            self.transport.resume_reading()
            self._serve()

    def _release(self) -> None:
        guard = self.guard
        if guard.active.pop(self.transport, None) is not None:
            left = guard.per_client.get(self.peer, 1) - 1
            if left > 0:
                guard.per_client[self.peer] = left
            else:
                guard.per_client.pop(self.peer, None)
            metrics.set_gauge("http_connections", len(guard.active))

    def connection_lost(self, exc: Exception | None) -> None:
        self._release()
        if self.sending is not None:
            self.sending.cancel()
        if self.inner is not None:
            self.inner.connection_lost(exc)


class GuardedSockSite(BaseSite):
    """aiohttp's SockSite with a Guard in front of every connection."""

    __slots__ = ("_sock", "_guard")

    def __init__(self, runner: web.BaseRunner, sock: socket.socket, guard: Guard) -> None:
        super().__init__(runner)
        self._sock = sock
        self._guard = guard

    @property
    def name(self) -> str:
        host, port = self._sock.getsockname()[:2]
        return f"http://{host}:{port}"

    async def start(self) -> None:
        await super().start()
        server = self._runner.server
        assert server is not None
        self._guard.start()
        self._server = await asyncio.get_running_loop().create_server(
            self._guard.wrap(server), sock=self._sock
        )

    async def stop(self) -> None:
        self._guard.stop()
        await super().stop()
        for transport, protocol in list(self._guard.active.items()):
            if protocol.inner is None:  # the lean path's connections (aiohttp closes its own)
                transport.close()
