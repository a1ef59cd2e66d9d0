"""Helpers for the DHCP tests: client packets built with our codec, loopback servers, network namespaces."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from ipxescript.serve.dhcp import codec as c

REPO = Path(__file__).resolve().parents[2]


def mac_bytes(mac: str) -> bytes:
    return bytes.fromhex(mac.replace(":", ""))


def client_packet(
    kind: int,
    mac: str = "52:54:00:12:34:56",
    xid: int = 0x1234,
    arch: int | None = None,
    vendor: str | None = None,
    user_class: bytes | None = None,
    requested: str | None = None,
    server_id: str | None = None,
    ciaddr: str = "0.0.0.0",
    giaddr: str = "0.0.0.0",
    broadcast: bool = True,
    extra: dict[int, bytes] | None = None,
) -> c.DhcpPacket:
    options: dict[int, bytes] = {c.OPT_MESSAGE_TYPE: bytes((kind,))}
    if requested:
        options[c.OPT_REQUESTED_IP] = c.ip_bytes(requested)
    if server_id:
        options[c.OPT_SERVER_ID] = c.ip_bytes(server_id)
    if arch is not None:
        options[c.OPT_CLIENT_ARCH] = c.arch_option(arch)
    if vendor:
        options[c.OPT_VENDOR_CLASS] = vendor.encode()
    if user_class is not None:
        options[c.OPT_USER_CLASS] = user_class
    options.update(extra or {})
    return c.DhcpPacket(
        xid=xid,
        flags=c.BROADCAST_FLAG if broadcast else 0,
        ciaddr=ciaddr,
        giaddr=giaddr,
        hops=1 if giaddr != "0.0.0.0" else 0,
        chaddr=mac_bytes(mac),
        options=options,
    )


def free_udp_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


class AsyncUdp:
    """A UDP socket used from a test coroutine: send a packet, collect decoded replies."""

    def __init__(self, host: str, port: int = 0, broadcast: bool = False) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if broadcast:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        self.sock.bind((host, port))
        self.sock.setblocking(False)
        self.port: int = self.sock.getsockname()[1]

    async def send(self, packet: c.DhcpPacket, to: tuple[str, int]) -> None:
        await asyncio.get_running_loop().sock_sendto(self.sock, c.encode(packet), to)

    async def receive(self, timeout: float = 1.0) -> tuple[c.DhcpPacket, tuple[str, int]] | None:
        try:
            data, source = await asyncio.wait_for(
                asyncio.get_running_loop().sock_recvfrom(self.sock, 4096), timeout
            )
        except TimeoutError:
            return None
        return c.decode(data), source

    def close(self) -> None:
        self.sock.close()


# --- network namespaces -------------------------------------------------------------------------------


def run(*args: str, check: bool = True, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, check=check, capture_output=True, text=True, timeout=timeout)


def netns_available() -> bool:
    return os.geteuid() == 0 and shutil.which("ip") is not None


class Lab:
    """Namespaces on one bridge: `srv` holds the bridge (the server's interface), each other namespace gets
    a veth into it. Names are unique per lab; `close()` removes everything."""

    def __init__(self, subnet: str = "10.213.7", prefix: int = 24) -> None:
        self.tag = uuid.uuid4().hex[:6]
        self.subnet = subnet
        self.prefix = prefix
        self.server_ns = f"ipxd{self.tag}s"
        self.bridge = "br0"
        self.server_ip = f"{subnet}.1"
        self.namespaces: list[str] = []
        self.processes: list[subprocess.Popen[bytes]] = []
        self._add_ns(self.server_ns)
        self.ns_exec(self.server_ns, "ip", "link", "set", "lo", "up")
        # A fixed MAC: a bridge without one takes its lowest port's, so a host joining later could change
        # it under the neighbours' ARP caches (their TCP to us, e.g. PostgreSQL, stalls for minutes).
        mac = "02:00:00:" + ":".join(self.tag[i : i + 2] for i in range(0, 6, 2))
        self.ns_exec(self.server_ns, "ip", "link", "add", self.bridge, "address", mac, "type", "bridge")
        self.ns_exec(self.server_ns, "ip", "addr", "add", f"{self.server_ip}/{prefix}", "dev", self.bridge)
        self.ns_exec(self.server_ns, "ip", "link", "set", self.bridge, "up")
        self.ns_exec(self.server_ns, "sysctl", "-qw", f"net.ipv6.conf.{self.bridge}.disable_ipv6=1")

    def _add_ns(self, name: str) -> None:
        run("ip", "netns", "add", name)
        self.namespaces.append(name)

    def add_host(
        self, name: str, mac: str | None = None, address: str | None = None, bridged: bool = True
    ) -> str:
        """A namespace with interface `eth0` on the bridge (or on a separate link into the server's namespace
        when not `bridged`); returns the namespace name."""
        ns = f"ipxd{self.tag}{name}"
        self._add_ns(ns)
        host_end = f"v{self.tag}{name}"[:15]
        run("ip", "link", "add", host_end, "type", "veth", "peer", "name", "eth0", "netns", ns)
        run("ip", "link", "set", host_end, "netns", self.server_ns)
        if bridged:
            self.ns_exec(self.server_ns, "ip", "link", "set", host_end, "master", self.bridge)
        self.ns_exec(self.server_ns, "ip", "link", "set", host_end, "up")
        self.ns_exec(ns, "ip", "link", "set", "lo", "up")
        if mac:
            self.ns_exec(ns, "ip", "link", "set", "eth0", "address", mac)
        self.ns_exec(ns, "ip", "link", "set", "eth0", "up")
        if address:
            self.ns_exec(ns, "ip", "addr", "add", f"{address}/{self.prefix}", "dev", "eth0")
        return ns

    def ns_exec(
        self, ns: str, *args: str, check: bool = True, timeout: float = 30
    ) -> subprocess.CompletedProcess[str]:
        return run("ip", "netns", "exec", ns, *args, check=check, timeout=timeout)

    def spawn(
        self, ns: str, *args: str, stdout: int | None = subprocess.PIPE, **kwargs: object
    ) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            ["ip", "netns", "exec", ns, *args],
            stdout=stdout,
            stderr=subprocess.PIPE,
            start_new_session=True,
            **kwargs,  # type: ignore[call-overload]
        )
        self.processes.append(process)
        return process

    def stop(self, process: subprocess.Popen[bytes], timeout: float = 5) -> None:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout)

    def close(self) -> None:
        for process in self.processes:
            self.stop(process)
        for ns in reversed(self.namespaces):
            run("ip", "netns", "del", ns, check=False)
        self.namespaces = []


@contextlib.contextmanager
def lab(subnet: str = "10.213.7") -> Iterator[Lab]:
    the_lab = Lab(subnet)
    try:
        yield the_lab
    finally:
        the_lab.close()


def start_runner(
    lab: Lab, *args: str, log_file: Path, timeout: float = 15, wrapper: tuple[str, ...] = ()
) -> subprocess.Popen[bytes]:
    """`python -m ipxescript.serve.dhcp ...` inside the server namespace, on the bridge; waits for "ready".
    `wrapper` goes before the interpreter (the benchmark pins CPUs with taskset)."""
    process = lab.spawn(
        lab.server_ns,
        *wrapper,
        os.environ.get("PYTHON", sys.executable),
        "-m",
        "ipxescript.serve.dhcp",
        "--interface",
        lab.bridge,
        "--address",
        lab.server_ip,
        "--log-file",
        str(log_file),
        *args,
        cwd=str(REPO),
    )
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    line = b""
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if line.strip() == b"ready" or not line:
            break
    if line.strip() != b"ready":
        lab.stop(process)
        err = process.stderr.read().decode() if process.stderr else ""
        raise AssertionError(f"dhcp runner did not start: {err}")
    return process


# --- malformed packets for fuzzing ---------------------------------------------------------------------


def malformed_packets(count: int, seed: int = 6) -> Iterator[bytes]:
    """A reproducible mix of garbage: random bytes, truncations, bit flips of valid requests, valid headers
    with broken options, bad overloads, absurd lengths and options that decode but make no sense."""
    import random

    rng = random.Random(seed)
    valid = [
        c.encode(
            client_packet(
                c.DISCOVER,
                mac=f"02:00:00:00:{i // 256:02x}:{i % 256:02x}",
                arch=i % 12,
                vendor="PXEClient:Arch:00000",
                user_class=b"iPXE" if i % 2 else None,
            )
        )
        for i in range(16)
    ]
    header = valid[0][: c.HEADER.size] + c.MAGIC_COOKIE
    for i in range(count):
        kind = i % 8
        base = bytearray(rng.choice(valid))
        if kind == 0:
            yield rng.randbytes(rng.randrange(0, 600))
        elif kind == 1:
            yield bytes(base[: rng.randrange(0, len(base))])
        elif kind == 2:
            for _ in range(rng.randrange(1, 20)):
                base[rng.randrange(len(base))] ^= 1 << rng.randrange(8)
            yield bytes(base)
        elif kind == 3:
            yield header + rng.randbytes(rng.randrange(0, 400))
        elif kind == 4:  # overload pointing at garbage file/sname
            broken = bytearray(header)
            broken[44:236] = rng.randbytes(192)
            yield bytes(broken) + bytes((53, 1, 1, 52, 1, rng.randrange(0, 5), 255))
        elif kind == 5:  # every option with a random, possibly absurd, value
            code = rng.randrange(1, 255)
            value = rng.randbytes(rng.randrange(0, 256))
            yield header + bytes((53, 1, rng.randrange(0, 12), code, len(value))) + value + b"\xff"
        elif kind == 6:  # a lying length byte
            yield header + bytes((53, 1, 1, 60, 255)) + b"PXEClient"
        else:  # the wrong op / hlen / message types
            base[0] = rng.choice((0, 2, 3, 255))
            base[2] = rng.choice((6, 16, 17, 255))
            yield bytes(base)
