"""The per-client boot log: DHCP -> binary -> script -> kernel -> initrd, with the reason for each step.

Each event is kept in memory for the status page and written to a sink: `JsonlSink` appends one JSON
line to `bootlog.jsonl` in the state directory (the SQLite backend), `PgBootSink` inserts rows into the
shared database (`ipxescript.serve.state.postgres`). HTTP and TFTP only see an IP address; the MAC is
learned from DHCP and from the identity query of boot.ipxe, so later events of the same machine are
grouped under its MAC.

The file never grows without bound: at ROTATE_BYTES it is renamed `bootlog.jsonl.1` (older ones shift
to `.2` ... `.KEEP_FILES`, the oldest dropped), so the log takes at most (KEEP_FILES + 1) x ROTATE_BYTES
on disk (64 MiB with the defaults).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import threading
import time
from collections import OrderedDict, deque
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from ipxescript.serve import metrics

OUTCOMES = {"refused": "refused", "error": "error"}  # the outcome label of /metrics' boots_total


def outcome_of(stage: str) -> str:
    """served, refused or error: the outcome of a step (as /metrics and the console count it)."""
    return OUTCOMES.get(stage, "served")


MAX_CLIENTS = 1000  # clients remembered in memory (the status page and /api/clients), the latest kept
ROTATE_BYTES = 16 << 20  # the live file is rotated once it reaches this size
KEEP_FILES = 3  # rotated files kept beside it (bootlog.jsonl.1 .. .3)
# Events written before record() returns (not batched): the decision of a boot is stored before the client
# gets its script, so even a kill -9 of the server cannot lose it.
DURABLE_STAGES = frozenset({"script"})
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


class BootSink(Protocol):
    """Where boot events go and where those of other processes and instances come from."""

    def append(self, lines: list[str]) -> None:
        """Store JSON lines (each one event, newline-terminated) durably; called off the hot path."""
        ...

    def read_new(self) -> list[dict[str, object]]:
        """The events others stored since the last call (the caller drops its own by `origin`)."""
        ...

    def close(self) -> None: ...


class JsonlSink:
    """`bootlog.jsonl` in the state directory, appended by every server process of this machine."""

    def __init__(
        self, state_dir: Path, *, rotate_bytes: int = ROTATE_BYTES, keep_files: int = KEEP_FILES
    ) -> None:
        state_dir.mkdir(parents=True, exist_ok=True)
        self.path = state_dir / "bootlog.jsonl"
        self.rotate_bytes = rotate_bytes
        self.keep_files = keep_files
        self._fd = self._open()
        self._followed = os.lseek(self._fd, 0, os.SEEK_END)  # read_new() sees what others add from now on
        self._followed_inode = os.fstat(self._fd).st_ino

    def _open(self) -> int:
        # Lines are appended whole by one write(2) per flush: O_APPEND keeps the lines of several processes
        # from interleaving.
        return os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)

    def append(self, lines: list[str]) -> None:
        self._reopen_if_rotated()
        os.write(self._fd, "".join(lines).encode())
        if os.fstat(self._fd).st_size >= self.rotate_bytes:
            self._rotate()

    def _reopen_if_rotated(self) -> None:
        """Another process rotated the file: write to the new one (lines already written stay in `.1`)."""
        try:
            current = os.stat(self.path).st_ino
        except FileNotFoundError:
            current = -1
        if current != os.fstat(self._fd).st_ino:
            os.close(self._fd)
            self._fd = self._open()

    def _rotate(self) -> None:
        # Renames are atomic; a process racing us to it renames a file that is already gone (ignored).
        for index in range(self.keep_files, 0, -1):
            older = self.path.with_name(f"{self.path.name}.{index}")
            newer = self.path.with_name(f"{self.path.name}.{index - 1}") if index > 1 else self.path
            with contextlib.suppress(FileNotFoundError):
                os.replace(newer, older)
        if not self.keep_files:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.path)
        os.close(self._fd)
        self._fd = self._open()

    def read_new(self) -> list[dict[str, object]]:
        try:
            with open(self.path, "rb") as handle:
                inode = os.fstat(handle.fileno()).st_ino
                if inode != self._followed_inode:  # rotated since the last read: start the new file
                    self._followed_inode, self._followed = inode, 0
                handle.seek(self._followed)
                data = handle.read()
        except OSError:
            return []
        complete = data.rfind(b"\n") + 1  # a line still being written is read next time
        self._followed += complete
        items = []
        for raw in data[:complete].splitlines():
            try:
                item = json.loads(raw)
            except ValueError:
                continue
            if isinstance(item, dict):
                items.append(item)
        return items

    def close(self) -> None:
        if self._fd >= 0:
            os.fsync(self._fd)
            os.close(self._fd)
            self._fd = -1


class BootLog:
    def __init__(self, state_dir: Path | None, *, keep: int = 2000, sink: BootSink | None = None) -> None:
        """Events go to `sink`, else to `bootlog.jsonl` in `state_dir`, else nowhere (memory only)."""
        self._events: deque[Event] = deque(maxlen=keep)
        self._count = 0  # events remembered so far: the console's stream sends those past its mark
        # the clients seen, least recently active first: bounded, so made-up MACs cannot fill memory
        self._latest: OrderedDict[str, Event] = OrderedDict()
        self._mac_of_ip: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()  # batches reach the sink whole and in order
        self._pending: list[str] = []
        self._pid = os.getpid()
        self.origin = f"{socket.gethostname()}:{self._pid}:{os.urandom(4).hex()}"  # who wrote a line
        if sink is None and state_dir is not None:
            sink = JsonlSink(state_dir)
        self.sink = sink
        self.path: Path | None = sink.path if isinstance(sink, JsonlSink) else None

    def learn(self, mac: str, ip: str | None) -> None:
        if mac and ip:
            with self._lock:
                self._learn(mac, ip)

    def _learn(self, mac: str, ip: str) -> None:
        self._mac_of_ip[ip] = mac
        self._mac_of_ip.move_to_end(ip)
        if len(self._mac_of_ip) > MAX_CLIENTS:
            self._mac_of_ip.popitem(last=False)

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
        metrics.inc("boots_total", stage=stage, protocol=protocol, outcome=outcome_of(stage))
        full = False
        with self._lock:
            self._remember(event)
            if self.sink is not None:
                self._pending.append(json.dumps({**event.as_json(), "origin": self.origin}) + "\n")
                full = len(self._pending) >= 1000 or stage in DURABLE_STAGES
        if full:
            self.flush()
        return event

    def _remember(self, event: Event) -> None:
        self._events.append(event)
        self._count += 1
        self._latest[event.client] = event
        self._latest.move_to_end(event.client)
        if len(self._latest) > MAX_CLIENTS:
            self._latest.popitem(last=False)

    def follow(self) -> None:
        """Take in the events other server processes (or instances) stored since the last call."""
        if self.sink is None:
            return
        for item in self.sink.read_new():
            origin = item.pop("origin", None)
            if origin == self.origin or (origin is None and item.get("pid") == self._pid):
                continue  # our own line
            try:
                event = Event(**item)  # type: ignore[arg-type]
            except TypeError:
                continue
            with self._lock:
                if event.ip and event.client != event.ip:
                    self._learn(event.client, event.ip)
                self._remember(event)

    def pending(self) -> int:
        with self._lock:
            return len(self._pending)

    def flush(self) -> None:
        """Hand buffered events to the sink (the runner calls this twice a second and at exit)."""
        with self._write_lock:
            with self._lock:
                pending, self._pending = self._pending, []
            if self.sink is not None and pending:
                self.sink.append(pending)

    def recent(self, limit: int = 200) -> list[Event]:
        with self._lock:
            return list(self._events)[-limit:]

    def mark(self) -> int:
        """How many events were remembered so far (a cursor for `since`)."""
        return self._count

    def since(self, mark: int) -> tuple[int, list[Event]]:
        """The events remembered after `mark` (those still kept), oldest first, and the new mark."""
        with self._lock:
            new = min(self._count - mark, len(self._events))
            return self._count, list(self._events)[-new:] if new > 0 else []

    def last_ip(self, client: str) -> str | None:
        """The address of the client's latest event, if it is remembered."""
        with self._lock:
            event = self._latest.get(client)
        return event.ip if event is not None else None

    def clients(self) -> list[Event]:
        """The latest event of each client, most recent first."""
        with self._lock:
            return sorted(self._latest.values(), key=lambda e: e.time, reverse=True)

    def close(self) -> None:
        self.flush()
        if self.sink is not None:
            self.sink.close()
