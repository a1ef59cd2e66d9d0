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

    def as_json(self) -> dict[str, object]:
        return {
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
        self._file = None
        self._unflushed = False
        if state_dir is not None:
            state_dir.mkdir(parents=True, exist_ok=True)
            self.path: Path | None = state_dir / "bootlog.jsonl"
            # block-buffered: a line per HTTP request must not cost a write(2); flush() runs twice a second
            self._file = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - lives with the log
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
    ) -> Event:
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
            return last  # the same request again at once (a retry, a download manager): one line is enough
        event = Event(now, client, ip, stage, what, reason, protocol)
        line = json.dumps(event.as_json())
        with self._lock:
            self._events.append(event)
            self._latest[event.client] = event
            if self._file is not None:
                self._file.write(line + "\n")
                self._unflushed = True
        return event

    def flush(self) -> None:
        """Write buffered lines to the file (the runner calls this twice a second and at exit)."""
        with self._lock:
            if self._file is not None and self._unflushed:
                self._file.flush()
                self._unflushed = False

    def recent(self, limit: int = 200) -> list[Event]:
        with self._lock:
            return list(self._events)[-limit:]

    def clients(self) -> list[Event]:
        """The latest event of each client, most recent first."""
        with self._lock:
            return sorted(self._latest.values(), key=lambda e: e.time, reverse=True)

    def close(self) -> None:
        if self._file is not None:
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()
            self._file = None
