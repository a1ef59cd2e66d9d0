"""The lean path (http_fast) answers plain GETs of /boot.ipxe and of cached small files; everything else
goes to aiohttp on the same connection. Seen from a client, both must behave as one server: these tests
talk raw HTTP/1.1 on one socket, the way iPXE and load generators do (keep-alive, pipelining)."""

from __future__ import annotations

import asyncio
import os
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ipxescript.serve.assignments import AssignmentStore
from ipxescript.serve.http_limits import HttpLimits

from .conftest import LiveServer

AIOHTTP = b"Server: Python/"  # only aiohttp's responses carry it: tells which path answered


def connect(server: LiveServer) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    return sock


def responses(sock: socket.socket, count: int, head_only: bool = False) -> list[tuple[bytes, bytes]]:
    """`count` responses (head, body) read off one connection, framed by Content-Length (none for
    HEAD requests: `head_only`)."""
    data = b""
    out: list[tuple[bytes, bytes]] = []
    while len(out) < count:
        end = data.find(b"\r\n\r\n")
        if end >= 0:
            head = data[:end]
            length = (
                0
                if head_only
                else next(
                    (
                        int(line.split(b":")[1])
                        for line in head.split(b"\r\n")
                        if line.lower().startswith(b"content-length:")
                    ),
                    0,
                )
            )
            if len(data) >= end + 4 + length:
                out.append((head, data[end + 4 : end + 4 + length]))
                data = data[end + 4 + length :]
                continue
        chunk = sock.recv(65536)
        assert chunk, f"connection closed after {len(out)} responses"
        data += chunk
    return out


def drain(sock: socket.socket) -> int:
    """Read until the server closes or resets the connection: how many bytes came."""
    received = 0
    try:
        while chunk := sock.recv(1 << 20):
            received += len(chunk)
    except ConnectionResetError:
        pass
    return received


def get(path: str, *extra: str) -> bytes:
    return ("\r\n".join([f"GET {path} HTTP/1.1", "Host: 127.0.0.1", *extra]) + "\r\n\r\n").encode()


def test_pipelined_requests_keep_their_order_across_both_paths(server: LiveServer, boot_root: Path) -> None:
    server.raw("/b.ipxe")  # aiohttp serves it once and fills the small-file cache
    server.raw("/boot.ipxe?mac=52-54-00-00-00-07")  # and lints boot.ipxe (the server does it at start)
    requests = [
        get("/b.ipxe"),
        get("/boot.ipxe?mac=52-54-00-00-00-07"),
        get("/b.ipxe"),
        get("/small.txt", "Range: bytes=0-3"),  # aiohttp's path from here on
        get("/b.ipxe"),
        get("/boot.ipxe?mac=52-54-00-00-00-07"),
    ]
    with connect(server) as sock:
        sock.sendall(b"".join(requests))  # all at once: one read may hold them all
        got = responses(sock, len(requests))
    bodies = [body for _, body in got]
    script_b = (boot_root / "b.ipxe").read_bytes()
    assert bodies[0] == bodies[2] == bodies[4] == script_b
    assert bodies[1] == bodies[5] == b"#!ipxe\necho default for 52:54:00:00:00:07\n"
    assert got[3][0].startswith(b"HTTP/1.1 206") and bodies[3] == b"0123"
    assert AIOHTTP not in got[0][0] and AIOHTTP not in got[1][0], "the lean path answers plain requests"
    assert AIOHTTP in got[3][0] and AIOHTTP in got[4][0], "after a hand-over aiohttp answers"


def test_head_http10_and_connection_close(server: LiveServer) -> None:
    server.raw("/b.ipxe")
    with connect(server) as sock:
        sock.sendall(b"HEAD /b.ipxe HTTP/1.1\r\nHost: x\r\n\r\n")
        ((head, body),) = responses(sock, 1, head_only=True)
        assert head.startswith(b"HTTP/1.1 200") and b"Content-Length: 21" in head and body == b""
        sock.sendall(get("/boot.ipxe?mac=52:54:00:00:00:08", "Connection: close"))
        ((head, body),) = responses(sock, 1)
        assert b"Connection: close" in head and body.startswith(b"#!ipxe")
        assert sock.recv(100) == b"", "closed after Connection: close"
    with connect(server) as sock:
        sock.sendall(b"GET /b.ipxe HTTP/1.0\r\nHost: x\r\n\r\n")
        ((head, body),) = responses(sock, 1)
        assert body == b"#!ipxe\necho target B\n"
        assert sock.recv(100) == b"", "HTTP/1.0 without keep-alive ends the connection"


def test_a_changed_file_is_never_served_stale(server: LiveServer, boot_root: Path) -> None:
    server.raw("/b.ipxe")
    with connect(server) as sock:
        sock.sendall(get("/b.ipxe"))
        assert responses(sock, 1)[0][1] == b"#!ipxe\necho target B\n"
        (boot_root / "b.ipxe").write_text("#!ipxe\necho changed, longer\n")
        sock.sendall(get("/b.ipxe"))
        assert responses(sock, 1)[0][1] == b"#!ipxe\necho changed, longer\n"


def test_refusals_and_odd_requests_are_answered_by_the_one_rule(server: LiveServer, boot_root: Path) -> None:
    (boot_root / ".secret").write_text("never")
    (boot_root / "ipxescript.toml").write_text("[metadata]\nk = 'never'\n")
    for path in ("/.secret", "/ipxescript.toml", "/sub/../.secret", "/%2e%2e/etc/passwd"):
        with connect(server) as sock:
            sock.sendall(get(path))
            ((head, body),) = responses(sock, 1)
            assert head.startswith(b"HTTP/1.1 403") and b"never" not in body, path
    # bare LF line ends: not the lean path's business, aiohttp decides (it refuses them)
    with connect(server) as sock:
        sock.sendall(b"GET /b.ipxe HTTP/1.1\nHost: x\n\n")
        ((head, body),) = responses(sock, 1)
        assert AIOHTTP in head and head.split(b" ")[1] == b"400"


def test_a_once_assignment_is_consumed_exactly_once(server: LiveServer) -> None:
    server.policy.start_check()  # every script's lint verdict made, as the server does at start
    server.policy.store.assign("52:54:00:00:00:09", "a.ipxe", once=True)
    with connect(server) as sock:
        sock.sendall(get("/boot.ipxe?mac=52-54-00-00-00-09") * 3)
        got = responses(sock, 3)
    bodies = [body for _, body in got]
    assert bodies[0] == b"#!ipxe\necho target A for 52:54:00:00:00:09\n"
    assert bodies[1] == bodies[2] == b"#!ipxe\necho default for 52:54:00:00:00:09\n"
    assert server.policy.store.all() == []
    assert AIOHTTP not in got[0][0]


def test_lean_path_enforces_header_size_and_idle_limits(make_server, boot_root: Path) -> None:  # type: ignore[no-untyped-def]
    server = make_server(boot_root, HttpLimits(max_header_bytes=1024, keepalive_timeout=1, header_timeout=1))
    with connect(server) as sock:
        sock.sendall(b"GET /b.ipxe HTTP/1.1\r\nHost: x\r\nX-Long: " + b"y" * 2000)
        assert sock.recv(100).startswith(b"HTTP/1.1 431")
    with connect(server) as sock:
        sock.sendall(get("/boot.ipxe"))
        responses(sock, 1)
        started = time.monotonic()
        sock.settimeout(5)
        assert sock.recv(100) == b"", "an idle keep-alive connection is closed"
        assert time.monotonic() - started < 4
    with connect(server) as sock:
        sock.sendall(b"GET /b.ipxe HTTP/1.1\r\n")  # and nothing more
        sock.settimeout(5)
        assert sock.recv(100) in (b"",), "unfinished headers are cut off"


def test_a_reader_who_stops_reading_is_dropped(make_server, boot_root: Path) -> None:  # type: ignore[no-untyped-def]
    """Pipelined requests from a client that reads nothing: the server stops reading them once its
    buffer is full (no pile-up) and drops the connection after the stall limit."""
    (boot_root / "menu.cfg").write_bytes(os.urandom(30_000))
    server = make_server(boot_root, HttpLimits(send_stall_timeout=1))
    server.raw("/menu.cfg")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", server.port))
    sock.settimeout(10)
    with sock:
        sent = 0
        sock.setblocking(False)
        request = get("/menu.cfg")
        try:
            for _ in range(2000):  # 60 MB of responses asked for
                sent += sock.send(request)
        except BlockingIOError:
            pass
        time.sleep(3.5)  # the stall limit, and the guard's once-a-second sweep
        sock.setblocking(True)
        received = drain(sock)
    assert received < 4 * 1024**2, f"{received} of 60 MB: the server went on writing to a stalled reader"
    assert server.raw("/boot.ipxe").status == 200


def test_a_reload_that_makes_a_cached_file_private_is_obeyed(server: LiveServer, boot_root: Path) -> None:
    """SIGHUP can name a file under ROOT as the API token file: from then on it is never served, though
    both paths had it cached."""
    assert server.raw("/b.ipxe").status == 200
    assert server.raw("/b.ipxe").status == 200  # from the cache

    async def reload() -> None:
        server.policy.config.api_token_file = boot_root / "b.ipxe"
        server.policy.reconfigure()

    asyncio.run_coroutine_threadsafe(reload(), server.loop).result(10)
    with connect(server) as sock:
        sock.sendall(get("/b.ipxe"))
        ((head, body),) = responses(sock, 1)
    assert head.startswith(b"HTTP/1.1 403") and b"target B" not in body


def test_a_remembered_boot_answer_follows_every_change(server: LiveServer, boot_root: Path) -> None:
    """boot.ipxe is rendered once per client and sent again while its sources are unchanged: an
    assignment (ours or another process's), the target's text and a reload are all seen at once."""
    server.policy.start_check()
    mac = "52:54:00:00:00:0a"
    request = get("/boot.ipxe?mac=52-54-00-00-00-0a")
    with connect(server) as sock:

        def boot() -> bytes:
            sock.sendall(request)
            ((head, body),) = responses(sock, 1)
            assert AIOHTTP not in head
            return body

        assert boot() == boot() == f"#!ipxe\necho default for {mac}\n".encode()
        server.policy.store.assign(mac, "a.ipxe")
        assert boot() == boot() == f"#!ipxe\necho target A for {mac}\n".encode()
        (boot_root / "a.ipxe").write_text("#!ipxe\necho target A, changed\n")
        server.policy.start_check()  # its verdict (else aiohttp's path lints it first)
        assert boot() == b"#!ipxe\necho target A, changed\n"
        other = AssignmentStore(server.policy.store.path)  # another process's connection
        try:
            other.assign(mac, "b.ipxe")
        finally:
            other.close()
        assert boot() == boot() == b"#!ipxe\necho target B\n"
        server.policy.store.assign(mac, "a.ipxe", once=True)
        assert boot() == b"#!ipxe\necho target A, changed\n"  # taken once
        assert boot() == b"#!ipxe\necho target B\n"
        (boot_root / "b.ipxe").unlink()
        assert b"missing" in boot()


def test_header_lines_are_bounded_on_both_paths(server: LiveServer) -> None:
    """At most 64 header lines, each at most 8190 bytes (aiohttp's bounds): past them the lean path
    leaves the request to aiohttp, which refuses it."""
    server.raw("/b.ipxe")
    fields = [f"X-Field-{i}: {i}" for i in range(63)]
    with connect(server) as sock:
        sock.sendall(get("/b.ipxe", *fields))  # 64 with Host
        ((head, body),) = responses(sock, 1)
        assert head.startswith(b"HTTP/1.1 200") and AIOHTTP not in head
    for extra in ([*fields, "X-One-More: y"], ["X-Long: " + "y" * 8191]):
        with connect(server) as sock:
            sock.sendall(get("/b.ipxe", *extra))
            ((head, body),) = responses(sock, 1)
            assert head.split(b" ")[1] == b"400" and AIOHTTP in head


def test_pipelined_steps_reach_the_boot_log_as_the_client_took_them(server: LiveServer) -> None:
    """Requests read in one wake-up of the server offer the boot log a step only when it differs from
    the client's previous one (a repeat would be left out anyway): b.ipxe, small.txt, b.ipxe sent at
    once are three steps; the same file twice in a row, one."""
    server.raw("/b.ipxe")
    server.raw("/small.txt")
    log = server.policy.bootlog
    mark = log.mark()
    time.sleep(2.1)  # past the boot log's repeat window for the two warm-up requests
    with connect(server) as sock:
        sock.sendall(get("/b.ipxe") * 2 + get("/small.txt") * 2 + get("/b.ipxe"))
        got = responses(sock, 5)
    assert all(AIOHTTP not in head for head, _ in got)
    _, events = log.since(mark)
    assert [e.what for e in events] == ["b.ipxe", "small.txt", "b.ipxe"]


def test_a_large_file_goes_by_sendfile_on_the_lean_path(server: LiveServer, boot_root: Path) -> None:
    """A kernel or initrd that aiohttp's path sent once (after every ROOT check) is sent again by the
    lean path with sendfile: GET and HEAD, keep-alive and pipelining as before; a request queued
    behind other answers goes to aiohttp's path, and so does a Range (iPXE asks for one only for a
    SAN disk)."""
    kernel = (boot_root / "sub" / "vmlinuz").read_bytes()
    assert server.raw("/sub/vmlinuz").body == kernel  # aiohttp's path: checked, then remembered
    server.raw("/b.ipxe")
    with connect(server) as sock:
        sock.sendall(get("/sub/vmlinuz") + get("/b.ipxe") + get("/sub/vmlinuz"))
        got = responses(sock, 3)
        assert [body for _, body in got] == [kernel, b"#!ipxe\necho target B\n", kernel]
        assert AIOHTTP not in got[0][0] and AIOHTTP not in got[1][0], "the lean path answers"
        assert AIOHTTP in got[2][0], "queued behind another answer: aiohttp's path"
    with connect(server) as sock:
        sock.sendall(b"HEAD /sub/vmlinuz HTTP/1.1\r\nHost: x\r\n\r\n")
        ((head, body),) = responses(sock, 1, head_only=True)
        assert AIOHTTP not in head and f"Content-Length: {len(kernel)}".encode() in head and body == b""
        sock.sendall(get("/sub/vmlinuz"))
        ((head, body),) = responses(sock, 1)
        assert AIOHTTP not in head and head.startswith(b"HTTP/1.1 200") and body == kernel
        assert b"Accept-Ranges: bytes" in head and b"ETag: " in head and b"Last-Modified: " in head
        sock.sendall(get("/sub/vmlinuz", "Range: bytes=10-19"))
        ((head, body),) = responses(sock, 1)
        assert head.startswith(b"HTTP/1.1 206") and body == kernel[10:20]


def test_a_large_file_is_sent_only_while_it_is_the_checked_file(server: LiveServer, boot_root: Path) -> None:
    """The lean path opens the name again and sends the file only if the opened file is the one that
    passed the ROOT checks (device, inode, mtime, size): a changed file, another file renamed in its
    place, or a symlink to a file outside ROOT all go the whole way again."""
    path = boot_root / "sub" / "vmlinuz"
    server.raw("/sub/vmlinuz")
    changed = os.urandom(200_000)
    path.write_bytes(changed)
    assert server.raw("/sub/vmlinuz").body == changed
    renamed = boot_root / "sub" / "other"
    renamed.write_bytes(b"x" * 150_000)
    os.replace(renamed, path)
    assert server.raw("/sub/vmlinuz").body == b"x" * 150_000
    outside = boot_root.parent / "outside.img"
    outside.write_bytes(b"s" * 150_000)
    path.unlink()
    path.symlink_to(outside)
    with connect(server) as sock:
        sock.sendall(get("/sub/vmlinuz"))
        ((head, body),) = responses(sock, 1)
    assert head.startswith(b"HTTP/1.1 403") and b"sss" not in body


def test_a_stalled_reader_of_a_large_file_is_dropped(make_server, boot_root: Path) -> None:  # type: ignore[no-untyped-def]
    """A client that stops reading a large file on the lean path is dropped after the stall limit, and
    the server goes on serving others meanwhile."""
    (boot_root / "initrd.img").write_bytes(os.urandom(32 * 1024**2))
    server = make_server(boot_root, HttpLimits(send_stall_timeout=1))
    assert len(server.raw("/initrd.img").body) == 32 * 1024**2
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", server.port))
    with sock:
        sock.sendall(get("/initrd.img"))
        sock.settimeout(10)
        first = sock.recv(4096)
        assert first.startswith(b"HTTP/1.1 200") and AIOHTTP not in first
        assert server.raw("/b.ipxe").status == 200  # served while the transfer waits
        time.sleep(3)  # past the stall limit
        received = len(first) + drain(sock)
    assert received < 16 * 1024**2, f"{received} bytes: the stalled transfer was not dropped"
    assert server.raw("/b.ipxe").status == 200


def test_large_bodies_at_once_each_whole_while_others_stall_or_go_away(make_server, boot_root: Path) -> None:  # type: ignore[no-untyped-def]
    """More large downloads at once than the server has sender threads: clients that stop reading after
    the head, clients that go away mid-body (their descriptors are reused by the next downloads), and
    normal ones. Every normal one gets the whole file, byte for byte, while the stalled ones wait: a
    reader that reads nothing holds no thread."""
    data = os.urandom(6 * 1024**2)
    (boot_root / "initrd.img").write_bytes(data)
    server = make_server(boot_root, HttpLimits(send_stall_timeout=30))
    assert server.raw("/initrd.img").body == data  # aiohttp's path, after which the lean path sends it
    stalled = []
    for _ in range(8):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.settimeout(10)
        sock.connect(("127.0.0.1", server.port))
        sock.sendall(get("/initrd.img"))
        assert sock.recv(4096).startswith(b"HTTP/1.1 200")
        stalled.append(sock)

    def whole() -> bytes:
        with connect(server) as sock:
            sock.sendall(get("/initrd.img"))
            ((head, body),) = responses(sock, 1)
        assert AIOHTTP not in head
        return body

    def goes_away() -> None:
        with connect(server) as sock:
            sock.sendall(get("/initrd.img"))
            sock.recv(65536)

    try:
        with ThreadPoolExecutor(8) as pool:
            gone = [pool.submit(goes_away) for _ in range(8)]
            bodies = list(pool.map(lambda _: whole(), range(12)))
            for future in gone:
                future.result()
        assert [len(body) for body in bodies] == [len(data)] * 12
        assert all(body == data for body in bodies)
    finally:
        for sock in stalled:
            sock.close()
    assert whole() == data


def test_a_body_sent_in_blocking_mode_leaves_the_socket_non_blocking(tmp_path: Path) -> None:
    """The lean path sends a large body with the socket in blocking mode (one sendfile per body while the
    client reads): a reader that keeps up gets every byte, one that stops is given up after the stall
    limit, and either way the socket is non-blocking again afterwards, as the event loop needs it."""
    from ipxescript.serve.sendfile import SendStalled, send_file

    data = os.urandom(3 * 1024**2)
    path = tmp_path / "body.img"
    path.write_bytes(data)

    async def send(reads: bool) -> tuple[bytes, bool, bool]:
        listener = socket.create_server(("127.0.0.1", 0))
        client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # small buffers: a stall shows
        client.connect(listener.getsockname())
        server, _ = listener.accept()
        listener.close()
        server.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 65536)
        server.setblocking(False)
        client.settimeout(10)
        received = bytearray()
        loop = asyncio.get_running_loop()

        def read_all() -> None:
            while len(received) < len(data) + 4 and (chunk := client.recv(65536)):
                received.extend(chunk)

        reader = loop.run_in_executor(None, read_all) if reads else None
        stalled = False
        with open(path, "rb") as body:
            try:
                await send_file(server.fileno(), body.fileno(), 0, len(data), 1.0, b"HEAD", blocking=True)
            except SendStalled:
                stalled = True
        if reader is not None:
            await reader
        blocking_after = os.get_blocking(server.fileno())
        server.close()
        client.close()
        return bytes(received), stalled, blocking_after

    received, stalled, blocking_after = asyncio.run(send(reads=True))
    assert received == b"HEAD" + data and not stalled and not blocking_after
    received, stalled, blocking_after = asyncio.run(send(reads=False))
    assert received == b"" and stalled and not blocking_after
