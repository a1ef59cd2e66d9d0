"""TFTP throughput: our server against tftpd-hpa and dnsmasq, all fetched by the same client (atftp).

    python benchmarks/bench_tftp.py [--reps N] [--quick] [--skip-fuzz]

Needs root (it creates network namespaces) and the Debian packages tftpd-hpa, dnsmasq-base and atftp.

Cells: blksize 1428 with windowsize 1 and 16, on loopback (64 MiB) and across a link with 1 ms of delay
each way (8 MiB). Every server runs inside namespaces this script creates, so dnsmasq (which only listens
on port 69) collides with nothing, and everything is removed at the end.

The delayed link: this kernel has no netem, so the frames are delayed by a process. Three namespaces:

    [srv]  veth 10.77.0.1 ==== [mid] relay process ==== veth 10.77.0.2  [cli]

`srv` and `cli` each hold one end of a veth pair whose other end sits in `mid`. In `mid` the relay (this
file run with --relay) opens a raw AF_PACKET socket on both ends and copies every Ethernet frame across,
each one held 1 ms (a deadline queue per direction, order kept). To the two hosts it is one Ethernet
segment with a 2 ms round trip. Veth leaves UDP checksums to "hardware", so a frame taken off one veth
still carries a partial checksum; the relay sets the UDP checksum to 0 (valid for IPv4: "no checksum").

Each cell reports the median throughput of --reps runs and the ratio ours / other, measured in this run:
the median of the per-rep ratios (each rep downloads from every server in turn, so the pair shares the
machine's load of that moment), with their spread for tftpd-hpa.
The fuzz part sends 10,000 malformed packets to our server, then checks that atftp still gets its file.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import select
import shutil
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from collections import deque
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))
from report import goal  # noqa: E402

SERVERS = ("ours", "tftpd-hpa", "dnsmasq")
BLKSIZE = 1428


# ---------------------------------------------------------------- the delay relay (runs inside `mid`)

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4


def _zero_udp_checksum(frame: bytearray) -> None:
    if len(frame) < 34 or frame[12:14] != b"\x08\x00" or frame[23] != 17:
        return
    header = (frame[14] & 0x0F) * 4
    at = 14 + header + 6
    if len(frame) >= at + 2:
        frame[at : at + 2] = b"\0\0"


def relay(left: str, right: str, delay: float) -> None:
    """Copy frames between two interfaces, each held `delay` seconds. Runs until killed."""
    socks = {}
    for name in (left, right):
        sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        sock.bind((name, 0))
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
        sock.setblocking(False)
        socks[name] = sock
    out = {socks[left].fileno(): socks[right], socks[right].fileno(): socks[left]}
    queue: deque[tuple[float, socket.socket, bytearray]] = (
        deque()
    )  # one delay for all: FIFO is deadline order
    fds = list(out)
    print("relay ready", flush=True)
    while True:
        now = time.monotonic()
        while queue and queue[0][0] <= now:
            _, target, frame = queue.popleft()
            try:
                target.send(frame)
            except OSError:
                pass
        wait = max(0.0, queue[0][0] - now) if queue else 1.0
        readable, _, _ = select.select(fds, [], [], wait)  # select: microsecond timeouts, epoll has ms
        for fd in readable:
            sock = out[fd]
            source = socks[left] if sock is socks[right] else socks[right]
            while True:
                try:
                    data, address = source.recvfrom(65536)
                except BlockingIOError:
                    break
                if address[2] == PACKET_OUTGOING:
                    continue
                frame = bytearray(data)
                _zero_udp_checksum(frame)
                queue.append((time.monotonic() + delay, sock, frame))


def echo(port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("", port))
        print("echo ready", flush=True)
        while True:
            data, peer = sock.recvfrom(2048)
            sock.sendto(data, peer)


def ping(host: str, port: int, count: int = 20) -> None:
    """Print the median UDP round trip to an echo server."""
    times = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(1.0)
        for _ in range(count):
            start = time.perf_counter()
            sock.sendto(b"ping", (host, port))
            sock.recvfrom(2048)
            times.append(time.perf_counter() - start)
    print(f"{statistics.median(times) * 1000:.2f} ms (median of {count})")


# ---------------------------------------------------------------- namespaces and servers


def run(*command: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, check=check, capture_output=True, text=True)


@contextmanager
def namespace(name: str) -> Iterator[str]:
    run("ip", "netns", "add", name)
    try:
        run("ip", "-n", name, "link", "set", "lo", "up")
        yield name
    finally:
        run("ip", "netns", "del", name, check=False)


def in_ns(ns: str, *command: str) -> list[str]:
    return ["ip", "netns", "exec", ns, *command]


@contextmanager
def process(command: list[str], ready: str | None = None) -> Iterator[subprocess.Popen[str]]:
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        if ready is not None:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            if ready not in line:
                raise RuntimeError(f"{command[0]} did not start: {line!r}")
        else:
            time.sleep(0.5)
        if proc.poll() is not None:
            raise RuntimeError(f"{' '.join(command)} exited with {proc.returncode}")
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def server_command(kind: str, root: str, address: str, port: int) -> tuple[list[str], str | None]:
    if kind == "ours":
        cmd = [
            sys.executable,
            "-m",
            "ipxescript.serve.tftp",
            root,
            "--address",
            address,
            "--port",
            str(port),
            "-q",
        ]
        return cmd, "listening on"
    if kind == "tftpd-hpa":
        return ["in.tftpd", "-L", "-u", "root", "-s", root, "-a", f"{address}:{port}"], None
    if kind == "dnsmasq":  # its TFTP always listens on 69
        cmd = ["dnsmasq", "-k", "-C", "/dev/null", "--port=0", "--enable-tftp", f"--tftp-root={root}"]
        cmd += [
            "--user=root",
            "--pid-file=",
            f"--listen-address={address}",
            "--bind-interfaces",
            "--quiet-tftp",
        ]
        return cmd, None
    raise ValueError(kind)


def server_port(kind: str) -> int:
    return {"ours": 6969, "tftpd-hpa": 6970, "dnsmasq": 69}[kind]


def fetch(ns: str, address: str, port: int, name: str, dest: str, windowsize: int) -> float:
    """One atftp download; returns the wall time in seconds."""
    cmd = in_ns(ns, "atftp", "--option", f"blksize {BLKSIZE}", "--option", f"windowsize {windowsize}")
    cmd += ["-g", "-r", name, "-l", dest, address, str(port)]
    if os.path.exists(dest):
        os.unlink(dest)
    start = time.perf_counter()
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise RuntimeError(f"atftp failed: {result.stderr.strip()}")
    return elapsed


def sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def measure(
    server_ns: str, client_ns: str, address: str, root: str, name: str, windowsize: int, reps: int, work: str
) -> dict[str, float]:
    """MB/s per server (median of reps) for one cell; every download is checked byte for byte.

    The three servers run side by side and the downloads take turns (ours, hpa, dnsmasq, ours, ...), so a
    burst of load from elsewhere on the machine hits every server alike.
    """
    expected = sha256(os.path.join(root, name))
    size = os.path.getsize(os.path.join(root, name))
    times: dict[str, list[float]] = {kind: [] for kind in SERVERS}
    with ExitStack() as stack:
        for kind in SERVERS:
            command, ready = server_command(kind, root, address, server_port(kind))
            stack.enter_context(process(in_ns(server_ns, *command), ready))
        for _ in range(reps):
            for kind in SERVERS:
                dest = os.path.join(work, "download")
                times[kind].append(fetch(client_ns, address, server_port(kind), name, dest, windowsize))
                if sha256(dest) != expected:
                    raise RuntimeError(f"{kind}: downloaded file differs")
    rates = {kind: size / statistics.median(times[kind]) / 1e6 for kind in SERVERS}
    for other in SERVERS[1:]:  # paired: each rep's ratio, then their median, lowest and highest
        each = sorted(theirs / ours for ours, theirs in zip(times["ours"], times[other], strict=True))
        rates[f"vs {other}"] = statistics.median(each)
        rates[f"vs {other} low"], rates[f"vs {other} high"] = each[0], each[-1]
    return rates


@contextmanager
def delayed_link(tag: str, delay_ms: float) -> Iterator[tuple[str, str]]:
    """Namespaces srv and cli joined through the relay in mid; yields (srv, cli)."""
    with ExitStack() as stack:
        srv = stack.enter_context(namespace(f"{tag}s"))
        cli = stack.enter_context(namespace(f"{tag}c"))
        mid = stack.enter_context(namespace(f"{tag}m"))
        for ns, inner, outer, address in (
            (srv, "s0", "s1", "10.77.0.1/24"),
            (cli, "c0", "c1", "10.77.0.2/24"),
        ):
            run(
                "ip", "link", "add", f"{tag}{inner}", "netns", ns, "type", "veth", "peer", outer, "netns", mid
            )
            run("ip", "-n", ns, "link", "set", f"{tag}{inner}", "name", "eth0")
            run("ip", "-n", ns, "addr", "add", address, "dev", "eth0")
            run("ip", "-n", ns, "link", "set", "eth0", "up")
            run("ip", "-n", mid, "link", "set", outer, "up")
        relay_cmd = in_ns(mid, sys.executable, __file__, "--relay", "s1", "c1", "--delay-ms", str(delay_ms))
        stack.enter_context(process(relay_cmd, "relay ready"))
        stack.enter_context(process(in_ns(srv, sys.executable, __file__, "--echo", "7007"), "echo ready"))
        ping = run(*in_ns(cli, sys.executable, __file__, "--ping", "10.77.0.1", "7007"), check=False)
        if ping.returncode != 0:
            raise RuntimeError(f"the delayed link does not carry traffic: {ping.stderr.strip()}")
        print(f"delayed link up, UDP round trip {ping.stdout.strip()}", flush=True)
        yield srv, cli


# ---------------------------------------------------------------- fuzz


def malformed_packets(count: int, seed: int = 6) -> Iterator[bytes]:
    rng = random.Random(seed)
    shapes = [
        lambda: rng.randbytes(rng.randrange(0, 600)),
        lambda: struct.pack("!H", rng.randrange(0, 12)) + rng.randbytes(rng.randrange(0, 40)),
        lambda: b"\x00\x01" + rng.randbytes(rng.randrange(0, 80)),  # RRQ with junk fields
        lambda: b"\x00\x01" + b"../" * rng.randrange(1, 20) + b"etc/passwd\x00octet\x00",
        lambda: b"\x00\x01f\x00octet\x00blksize\x00" + rng.choice([b"0", b"-1", b"999999", b"x"]) + b"\x00",
        lambda: b"\x00\x02" + rng.randbytes(rng.randrange(0, 40)) + b"\x00octet\x00",
        lambda: struct.pack("!HH", rng.choice([3, 4, 5, 6]), rng.randrange(65536)) + rng.randbytes(8),
        lambda: b"\x00\x01missing" + str(rng.random()).encode() + b"\x00netascii\x00",
    ]
    for _ in range(count):
        yield rng.choice(shapes)()


def fuzz(root: str, name: str, work: str, count: int = 10_000) -> tuple[float, bool]:
    """Malformed packets at our server, then a real download; returns (seconds for the flood, file ok)."""
    with namespace(f"tbf{os.getpid()}") as ns:
        command, ready = server_command("ours", root, "127.0.0.1", 6969)
        with process(in_ns(ns, *command), ready) as proc:
            sender = subprocess.run(
                in_ns(ns, sys.executable, __file__, "--flood", str(count), "--port", "6969"),
                capture_output=True,
                text=True,
                timeout=300,
            )
            if sender.returncode != 0:
                raise RuntimeError(f"flood failed: {sender.stderr}")
            elapsed = float(sender.stdout.strip())
            dest = os.path.join(work, "after-fuzz")
            fetch(ns, "127.0.0.1", 6969, name, dest, 16)
            ok = sha256(dest) == sha256(os.path.join(root, name)) and proc.poll() is None
    return elapsed, ok


def flood(count: int, port: int) -> None:
    start = time.perf_counter()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for i, packet in enumerate(malformed_packets(count)):
            sock.sendto(packet, ("127.0.0.1", port))
            if i % 10 == 9:
                time.sleep(0.001)  # about 10,000 a second: the server examines them, not the kernel drops
    print(f"{time.perf_counter() - start:.3f}")


# ---------------------------------------------------------------- main


def table(rows: list[tuple[str, dict[str, float]]]) -> str:
    head = (
        f"{'cell':<34}"
        + "".join(f"{k + ' MB/s':>16}" for k in SERVERS)
        + f"{'vs hpa':>9}{'vs dnsmasq':>12}  reps vs hpa"
    )
    lines = [head, "-" * len(head)]
    for cell, rates in rows:
        line = f"{cell:<34}" + "".join(f"{rates[k]:>16.2f}" for k in SERVERS)
        line += f"{rates['vs tftpd-hpa']:>8.2f}x{rates['vs dnsmasq']:>11.2f}x"
        line += f"  {rates['vs tftpd-hpa low']:.2f}-{rates['vs tftpd-hpa high']:.2f}x"
        lines.append(line)
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reps", type=int, default=5, help="downloads per server and cell (median taken)")
    parser.add_argument("--quick", action="store_true", help="smaller files, one rep (a smoke run)")
    parser.add_argument("--skip-fuzz", action="store_true")
    parser.add_argument("--only", choices=["loopback", "delayed"], help="run one kind of cell")
    parser.add_argument("--relay", nargs=2, metavar=("IF1", "IF2"), help=argparse.SUPPRESS)
    parser.add_argument("--delay-ms", type=float, default=1.0, help=argparse.SUPPRESS)
    parser.add_argument("--flood", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=6969, help=argparse.SUPPRESS)
    parser.add_argument("--echo", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--ping", nargs=2, metavar=("HOST", "PORT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.echo:
        echo(args.echo)
        return 0
    if args.ping:
        ping(args.ping[0], int(args.ping[1]))
        return 0
    if args.relay:
        relay(args.relay[0], args.relay[1], args.delay_ms / 1000)
        return 0
    if args.flood:
        flood(args.flood, args.port)
        return 0
    if os.geteuid() != 0:
        print("bench_tftp needs root (network namespaces)", file=sys.stderr)
        return 1
    missing = [tool for tool in ("atftp", "in.tftpd", "dnsmasq", "ip") if shutil.which(tool) is None]
    if missing:
        print(f"missing tools: {', '.join(missing)}", file=sys.stderr)
        return 1
    reps = 1 if args.quick else args.reps
    big, small = (8 << 20, 1 << 20) if args.quick else (64 << 20, 8 << 20)
    os.environ["PYTHONPATH"] = str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")
    rows: list[tuple[str, dict[str, float]]] = []
    with tempfile.TemporaryDirectory(prefix="bench-tftp-") as tmp:
        root, work = os.path.join(tmp, "root"), os.path.join(tmp, "work")
        os.mkdir(root)
        os.mkdir(work)
        os.chmod(tmp, 0o755)
        os.chmod(root, 0o755)
        for name, size in (("big.bin", big), ("small.bin", small)):
            with open(os.path.join(root, name), "wb") as handle:
                handle.write(random.Random(size).randbytes(size))
        tag = f"tb{os.getpid() % 100000}"
        if args.only in (None, "loopback"):
            with namespace(f"{tag}l") as ns:
                # a non-loopback address, or getaddrinfo(AI_ADDRCONFIG) in tftpd-hpa resolves nothing
                run("ip", "-n", ns, "link", "add", "v0", "type", "veth", "peer", "name", "v1")
                run("ip", "-n", ns, "addr", "add", "10.78.0.1/24", "dev", "v0")
                run("ip", "-n", ns, "link", "set", "v0", "up")
                for windowsize in (1, 16):
                    rates = measure(ns, ns, "127.0.0.1", root, "big.bin", windowsize, reps, work)
                    rows.append((f"loopback {big >> 20} MiB w{windowsize}", rates))
                    print(table(rows[-1:]).splitlines()[-1], flush=True)
        if args.only in (None, "delayed"):
            with delayed_link(tag, args.delay_ms) as (srv, cli):
                for windowsize in (1, 16):
                    rates = measure(srv, cli, "10.77.0.1", root, "small.bin", windowsize, reps, work)
                    rows.append((f"1 ms delay {small >> 20} MiB w{windowsize}", rates))
                    print(table(rows[-1:]).splitlines()[-1], flush=True)
        print()
        print(f"TFTP throughput, atftp client, blksize {BLKSIZE}, median of {reps} (ratio = ours / other)")
        print(table(rows))
        for cell, rates in rows:
            if cell.endswith(" w1"):  # issue 15: at least tftpd-hpa's rate at windowsize 1
                goal("tftp", f"{cell}, ours / tftpd-hpa", rates["vs tftpd-hpa"], 1.0)
        if not args.skip_fuzz:
            seconds, ok = fuzz(root, "small.bin", work)
            verdict = "still serves: file byte-identical" if ok else "FAILED: the file did not arrive intact"
            print(f"\nfuzz: 10000 malformed packets in {seconds:.2f} s, then atftp: {verdict}")
            if not ok:
                return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
