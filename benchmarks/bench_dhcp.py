"""DHCP benchmark: DISCOVER->OFFER latency and rate for distinct clients, ours vs dnsmasq, plus a fuzz run.

    python benchmarks/bench_dhcp.py [--clients 4000] [--latency-clients 2000] [--rounds 5] [--realtime]

Needs root: each server runs in its own network namespace on a bridge, the load generator in another
namespace on the same bridge (a veth link, no real interface). Both servers log every DHCP decision to a
file (dnsmasq's default logging, our INFO log), run full mode with a large range and no ping check, and
are measured in the same run by the same client, so the ratios compare like with like.

Besides rates and latencies it reports each server's CPU time per offer (the scheduler's count for the
server process during the rate run) and its share of the core, and the generator's own CPU share: on a
shared machine a server gets a share of its core (the kernel's autogroup scheduling splits a core evenly
among busy sessions, whatever their nice value), so its rate is that share over its CPU time per offer.
`--realtime` runs servers and generator at SCHED_FIFO priority 1 (`chrt`), so that each has its core: a
check of the servers' own ceilings, for a short run only, as it stalls other work on those cores.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "dhcp"))
sys.path.insert(0, str(REPO))

from dhcp_testlib import Lab, client_packet, malformed_packets, start_runner  # noqa: E402

from ipxescript.serve.dhcp import codec as c  # noqa: E402

sys.path.insert(0, str(REPO / "benchmarks"))
from report import goal  # noqa: E402

RANGE = ("10.213.0.10", "10.213.63.250")  # room for every client of a round, and the fuzz run's
NETMASK = "255.255.192.0"
SERVER_IP = "10.213.7.1"


# --- the load generator (runs inside the client namespace) ---------------------------------------------


def _client_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b"eth0")
    sock.bind(("0.0.0.0", 68))
    return sock


def _discover(index: int, base: int) -> bytes:
    mac = f"02:42:{(base >> 8) & 0xFF:02x}:{base & 0xFF:02x}:{index >> 8:02x}:{index & 0xFF:02x}"
    packet = client_packet(
        c.DISCOVER, mac=mac, xid=(base << 16) | index, arch=7, vendor="PXEClient:Arch:00007"
    )
    return c.encode(packet)


def _offers(sock: socket.socket, timeout: float) -> list[tuple[int, float]]:
    """Read replies until `timeout` passes without one: (xid, arrival time) of each OFFER."""
    got = []
    sock.settimeout(timeout)
    while True:
        try:
            data = sock.recv(4096)
        except TimeoutError:
            return got
        now = time.perf_counter()
        try:
            packet = c.decode(data)
        except c.DhcpDecodeError:
            continue
        if packet.message_type == c.OFFER:
            got.append((packet.xid, now))


def run_fuzz(count: int, server: str) -> dict[str, float]:
    """Send `count` malformed packets (paced so the socket buffers do not simply drop them), then check
    that a correct client still gets an OFFER."""
    sock = _client_socket()
    start = time.perf_counter()
    for index, data in enumerate(malformed_packets(count)):
        sock.sendto(data, (server, 67))
        if index % 20 == 0:
            time.sleep(0.002)
    elapsed = time.perf_counter() - start
    _offers(sock, 0.5)  # drain answers to the packets that still made sense
    sock.sendto(_discover(7, 3), ("255.255.255.255", 67))
    offers = [xid for xid, _ in _offers(sock, 2.0) if xid == (3 << 16) | 7]
    return {"fuzz_seconds": elapsed, "served_after_fuzz": float(bool(offers))}


# --- orchestration (root namespace) ----------------------------------------------------------------------


# With two or more CPUs the server and the load generator get one each (the same for both servers), so
# the client never preempts the server it measures.
PIN_SERVER: tuple[str, ...] = ("taskset", "-c", "1") if (os.cpu_count() or 1) >= 2 else ()
PIN_CLIENT: tuple[str, ...] = ("taskset", "-c", "0") if (os.cpu_count() or 1) >= 2 else ()


def _json_of(done: subprocess.CompletedProcess[str]) -> dict[str, float]:
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _in_client(the_lab: Lab, ns: str, *args: str) -> dict[str, float]:
    return _json_of(
        the_lab.ns_exec(ns, *PIN_CLIENT, sys.executable, str(Path(__file__).resolve()), *args, timeout=600)
    )


def build_generator(where: Path) -> Path:
    """Compile the C load generator (benchmarks/dhcpload.c): a Python one tops out near the servers' rate."""
    binary = where / "dhcpload"
    subprocess.run(["cc", "-O2", "-o", str(binary), str(REPO / "benchmarks" / "dhcpload.c")], check=True)
    return binary


def cpu_seconds(pid: int) -> float:
    """CPU time a process has used, all its threads (the scheduler's nanosecond count, not clock ticks)."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        total += int((task / "schedstat").read_text().split()[0])
    return total / 1e9


def run_generator(
    the_lab: Lab, ns: str, generator: Path, args: argparse.Namespace, server: int
) -> dict[str, float]:
    """The latency run (one DISCOVER at a time), then the rate run (`window` in flight), with the CPU time
    the server process used during the rate run."""
    result = _json_of(
        the_lab.ns_exec(
            ns, *PIN_CLIENT, str(generator), "latency", str(args.latency_clients), "eth0", timeout=600
        )
    )
    before = cpu_seconds(server)
    result.update(
        _json_of(
            the_lab.ns_exec(
                ns,
                *PIN_CLIENT,
                str(generator),
                "rate",
                str(args.clients),
                str(args.window),
                "eth0",
                timeout=600,
            )
        )
    )
    used = cpu_seconds(server) - before  # also counts the generator's start and end: a little high
    result["server_us_per_offer"] = used / max(result["rate_answered"], 1) * 1e6
    result["server_busy"] = used / result["rate_seconds"] if result["rate_seconds"] else float("nan")
    result["generator_busy"] = (
        result["generator_cpu"] / result["rate_seconds"] if result["rate_seconds"] else float("nan")
    )
    return result


def _start_ours(the_lab: Lab, work: Path) -> subprocess.Popen[bytes]:
    return start_runner(
        the_lab,
        "--mode", "full", "--range", "-".join(RANGE), "--netmask", NETMASK, "--lease-db", str(work / "ours.sqlite"),
        log_file=work / "ours.log", wrapper=PIN_SERVER,
    )  # fmt: skip


def _start_dnsmasq(the_lab: Lab, work: Path) -> subprocess.Popen[bytes]:
    process = the_lab.spawn(
        the_lab.server_ns, *PIN_SERVER, "dnsmasq", "--keep-in-foreground", "--port=0", "--conf-file=/dev/null", "--user=root",
        "--interface=br0", "--bind-interfaces", f"--dhcp-range={RANGE[0]},{RANGE[1]},{NETMASK},1h",
        "--dhcp-lease-max=100000", "--no-ping", f"--dhcp-leasefile={work}/dnsmasq.leases",
        f"--pid-file={work}/dnsmasq.pid", f"--log-facility={work}/dnsmasq.log",
    )  # fmt: skip
    time.sleep(0.5)
    if process.poll() is not None:
        raise SystemExit(f"dnsmasq did not start: {process.stderr.read().decode() if process.stderr else ''}")
    return process


def _start_echo(the_lab: Lab, work: Path) -> subprocess.Popen[bytes]:
    """The generator's ceiling: a C responder that answers each DISCOVER with no decision at all."""
    process = the_lab.spawn(the_lab.server_ns, *PIN_SERVER, str(work.parent / "dhcpload"), "echo", "br0")
    time.sleep(0.2)
    return process


def measure(starter: object, args: argparse.Namespace, work: Path, fuzz: bool) -> dict[str, float]:
    """One fresh server in a fresh lab: the latency and rate runs, and the fuzz run when asked."""
    with _lab() as the_lab:
        client_ns = the_lab.add_host("c", mac="02:42:00:00:00:01")
        server = starter(the_lab, work)  # type: ignore[operator]
        result = run_generator(the_lab, client_ns, work.parent / "dhcpload", args, server.pid)
        if fuzz:
            result.update(_in_client(the_lab, client_ns, "--fuzz-run", str(args.fuzz), SERVER_IP))
    return result


def median_of(runs: list[dict[str, float]], key: str) -> float:
    return statistics.median(run[key] for run in runs)


class _lab:
    def __enter__(self) -> Lab:
        self.lab = Lab("10.213.7")
        return self.lab

    def __exit__(self, *exc: object) -> None:
        self.lab.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=4000, help="distinct clients in the rate test")
    parser.add_argument("--latency-clients", type=int, default=2000, help="DISCOVERs in the latency test")
    parser.add_argument("--window", type=int, default=32, help="DISCOVERs in flight in the rate test")
    parser.add_argument("--fuzz", type=int, default=10_000)
    parser.add_argument("--realtime", action="store_true", help="run servers and generator under chrt -f 1")
    parser.add_argument("--rounds", type=int, default=7, help="alternating rounds; the table shows medians")
    parser.add_argument("--fuzz-run", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.fuzz_run:
        print(json.dumps(run_fuzz(int(args.fuzz_run[0]), args.fuzz_run[1])))
        return
    if os.geteuid() != 0:
        raise SystemExit("bench_dhcp needs root: it creates network namespaces")
    if args.realtime:
        global PIN_SERVER, PIN_CLIENT
        PIN_SERVER, PIN_CLIENT = ("chrt", "-f", "1", *PIN_SERVER), ("chrt", "-f", "1", *PIN_CLIENT)
    runs: dict[str, list[dict[str, float]]] = {"ours": [], "dnsmasq": [], "echo": []}
    with tempfile.TemporaryDirectory(prefix="bench-dhcp-") as tmp:
        build_generator(Path(tmp))
        # Rounds alternate between the servers so that load from other work on the machine hits both alike.
        for round_number in range(args.rounds):
            last = round_number == args.rounds - 1
            for name, starter in (("ours", _start_ours), ("dnsmasq", _start_dnsmasq), ("echo", _start_echo)):
                work = Path(tmp) / f"{name}-{round_number}"
                work.mkdir()
                runs[name].append(measure(starter, args, work, fuzz=last and name != "echo"))
                print(
                    f"  round {round_number + 1}/{args.rounds} {name}: {runs[name][-1]['rate']:.0f}/s",
                    file=sys.stderr,
                )
    keys = ("rate", "p50_ms", "p99_ms", "latency_lost", "rate_answered", "server_us_per_offer", "server_busy")
    ours = {key: median_of(runs["ours"], key) for key in keys}
    theirs = {key: median_of(runs["dnsmasq"], key) for key in keys}
    for name, merged in (("ours", ours), ("dnsmasq", theirs)):
        merged.update({k: runs[name][-1][k] for k in ("fuzz_seconds", "served_after_fuzz")})

    def paired(key: str, ours_over_theirs: bool) -> float:
        """The median over the rounds of ours / dnsmasq (or dnsmasq / ours) measured back to back: the
        machine's load of the moment hits both sides of each ratio alike."""
        pairs = zip(runs["ours"], runs["dnsmasq"], strict=True)
        return statistics.median(a[key] / b[key] if ours_over_theirs else b[key] / a[key] for a, b in pairs)

    rows = [
        ("DISCOVER->OFFER rate (offers/s)", ours["rate"], theirs["rate"], paired("rate", True)),
        ("latency p50 (ms)", ours["p50_ms"], theirs["p50_ms"], paired("p50_ms", False)),
        ("latency p99 (ms)", ours["p99_ms"], theirs["p99_ms"], paired("p99_ms", False)),
        ("server CPU per offer (us)", ours["server_us_per_offer"], theirs["server_us_per_offer"],
         paired("server_us_per_offer", False)),
    ]  # fmt: skip
    print(
        f"\nDHCP, rate: {args.clients} distinct clients, window {args.window}; latency: {args.latency_clients}"
        f" DISCOVERs one at a time; medians of {args.rounds} alternating rounds; ratio = median of the"
        f" rounds' ratios, > 1 means ipxescript is better{'; real-time priority' if args.realtime else ''}\n"
    )
    print(f"{'metric':34} {'ipxescript':>12} {'dnsmasq':>12} {'ratio':>8}")
    for label, a, b, ratio in rows:
        print(f"{label:34} {a:12.2f} {b:12.2f} {ratio:7.2f}x")
    print(
        f"{'answered (latency lost / rate)':34} {ours['latency_lost']:>5.0f}/{ours['rate_answered']:<6.0f}"
        f" {theirs['latency_lost']:>5.0f}/{theirs['rate_answered']:<6.0f}"
    )
    print(
        f"{'server core busy in the rate run':34} {ours['server_busy']:12.0%} {theirs['server_busy']:12.0%}"
    )
    # Is the load generator the bottleneck? Two answers: its ceiling (the same generator against a C responder
    # that decides nothing) against the servers' rates, and its own CPU share while it drives each server.
    echo = {key: median_of(runs["echo"], key) for key in ("rate", "p50_ms", "p99_ms")}
    fastest = max(ours["rate"], theirs["rate"])
    print(
        f"{'generator ceiling (C echo responder)':34} {echo['rate']:12.0f} offers/s, p50 {echo['p50_ms']:.2f} ms,"
        f" p99 {echo['p99_ms']:.2f} ms: {echo['rate'] / fastest:.1f}x the faster server"
    )
    generator = {
        name: max(run["generator_busy"] for run in runs[name]) for name in ("ours", "dnsmasq", "echo")
    }
    print(
        f"{'generator CPU, busiest round':34} {generator['ours']:12.0%} {generator['dnsmasq']:12.0%}"
        f" (of its own core; {generator['echo']:.0%} while driving the echo responder)"
    )
    if not args.realtime:  # the goals are set for ordinary scheduling
        goal("dhcp", "DISCOVER->OFFER rate, ours / dnsmasq", paired("rate", True), 1.0)
        goal("dhcp", "latency p99, ours / dnsmasq", 1 / paired("p99_ms", False), 1.5, higher_is_better=False)
    for name, label in (("ours", "ipxescript"), ("dnsmasq", "dnsmasq"), ("echo", "echo responder")):
        rates = sorted(run["rate"] for run in runs[name])
        print(f"{label} rate over the rounds: {' '.join(f'{r:.0f}' for r in rates)} offers/s")
    for label, result in (("ipxescript", ours), ("dnsmasq", theirs)):
        verdict = "still serves a correct client" if result["served_after_fuzz"] else "NO ANSWER afterwards"
        print(f"fuzz: {args.fuzz} malformed packets to {label} in {result['fuzz_seconds']:.1f}s: {verdict}")


if __name__ == "__main__":
    main()
