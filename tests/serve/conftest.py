"""Fixtures for the HTTP side of `ipxescript serve`: a real server on loopback, in a thread of this process.

The server runs its own event loop in a thread so tests can use blocking clients (requests, http.client,
raw sockets) that send paths exactly as written.
"""

from __future__ import annotations

import asyncio
import http.client
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from ipxescript.serve.assignments import AssignmentStore
from ipxescript.serve.bootlog import BootLog
from ipxescript.serve.config import load_config
from ipxescript.serve.http_guard import Guard, GuardedSockSite
from ipxescript.serve.http_limits import HttpLimits
from ipxescript.serve.runner import make_runner
from ipxescript.serve.serve_policy import ServePolicy


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes


class LiveServer:
    """The HTTP side as `ipxescript serve` runs it: the guard and its lean path in front of aiohttp."""

    def __init__(self, policy: ServePolicy, limits: HttpLimits | None = None) -> None:
        self.policy = policy
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.guard = Guard(limits or HttpLimits())
        self.runner = make_runner(policy, self.guard, "")
        self.port = 0

    def start(self) -> None:
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(10)

    async def _start(self) -> None:
        await self.runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        sock.listen(1024)
        sock.setblocking(False)
        await GuardedSockSite(self.runner, sock, self.guard).start()
        self.port = sock.getsockname()[1]

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)

    @property
    def auth(self) -> dict[str, str]:
        """The header that carries the API token the server made in its state directory."""
        token = (self.policy.config.state_dir / "api-token").read_text().strip()
        return {"Authorization": f"Bearer {token}"}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def raw(self, target: str, method: str = "GET", headers: dict[str, str] | None = None) -> Reply:
        """Send `target` exactly as written (no client-side normalisation of `..` or `//`)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.putrequest(method, target, skip_accept_encoding=True)
            for key, value in (headers or {}).items():
                conn.putheader(key, value)
            conn.endheaders()
            response = conn.getresponse()
            body = response.read()
            return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, body)
        finally:
            conn.close()


def make_policy(root: Path, state: Path, **flags: object) -> ServePolicy:
    config = load_config(str(root), state_dir=str(state), **flags)  # type: ignore[arg-type]
    return ServePolicy(
        config, AssignmentStore(config.state_dir / "assignments.sqlite3"), BootLog(config.state_dir)
    )


@pytest.fixture
def boot_root(tmp_path: Path) -> Path:
    """A small ROOT: a default script, two targets, a kernel-like binary, a subdirectory."""
    root = tmp_path / "root"
    (root / "sub").mkdir(parents=True)
    (root / "boot.ipxe").write_text("#!ipxe\necho default for {{ mac }}\n")
    (root / "a.ipxe").write_text("#!ipxe\necho target A for {{ mac }}\n")
    (root / "b.ipxe").write_text("#!ipxe\necho target B\n")
    (root / "sub" / "vmlinuz").write_bytes(bytes(range(256)) * 400)  # 100 KiB: the sendfile path
    (root / "small.txt").write_text("0123456789abcdefghij")
    (root / "empty.bin").write_bytes(b"")
    return root


@pytest.fixture
def make_server(tmp_path: Path) -> Iterator[object]:
    servers: list[LiveServer] = []

    def start(root: Path, limits: HttpLimits | None = None, **flags: object) -> LiveServer:
        server = LiveServer(make_policy(root, tmp_path / f"state{len(servers)}", **flags), limits)
        server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
        server.policy.store.close()
        server.policy.bootlog.close()


@pytest.fixture
def server(boot_root: Path, make_server) -> LiveServer:  # type: ignore[no-untyped-def]
    return make_server(boot_root)  # type: ignore[no-any-return]
