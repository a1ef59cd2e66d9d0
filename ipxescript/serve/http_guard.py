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
import logging
import resource
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from aiohttp.web_runner import BaseSite

from ipxescript.serve import metrics

log = logging.getLogger("ipxescript.serve.http")

BUSY = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 20\r\n"
    b"Retry-After: 1\r\nConnection: close\r\n\r\n503 Server busy, 1s\n"
)
TOO_LARGE = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Type: text/plain\r\nContent-Length: 17\r\n"
    b"Connection: close\r\n\r\n431 Too large\r\n\r\n"
)


@dataclass(frozen=True)
class HttpLimits:
    max_connections: int = 512  # open at once (lowered to fit the descriptor limit, see `fitted`)
    max_per_client: int = 64  # open at once from one address
    header_timeout: float = 10.0  # from a connection's (or a request's) first byte to the end of its headers
    max_header_bytes: int = 16 * 1024  # request line and headers of one request
    keepalive_timeout: float = 15.0  # an idle keep-alive connection is closed after this
    body_timeout: float = 10.0  # reading a request body (the API's JSON)
    send_stall_timeout: float = 60.0  # a download whose client reads nothing for this long is dropped

    def fitted(self) -> HttpLimits:
        """These limits lowered so HTTP keeps under a quarter of the descriptors the process may open (each
        connection can hold three: its socket, the file and sendfile's duplicate)."""
        soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft == resource.RLIM_INFINITY:
            return self
        fit = max(16, (soft - 64) // 4)
        if fit >= self.max_connections:
            return self
        return HttpLimits(**{**self.__dict__, "max_connections": fit})


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

    def __init__(self, limits: HttpLimits) -> None:
        self.limits = limits
        self.active: dict[Any, GuardedProtocol] = {}  # transport -> protocol
        self.per_client: dict[str, int] = {}
        self._sweeper: asyncio.TimerHandle | None = None

    def wrap(self, factory: Callable[[], asyncio.Protocol]) -> Callable[[], asyncio.Protocol]:
        def make() -> asyncio.Protocol:
            return GuardedProtocol(self, factory())

        return make

    def start(self) -> None:
        self._sweeper = asyncio.get_running_loop().call_later(1.0, self._sweep)

    def stop(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            self._sweeper = None

    def _sweep(self) -> None:
        """Close the connections whose headers are overdue (once a second)."""
        now = time.monotonic()
        for transport, protocol in list(self.active.items()):
            if protocol.deadline is not None and now > protocol.deadline:
                metrics.inc("http_refused_total", reason="header_timeout")
                log.debug("HTTP %s: headers not complete in time, connection closed", protocol.peer)
                transport.abort()
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
    """aiohttp's protocol for one connection, with the guard's checks in front of it."""

    __slots__ = ("guard", "inner", "transport", "peer", "deadline", "waiting", "header_bytes", "tail", "cut")

    def __init__(self, guard: Guard, inner: asyncio.Protocol) -> None:
        self.guard = guard
        self.inner: asyncio.Protocol | None = inner
        self.transport: Any = None
        self.peer = "?"
        self.deadline: float | None = None  # when the headers must be complete; None when not waiting
        self.waiting = True  # headers of a request are expected
        self.header_bytes = 0
        self.tail = b""
        self.cut = False  # refused mid-request: nothing more goes to aiohttp

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        peername = transport.get_extra_info("peername")
        self.peer = peername[0] if peername else "?"
        refused = self.guard.admit(self.peer)
        if refused is not None:
            metrics.inc("http_refused_total", reason=refused)
            log.debug("HTTP %s refused: %s", self.peer, refused)
            self.inner = None
            write = getattr(transport, "write", None)  # uvloop's transports are no asyncio.WriteTransport
            if write is not None:
                write(BUSY)
            transport.close()
            return
        self.transport = transport
        guard = self.guard
        guard.active[transport] = self
        guard.per_client[self.peer] = guard.per_client.get(self.peer, 0) + 1
        metrics.set_gauge("http_connections", len(guard.active))
        self.deadline = time.monotonic() + guard.limits.header_timeout
        assert self.inner is not None
        self.inner.connection_made(transport)

    def rearm(self) -> None:
        self.waiting, self.header_bytes, self.tail, self.deadline = True, 0, b"", None

    def data_received(self, data: bytes) -> None:
        inner = self.inner
        if inner is None or self.cut:
            return
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
                metrics.inc("http_refused_total", reason="header_too_large")
                log.debug(
                    "HTTP %s: headers over %d bytes, refused", self.peer, self.guard.limits.max_header_bytes
                )
                self.waiting, self.deadline = False, None
                self.transport.write(TOO_LARGE)
                self.transport.close()  # aiohttp's protocol hears of it through connection_lost
                self.cut = True
                return
        inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self.inner.eof_received() if self.inner is not None else None

    def pause_writing(self) -> None:
        if self.inner is not None:
            self.inner.pause_writing()

    def resume_writing(self) -> None:
        if self.inner is not None:
            self.inner.resume_writing()

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
