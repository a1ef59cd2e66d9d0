"""A segment with several boot servers and a boot-storm load generator, in network namespaces.

One bridge (in the lab's server namespace, which also runs PostgreSQL when asked), one namespace per
server instance (`eth0` on the bridge, standard ports 67/69/80), and a `gen` namespace whose `eth0` holds
every address of the DHCP range, where `tests/state/bootstorm.py` plays the machines. Used by
tests/state/test_multi_instance.py and benchmarks/bench_storm.py.
"""

from __future__ import annotations

import ipaddress
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "dhcp"))

from dhcp_testlib import Lab  # noqa: E402

from tests.pg_cluster import PgCluster  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
SUBNET = "10.214.0"  # /16: the servers at 10.214.0.x, the machines' pool from 10.214.1.1
POOL_START = "10.214.1.1"

BOOT_SCRIPT = "#!ipxe\necho TARGET {name}\nkernel {url}/vmlinuz\ninitrd {url}/initrd.img\nboot\n"


def pool_addresses(machines: int) -> list[str]:
    """Every address of the machines' pool: 50 more than machines, consecutive from POOL_START. In the /16,
    x.255 and x.0 are host addresses like any other (servers lease them), so the generator holds them too."""
    first = int(ipaddress.IPv4Address(POOL_START))
    return [str(ipaddress.IPv4Address(first + i)) for i in range(machines + 51)]


def pool_end(machines: int) -> str:
    return pool_addresses(machines)[-1]


def make_root(path: Path, *, kernel: int, initrd: int, first_stage: int, templated: bool = True) -> Path:
    """A ROOT: boot.ipxe (default), once.ipxe, a first stage, and kernel/initrd of the given sizes."""
    path.mkdir(parents=True, exist_ok=True)
    url = "{{ http_url }}"
    if templated:
        (path / "boot.ipxe").write_text(BOOT_SCRIPT.format(name="default", url=url))
        (path / "once.ipxe").write_text(BOOT_SCRIPT.format(name="once", url=url))
    (path / "first.efi").write_bytes(os.urandom(first_stage))
    with open(path / "vmlinuz", "wb") as handle:
        handle.truncate(kernel)
    with open(path / "initrd.img", "wb") as handle:
        handle.truncate(initrd)
    return path


class StormLab:
    def __init__(self, work: Path, machines: int, *, postgres: bool) -> None:
        self.work = work
        self.machines = machines
        self.lab = Lab(SUBNET, prefix=16)
        self.instances: dict[str, subprocess.Popen[bytes]] = {}
        self.commands: dict[str, list[str]] = {}
        self.cluster: PgCluster | None = None
        self.url: str | None = None
        try:
            if postgres:
                self.cluster = PgCluster(listen=(self.lab.server_ip,), netns=self.lab.server_ns).start()
                self.url = self.cluster.new_database()
            self.gen = self.lab.add_host("gen", address=f"{SUBNET}.2")
            batch = "".join(f"addr add {ip}/16 dev eth0\n" for ip in pool_addresses(machines))
            subprocess.run(
                ["ip", "netns", "exec", self.gen, "ip", "-batch", "-"], input=batch.encode(), check=True
            )
        except BaseException:
            self.close()
            raise

    def address(self, name: str) -> str:
        return f"{SUBNET}.{10 + int(name[1:])}"

    def start_serve(self, name: str, root: Path, *extra: str) -> str:
        """`ipxescript serve` in namespace `name` (i1, i2, ...); waits for its banner; its address.

        The simulated machines share one MAC on the wire, so their claimed MACs are trusted."""
        ns = self.lab.add_host(name, address=self.address(name))
        state = ["--state", self.url] if self.url else []
        self.commands[name] = [
            sys.executable, "-m", "ipxescript", "serve", str(root), "--interface", "eth0", "--dhcp", "full",
            "--dhcp-range", f"{POOL_START}-{pool_end(self.machines)}", "--boot-file", "efi64=first.efi",
            "--state-dir", str(self.work / f"state-{name}"), "-q", "--identity", "trust", *state, *extra,
        ]  # fmt: skip
        self.instances[name] = self._spawn(ns, name)
        return self.address(name)

    def _spawn(self, ns: str, name: str) -> subprocess.Popen[bytes]:
        log = open(self.work / f"{name}.log", "ab")  # noqa: SIM115 - the process keeps it
        process = subprocess.Popen(
            ["ip", "netns", "exec", ns, *self.commands[name]],
            cwd=str(REPO), stdout=subprocess.PIPE, stderr=log, start_new_session=True,
        )  # fmt: skip
        self.lab.processes.append(process)
        assert process.stdout is not None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line or line.startswith(b"Stop with"):
                break
        if process.poll() is not None:
            raise AssertionError(f"{name} did not start: {(self.work / f'{name}.log').read_text()[-2000:]}")
        return process

    def kill(self, name: str) -> None:
        process = self.instances[name]
        os.killpg(process.pid, 9)
        process.wait(10)

    def restart(self, name: str) -> None:
        self.instances[name] = self._spawn(f"ipxd{self.lab.tag}{name}", name)

    def spawn_in(self, name: str, *argv: str, **kwargs: Any) -> subprocess.Popen[bytes]:
        ns = self.lab.add_host(name, address=self.address(name))
        return self.lab.spawn(ns, *argv, **kwargs)

    def storm(self, *args: str, timeout: float = 300) -> dict[str, Any]:
        """Run the load generator in `gen`; its JSON result."""
        done = subprocess.run(
            ["ip", "netns", "exec", self.gen, sys.executable, "-m", "tests.state.bootstorm",
             "--machines", str(self.machines), *args],
            cwd=str(REPO), capture_output=True, text=True, timeout=timeout,
        )  # fmt: skip
        if done.returncode != 0:
            raise AssertionError(f"bootstorm failed: {done.stderr[-3000:]}")
        return json.loads(done.stdout)  # type: ignore[no-any-return]

    def start_storm(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            ["ip", "netns", "exec", self.gen, sys.executable, "-m", "tests.state.bootstorm",
             "--machines", str(self.machines), *args],
            cwd=str(REPO), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip

    def close(self) -> None:
        for process in self.instances.values():
            self.lab.stop(process)
        if self.cluster is not None:  # before its namespace goes
            self.cluster.cleanup()
        self.lab.close()
