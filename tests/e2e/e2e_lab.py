"""A private wire for booting virtual machines: a network namespace with a bridge and a tap port for QEMU.

Everything runs inside the namespace (servers and QEMU), so DHCP never reaches a real interface. The lab
owns every process it starts and removes the namespace on close, whatever happened.
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import IO

_counter = itertools.count()

BRIDGE = "br0"
TAP = "tap0"


LAB_NAME = re.compile(r"^e2e-(\d+)-\d+$")


def reap_stale_labs() -> list[str]:
    """Remove labs left by a test process that was killed (its pid, in the name, is gone)."""
    listing = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    reaped = []
    for line in listing.splitlines():
        name = line.split()[0] if line.split() else ""
        match = LAB_NAME.match(name)
        if not match or os.path.exists(f"/proc/{match.group(1)}"):
            continue
        pids = subprocess.run(["ip", "netns", "pids", name], capture_output=True, text=True).stdout.split()
        for pid in pids:
            try:
                os.kill(int(pid), signal.SIGKILL)
            except (ProcessLookupError, ValueError):
                pass
        subprocess.run(["ip", "netns", "del", name], capture_output=True)
        reaped.append(name)
    return reaped


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, text=True)


class Lab:
    """A namespace `e2e-<pid>-<n>` with bridge br0 (SUBNET.1/24 + an IPv6 ULA) and tap0 on the bridge."""

    def __init__(self, workdir: Path) -> None:
        n = next(_counter)
        self.name = f"e2e-{os.getpid()}-{n}"
        # A subnet unique per run, so logs and captures of two runs never look alike.
        self.subnet = f"10.213.{(os.getpid() + n) % 200 + 20}"
        self.server_ip = f"{self.subnet}.1"
        self.ula = f"fd00:213:{(os.getpid() + n) % 200 + 20:x}::1"
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.processes: list[tuple[str, subprocess.Popen[bytes]]] = []
        self._logs: list[IO[bytes]] = []
        self._created = False

    def __enter__(self) -> Lab:
        self.create()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def create(self) -> None:
        _ip("netns", "add", self.name)
        self._created = True
        ns = ["-n", self.name]
        _ip(*ns, "link", "set", "lo", "up")
        _ip(*ns, "link", "add", BRIDGE, "type", "bridge", "forward_delay", "0")
        _ip(*ns, "addr", "add", f"{self.server_ip}/24", "dev", BRIDGE)
        _ip(*ns, "addr", "add", f"{self.ula}/64", "dev", BRIDGE, "nodad")
        _ip(*ns, "tuntap", "add", "dev", TAP, "mode", "tap")
        _ip(*ns, "link", "set", TAP, "master", BRIDGE)
        _ip(*ns, "link", "set", TAP, "up")
        _ip(*ns, "link", "set", BRIDGE, "up")
        if os.environ.get("E2E_CAPTURE") and shutil.which("tcpdump"):
            # a packet timeline for debugging: E2E_CAPTURE=1 pytest tests/e2e --basetemp=DIR
            self.spawn(
                "tcpdump", ["tcpdump", "-i", BRIDGE, "-U", "-s", "300", "-w", str(self.workdir / "wire.pcap")]
            )

    def address(self, host: int) -> str:
        return f"{self.subnet}.{host}"

    def command(self, argv: list[str]) -> list[str]:
        return ["ip", "netns", "exec", self.name, *argv]

    def run(self, argv: list[str], timeout: float = 30) -> subprocess.CompletedProcess[str]:
        """Run a short command inside the namespace and return its result (never raises on exit code)."""
        return subprocess.run(self.command(argv), capture_output=True, text=True, timeout=timeout)

    def spawn(self, label: str, argv: list[str], stdout: int | None = None) -> subprocess.Popen[bytes]:
        """Start a long-running process inside the namespace; stderr (and stdout unless piped) go to a log."""
        log = open(self.workdir / f"{label}.log", "wb")  # noqa: SIM115 - closed in close()
        self._logs.append(log)
        proc = subprocess.Popen(
            self.command(argv),
            stdin=subprocess.DEVNULL,
            stdout=stdout if stdout is not None else log,
            stderr=log,
            start_new_session=True,
        )
        self.processes.append((label, proc))
        return proc

    def log_text(self, label: str) -> str:
        path = self.workdir / f"{label}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def wait_listening(
        self, proto: str, port: int, timeout: float = 20, proc: subprocess.Popen[bytes] | None = None
    ) -> None:
        """Wait until something in the namespace listens on PORT (proto 'tcp' or 'udp'), without talking to it."""
        flag = "-Hlnt" if proto == "tcp" else "-Hlnu"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc is not None and proc.poll() is not None:
                label = next((name for name, p in self.processes if p is proc), "")
                raise RuntimeError(
                    f"{label or 'server'} exited with {proc.returncode} before listening on {proto}/{port}:\n"
                    + self.log_text(label)[-3000:]
                )
            out = self.run(["ss", flag, f"sport = :{port}"]).stdout
            if out.strip():
                return
            time.sleep(0.1)
        raise TimeoutError(f"nothing listens on {proto}/{port} in {self.name} after {timeout}s")

    def stop(self, proc: subprocess.Popen[bytes], grace: float = 5) -> None:
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                proc.wait(grace)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait()

    def close(self) -> None:
        for _label, proc in reversed(self.processes):
            self.stop(proc)
        self.processes.clear()
        for log in self._logs:
            log.close()
        self._logs.clear()
        if self._created:
            subprocess.run(["ip", "netns", "del", self.name], capture_output=True)
            self._created = False
