"""Boot storm: N machines booting at once (DHCP, TFTP first stage, HTTP script, HTTP kernel and initrd).

    benchmarks/run storm          python3 benchmarks/bench_storm.py [--machines N] [--concurrency C]
                                  [--kernel-mib K] [--initrd-mib I] [--first-stage-kib F] [--json FILE]

Needs root (network namespaces), dnsmasq-base, nginx-light and postgresql. Three setups serve the same
ROOT on one segment (tests/state/storm_lab.py), one after the other, to the same load generator
(tests/state/bootstorm.py, in its own namespace):

  dnsmasq+nginx   dnsmasq (DHCP full + TFTP) and nginx (HTTP, one worker): the reference
  one/sqlite      one `ipxescript serve --dhcp full`, state in SQLite (the default)
  three/postgres  three `ipxescript serve --dhcp full` on one segment sharing one PostgreSQL database

Reported per setup: boots per second (all machines to the end of their initrd), p50 and p99 of the time
from a machine's first DISCOVER to the end of its kernel, and CPU seconds of the servers, the database
and the load generator; then the ratios against dnsmasq+nginx (boots/s: higher is better; times: lower).
On this 2-core machine the three instances, PostgreSQL and the load generator share the same two cores:
the CPU column says which of them the run was bound by.
"""

from __future__ import annotations

import argparse
import json
import os
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

from tests.state.storm_lab import POOL_START, StormLab, make_root, pool_end  # noqa: E402

SETUPS = ("dnsmasq+nginx", "one/sqlite", "three/postgres")
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime + stime
    return total / TICKS


def machine_busy() -> float:
    """CPU seconds every process of the machine has used so far (all cores, from /proc/stat): against
    the run's own CPU it says how much of the cores other work took."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / TICKS


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
    nginx = lab.lab.spawn(f"ipxd{lab.lab.tag}i1", "nginx", "-c", str(conf), "-e", "stderr")
    time.sleep(1.0)  # both bind at once; the generator retries DISCOVER anyway
    for process in (dnsmasq, nginx):
        if process.poll() is not None:
            raise RuntimeError(
                f"baseline did not start: {process.stderr.read().decode() if process.stderr else ''}"
            )
    return [dnsmasq.pid, nginx.pid]


def run_setup(setup: str, args: argparse.Namespace, root: Path) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="storm-"))
    lab = StormLab(work, args.machines, postgres=setup == "three/postgres")
    try:
        if setup == "dnsmasq+nginx":
            servers = start_baseline(lab, root, work)
        else:
            count = 3 if setup.startswith("three") else 1
            for index in range(1, count + 1):
                lab.start_serve(f"i{index}", root)
            servers = [p.pid for p in lab.instances.values()]
        before = cpu_seconds(servers), database_cpu(lab)
        busy = machine_busy()
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        result = lab.storm("--concurrency", str(args.concurrency), timeout=args.timeout)
        after_children = resource.getrusage(resource.RUSAGE_CHILDREN)
        busy = machine_busy() - busy
        server_cpu = cpu_seconds(servers) - before[0]
        db_cpu = database_cpu(lab) - before[1]
    finally:
        lab.close()
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
        "p50_steps": {
            step: statistics.median(m["steps"].get(step, 0.0) for m in done) if done else float("nan")
            for step in ("dhcp", "tftp", "script", "kernel")
        },
        "cpu_servers": server_cpu,
        "cpu_database": db_cpu,
        "cpu_generator": (after_children.ru_utime + after_children.ru_stime)
        - (children.ru_utime + children.ru_stime),
        # servers and database, per machine booted: the cost of a boot, whatever else runs on the machine
        "cpu_per_boot": (server_cpu + db_cpu) / max(1, len(done)),
        # the cores' time during the run, and how much of it all processes of the machine used
        "cpu_available": result["seconds"] * (os.cpu_count() or 1),
        "cpu_machine": busy,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--machines", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=100)
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
    with tempfile.TemporaryDirectory(prefix="storm-root-") as tmp:
        root = make_root(
            Path(tmp) / "root",
            kernel=int(args.kernel_mib * (1 << 20)),
            initrd=int(args.initrd_mib * (1 << 20)),
            first_stage=args.first_stage_kib << 10,
        )
        results = [run_setup(setup, args, root) for setup in args.setups.split(",")]
    print(
        f"{args.machines} machines, {args.concurrency} at a time; first stage {args.first_stage_kib} KiB by TFTP,"
        f" kernel {args.kernel_mib:g} MiB + initrd {args.initrd_mib:g} MiB by HTTP; {os.cpu_count()} CPUs"
    )
    print(f"{'setup':<16} {'booted':>7} {'boots/s':>8} {'p50 s':>7} {'p99 s':>7} {'retries':>7}"
          f" {'cpu srv':>8} {'cpu db':>7} {'cpu gen':>8} {'ms cpu/boot':>11} {'run cpu':>8} {'others':>7}")  # fmt: skip
    for r in results:
        ours = r["cpu_servers"] + r["cpu_database"] + r["cpu_generator"]
        print(
            f"{r['setup']:<16} {r['booted']:>7} {r['boots_per_second']:>8.1f} {r['p50_to_kernel']:>7.2f}"
            f" {r['p99_to_kernel']:>7.2f} {r['retries']:>7} {r['cpu_servers']:>8.1f} {r['cpu_database']:>7.1f}"
            f" {r['cpu_generator']:>8.1f} {r['cpu_per_boot'] * 1000:>11.1f}"
            f" {ours / r['cpu_available']:>7.0%} {max(0.0, r['cpu_machine'] - ours) / r['cpu_available']:>7.0%}"
        )
    print("median seconds per step: " + "; ".join(
        f"{r['setup']} " + " ".join(f"{k} {v:.2f}" for k, v in r["p50_steps"].items()) for r in results
    ))  # fmt: skip
    print(
        "run cpu: servers, database and generator, as a share of the cores' time during the run;"
        " others: what the rest of the machine used meanwhile (the two add up to 100% when CPU bound)"
    )
    reference = next((r for r in results if r["setup"] == "dnsmasq+nginx"), None)
    if reference:
        print("ratios against dnsmasq+nginx (boots/s: >1 is faster; p50/p99: <1 is faster)")
        for r in results:
            if r is reference:
                continue
            print(
                f"  {r['setup']:<16} boots/s x{r['boots_per_second'] / reference['boots_per_second']:.2f}"
                f"  p50 x{r['p50_to_kernel'] / reference['p50_to_kernel']:.2f}"
                f"  p99 x{r['p99_to_kernel'] / reference['p99_to_kernel']:.2f}"
            )
    one = next((r for r in results if r["setup"] == "one/sqlite"), None)
    three = next((r for r in results if r["setup"] == "three/postgres"), None)
    if one and three:
        print(
            f"  three/postgres vs one/sqlite: boots/s x{three['boots_per_second'] / one['boots_per_second']:.2f}"
        )
    if reference and one:
        goal(
            "storm",
            "boots/s, one instance (SQLite) / dnsmasq+nginx",
            one["boots_per_second"] / reference["boots_per_second"],
            1.0,
        )
        goal(
            "storm",
            "p50 time to kernel, one instance / dnsmasq+nginx",
            one["p50_to_kernel"] / reference["p50_to_kernel"],
            1.0,
            higher_is_better=False,
        )
        goal(
            "storm",
            "p99 time to kernel, one instance / dnsmasq+nginx",
            one["p99_to_kernel"] / reference["p99_to_kernel"],
            1.0,
            higher_is_better=False,
        )
    if one and three:
        goal(
            "storm",
            "boots/s, three instances (PostgreSQL) / one (CPU allowing)",
            three["boots_per_second"] / one["boots_per_second"],
            2.0,
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    # the reference's own failures are reported above; the run fails when one of ours did not boot all
    return 0 if all(r["booted"] == r["machines"] for r in results if r is not reference) else 1


if __name__ == "__main__":
    sys.exit(main())
