"""HTTP benchmark of `ipxescript serve` against nginx on the same files, plus two security checks.

    python benchmarks/bench_http.py [--duration 5] [--rounds 5] [--connections 50] [--http-workers 1,2]

- Throughput: wrk with 50 connections on a 1 GiB (sparse) file and on a small iPXE script, ours and
  nginx (started here on loopback with a temporary config) in alternating order, several rounds; the
  ratio is the median of the per-round ratios (their spread printed beside it), so load from other
  processes hits both sides alike. wrk's own CPU per request is printed too: on two shared cores the
  load generator takes about as much CPU as nginx, so it bounds both sides alike, not ours alone.
  One worker each: nginx `worker_processes 1`, ours one HTTP process (`--http-workers 1,2` adds more).
  The per-client script (`/boot.ipxe?mac=...`: assignments, selectors, rendering) is measured against
  nginx's static script too.
  Targets (issue 15): >= 0.9x nginx on the big file; >= 0.5x nginx's request rate on the small script
  with p99 <= 3 ms, and boot.ipxe at least as fast (its rate over the small script's, each against
  nginx in its own round, so the load of the minutes between them cancels out).
- wrk's p99 is corrected for coordinated omission (wrk.c: stats_correct, with the interval
  connections / rate): a request that waited D adds a sample at every interval below D. The share of
  samples over 3 ms is then about the time a connection spends waiting past its first 3 ms, over the
  run's duration, whatever the rate: p99 <= 3 ms means the connections were kept waiting past 3 ms for
  less than 1% of the run on average (50 ms of a 5 s round), which on a shared machine the scheduler
  decides as much as the server. Each round's p99 is printed beside nginx's, and the median of their
  per-round ratio beside the absolute value.
- Security: 50 traversal attempts over HTTP and TFTP must all be refused; with 500 slow clients holding
  connections open (headers trickling in), a normal request must still be answered within a second.

Needs `wrk` and `nginx` (Debian: wrk, nginx-light). Exit status 1 if a security check fails.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import goal  # noqa: E402

SCRIPT = (
    b"#!ipxe\necho Booting ${mac} from the benchmark\nkernel http://10.0.0.1/vmlinuz console=ttyS0\nboot\n"
)
SECRET = b"BENCH-SECRET-OUTSIDE-ROOT"
BOOT_PATH = "/boot.ipxe?mac=52:54:00:12:34:56"  # a per-client script: no assignment, so boot.ipxe itself


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_http(port: int, path: str = "/", seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                sock.sendall(f"HEAD {path} HTTP/1.0\r\n\r\n".encode())
                if sock.recv(16).startswith(b"HTTP/"):
                    return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"nothing answers HTTP on port {port}")


@dataclass
class Result:
    requests_per_s: float
    bytes_per_s: float
    p99_ms: float | None
    wrk_cpu_s: float = 0.0  # wrk's own user + system time over the run


_UNITS = {"B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3, "TB": 1024**4}
_TIME = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def wrk(url: str, duration: int, connections: int) -> Result:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "30s", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    transfer = re.search(r"Transfer/sec:\s+([\d.]+)([KMGT]?B)", out)
    p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s|m)\s*$", out, re.M)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return Result(
        float(rps.group(1)) if rps else 0.0,
        float(transfer.group(1)) * _UNITS[transfer.group(2)] if transfer else 0.0,
        float(p99.group(1)) * _TIME[p99.group(2)] if p99 and float(p99.group(1)) > 0 else None,
        after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime,
    )


def start_ours(root: Path, state: Path, port: int, workers: int = 1) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "ipxescript", "serve", str(root), "--http-port", str(port),
         "--tftp-port", str(free_port(socket.SOCK_DGRAM)), "--state-dir", str(state), "-q",
         "--http-workers", str(workers)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    wait_http(port, "/small.ipxe")
    deadline = time.monotonic() + 60
    while not http_ok(port, "/readyz"):  # the startup lint is done: every script has its verdict
        if time.monotonic() > deadline:
            raise SystemExit("the server did not become ready in 60 s")
        time.sleep(0.1)
    return proc


def http_ok(port: int, path: str) -> bool:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(f"GET {path} HTTP/1.0\r\n\r\n".encode())
        return sock.recv(16).split(b" ")[1:2] == [b"200"]


def tftp_port_of(proc: subprocess.Popen[bytes]) -> int:
    assert proc.stdout is not None
    for raw in proc.stdout:
        match = re.match(rb"\s+TFTP\s+[\d.]+:(\d+)", raw)
        if match:
            return int(match.group(1))
    raise SystemExit("the server did not print its TFTP port")


def start_nginx(root: Path, work: Path, port: int) -> subprocess.Popen[bytes]:
    user = "user root;\n" if os.geteuid() == 0 else ""
    conf = work / "nginx.conf"
    conf.write_text(
        f"""{user}worker_processes 1;
pid {work}/nginx.pid;
error_log {work}/nginx-error.log;
daemon off;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  sendfile on;
  tcp_nopush on;
  client_body_temp_path {work}/body; proxy_temp_path {work}/proxy; fastcgi_temp_path {work}/fastcgi;
  uwsgi_temp_path {work}/uwsgi; scgi_temp_path {work}/scgi;
  types {{ text/plain ipxe; application/octet-stream img; }}
  server {{ listen 127.0.0.1:{port}; root {root}; autoindex off; }}
}}
"""
    )
    proc = subprocess.Popen(["nginx", "-c", str(conf), "-p", str(work), "-e", str(work / "nginx-error.log")])
    wait_http(port, "/small.ipxe")
    return proc


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def compare(
    name: str, path: str, ours: int, nginx: int, args: argparse.Namespace, nginx_path: str | None = None
) -> dict[str, list[Result]]:
    """`path` on both servers (or `nginx_path` on nginx) in alternating order, `args.rounds` times."""
    results: dict[str, list[Result]] = {"ours": [], "nginx": []}
    for round_no in range(args.rounds):
        order = [("ours", ours, path), ("nginx", nginx, nginx_path or path)]
        if round_no % 2:
            order.reverse()
        for who, port, url_path in order:
            results[who].append(wrk(f"http://127.0.0.1:{port}{url_path}", args.duration, args.connections))
        print(
            f"  {name} round {round_no + 1}: "
            + ", ".join(
                f"{who} {describe(results[who][-1], name, args.duration)}" for who in ("ours", "nginx")
            ),
            flush=True,
        )
    return results


def describe(result: Result, name: str, duration: int) -> str:
    if name == "big file":
        return f"{result.bytes_per_s / 1024**2:.0f} MiB/s"
    p99 = f"{result.p99_ms:.1f} ms" if result.p99_ms is not None else "-"
    requests = result.requests_per_s * duration
    wrk_us = result.wrk_cpu_s / requests * 1e6 if requests else 0.0
    return f"{result.requests_per_s:.0f} req/s p99 {p99} (wrk {wrk_us:.0f} us CPU/request)"


def ratios(results: dict[str, list[Result]], field: str) -> list[float]:
    pairs = zip(results["ours"], results["nginx"], strict=True)
    return [getattr(o, field) / getattr(n, field) for o, n in pairs if getattr(n, field) > 0]


def ratio(results: dict[str, list[Result]], field: str) -> float:
    return statistics.median(ratios(results, field))


def spread(results: dict[str, list[Result]], field: str) -> str:
    each = ratios(results, field)
    return f"rounds {min(each):.2f}-{max(each):.2f}x"


# -- security ---------------------------------------------------------------------------------------------
HTTP_ATTACKS = [
    "/../secret.txt", "/../../secret.txt", "/../../../../../../etc/passwd", "/sub/../../secret.txt",
    "/%2e%2e/secret.txt", "/%2E%2E/secret.txt", "/%2e%2e%2fsecret.txt", "/..%2fsecret.txt", "/..%2Fsecret.txt",
    "/%2e./secret.txt", "/.%2e/secret.txt", "/sub/%2e%2e/%2e%2e/secret.txt", "/..%5csecret.txt",
    "/..\\secret.txt", "/sub\\..\\..\\secret.txt", "/%5c..%5csecret.txt", "/..%255csecret.txt",
    "/%252e%252e/secret.txt", "/..%c0%afsecret.txt", "/%c0%ae%c0%ae/secret.txt", "/escape/secret.txt",
    "/escape_file", "/escape/../secret.txt", "//../secret.txt", "/./../secret.txt", "/%00../secret.txt",
    "/secret.txt%00.ipxe", "/C:/secret.txt", "/c:%5csecret.txt", "/.hidden",
]  # fmt: skip
TFTP_ATTACKS = [
    "../secret.txt", "../../secret.txt", "/../secret.txt", "sub/../../secret.txt", "..\\secret.txt",
    "sub\\..\\..\\secret.txt", "/etc/passwd", "escape/secret.txt", "escape_file", "./../secret.txt",
    "....//secret.txt", "..//secret.txt", "\\..\\secret.txt", "/escape_file", "escape/../secret.txt",
    "%2e%2e/secret.txt", "..%2fsecret.txt", "sub/../../../../etc/passwd", "C:\\secret.txt", "/../../../../etc/passwd",
]  # fmt: skip


def http_refused(port: int, path: str) -> bool:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(f"GET {path} HTTP/1.0\r\n\r\n".encode("latin-1"))
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    status = data.split(b" ", 2)[1] if data.startswith(b"HTTP/") else b"000"
    return status != b"200" and SECRET not in data


def tftp_refused(port: int, path: str) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(5)
        sock.sendto(b"\x00\x01" + path.encode() + b"\x00octet\x00", ("127.0.0.1", port))
        try:
            data, _ = sock.recvfrom(65536)
        except TimeoutError:
            return True  # silence is a refusal too
    return data[:2] == b"\x00\x05" and SECRET not in data


def slow_clients(port: int, count: int = 500) -> tuple[int, list[float]]:
    """Open `count` connections that trickle header bytes; time normal requests meanwhile. The server
    refuses those over its per-address limit and closes those whose headers take too long: a refused
    or closed one is simply dropped here."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, count * 2 + 256)), hard))
    held: list[socket.socket] = []

    def trickle(line: bytes) -> None:
        for sock in list(held):
            try:
                sock.sendall(line)
            except OSError:
                held.remove(sock)
                sock.close()

    for _ in range(count):  # from another address than the normal client's (each has its own limit)
        try:
            sock = socket.create_connection(("127.0.0.1", port), timeout=5, source_address=("127.0.0.2", 0))
        except OSError:
            continue
        held.append(sock)
    trickle(b"GET /small.ipxe HTTP/1.1\r\nHost: x\r\n")
    times = []
    try:
        for step in range(5):
            trickle(f"X-Slow-{step}: y\r\n".encode())
            started = time.monotonic()
            with socket.create_connection(("127.0.0.1", port), timeout=10) as normal:
                normal.sendall(b"GET /small.ipxe HTTP/1.0\r\n\r\n")
                data = b""
                while chunk := normal.recv(65536):
                    data += chunk
            assert data.split(b" ", 2)[1] == b"200" and data.endswith(SCRIPT), data[:100]
            times.append(time.monotonic() - started)
            time.sleep(0.2)
        trickle(b"X-Still: here\r\n")
        alive = len(held)
    finally:
        for sock in held:
            sock.close()
    return alive, times


def make_tree(work: Path) -> Path:
    root = work / "root"
    (root / "sub").mkdir(parents=True)
    with open(root / "big.img", "wb") as big:
        big.truncate(1024**3)  # sparse: both servers read the same zero pages
    (root / "small.ipxe").write_bytes(SCRIPT)
    (root / "boot.ipxe").write_bytes(SCRIPT)  # what /boot.ipxe serves a client with no assignment
    (work / "secret.txt").write_bytes(SECRET)
    (root / ".hidden").write_bytes(SECRET)
    (root / "escape").symlink_to(work)
    (root / "escape_file").symlink_to(work / "secret.txt")
    return root


def warm(path: Path) -> None:
    """Read the file once, so both servers send it from the page cache: the first reader of the fresh
    sparse file would pay for filling it (the kernel zeroes each page), in round 1 only."""
    buffer = bytearray(1 << 20)
    with open(path, "rb", buffering=0) as handle:
        while handle.readinto(buffer):
            pass


def p99_of(results: list[Result]) -> float:
    p99s = [r.p99_ms for r in results if r.p99_ms is not None]
    return statistics.median(p99s) if p99s else float("inf")


def p99_ratio(results: dict[str, list[Result]]) -> float:
    """Median over the rounds of our p99 over nginx's in the same round."""
    pairs = zip(results["ours"], results["nginx"], strict=True)
    each = [o.p99_ms / n.p99_ms for o, n in pairs if o.p99_ms is not None and n.p99_ms]
    return statistics.median(each) if each else float("nan")


def report(
    workers: int,
    small: dict[str, list[Result]],
    boot: dict[str, list[Result]],
    big: dict[str, list[Result]],
    connections: int,
) -> None:
    small_ratio = ratio(small, "requests_per_s")
    boot_ratio = ratio(boot, "requests_per_s")
    big_ratio = ratio(big, "bytes_per_s")
    mib = 1024**2
    print(f"\nours with {workers} HTTP process(es), nginx with 1 worker, {connections} connections")
    print(f"  {'':30} {'ours':>14} {'nginx':>14} {'ratio':>7}   target")
    print(
        f"  {'big file (1 GiB)':30} "
        f"{statistics.median(r.bytes_per_s for r in big['ours']) / mib:8.0f} MiB/s "
        f"{statistics.median(r.bytes_per_s for r in big['nginx']) / mib:8.0f} MiB/s "
        f"{big_ratio:6.2f}x   >= 0.90x  {'PASS' if big_ratio >= 0.9 else 'FAIL'}  ({spread(big, 'bytes_per_s')})"
    )
    for label, results, value in (
        ("small script", small, small_ratio),
        ("boot.ipxe (vs nginx's script)", boot, boot_ratio),
    ):
        print(
            f"  {label + ' req/s':30} {statistics.median(r.requests_per_s for r in results['ours']):14.0f} "
            f"{statistics.median(r.requests_per_s for r in results['nginx']):14.0f} "
            f"{value:6.2f}x   >= 0.50x  {'PASS' if value >= 0.5 else 'FAIL'}  ({spread(results, 'requests_per_s')})"
        )
        p99, theirs = p99_of(results["ours"]), p99_of(results["nginx"])
        print(
            f"  {label + ' p99':30} {p99:11.1f} ms {theirs:11.1f} ms {p99_ratio(results):6.2f}x   <= 3 ms   "
            f"{'PASS' if p99 <= 3 else 'FAIL'}"
        )
    if (
        workers == 1
    ):  # p99 is absolute (the goal); nginx's in the same run says what the machine allowed
        small_p99, boot_p99 = p99_of(small["ours"]), p99_of(boot["ours"])
        goal("http", "small static file req/s, ours / nginx (1 worker each)", small_ratio, 0.5)
        goal(
            "http",
            f"small static file p99, 50 conns (nginx: {p99_of(small['nginx']):.1f} ms)",
            small_p99,
            3,
            False,
            "ms",
        )
        goal("http", "boot.ipxe per client req/s, ours / nginx's static file", boot_ratio, 0.5)
        goal(
            "http",
            f"boot.ipxe per client p99, 50 conns (nginx: {p99_of(boot['nginx']):.1f} ms)",
            boot_p99,
            3,
            False,
            "ms",
        )
        goal("http", "1 GiB file throughput, ours / nginx", big_ratio, 0.9)
        goal(
            "http",
            "boot.ipxe per client req/s / our small static file's (each vs nginx)",
            boot_ratio / small_ratio,
            1.0,
        )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds per case")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument(
        "--http-workers", default="1",
        help="our configurations to measure: HTTP process counts, comma separated (default: 1, as nginx)",
    )  # fmt: skip
    args = parser.parse_args()
    configs = sorted({int(n) for n in args.http_workers.split(",")})
    for tool in ("wrk", "nginx"):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} is needed (apt-get install wrk nginx-light)")

    results: list[tuple[int, dict[str, list[Result]], dict[str, list[Result]], dict[str, list[Result]]]] = []
    with tempfile.TemporaryDirectory(prefix="bench-http-") as tmp:
        work = Path(tmp)
        os.chmod(work, 0o755)
        root = make_tree(work)
        warm(root / "big.img")
        nginx_port = free_port()
        nginx = start_nginx(root, work, nginx_port)
        try:
            for workers in configs:
                ours_port = free_port()
                ours = start_ours(root, work / "state", ours_port, workers)
                tftp_port = tftp_port_of(ours)
                try:
                    print(
                        f"ipxescript serve on :{ours_port} ({workers} HTTP process(es)), nginx on :{nginx_port}"
                        f" (worker_processes 1), {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}",
                        flush=True,
                    )
                    small = compare("small script", "/small.ipxe", ours_port, nginx_port, args)
                    boot = compare("boot.ipxe", BOOT_PATH, ours_port, nginx_port, args, "/small.ipxe")
                    big = compare("big file", "/big.img", ours_port, nginx_port, args)
                    results.append((workers, small, boot, big))
                    if workers == configs[0]:  # security checks against the first (default) configuration
                        http_ok = sum(http_refused(ours_port, p) for p in HTTP_ATTACKS)
                        tftp_ok = sum(tftp_refused(tftp_port, p) for p in TFTP_ATTACKS)
                        alive, times = slow_clients(ours_port)
                finally:
                    stop(ours)
        finally:
            stop(nginx)

    for workers, small, boot, big in results:
        report(workers, small, boot, big, args.connections)
    attacks = len(HTTP_ATTACKS) + len(TFTP_ATTACKS)
    print(
        f"\ntraversal attempts refused: {http_ok}/{len(HTTP_ATTACKS)} HTTP, {tftp_ok}/{len(TFTP_ATTACKS)} TFTP"
        f"  {'PASS' if http_ok + tftp_ok == attacks else 'FAIL'}"
    )
    slowest = max(times) if times else float("inf")
    print(
        f"500 slow clients: {alive} still connected (the rest refused by the per-address limit), normal"
        f" request served in max {slowest * 1000:.0f} ms"
        f"  {'PASS' if len(times) == 5 and slowest < 1.0 else 'FAIL'}"
    )
    secure = http_ok + tftp_ok == attacks and len(times) == 5 and slowest < 1.0
    return 0 if secure else 1


if __name__ == "__main__":
    sys.exit(main())
