"""A tiny Linux for end-to-end boots: Debian's kernel plus a busybox initrd that reports and powers off.

The initrd's /init mounts /proc, prints a line with a token unique to this build and then the kernel
command line on the serial console (console=ttyS0), then powers the machine off. A test knows its boot
reached Linux when it sees the token, and which boot entry ran from the command line.
"""

from __future__ import annotations

import glob
import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

DEBIAN_INSTALLER_KERNEL = "/usr/lib/debian-installer/images/12/amd64/text/debian-installer/amd64/linux"
BUSYBOX = "/bin/busybox"

INIT_SCRIPT = """#!/bin/busybox sh
/bin/busybox mount -t proc proc /proc
/bin/busybox echo "TINYLINUX-{token} UP"
/bin/busybox echo "TINYLINUX-{token} CMDLINE: $(/bin/busybox cat /proc/cmdline)"
/bin/busybox echo "TINYLINUX-{token} END"
/bin/busybox poweroff -f
"""


@dataclass(frozen=True)
class TinyLinux:
    kernel: Path
    initrd: Path
    token: str

    @property
    def up_line(self) -> str:
        return f"TINYLINUX-{self.token} UP"

    @property
    def cmdline_prefix(self) -> str:
        return f"TINYLINUX-{self.token} CMDLINE: "


def find_kernel() -> Path:
    """Debian's netboot kernel, else the newest installed one (both come from Debian's packages)."""
    if os.path.exists(DEBIAN_INSTALLER_KERNEL):
        return Path(DEBIAN_INSTALLER_KERNEL)
    candidates = sorted(glob.glob("/boot/vmlinuz-*"))
    if not candidates:
        raise FileNotFoundError(
            "no Linux kernel: install debian-installer-12-netboot-amd64 or linux-image-amd64"
        )
    return Path(candidates[-1])


def _newc_entry(
    name: str, mode: int, data: bytes = b"", ino: int = 1, rdev: tuple[int, int] = (0, 0)
) -> bytes:
    """One record of a cpio 'newc' archive (header fields are 8-digit hex, name and data 4-byte aligned)."""
    encoded = name.encode() + b"\0"
    fields = [ino, mode, 0, 0, 1, 0, len(data), 0, 0, rdev[0], rdev[1], len(encoded), 0]
    header = b"070701" + b"".join(b"%08X" % f for f in fields)
    record = header + encoded
    record += b"\0" * (-len(record) % 4)
    record += data + b"\0" * (-len(data) % 4)
    return record


def build_initrd(token: str) -> bytes:
    """A newc archive: /init, /bin/busybox, /proc and a /dev/console node (so init has a console)."""
    busybox = Path(BUSYBOX).read_bytes()
    entries = [
        _newc_entry("bin", stat.S_IFDIR | 0o755, ino=1),
        _newc_entry("dev", stat.S_IFDIR | 0o755, ino=2),
        _newc_entry("proc", stat.S_IFDIR | 0o755, ino=3),
        _newc_entry("dev/console", stat.S_IFCHR | 0o600, ino=4, rdev=(5, 1)),
        _newc_entry("bin/busybox", stat.S_IFREG | 0o755, busybox, ino=5),
        _newc_entry("init", stat.S_IFREG | 0o755, INIT_SCRIPT.format(token=token).encode(), ino=6),
    ]
    trailer = _newc_entry("TRAILER!!!", 0, ino=0)
    archive = b"".join(entries) + trailer
    return archive + b"\0" * (-len(archive) % 512)


def build_tiny_linux(cache_dir: Path) -> TinyLinux:
    """Build (or reuse from cache_dir) the kernel and initrd; one token per cache directory."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    token_file = cache_dir / "token"
    kernel = cache_dir / "vmlinuz"
    initrd = cache_dir / "initrd.img"
    if token_file.exists() and kernel.exists() and initrd.exists():
        return TinyLinux(kernel, initrd, token_file.read_text().strip())
    token = secrets.token_hex(6)
    kernel.write_bytes(find_kernel().read_bytes())
    initrd.write_bytes(build_initrd(token))
    token_file.write_text(token + "\n")
    return TinyLinux(kernel, initrd, token)
