"""A live `ipxescript serve` in a network namespace, attacked from the host side of a veth pair.

The server runs as an operator would start it (`ipxescript serve ROOT --interface ...`), under the usual
service limit of 1,024 descriptors. The host side of the wire has two addresses: NORMAL, a well-behaved
client whose requests are timed during each attack, and ATTACKER. Needs root (CI runs as root).
"""

from __future__ import annotations

import math
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

HOST_MAC = "02:00:00:00:00:02"  # the host end of the wire: the MAC the server sees for NORMAL and ATTACKER
RSS_BOUND = 300 * 1024 * 1024  # the documented bound (docs/security.md)
LATENCY_BOUND = 0.100  # a normal client's boot script, during any attack
STALL_LIMIT = 2  # [http] send_stall_timeout of the attacked server (60 s by default), so tests stay short


def sh(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, check=check, timeout=60)


@dataclass
class Wire:
    namespace: str
    device: str  # the server's side
    host_device: str
    server_ip: str
    normal_ip: str
    attacker_ip: str


@pytest.fixture
def wire() -> Iterator[Wire]:
    if os.geteuid() != 0:
        pytest.fail("the attack suite needs root for a network namespace (CI runs as root)")
    tag = uuid.uuid4().hex[:6]
    ns = f"ipxsec-{tag}"
    subnet = f"10.{int(tag[:2], 16) % 200 + 20}.{int(tag[2:4], 16)}"
    wire = Wire(ns, f"vs{tag}", f"vh{tag}", f"{subnet}.1", f"{subnet}.2", f"{subnet}.3")
    try:
        sh("ip", "netns", "add", ns)
        # fixed addresses, given at creation: udev's MAC policy leaves those alone (it would replace a
        # random one a moment later, under the neighbour table's feet)
        sh("ip", "link", "add", wire.host_device, "address", HOST_MAC, "type", "veth", "peer", "name",
           wire.device, "address", "02:00:00:00:00:01", "netns", ns)  # fmt: skip
        sh("ip", "-n", ns, "addr", "add", f"{wire.server_ip}/24", "dev", wire.device)
        sh("ip", "addr", "add", f"{wire.normal_ip}/24", "dev", wire.host_device)
        sh("ip", "addr", "add", f"{wire.attacker_ip}/24", "dev", wire.host_device)
        sh("ip", "-n", ns, "link", "set", "lo", "up")
        sh("ip", "-n", ns, "link", "set", wire.device, "up")
        sh("ip", "link", "set", wire.host_device, "up")
        yield wire
    finally:
        sh("ip", "link", "del", wire.host_device, check=False)
        sh("ip", "netns", "del", ns, check=False)


def wait_ready(url: str, proc: subprocess.Popen[str], log: Path, seconds: float = 30) -> None:
    """Until /readyz says the server is ready (its ports open, its startup lint done)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if requests.get(f"{url}/readyz", timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        assert proc.poll() is None and time.monotonic() < deadline, log.read_text()[-3000:]
        time.sleep(0.1)


class Session(requests.Session):
    """requests from one of the host-side addresses."""

    def __init__(self, source: str) -> None:
        super().__init__()
        adapter = requests.adapters.HTTPAdapter()
        adapter.init_poolmanager(1, 1, source_address=(source, 0))
        self.mount("http://", adapter)


class Live:
    def __init__(self, wire: Wire, root: Path, state: Path, proc: subprocess.Popen[str], log: Path) -> None:
        self.wire, self.root, self.state, self.proc, self.log = wire, root, state, proc, log
        self.url = f"http://{wire.server_ip}"
        self.normal = Session(wire.normal_ip)
        self.attacker = Session(wire.attacker_ip)

    mac = HOST_MAC  # what the server sees for both host-side addresses

    @property
    def token(self) -> str:
        return (self.state / "api-token").read_text().strip()

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def rss(self) -> int:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise AssertionError("no VmRSS")

    def normal_boot(self) -> float:
        """A well-behaved client's boot script, fetched on a new connection; the seconds it took."""
        started = time.monotonic()
        reply = Session(self.wire.normal_ip).get(f"{self.url}/boot.ipxe?mac={self.mac}", timeout=10)
        elapsed = time.monotonic() - started
        assert reply.status_code == 200 and reply.text.startswith("#!ipxe"), reply.text[:200]
        return elapsed

    def assert_serving(self, rounds: int = 40) -> None:
        """A normal client is served during the attack, and RSS is bounded.

        Each check: the p95 of `rounds` boot scripts under the bound, the slowest under 5x it (a
        scheduling hiccup or two of a shared CI machine is not the server's doing; a server stalled by
        the attack shows in most requests). Over the whole run the samples of every check are pooled and
        their p99 must be under the bound too (`latency_pool`)."""
        times = sorted(self.normal_boot() for _ in range(rounds))
        POOL.extend(times)
        shown = [round(t * 1000) for t in times]
        p95 = times[math.ceil(0.95 * len(times)) - 1]
        assert p95 < LATENCY_BOUND and times[-1] < 5 * LATENCY_BOUND, f"normal boot scripts took {shown} ms"
        assert self.rss() < RSS_BOUND, f"RSS {self.rss() / 2**20:.0f} MiB"
        assert self.proc.poll() is None

    def udp(self, source: str | None = None) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind((source or self.wire.attacker_ip, 0))
        sock.settimeout(2)
        return sock

    def tftp_get(self, name: str, source: str | None = None) -> bytes:
        """A whole file over TFTP (octet, 512-byte blocks) as a normal client fetches it."""
        sock = self.udp(source or self.wire.normal_ip)
        try:
            sock.sendto(b"\0\1" + name.encode() + b"\0octet\0", (self.wire.server_ip, 69))
            data, expected = b"", 1
            while True:
                packet, peer = sock.recvfrom(70000)
                if packet[:2] == b"\0\5":
                    raise FileNotFoundError(packet[4:-1].decode(errors="replace"))
                block = int.from_bytes(packet[2:4], "big")
                if block == expected:
                    data += packet[4:]
                    expected += 1
                sock.sendto(b"\0\4" + packet[2:4], peer)
                if len(packet) < 516:
                    return data
        finally:
            sock.close()

    def server_log(self) -> str:
        return self.log.read_text(errors="replace")


POOL: list[float] = []  # every normal boot's seconds during an attack, this run


@pytest.fixture(scope="session")
def latency_pool() -> Iterator[None]:
    """At the end of the run: the p99 of every normal boot timed during an attack is under the bound
    (the issue's measure). Needs enough samples to mean anything (40 per check)."""
    yield
    if len(POOL) >= 100:
        times = sorted(POOL)
        p99 = times[math.ceil(0.99 * len(times)) - 1]
        assert p99 < LATENCY_BOUND, f"p99 of {len(times)} normal boots during attacks: {p99 * 1000:.0f} ms"


@pytest.fixture
def live(wire: Wire, tmp_path: Path, latency_pool: None) -> Iterator[Live]:
    root = tmp_path / "root"
    (root / "sub").mkdir(parents=True)
    (root / "boot.ipxe").write_text("#!ipxe\necho default for {{ mac }} at {{ site }}\n")
    (root / "a.ipxe").write_text("#!ipxe\necho target A\n")
    (root / "vmlinuz").write_bytes(os.urandom(1024 * 1024))
    (root / "menu.cfg").write_text("DEFAULT linux\n" * 100)
    (root / "ipxescript.toml").write_text(
        'state_dir = "state"\n[metadata]\nsite = "lab"\nsecret = "hunter2-do-not-serve"\n'
        f"[http]\nsend_stall_timeout = {STALL_LIMIT}\n"
    )
    state = root / "state"  # inside ROOT on purpose: it must never be served
    log = tmp_path / "serve.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            ["ip", "netns", "exec", wire.namespace, "prlimit", "--nofile=1024:1024", sys.executable, "-m",
             "ipxescript", "serve", str(root), "--interface", wire.device],
            stdout=out, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
    server = Live(wire, root, state, proc, log)
    try:
        wait_ready(server.url, proc, log)
        yield server
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise AssertionError("the server ignored SIGTERM") from None
    assert "Traceback" not in server.server_log(), server.server_log()[-3000:]
