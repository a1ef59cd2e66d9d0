"""Boot storm: N machines booting at once (DHCP, TFTP first stage, HTTP script, HTTP kernel and initrd).

    benchmarks/run storm          python3 benchmarks/bench_storm.py [--machines N] [--concurrency C]
                                  [--rounds R] [--setups A,B,..] [--kernel-mib K] [--initrd-mib I]
                                  [--first-stage-kib F] [--warmup W] [--json FILE]

Needs root (network namespaces), dnsmasq-base, nginx-light and postgresql. The setups serve the same ROOT
(tests/state/storm_lab.py) to the same load generator (tests/state/bootstorm.py, in its own namespace):

  dnsmasq+nginx     dnsmasq (DHCP full + TFTP) and nginx (HTTP, one worker), on the machines' segment:
                    the reference
  one/sqlite        one `ipxescript serve --dhcp full` on the machines' segment, state in SQLite (default)
  three/pg-relays   three racks, each a segment with its share of the machines and a router relaying its
                    DHCP (dnsmasq --dhcp-relay) to its own `ipxescript serve`; one PostgreSQL database
  three/pg-segment  three instances on the machines' one segment, one PostgreSQL database: every instance
                    hears (and answers) every broadcast DISCOVER

Before each setup's storm, `--warmup` other machines boot and the servers are left to settle, so the storm
meets servers that are up (ROOT linted, each file asked for once), as a site's are.
The setups run one after the other, in `--rounds` interleaved rounds (A B C D, A B C D, ...): other work
on the machine changes its speed over minutes, so each round's ratios are taken within the round and the
median and range over the rounds are reported. Per setup: boots per second (all machines to the end of
their initrd), p50 and p99 of the time from a machine's first DISCOVER to the end of its kernel, and CPU
seconds (user + system) of the servers, the relays, the database and the load generator.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests" / "e2e"))

from e2e_servers import write_nginx_conf  # noqa: E402
from report import goal  # noqa: E402

from tests.state.bootstorm import sched_times  # noqa: E402
from tests.state.storm_lab import POOL_START, StormLab, make_root, pool_end  # noqa: E402

SETUPS = ("dnsmasq+nginx", "one/sqlite", "three/pg-relays", "three/pg-segment")
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_split(pids: list[int]) -> tuple[float, float]:
    """User and system CPU seconds of the processes (all their threads) so far."""
    user = system = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        user, system = user + int(fields[11]), system + int(fields[12])
    return user / TICKS, system / TICKS


def cpu_seconds(pids: list[int]) -> float:
    return sum(cpu_split(pids))


def machine_busy() -> float:
    """CPU seconds every process of the machine has used so far (all cores, from /proc/stat): against
    the run's own CPU it says how much of the cores other work took."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / TICKS


def sched_of(groups: dict[str, list[int]]) -> dict[str, dict[str, float]]:
    """Per group of server processes (dnsmasq, nginx, serve), the seconds their main threads and other
    threads ran and waited for a core so far, summed over the group's processes."""
    summed: dict[str, dict[str, float]] = {}
    for name, pids in groups.items():
        total = collections.Counter[str]()
        for pid in pids:
            total.update(sched_times(pid))
        summed[name] = {"processes": len(pids), **total}
    return summed


def busy_line(r: dict[str, Any]) -> str:
    """How busy each single-threaded part was: its share of the run's wall time on a core, + waiting for one
    while runnable (a part near 100% in all held the others back; waiting is the rest of the machine's)."""
    seconds, parts = r["seconds"], []
    for name, t in r["sched"].items():
        per = max(1, t.get("processes", 1)) * seconds
        parts.append(f"{name} {t['main'] / per:.0%}+{t['main_wait'] / per:.0%}")
        if t.get("threads", 0) > 0.01 * seconds:
            parts.append(f"{name} threads {t['threads'] / per:.0%}+{t['threads_wait'] / per:.0%}")
    return f"  {r['setup']}: busy = on a core + waiting for one (per process): " + ", ".join(parts)


def database_cpu(lab: StormLab) -> float:
    """CPU seconds of the PostgreSQL server so far: the postmaster, its live backends, and (cutime/cstime)
    the backends that already ended."""
    if lab.cluster is None:
        return 0.0
    postmaster = int((lab.cluster.data / "postmaster.pid").read_text().split()[0])
    fields = Path(f"/proc/{postmaster}/stat").read_text().rsplit(")", 1)[1].split()
    total = sum(int(fields[i]) for i in (11, 12, 13, 14)) / TICKS
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == postmaster:
                    children.append(int(entry.name))
            except (OSError, ValueError, IndexError):
                continue
    return total + cpu_seconds(children)


def start_baseline(lab: StormLab, root: Path, work: Path) -> list[int]:
    """dnsmasq + nginx in namespace i1, serving what `ipxescript serve` serves (the scripts pre-rendered)."""
    address = lab.address("i1")
    for name in ("boot", "once"):
        text = (root / f"{name}.ipxe").read_text().replace("{{ http_url }}", f"http://{address}")
        (work / "baseline-root").mkdir(exist_ok=True)
        (work / "baseline-root" / f"{name}.ipxe").write_text(text)
    for name in ("first.efi", "vmlinuz", "initrd.img"):
        shutil.copyfile(root / name, work / "baseline-root" / name)
    broot = work / "baseline-root"
    dnsmasq = lab.spawn_in(
        "i1", "dnsmasq", "--keep-in-foreground", "--conf-file=/dev/null", "--port=0", "--user=root",
        "--no-ping", "--interface=eth0", "--bind-interfaces", f"--pid-file={work}/dnsmasq.pid",
        f"--dhcp-leasefile={work}/dnsmasq.leases", "--dhcp-lease-max=100000", "--log-facility=/dev/null",
        f"--dhcp-range={POOL_START},{pool_end(lab.machines)},255.255.0.0,1h",
        f"--dhcp-boot=first.efi,,{address}", "--enable-tftp", f"--tftp-root={broot}", "--tftp-max=4096",
    )  # fmt: skip
    conf = write_nginx_conf(work, address, broot, connections=4096)
    nginx = lab.spawn(f"ipxd{lab.lab.tag}i1", "nginx", "-c", str(conf), "-e", "stderr")
    time.sleep(1.0)  # both bind at once; the generator retries DISCOVER anyway
    for process in (dnsmasq, nginx):
        if process.poll() is not None:
            raise RuntimeError(
                f"baseline did not start: {process.stderr.read().decode() if process.stderr else ''}"
            )
    return [dnsmasq.pid, nginx.pid]


def server_warnings(work: Path) -> list[tuple[str, int]]:
    """The instances' warnings and errors (from their logs, numbers left out), most common first."""
    found: collections.Counter[str] = collections.Counter()
    for path in work.glob("i*.log"):
        for line in path.read_text(errors="replace").splitlines():
            if " WARNING " in line or " ERROR " in line:
                found[re.sub(r"\d+", "N", line.split(" ", 2)[-1])[:200]] += 1
    return found.most_common(5)


def warm_up(lab: StormLab, servers: list[int], machines: int) -> None:
    """A few other machines (another MAC prefix) boot before the storm, then wait until the servers are
    idle: what a server does once after it starts (the lint of ROOT, each file's first request, lazy
    imports) is not the cost of a boot, and a boot server is up long before a storm comes."""
    if machines > 0:
        lab.storm("--machines", str(machines), "--mac-prefix", "52:54:00:5f", "--concurrency", str(machines))
    deadline, last = time.monotonic() + 20, cpu_seconds(servers)
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = cpu_seconds(servers)
        if now - last < 0.02:
            return
        last = now


def run_setup(setup: str, args: argparse.Namespace, root: Path) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="storm-"))
    lab = StormLab(
        work,
        args.machines,
        postgres=setup.startswith("three"),
        racks=3 if "relays" in setup else 0,
        one_session=args.sessions == "setup",
    )
    try:
        if setup == "dnsmasq+nginx":
            servers = start_baseline(lab, root, work)
        else:
            count = 3 if setup.startswith("three") else 1
            for index in range(1, count + 1):
                lab.start_serve(f"i{index}", root)
            servers = [p.pid for p in lab.instances.values()]
        relays = [p.pid for p in lab.relays]
        warm_up(lab, servers, args.warmup)
        groups = (
            {"dnsmasq": servers[:1], "nginx": servers[1:]} if setup == "dnsmasq+nginx" else {"serve": servers}
        )
        sched_before = sched_of(groups)
        before = cpu_split(servers), database_cpu(lab), cpu_seconds(relays)
        busy = machine_busy()
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        result = lab.storm(
            "--concurrency",
            str(-(-args.concurrency // args.generators)),
            timeout=args.timeout,
            generators=args.generators,
        )
        after_children = resource.getrusage(resource.RUSAGE_CHILDREN)
        busy = machine_busy() - busy
        user, system = (now - then for now, then in zip(cpu_split(servers), before[0], strict=True))
        db_cpu = database_cpu(lab) - before[1]
        relay_cpu = cpu_seconds(relays) - before[2]
        sched_after = sched_of(groups)
    finally:
        lab.close()
        warnings = server_warnings(work)
        shutil.rmtree(work, ignore_errors=True)
    machines = result["machines"]
    done = [m for m in machines if m["ok"]]
    times = sorted(m["seconds"] for m in done)
    return {
        "setup": setup,
        "machines": len(machines),
        "booted": len(done),
        "seconds": result["seconds"],
        "boots_per_second": len(done) / result["seconds"],
        "p50_to_kernel": statistics.median(times) if times else float("nan"),
        "p99_to_kernel": times[min(len(times) - 1, int(len(times) * 0.99))] if times else float("nan"),
        "retries": sum(m["attempts"] - 1 for m in machines),
        # why boots were started again (each machine's last error, its numbers left out), most common first
        "server_warnings": warnings,
        "errors": collections.Counter(
            re.sub(r"\d+", "N", m["error"]) for m in machines if m["attempts"] > 1 or not m["ok"]
        ).most_common(5),
        "p50_steps": {
            step: statistics.median(m["steps"].get(step, 0.0) for m in done) if done else float("nan")
            for step in ("dhcp", "tftp", "script", "kernel")
        },
        "cpu_servers": user + system,
        "cpu_servers_user": user,
        "cpu_servers_system": system,
        "cpu_relays": relay_cpu,
        "cpu_database": db_cpu,
        "cpu_generator": (after_children.ru_utime + after_children.ru_stime)
        - (children.ru_utime + children.ru_stime),
        # servers, relays and database, per machine booted: the cost of a boot, whatever else runs
        "cpu_per_boot": (user + system + relay_cpu + db_cpu) / max(1, len(done)),
        # the cores' time during the run, and how much of it all processes of the machine used
        "cpu_available": result["seconds"] * (os.cpu_count() or 1),
        "cpu_machine": busy,
        "sched": {
            **{
                name: {k: v - sched_before[name].get(k, 0) if k != "processes" else v for k, v in t.items()}
                for name, t in sched_after.items()
            },
            "generator": result.get("sched", {}),
        },
    }


def spread(values: list[float]) -> str:
    """The median of the rounds' values, and their range when there are several."""
    middle = statistics.median(values)
    return f"x{middle:.2f}" + (f" [{min(values):.2f}-{max(values):.2f}]" if len(values) > 1 else "")


def print_round(results: list[dict[str, Any]]) -> None:
    print(f"  {'setup':<17} {'booted':>6} {'boots/s':>7} {'p50 s':>6} {'p99 s':>6} {'retries':>7}"
          f" {'srv usr+sys':>12} {'relay':>5} {'db':>5} {'gen':>5} {'ms cpu/boot':>11} {'run':>5} {'others':>6}")  # fmt: skip
    for r in results:
        ours = r["cpu_servers"] + r["cpu_relays"] + r["cpu_database"] + r["cpu_generator"]
        print(
            f"  {r['setup']:<17} {r['booted']:>6} {r['boots_per_second']:>7.1f} {r['p50_to_kernel']:>6.2f}"
            f" {r['p99_to_kernel']:>6.2f} {r['retries']:>7} {r['cpu_servers_user']:>6.1f}+{r['cpu_servers_system']:<5.1f}"
            f" {r['cpu_relays']:>5.1f} {r['cpu_database']:>5.1f} {r['cpu_generator']:>5.1f}"
            f" {r['cpu_per_boot'] * 1000:>11.1f} {ours / r['cpu_available']:>5.0%}"
            f" {max(0.0, r['cpu_machine'] - ours) / r['cpu_available']:>6.0%}"
        )
    for r in results:
        for line, count in r["server_warnings"]:
            print(f"  {r['setup']}: server log, {count} x {line}")
        if r["errors"]:
            print(
                f"  {r['setup']}: boots started again because of: "
                + "; ".join(f"{n} x {e}" for e, n in r["errors"])
            )
    for r in results:
        print(busy_line(r))
    print("  median seconds per step: " + "; ".join(
        f"{r['setup']} " + " ".join(f"{k} {v:.2f}" for k, v in r["p50_steps"].items()) for r in results
    ))  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--machines", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--sessions",
        choices=("setup", "process"),
        default="setup",
        help="setup (default): each setup's servers in one session, so on a busy machine the kernel's"
        " autogroups give every setup the same share of CPU (dnsmasq+nginx would otherwise get two shares"
        " against one instance's one); process: a session per server process, as separate daemons run",
    )
    parser.add_argument(
        "--generators",
        type=int,
        default=2,
        help="load generator processes, each playing machines/N with concurrency/N (default 2: one"
        " Python process is busy for most of a storm and would bound every setup alike)",
    )
    parser.add_argument(
        "--warmup",
        type=int,
        default=6,
        help="machines (not the storm's) that boot before it, on every setup, after which the servers are"
        " left to settle: the storm then measures servers that are up, as a site's are (0: right after start)",
    )
    parser.add_argument("--kernel-mib", type=float, default=8.0)
    parser.add_argument("--initrd-mib", type=float, default=16.0)
    parser.add_argument("--first-stage-kib", type=int, default=1024)
    parser.add_argument("--setups", default=",".join(SETUPS))
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("bench_storm: needs root (network namespaces)", file=sys.stderr)
        return 2
    setups = args.setups.split(",")
    print(
        f"{args.machines} machines, {args.concurrency} at a time; first stage {args.first_stage_kib} KiB by TFTP,"
        f" kernel {args.kernel_mib:g} MiB + initrd {args.initrd_mib:g} MiB by HTTP; {os.cpu_count()} CPUs;"
        f" {args.rounds} rounds of {', '.join(setups)}; {args.generators} generator processes; a session per"
        f" {args.sessions}; {args.warmup} machines boot first"
    )
    rounds: list[list[dict[str, Any]]] = []
    with tempfile.TemporaryDirectory(prefix="storm-root-") as tmp:
        root = make_root(
            Path(tmp) / "root",
            kernel=int(args.kernel_mib * (1 << 20)),
            initrd=int(args.initrd_mib * (1 << 20)),
            first_stage=args.first_stage_kib << 10,
        )
        for number in range(1, args.rounds + 1):
            results = [run_setup(setup, args, root) for setup in setups]
            print(f"round {number}")
            print_round(results)
            rounds.append(results)
            sys.stdout.flush()
    print(
        "srv usr+sys, relay, db, gen: CPU seconds of the servers (user+system), the DHCP relays, PostgreSQL and"
        " the load generator; ms cpu/boot: servers + relays + database per machine booted; run: all of"
        " them as a share of the cores' time during the run; others: what the rest of the machine used"
        " meanwhile (the two add up to 100% when CPU bound)"
    )

    def ratios(setup: str, key: str, against: str) -> list[float]:
        values = []
        for results in rounds:
            by = {r["setup"]: r for r in results}
            if setup in by and against in by:
                values.append(by[setup][key] / by[against][key])
        return values

    def median_cpu(setup: str) -> float:
        return statistics.median(
            r["cpu_per_boot"] for results in rounds for r in results if r["setup"] == setup
        )

    reference = "dnsmasq+nginx"
    if reference in setups:
        print(f"ratios against {reference} in the same round, median [range] over {len(rounds)} rounds")
        print("(boots/s: >1 is faster; p50/p99 to kernel: <1 is faster)")
        for setup in setups:
            if setup == reference:
                continue
            print(
                f"  {setup:<17} boots/s {spread(ratios(setup, 'boots_per_second', reference))}"
                f"  p50 {spread(ratios(setup, 'p50_to_kernel', reference))}"
                f"  p99 {spread(ratios(setup, 'p99_to_kernel', reference))}"
                f"  cpu/boot {spread(ratios(setup, 'cpu_per_boot', reference))}"
            )
    if "one/sqlite" in setups:
        for setup in setups:
            if setup.startswith("three"):
                print(
                    f"  {setup} vs one/sqlite: boots/s {spread(ratios(setup, 'boots_per_second', 'one/sqlite'))}"
                )
    print("ms CPU per boot (median): " + ", ".join(f"{s} {median_cpu(s) * 1000:.1f}" for s in setups))
    if reference in setups and "one/sqlite" in setups:
        one = "one/sqlite"
        goal("storm", "boots/s, one instance (SQLite) / dnsmasq+nginx",
             statistics.median(ratios(one, "boots_per_second", reference)), 1.0)  # fmt: skip
        goal("storm", "p50 time to kernel, one instance / dnsmasq+nginx",
             statistics.median(ratios(one, "p50_to_kernel", reference)), 1.0, higher_is_better=False)  # fmt: skip
        goal("storm", "p99 time to kernel, one instance / dnsmasq+nginx",
             statistics.median(ratios(one, "p99_to_kernel", reference)), 1.0, higher_is_better=False)  # fmt: skip
    if "one/sqlite" in setups and "three/pg-relays" in setups:
        goal("storm", "boots/s, three instances behind relays (PostgreSQL) / one (CPU allowing)",
             statistics.median(ratios("three/pg-relays", "boots_per_second", "one/sqlite")), 2.0)  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(rounds, indent=2))
    # the reference's own failures are reported above; the run fails when one of ours did not boot all
    ours = [r for results in rounds for r in results if r["setup"] != reference]
    return 0 if all(r["booted"] == r["machines"] for r in ours) else 1


if __name__ == "__main__":
    sys.exit(main())
