"""Benchmark ipxesim --explore: a generated menu tree of 300 items across 20 chained files.

Each file shows a menu of 15 items: 14 boot a kernel with their own command line, and one chains the
next file (the last file's 15th item boots too). Explore visits every item of every menu plus Esc at
each level (321 paths; each path replays its menus from the top, so a path at level N runs N files).
Prints paths, seconds and paths per second (wall and CPU).

    python benchmarks/bench_sim.py [--files 20] [--items 300] [--profile debian-12-efi]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from ipxescript.sim import RunOptions
from ipxescript.sim.explore import explore


def generate(root: Path, files: int, items: int) -> Path:
    per_file = items // files
    for index in range(files):
        lines = ["#!ipxe", f"menu Level {index}"]
        for item in range(per_file):
            lines.append(f"item i{item} Item {index}.{item}")
        lines.append("choose --timeout 5000 pick || exit 1")
        lines.append("goto ${pick}")
        for item in range(per_file):
            lines.append(f":i{item}")
            if item == per_file - 1 and index < files - 1:
                lines.append(f"chain level{index + 1}.ipxe")
            else:
                lines.append(f"kernel http://boot.example/k{index}.efi item={index}.{item}")
                lines.append("initrd http://boot.example/initrd.img")
                lines.append("boot")
        (root / f"level{index}.ipxe").write_text("\n".join(lines) + "\n")
    return root / "level0.ipxe"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=20)
    parser.add_argument("--items", type=int, default=300)
    parser.add_argument("--profile", default="debian-12-efi")
    parser.add_argument("--max-paths", type=int, default=100000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-sim-") as tmp:
        top = generate(Path(tmp), args.files, args.items)
        started, cpu_started = time.perf_counter(), time.process_time()
        report = explore(str(top), RunOptions(profile=args.profile, offline=True), max_paths=args.max_paths)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    result = {
        "files": args.files,
        "items": args.items,
        "paths": report["count"],
        "outcomes": report["outcomes"],
        "seconds": round(elapsed, 3),
        "paths_per_second": round(report["count"] / elapsed, 1),
        "cpu_seconds": round(cpu, 3),  # steadier than wall time on a shared machine
        "paths_per_cpu_second": round(report["count"] / cpu, 1),
        "commands_per_cpu_second": round(report["commands"] / cpu),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
