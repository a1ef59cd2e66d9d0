"""sendfile(2) for large bodies, with the copying done in worker threads.

On loopback and fast links the kernel's copy runs in the sending thread. asyncio's loop.sendfile does
every copy in the event-loop thread, so one server process copies on one core; here each burst (until
the socket buffer is full) runs in a small thread pool (os.sendfile releases the GIL), and the wait for the
socket to drain happens in the event loop, so a slow client holds no thread. Measured against sending on
the loop itself (one sendfile per wake-up, as nginx's worker does): the threads moved bench_http's 1 GiB
file to 50 connections at 1.2x the rate (median of 6 paired rounds, 2 busy cores).

The lean path's bodies (`blocking=True`) go another way: the socket is put in blocking mode and each
thread call is one sendfile of up to BURST bytes that the kernel paces to the client, so a client that
keeps up costs one hand-off per body instead of one per socket-buffer-full (measured: half the CPU per
24 MiB download, a fifteenth of the context switches; docs/scale.md). Such a call holds its thread while
the client reads, so those calls have a pool of their own, large enough for the bodies a rack boots at
once; a client that stops reading gives the thread back after BLOCKING_WAIT.

The socket is used through our own dup() of its descriptor: if the client goes away and the transport
closes its descriptor meanwhile, ours still names the same socket (never a reused descriptor number).
"""

from __future__ import annotations

import asyncio
import os
import socket
import struct
from concurrent.futures import ThreadPoolExecutor

BURST = 16 * 1024 * 1024  # at most this much per thread hand-off, so concurrent transfers take turns
BLOCKING_WAIT = 0.2  # seconds a blocking sendfile waits for room before the wait goes back to the loop
_WAIT = struct.pack("ll", 0, int(BLOCKING_WAIT * 1e6))
_POOL = ThreadPoolExecutor(max_workers=max(4, (os.cpu_count() or 1) * 2), thread_name_prefix="sendfile")
# Blocking calls hold their thread while the client keeps reading (a slow but steady one for a whole
# BURST): more threads, so that as many bodies as a rack boots at once go at their clients' pace. A
# thread waiting in the kernel costs no CPU and does not hold Python's lock.
_BLOCKING_POOL = ThreadPoolExecutor(max_workers=32, thread_name_prefix="sendfile-body")


def _blocking(sock_fd: int, file_fd: int, offset: int, count: int) -> int:
    """One blocking sendfile (the socket in blocking mode, SO_SNDTIMEO set): the kernel sends as the
    client reads, so a body whose client keeps up goes in one call; 0 if no room came within the wait."""
    try:
        return os.sendfile(sock_fd, file_fd, offset, min(count, BURST))
    except BlockingIOError:  # SO_SNDTIMEO passed with nothing sent
        return 0


def _shut_down(fd: int) -> None:
    """Shut the socket down, which makes a sendfile blocked on it in a thread return at once."""
    sock = socket.socket(fileno=fd)
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    finally:
        sock.detach()


def _burst(sock_fd: int, file_fd: int, offset: int, count: int) -> int:
    """Send until the socket buffer is full (or BURST bytes); the number of bytes sent, 0 if none fit."""
    total = 0
    limit = min(count, BURST)
    while total < limit:
        try:
            sent = os.sendfile(sock_fd, file_fd, offset + total, limit - total)
        except BlockingIOError:
            break
        if sent == 0:
            raise ConnectionResetError("the file ended early (truncated while being sent)")
        total += sent
    return total


async def _writable(loop: asyncio.AbstractEventLoop, fd: int) -> None:
    ready = loop.create_future()

    def wake() -> None:
        if not ready.done():
            ready.set_result(None)

    loop.add_writer(fd, wake)
    try:
        await ready
    finally:
        loop.remove_writer(fd)


class SendStalled(ConnectionResetError):
    """The client read nothing for the stall limit: the transfer is given up."""


async def _wait(loop: asyncio.AbstractEventLoop, sock: int, stall: float | None) -> None:
    try:
        await asyncio.wait_for(_writable(loop, sock), stall)
    except TimeoutError:
        raise SendStalled(f"the client read nothing for {stall:g} s") from None


async def send_file(
    sock_fd: int,
    file_fd: int,
    offset: int,
    count: int,
    stall: float | None = None,
    head: bytes = b"",
    blocking: bool = False,
) -> None:
    """Send `head` (on the loop: a few hundred bytes), then count bytes of file_fd from offset, on the
    (non-blocking) socket sock_fd; SendStalled when the socket stays full for `stall` seconds (a client
    that stopped reading holds no transfer for ever). What the caller wrote through a transport must
    have left it already.

    `blocking`: only for a caller whose transport neither reads nor writes meanwhile (reading paused,
    nothing queued): the socket is put in blocking mode for the body and each thread call is one
    blocking sendfile of up to BURST bytes, which the kernel sends as the client reads: a client that
    keeps up gets its body in one call (one hand-off, where bursts until the socket is full take one per
    buffer-full); one that stops reading gives the thread back after BLOCKING_WAIT without room, and the
    wait goes back to the loop. The mode is restored before returning.
    """
    loop = asyncio.get_running_loop()
    sock = os.dup(sock_fd)
    send, pool = _burst, _POOL
    try:
        while head:
            try:
                head = head[os.write(sock, head) :]
            except BlockingIOError:
                await _wait(loop, sock, stall)
        if blocking and count > 0:
            sock_object = socket.socket(fileno=sock)  # detached below: sock stays ours to close
            try:
                sock_object.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, _WAIT)
            finally:
                sock_object.detach()
            os.set_blocking(sock, True)
            send, pool = _blocking, _BLOCKING_POOL
        while count > 0:
            sent = await loop.run_in_executor(pool, send, sock, file_fd, offset, count)
            if sent == 0:
                await _wait(loop, sock, stall)
                continue
            offset += sent
            count -= sent
    except asyncio.CancelledError:
        if send is _blocking:  # the connection is gone or the server stops: end a call still waiting
            _shut_down(sock)
        raise
    finally:
        if send is _blocking:
            os.set_blocking(sock, False)
        os.close(sock)
