"""sendfile(2) for large bodies, on the event loop, a bounded chunk at a time (as nginx's worker does).

The kernel copies from the page cache to the socket; the loop only asks it to, CHUNK bytes at most per
wake-up of a transfer, so concurrent transfers and small requests take turns. A socket that is full is
waited for by the loop (level-triggered: a transfer that filled its chunk is simply called again on the
next turn). No thread: each hand-off to one cost the event loop Python's lock twice, and on a busy
machine every hand-off could stall all connections of the process for milliseconds.

The socket is used through our own dup() of its descriptor: if the client goes away and the transport
closes its descriptor meanwhile, ours still names the same socket (never a reused descriptor number).
"""

from __future__ import annotations

import asyncio
import os

CHUNK = 2 * 1024 * 1024  # at most this much per turn for one transfer (nginx: sendfile_max_chunk 2m)


def _burst(sock_fd: int, file_fd: int, offset: int, count: int) -> int:
    """Send until the socket buffer is full (or CHUNK bytes); the number of bytes sent, 0 if none fit."""
    total = 0
    limit = min(count, CHUNK)
    while total < limit:
        try:
            sent = os.sendfile(sock_fd, file_fd, offset + total, limit - total)
        except BlockingIOError:
            break
        if sent == 0:
            raise ConnectionResetError("the file ended early (truncated while being sent)")
        total += sent
    return total


class SendStalled(ConnectionResetError):
    """The client read nothing for the stall limit: the transfer is given up."""


class _Sender:
    """A transfer (`head` bytes, then the file's), driven by the socket's writability on the loop."""

    def __init__(
        self, sock: int, file_fd: int, offset: int, count: int, stall: float | None, head: bytes
    ) -> None:
        self.loop = asyncio.get_running_loop()
        self.sock, self.file_fd, self.offset, self.count, self.stall = sock, file_fd, offset, count, stall
        self.head = head
        self.done: asyncio.Future[None] = self.loop.create_future()
        self.progress = self.loop.time()
        self.timer: asyncio.TimerHandle | None = None
        self.watching = False

    def start(self) -> None:
        """Send what fits now (the socket is usually writable at once); wait for the socket for the rest."""
        self._writable()
        if not self.done.done():
            self.loop.add_writer(self.sock, self._writable)
            self.watching = True
            if self.stall is not None:
                self.timer = self.loop.call_later(self.stall, self._check)

    def _writable(self) -> None:
        try:
            if self.head:
                try:
                    written = os.write(self.sock, self.head)
                except BlockingIOError:
                    return
                self.head = self.head[written:]
                self.progress = self.loop.time()
                if self.head:
                    return
            sent = _burst(self.sock, self.file_fd, self.offset, self.count) if self.count else 0
        except OSError as exc:
            self.close(exc)
            return
        if sent:
            self.offset += sent
            self.count -= sent
            self.progress = self.loop.time()
        if self.count == 0:
            self.close()

    def _check(self) -> None:
        assert self.stall is not None
        idle = self.loop.time() - self.progress
        if idle >= self.stall:
            self.close(SendStalled(f"the client read nothing for {self.stall:g} s"))
        else:
            self.timer = self.loop.call_later(self.stall - idle, self._check)

    def close(self, error: BaseException | None = None) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        if self.watching:
            self.loop.remove_writer(self.sock)
            self.watching = False
        if not self.done.done():
            if error is None:
                self.done.set_result(None)
            else:
                self.done.set_exception(error)


async def send_file(
    sock_fd: int, file_fd: int, offset: int, count: int, stall: float | None = None, head: bytes = b""
) -> None:
    """Send `head`, then count bytes of file_fd from offset, on the (non-blocking) socket sock_fd;
    SendStalled when the socket stays full for `stall` seconds (a client that stopped reading holds no
    transfer for ever). Whatever the caller wrote through a transport must have left it already."""
    sock = os.dup(sock_fd)
    try:
        sender = _Sender(sock, file_fd, offset, count, stall, head)
        try:
            sender.start()
            await sender.done
        finally:
            sender.close()  # cancelled (the client went away): stop watching the socket
    finally:
        os.close(sock)
