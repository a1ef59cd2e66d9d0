"""End to end: time from QEMU start to the tiny Linux's marker, `ipxescript serve` against dnsmasq + nginx.

    python benchmarks/bench_e2e.py [--runs N] [--case NAME ...] [--json FILE]

Needs root (network namespaces, tap devices) and qemu-system-x86, ovmf, ipxe, ipxe-qemu, dnsmasq-base,
nginx-light, busybox-static and a Debian kernel (see docs/e2e.md). Uses the harness in tests/e2e/.

Both sides serve the same ROOT (the case's boot script, the tiny Linux, Debian's iPXE binaries) in a fresh
namespace per run, with the same RA-only dnsmasq beside them:
  ours      ipxescript serve ROOT --dhcp full (DHCP + TFTP + HTTP)
  baseline  dnsmasq (DHCP full, TFTP, iPXE tagged by user-class) + nginx (HTTP), both on standard ports
Cases:
  bios-menu  SeaBIOS + QEMU's iPXE ROM, full DHCP, a menu that times out (1 s) to its default, HTTP kernel
  uefi-pxe   OVMF's native PXE, ipxe.efi by TFTP, then the same script and files by HTTP
Runs alternate ours/baseline so drift in the machine's speed hits both. Reports each side's median and
the ratio ours / baseline (target <= 1.05).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "e2e"))

from e2e_lab import Lab  # noqa: E402
from e2e_machine import Machine  # noqa: E402
from e2e_servers import (  # noqa: E402
    start_dnsmasq_boot,
    start_ipxescript,
    start_nginx,
    start_router_advertiser,
)
from e2e_tinylinux import TinyLinux, build_tiny_linux  # noqa: E402
from e2e_trees import ipxe_binaries, menu_tree  # noqa: E402

CASES = {"bios-menu": ("seabios-ipxe", 90.0), "uefi-pxe": ("ovmf-pxe", 150.0)}
SIDES = ("ours", "baseline")
TARGET = 1.05


def one_boot(work: Path, linux: TinyLinux, root: Path, case: str, side: str) -> float:
    """Seconds from QEMU start to the marker, in a fresh lab; raises if the boot does not get there."""
    firmware, limit = CASES[case]
    with Lab(work) as lab:
        start_router_advertiser(lab)
        if side == "ours":
            start_ipxescript(lab, root, "full")
        else:
            start_dnsmasq_boot(lab, root, {}, f"http://{lab.server_ip}/boot.ipxe")
            start_nginx(lab, root)
        machine = Machine(lab, firmware, "vm").start()
        try:
            if not machine.wait_for(linux.up_line, limit):
                server_log = lab.log_text("serve" if side == "ours" else "dnsmasq")[-2000:]
                raise RuntimeError(
                    f"{case}/{side}: no marker after {limit:.0f}s\n{machine.console_tail(1500)}\n{server_log}"
                )
            return machine.elapsed()
        finally:
            machine.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="boots per side and case (default 5)")
    parser.add_argument("--case", action="append", choices=sorted(CASES), help="default: all cases")
    parser.add_argument("--json", type=Path, help="also write the samples and ratios here")
    parser.add_argument(
        "--keep",
        type=Path,
        help="work in this directory and keep the logs (E2E_CAPTURE=1 adds packet captures)",
    )
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("bench_e2e: needs root (network namespaces and tap devices)", file=sys.stderr)
        return 2
    cases = args.case or list(CASES)
    print(f"load average at the start: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    results: dict[str, dict[str, list[float]]] = {case: {side: [] for side in SIDES} for case in cases}
    with tempfile.TemporaryDirectory(prefix="bench-e2e-") as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        work.chmod(0o755)  # nginx's worker may run as another user
        linux = build_tiny_linux(work / "cache")
        root = menu_tree(work / "root", linux, timeout_ms=1000)
        ipxe_binaries(root)  # dnsmasq serves only its TFTP root; ours would find them in /usr/lib/ipxe
        for case in cases:
            for run in range(args.runs):
                # alternate which side goes first, so neither always boots on a "warm" machine
                order = SIDES if run % 2 == 0 else tuple(reversed(SIDES))
                for side in order:
                    seconds = one_boot(work / f"{case}-{side}-{run}", linux, root, case, side)
                    results[case][side].append(seconds)
                    print(f"  {case:<10} {side:<8} run {run + 1}: {seconds:6.2f} s", flush=True)
    report = summarize(results)
    print()
    print(
        f"load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())} (TCG boot times follow it)"
    )
    print(f"{'case':<10} {'ours median (min)':>18} {'dnsmasq+nginx':>16} {'ratio':>7}  target <= {TARGET}x")
    for case, row in report.items():
        verdict = "ok" if row["ratio"] <= TARGET else "SLOWER"
        ours = f"{row['ours']:.2f} ({row['ours_min']:.2f})"
        base = f"{row['baseline']:.2f} ({row['baseline_min']:.2f})"
        print(f"{case:<10} {ours:>18} {base:>16} {row['ratio']:>6.3f}x  {verdict}")
    if args.json:
        args.json.write_text(json.dumps({"samples": results, "medians": report}, indent=2) + "\n")
    return 0


def summarize(results: dict[str, dict[str, list[float]]]) -> dict[str, dict[str, float]]:
    report = {}
    for case, sides in results.items():
        ours, base = statistics.median(sides["ours"]), statistics.median(sides["baseline"])
        report[case] = {
            "ours": ours,
            "baseline": base,
            "ratio": ours / base,
            "ours_min": min(sides["ours"]),
            "baseline_min": min(sides["baseline"]),
        }
    return report


if __name__ == "__main__":
    # SIGTERM unwinds like Ctrl-C, so every lab still removes its namespace and processes
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    started = time.monotonic()
    status = main()
    print(f"(bench_e2e took {time.monotonic() - started:.0f} s)")
    sys.exit(status)
