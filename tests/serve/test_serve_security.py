"""Many slow clients must not stop a normal request (the quick version of the benchmark's check)."""

from __future__ import annotations

import resource
import socket
import time

import pytest

from .conftest import LiveServer


@pytest.mark.timeout(120)
def test_500_slow_clients_do_not_block_a_normal_request(server: LiveServer) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 2000:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))
    held: list[socket.socket] = []
    try:
        for _ in range(500):  # from another address than the normal client's: each has its own limit
            sock = socket.create_connection(
                ("127.0.0.1", server.port), timeout=10, source_address=("127.0.0.2", 0)
            )
            held.append(sock)
        for sock in held:
            send_quietly(sock, b"GET /small.txt HTTP/1.1\r\nHost: x\r\n")  # headers never finished
        for step in range(3):
            for sock in held:
                send_quietly(sock, f"X-Slow-{step}: y\r\n".encode())
            started = time.monotonic()
            reply = server.raw("/small.txt")
            elapsed = time.monotonic() - started
            assert reply.status == 200 and reply.body == b"0123456789abcdefghij"
            assert elapsed < 2.0, f"a normal request took {elapsed:.2f}s beside 500 slow clients"
        # those over the per-address limit were refused; the others are served when they finally finish
        admitted = server.guard.limits.max_per_client
        held[0].sendall(b"\r\n")
        assert held[0].recv(12).startswith(b"HTTP/1.1 200")
        assert held[admitted].recv(100).startswith(b"HTTP/1.1 503")
    finally:
        for sock in held:
            sock.close()
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def send_quietly(sock: socket.socket, data: bytes) -> None:
    """Send, as long as the server keeps the connection (it closes those it refused)."""
    try:
        sock.sendall(data)
    except OSError:
        pass
