"""The per-client boot log: DHCP -> binary -> script -> kernel -> initrd, with the reason for each step.

Each event is one JSON line appended to `bootlog.jsonl` in the state directory and kept in memory for
the status page. HTTP and TFTP only see an IP address; the MAC is learned from DHCP and from the
identity query of boot.ipxe, so later events of the same machine are grouped under its MAC.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path

REPEAT = 2.0  # seconds within which an identical event of the same client is not logged again
STAGES = ("dhcp", "binary", "script", "config", "kernel", "initrd", "image", "file", "refused", "error")
_BINARY = re.compile(r"\.(kpxe|kkpxe|efi|pxe|lkrn|0|c32|com)$")
_KERNEL = re.compile(r"^(vmlinuz|vmlinux|linux|bzimage|kernel)")
_INITRD = re.compile(r"^(initrd|initramfs|core\.gz|rootfs)")


def stage_of(path: str) -> str:
    """The boot stage a requested file most likely is, from its name."""
    name = path.rsplit("/", 1)[-1].lower()
    if name.endswith(".ipxe"):
        return "script"
    if name.endswith(".cfg") or "pxelinux.cfg/" in path or name.endswith(".lst"):
        return "config"
    if _BINARY.search(name):
        return "binary"
    if _KERNEL.match(name):
        return "kernel"
    if _INITRD.match(name):
        return "initrd"
    if name.endswith((".iso", ".img", ".squashfs", ".qcow2")):
        return "image"
    return "file"


@dataclass(frozen=True)
class Event:
    time: float
    client: str  # MAC when known, else IP
    ip: str | None
    stage: str
    what: str  # the file, URL or offer
    reason: str
    protocol: str  # dhcp, tftp, http
    pid: int = 0  # the server process that logged it (HTTP may run in several)

    def as_json(self) -> dict[str, object]:
        return {
            "pid": self.pid,
            "time": self.time,
            "client": self.client,
            "ip": self.ip,
            "stage": self.stage,
            "what": self.what,
            "reason": self.reason,
            "protocol": self.protocol,
        }


class BootLog:
    def __init__(self, state_dir: Path | None, *, keep: int = 2000) -> None:
        self._events: deque[Event] = deque(maxlen=keep)
        self._latest: dict[str, Event] = {}
        self._mac_of_ip: dict[str, str] = {}
        self._lock = threading.Lock()
        self._fd: int | None = None
        self._pending: list[str] = []
        self._pid = os.getpid()
        self._followed = 0
        if state_dir is not None:
            state_dir.mkdir(parents=True, exist_ok=True)
            self.path: Path | None = state_dir / "bootlog.jsonl"
            # Lines are collected and appended whole by one write(2) per flush (twice a second): cheap per
            # request, and O_APPEND keeps the lines of several processes from interleaving.
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
            self._followed = os.lseek(self._fd, 0, os.SEEK_END)  # follow() reads what others add from now on
        else:
            self.path = None

    def learn(self, mac: str, ip: str | None) -> None:
        if mac and ip:
            with self._lock:
                self._mac_of_ip[ip] = mac

    def client_of(self, mac: str | None, ip: str | None) -> str:
        if mac:
            return mac
        with self._lock:
            return self._mac_of_ip.get(ip or "", ip or "unknown")

    def record(
        self, *, mac: str | None, ip: str | None, stage: str, what: str, reason: str, protocol: str
    ) -> Event | None:
        """Log one step; None when it repeats the client's previous step within REPEAT seconds."""
        if mac and ip:
            self.learn(mac, ip)
        now = time.time()
        client = self.client_of(mac, ip)
        last = self._latest.get(client)
        if (
            last
            and last.what == what
            and last.stage == stage
            and last.protocol == protocol
            and now - last.time < REPEAT
        ):
            return None  # the same request again at once (a retry, a download manager): one line is enough
        event = Event(now, client, ip, stage, what, reason, protocol, self._pid)
        line = json.dumps(event.as_json())
        with self._lock:
            self._remember(event)
            if self._fd is not None:
                self._pending.append(line + "\n")
                full = len(self._pending) >= 1000
        if self._fd is not None and full:
            self.flush()
        return event

    def _remember(self, event: Event) -> None:
        self._events.append(event)
        self._latest[event.client] = event

    def follow(self) -> None:
        """Take in the lines other server processes appended to the shared file since the last call."""
        if self.path is None:
            return
        try:
            with open(self.path, "rb") as handle:
                handle.seek(self._followed)
                data = handle.read()
        except OSError:
            return
        complete = data.rfind(b"\n") + 1  # a line still being written is read next time
        self._followed += complete
        for raw in data[:complete].splitlines():
            try:
                item = json.loads(raw)
                event = Event(**item)
            except (ValueError, TypeError):
                continue
            if event.pid == self._pid:
                continue
            with self._lock:
                if event.ip and event.client != event.ip:
                    self._mac_of_ip[event.ip] = event.client
                self._remember(event)

    def flush(self) -> None:
        """Write buffered lines to the file (the runner calls this twice a second and at exit)."""
        with self._lock:
            pending, self._pending = self._pending, []
            if self._fd is not None and pending:
                os.write(self._fd, "".join(pending).encode())

    def recent(self, limit: int = 200) -> list[Event]:
        with self._lock:
            return list(self._events)[-limit:]

    def clients(self) -> list[Event]:
        """The latest event of each client, most recent first."""
        with self._lock:
            return sorted(self._latest.values(), key=lambda e: e.time, reverse=True)

    def close(self) -> None:
        self.flush()
        if self._fd is not None:
            os.fsync(self._fd)
            os.close(self._fd)
            self._fd = None
