"""Real firmware as the judge: OVMF's own (EDK2) PXE client loads ipxe.efi from our TFTP server.

EDK2 first asks with tsize, blksize 1468 and windowsize 4 and aborts after the OACK (a size query), then
downloads the file; the iPXE it loaded prints its banner on the serial port. Runs in a network namespace
of its own (bridge + tap for QEMU), with dnsmasq as the DHCP server only; needs root.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

OVMF_CODE = Path("/usr/share/OVMF/OVMF_CODE_4M.fd")
OVMF_VARS = Path("/usr/share/OVMF/OVMF_VARS_4M.fd")
IPXE_EFI = Path("/usr/lib/ipxe/ipxe.efi")

pytestmark = [
    pytest.mark.timeout(300),
    pytest.mark.skipif(
        not os.environ.get("CI")
        and (
            os.geteuid() != 0
            or not all(p.exists() for p in (OVMF_CODE, IPXE_EFI))
            or not shutil.which("qemu-system-x86_64")
        ),
        reason="needs root, qemu-system-x86, ovmf and ipxe (never skipped in CI)",
    ),
]


def ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True)


def test_edk2_pxe_loads_ipxe_from_our_server(tmp_path: Path) -> None:
    ns = f"tftpfw{os.getpid() % 100000}"
    root = tmp_path / "root"
    root.mkdir()
    shutil.copy(IPXE_EFI, root / "ipxe.efi")
    shutil.copy(OVMF_VARS, tmp_path / "vars.fd")
    serial, server_log = tmp_path / "serial.txt", tmp_path / "server.log"
    procs: list[subprocess.Popen[bytes]] = []
    ip("netns", "add", ns)
    try:
        ip("-n", ns, "link", "set", "lo", "up")
        ip("-n", ns, "link", "add", "br0", "type", "bridge")
        ip("-n", ns, "addr", "add", "10.213.9.1/24", "dev", "br0")
        ip("-n", ns, "link", "set", "br0", "up")
        ip("-n", ns, "tuntap", "add", "dev", "tap0", "mode", "tap")
        ip("-n", ns, "link", "set", "tap0", "master", "br0")
        ip("-n", ns, "link", "set", "tap0", "up")
        exec_ns = ["ip", "netns", "exec", ns]
        with server_log.open("wb") as log:
            procs.append(
                subprocess.Popen(
                    exec_ns
                    + [sys.executable, "-m", "ipxescript.serve.tftp", str(root), "--address", "10.213.9.1"],
                    stdout=subprocess.DEVNULL,
                    stderr=log,
                )
            )
        dhcp = ["dnsmasq", "-k", "-C", "/dev/null", "--port=0", "--interface=br0", "--bind-interfaces"]
        dhcp += ["--dhcp-range=10.213.9.50,10.213.9.60,1h", "--dhcp-boot=ipxe.efi,,10.213.9.1"]
        dhcp += ["--pid-file=", "--user=root", f"--dhcp-leasefile={tmp_path / 'leases'}"]
        procs.append(subprocess.Popen(exec_ns + dhcp, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        qemu = ["qemu-system-x86_64", "-m", "512", "-display", "none", "-no-reboot", "-boot", "n"]
        qemu += ["-drive", f"if=pflash,format=raw,readonly=on,file={OVMF_CODE}"]
        qemu += ["-drive", f"if=pflash,format=raw,file={tmp_path / 'vars.fd'}"]
        qemu += ["-netdev", "tap,id=n0,ifname=tap0,script=no,downscript=no"]
        qemu += ["-device", "virtio-net-pci,netdev=n0,romfile=", "-serial", f"file:{serial}"]
        time.sleep(0.5)
        procs.append(subprocess.Popen(exec_ns + qemu, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        deadline = time.monotonic() + 180
        text = ""
        while time.monotonic() < deadline and "iPXE initialising devices" not in text:
            time.sleep(0.5)
            text = serial.read_bytes().decode(errors="replace") if serial.exists() else ""
        assert "NBP file downloaded successfully" in text, text[-2000:]
        assert "iPXE initialising devices" in text, text[-2000:]
    finally:
        for proc in reversed(procs):
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)
    log_text = server_log.read_text()
    size = IPXE_EFI.stat().st_size
    assert "'ipxe.efi' octet blksize=1468 windowsize=4: size query answered" in log_text, log_text
    assert f"'ipxe.efi' octet blksize=1468 windowsize=4: sent; {size} bytes" in log_text, log_text
    assert "WARNING" not in log_text and "Traceback" not in log_text, log_text
