"""Loader trees other than iPXE: PXELINUX and shim + GRUB (the Image Customizer's pxe-dir layout).

The server runs as a user runs it (subprocess); files are fetched over its TFTP and HTTP ports.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from ipxescript.serve.policy import Client

from .conftest import make_policy


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def tftp_get(port: int, name: str) -> bytes:
    """A plain RFC 1350 read (512-byte blocks); raises FileNotFoundError on an ERROR packet."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(5)
        sock.sendto(b"\x00\x01" + name.encode() + b"\x00octet\x00", ("127.0.0.1", port))
        data, expected = b"", 1
        while True:
            packet, peer = sock.recvfrom(65536)
            opcode, number = struct.unpack("!HH", packet[:4])
            if opcode == 5:
                raise FileNotFoundError(packet[4:-1].decode(errors="replace"))
            assert opcode == 3
            if number == expected:
                data += packet[4:]
                expected += 1
            sock.sendto(struct.pack("!HH", 4, number), peer)
            if number == expected - 1 and len(packet) - 4 < 512:
                return data


def copy_or_fail(source: str, target: Path) -> None:
    if not os.path.isfile(source):
        pytest.fail(
            f"{source} is missing: install Debian's pxelinux, syslinux-common, shim-signed and grub-efi-amd64-signed"
        )
    shutil.copyfile(source, target)


@pytest.fixture
def pxelinux_root(tmp_path: Path) -> Path:
    root = tmp_path / "pxelinux"
    (root / "pxelinux.cfg").mkdir(parents=True)
    copy_or_fail("/usr/lib/PXELINUX/pxelinux.0", root / "pxelinux.0")
    copy_or_fail("/usr/lib/syslinux/modules/bios/ldlinux.c32", root / "ldlinux.c32")
    (root / "pxelinux.cfg" / "default").write_text(
        "DEFAULT linux\nLABEL linux\n  KERNEL vmlinuz\n  APPEND initrd=initrd.img\n"
    )
    (root / "vmlinuz").write_bytes(os.urandom(300_000))
    (root / "initrd.img").write_bytes(os.urandom(100_000))
    return root


@pytest.fixture
def grub_root(tmp_path: Path) -> Path:
    root = tmp_path / "pxe-dir"
    root.mkdir()
    shim = next(
        (p for p in ("/usr/lib/shim/shimx64.efi.signed", "/usr/lib/shim/shimx64.efi") if os.path.isfile(p)),
        "",
    )
    copy_or_fail(shim, root / "bootx64.efi")
    copy_or_fail("/usr/lib/grub/x86_64-efi-signed/grubnetx64.efi.signed", root / "grubx64.efi")
    (root / "grub.cfg").write_text(
        "menuentry 'image' {\n  linux vmlinuz root=live:http://10.0.0.1/image.iso\n  initrd initrd.img\n}\n"
    )
    (root / "vmlinuz").write_bytes(os.urandom(200_000))
    (root / "initrd.img").write_bytes(os.urandom(50_000))
    with open(root / "image.iso", "wb") as iso:
        iso.truncate(64 * 1024 * 1024)
        iso.seek(32 * 1024 * 1024)
        iso.write(b"CD001 marker")
    return root


@pytest.fixture
def serve_tree(tmp_path: Path) -> Iterator[object]:
    procs: list[subprocess.Popen[str]] = []

    def start(root: Path, *flags: str) -> tuple[int, int]:
        http, tftp = free_port(), free_port(socket.SOCK_DGRAM)
        args = [
            str(root),
            "--http-port",
            str(http),
            "--tftp-port",
            str(tftp),
            "--state-dir",
            str(tmp_path / "st"),
        ]
        proc = subprocess.Popen(
            [sys.executable, "-m", "ipxescript", "serve", *args, *flags],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        procs.append(proc)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:  # ready: every port open (TFTP opens after HTTP), the startup lint done
                if requests.get(f"http://127.0.0.1:{http}/readyz", timeout=1).status_code == 200:
                    return http, tftp
            except requests.ConnectionError:
                pass
            time.sleep(0.05)
        raise AssertionError("server did not start")

    yield start
    for proc in procs:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=20)


@pytest.mark.timeout(60)
def test_pxelinux_tree(pxelinux_root: Path, serve_tree, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _, tftp = serve_tree(pxelinux_root, "--boot-file", "bios=pxelinux.0")
    assert tftp_get(tftp, "pxelinux.0") == (pxelinux_root / "pxelinux.0").read_bytes()
    assert tftp_get(tftp, "ldlinux.c32") == (pxelinux_root / "ldlinux.c32").read_bytes()
    started = time.monotonic()
    for probe in ("pxelinux.cfg/01-52-54-00-12-34-56", "pxelinux.cfg/7F000001", "pxelinux.cfg/7F0"):
        with pytest.raises(FileNotFoundError):
            tftp_get(tftp, probe)
    assert time.monotonic() - started < 2  # misses are answered at once, not by timeout
    assert tftp_get(tftp, "pxelinux.cfg/default").startswith(b"DEFAULT linux")
    assert tftp_get(tftp, "vmlinuz") == (pxelinux_root / "vmlinuz").read_bytes()

    policy = make_policy(pxelinux_root, tmp_path / "p", boot_files=("bios=pxelinux.0",))
    offer = policy.boot_offer(
        Client(mac="52:54:00:12:34:56", arch=0, vendor_class="PXEClient:Arch:00000:UNDI:002001")
    )
    assert offer is not None and offer.boot_file == "pxelinux.0"


@pytest.mark.timeout(60)
def test_shim_grub_tree_with_image_over_http(grub_root: Path, serve_tree, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    http, tftp = serve_tree(grub_root, "--boot-file", "efi64=bootx64.efi")
    assert tftp_get(tftp, "bootx64.efi") == (grub_root / "bootx64.efi").read_bytes()
    assert tftp_get(tftp, "grub.cfg").startswith(b"menuentry")
    for probe in ("revocations_sbat.efi", "shim_certificate_0.efi", "x86_64-efi/command.lst"):
        with pytest.raises(FileNotFoundError):
            tftp_get(tftp, probe)
    head = requests.head(f"http://127.0.0.1:{http}/image.iso", timeout=10)
    assert head.status_code == 200 and head.headers["Content-Length"] == str(64 * 1024 * 1024)
    assert head.headers["Content-Type"] == "application/x-iso9660-image"
    part = requests.get(
        f"http://127.0.0.1:{http}/image.iso",
        headers={"Range": f"bytes={32 * 1024 * 1024}-{32 * 1024 * 1024 + 11}"},
        timeout=10,
    )
    assert part.status_code == 206 and part.content == b"CD001 marker"
    whole = requests.get(f"http://127.0.0.1:{http}/image.iso", timeout=60)
    assert len(whole.content) == 64 * 1024 * 1024 and whole.content[32 * 1024 * 1024 :].startswith(
        b"CD001 marker"
    )

    policy = make_policy(grub_root, tmp_path / "p", boot_files=("efi64=bootx64.efi",))
    offer = policy.boot_offer(
        Client(mac="52:54:00:12:34:56", arch=7, vendor_class="PXEClient:Arch:00007:UNDI:003000")
    )
    assert offer is not None and offer.boot_file == "bootx64.efi"
    # the boot log names each stage the loader went through
    policy.tftp_file("bootx64.efi", Client(mac="52:54:00:12:34:56", ip="10.0.0.5"))
    policy.tftp_file("vmlinuz", Client(mac="52:54:00:12:34:56", ip="10.0.0.5"))
    policy.tftp_file("initrd.img", Client(mac="52:54:00:12:34:56", ip="10.0.0.5"))
    assert [e.stage for e in policy.bootlog.recent()] == ["dhcp", "binary", "kernel", "initrd"]
