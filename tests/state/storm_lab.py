"""Boot servers and a boot-storm load generator, in network namespaces.

One bridge, the server segment (in the lab's server namespace, which also runs PostgreSQL when asked),
one namespace per server instance (`eth0` on the bridge, standard ports 67/69/80), and a `gen` namespace
where `tests/state/bootstorm.py` plays the machines. Two layouts:

- one segment (the default): `gen`'s `eth0` is on the server segment and holds every address of the
  DHCP range; every instance hears every broadcast.
- racks (`racks=N`): N client segments (bridges `r1`..`rN`), each joined to the server segment by a
  router namespace that relays DHCP (dnsmasq's `--dhcp-relay`, as a rack's router does with
  `ip helper-address`) to the rack's instance; `gen` has one interface per rack (`eth1`..`ethN`) holding
  that rack's pool. Instance iK serves rack K's subnet (its pool chosen by the relay's giaddr) and hears
  only rack K's DHCP.

Used by tests/state/test_multi_instance.py and benchmarks/bench_storm.py.
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
# rack K (racks layout): subnet 10.22K.0.0/16, its router at 10.22K.0.1 (10.214.0.2K on the server side)
RACK_SUBNET = "10.22{rack}"

BOOT_SCRIPT = "#!ipxe\necho TARGET {name}\nkernel {url}/vmlinuz\ninitrd {url}/initrd.img\nboot\n"


def pool_addresses(machines: int, start: str = POOL_START) -> list[str]:
    """Every address of the machines' pool: 50 more than machines, consecutive from `start`. In the /16,
    x.255 and x.0 are host addresses like any other (servers lease them), so the generator holds them too."""
    first = int(ipaddress.IPv4Address(start))
    return [str(ipaddress.IPv4Address(first + i)) for i in range(machines + 51)]


def pool_end(machines: int, start: str = POOL_START) -> str:
    return pool_addresses(machines, start)[-1]


def rack_pool_start(rack: int) -> str:
    return f"{RACK_SUBNET.format(rack=rack)}.1.1"


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
    def __init__(
        self, work: Path, machines: int, *, postgres: bool, racks: int = 0, one_session: bool = False
    ) -> None:
        """`one_session`: the servers (instances, relays, whatever `spawn` starts) stay in the caller's
        session, each in a process group of its own, instead of a session each: with the kernel's
        autogroups a busy machine's CPU is shared out per session, so this gives a setup's servers
        together the share one program would get, however many processes they are."""
        self.work = work
        self.one_session = one_session
        self.machines = machines
        self.racks = racks
        self.lab = Lab(SUBNET, prefix=16)
        self.instances: dict[str, subprocess.Popen[bytes]] = {}
        self.commands: dict[str, list[str]] = {}
        self.relays: list[subprocess.Popen[bytes]] = []
        self.cluster: PgCluster | None = None
        self.url: str | None = None
        try:
            if postgres:
                self.cluster = PgCluster(listen=(self.lab.server_ip,), netns=self.lab.server_ns).start()
                self.url = self.cluster.new_database()
            if racks:
                self.gen = self._racks(racks)
            else:
                self.gen = self.lab.add_host("gen", address=f"{SUBNET}.2")
                self._hold("eth0", pool_addresses(machines))
        except BaseException:
            self.close()
            raise

    @property
    def interfaces(self) -> str:
        """The generator's interfaces (bootstorm --interface): one per rack, else eth0."""
        return ",".join(f"eth{k}" for k in range(1, self.racks + 1)) if self.racks else "eth0"

    def _hold(self, interface: str, addresses: list[str]) -> None:
        """Give the generator's `interface` every address of a pool (the machines' leased addresses)."""
        batch = "".join(f"addr add {ip}/16 dev {interface}\n" for ip in addresses)
        subprocess.run(
            ["ip", "netns", "exec", self.gen, "ip", "-batch", "-"], input=batch.encode(), check=True
        )

    def _link(self, ns: str, interface: str, bridge: str, address: str) -> None:
        """A veth from `ns` (named `interface`, holding `address`/16) into `bridge` of the server namespace."""
        lab = self.lab
        host_end = f"v{lab.tag}{ns[-4:]}{interface[-1]}"[:15]
        run = lab.ns_exec
        run(
            lab.server_ns,
            "ip",
            "link",
            "add",
            host_end,
            "type",
            "veth",
            "peer",
            "name",
            interface,
            "netns",
            ns,
        )
        run(lab.server_ns, "ip", "link", "set", host_end, "master", bridge, "up")
        run(ns, "ip", "link", "set", interface, "up")
        run(ns, "ip", "addr", "add", f"{address}/16", "dev", interface)

    def _racks(self, racks: int) -> str:
        """Rack segments, their relaying routers, and the generator with one interface per rack."""
        lab = self.lab
        gen = f"ipxd{lab.tag}gen"
        lab._add_ns(gen)
        lab.ns_exec(gen, "ip", "link", "set", "lo", "up")
        self.gen = gen
        per_rack = -(-self.machines // racks)
        for rack in range(1, racks + 1):
            subnet = RACK_SUBNET.format(rack=rack)
            bridge = f"r{rack}"
            lab.ns_exec(lab.server_ns, "ip", "link", "add", bridge, "type", "bridge")
            lab.ns_exec(lab.server_ns, "ip", "link", "set", bridge, "up")
            router = lab.add_host(f"rt{rack}", address=f"{SUBNET}.{20 + rack}")
            self._link(router, "eth1", bridge, f"{subnet}.0.1")
            lab.ns_exec(router, "sysctl", "-qw", "net.ipv4.ip_forward=1")
            # the rack's DHCP goes to its instance (giaddr: the router's address on the rack)
            self.relays.append(
                self.spawn(
                    router,
                    "dnsmasq",
                    "--keep-in-foreground",
                    "--conf-file=/dev/null",
                    "--port=0",
                    "--user=root",
                    "--log-facility=/dev/null",
                    f"--pid-file={self.work}/relay{rack}.pid",
                    f"--dhcp-relay={subnet}.0.1,{self.address(f'i{rack}')}",
                    "--interface=eth1",
                )  # fmt: skip
            )
            self._link(gen, f"eth{rack}", bridge, f"{subnet}.0.2")
            self._hold(f"eth{rack}", pool_addresses(per_rack, rack_pool_start(rack)))
            # the rack's machines reach their instance through their router
            lab.ns_exec(gen, "ip", "route", "add", f"{self.address(f'i{rack}')}/32", "via", f"{subnet}.0.1")
        return gen

    def address(self, name: str) -> str:
        return f"{SUBNET}.{10 + int(name[1:])}"

    def start_serve(self, name: str, root: Path, *extra: str) -> str:
        """`ipxescript serve` in namespace `name` (i1, i2, ...); waits for its banner; its address.

        The simulated machines share one MAC on the wire, so their claimed MACs are trusted."""
        ns = self.lab.add_host(name, address=self.address(name))
        state = ["--state", self.url] if self.url else []
        start, end = POOL_START, pool_end(self.machines)
        if self.racks:  # instance iK serves rack K, whose DHCP reaches it through the rack's relay
            rack = int(name[1:])
            start = rack_pool_start(rack)
            end = pool_end(-(-self.machines // self.racks), start)
            self.lab.ns_exec(
                ns,
                "ip",
                "route",
                "add",
                f"{RACK_SUBNET.format(rack=rack)}.0.0/16",
                "via",
                f"{SUBNET}.{20 + rack}",
            )
        # STORM_PROFILE=DIR: each instance runs under cProfile and writes DIR/NAME.prof when it stops
        profile = os.environ.get("STORM_PROFILE")
        profiled = ["-m", "tests.state.profiled", f"{profile}/{name}.prof"] if profile else []
        self.commands[name] = [
            sys.executable, *profiled, "-m", "ipxescript", "serve", str(root), "--interface", "eth0", "--dhcp", "full",
            "--dhcp-range", f"{start}-{end}", "--boot-file", "efi64=first.efi",
            "--state-dir", str(self.work / f"state-{name}"), "-q", "--identity", "trust", *state, *extra,
        ]  # fmt: skip
        self.instances[name] = self._spawn(ns, name)
        return self.address(name)

    def _spawn(self, ns: str, name: str) -> subprocess.Popen[bytes]:
        log = open(self.work / f"{name}.log", "ab")  # noqa: SIM115 - the process keeps it
        process = self.spawn(ns, *self.commands[name], cwd=str(REPO), stderr=log)
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
        return self.spawn(ns, *argv, **kwargs)

    def spawn(self, ns: str, *argv: str, **kwargs: Any) -> subprocess.Popen[bytes]:
        """A server in namespace `ns`, stopped (its process group) when the lab closes."""
        kwargs.setdefault("stdout", subprocess.PIPE)
        kwargs.setdefault("stderr", subprocess.PIPE)
        group: dict[str, Any] = {"process_group": 0} if self.one_session else {"start_new_session": True}
        process = subprocess.Popen(["ip", "netns", "exec", ns, *argv], **kwargs, **group)
        self.lab.processes.append(process)
        return process

    def storm(self, *args: str, timeout: float = 300, generators: int = 1) -> dict[str, Any]:
        """Run the load generator in `gen` (in `generators` processes, each playing its share of the
        machines, so that one core's worth of generator does not bound the run); the merged JSON result:
        the slowest process's seconds, every machine, and `sched` summed with the number of processes.

        Each process is a session of its own, as each server is: with the kernel's autogroups (Debian's
        default) the CPU is shared between sessions, not threads, so in one session the generator
        processes would share one slice of a busy machine while every server had its own."""
        argv = ["ip", "netns", "exec", self.gen, sys.executable, "-m", "tests.state.bootstorm",
                "--machines", str(self.machines), "--interface", self.interfaces, *args]  # fmt: skip
        processes = [
            subprocess.Popen(
                [*argv, "--part", f"{part}/{generators}"],
                cwd=str(REPO),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                start_new_session=True,
            )
            for part in range(generators)
        ]
        deadline = time.monotonic() + timeout
        results = []
        try:
            for process in processes:
                out, err = process.communicate(timeout=max(1.0, deadline - time.monotonic()))
                if process.returncode != 0:
                    raise AssertionError(f"bootstorm failed: {err[-3000:]}")
                results.append(json.loads(out))
        finally:
            for process in processes:
                if process.poll() is None:
                    process.kill()
                    process.wait()
        sched: dict[str, float] = {"processes": generators}
        for result in results:
            for key, value in result.get("sched", {}).items():
                sched[key] = sched.get(key, 0.0) + value
        return {
            "seconds": max(r["seconds"] for r in results),
            "machines": [m for r in results for m in r["machines"]],
            "sched": sched,
        }

    def start_storm(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            ["ip", "netns", "exec", self.gen, sys.executable, "-m", "tests.state.bootstorm",
             "--machines", str(self.machines), "--interface", self.interfaces, *args],
            cwd=str(REPO), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip

    def close(self) -> None:
        for process in [*self.instances.values(), *self.relays]:
            self.lab.stop(process)
        if self.cluster is not None:  # before its namespace goes
            self.cluster.cleanup()
        self.lab.close()
