"""`ipxescript serve --interface ... --dhcp full` on a private wire: a real DHCP client (busybox udhcpc)
in a second network namespace gets an address and the right boot file, then fetches over TFTP and HTTP on
the standard ports. Needs root (CI runs as root); everything lives in namespaces this test creates.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

MAC = "52:54:00:aa:bb:01"
UDHCPC_SCRIPT = """#!/bin/sh
[ "$1" = bound ] || exit 0
echo "ip=$ip siaddr=$siaddr boot_file=$boot_file" > "$(dirname "$0")/lease.txt"
"""


def sh(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, check=check, timeout=60)


@pytest.fixture
def wire() -> Iterator[tuple[str, str, str]]:
    if os.geteuid() != 0:
        pytest.fail("this test needs root for network namespaces (CI runs as root)")
    tag = uuid.uuid4().hex[:6]
    server, client = f"ipxs-s-{tag}", f"ipxs-c-{tag}"
    subnet = f"10.{int(tag[:2], 16) % 200 + 20}.{int(tag[2:4], 16)}"
    try:
        sh("ip", "netns", "add", server)
        sh("ip", "netns", "add", client)
        sh(
            "ip",
            "link",
            "add",
            f"vs{tag}",
            "netns",
            server,
            "type",
            "veth",
            "peer",
            "name",
            f"vc{tag}",
            "netns",
            client,
        )
        sh("ip", "-n", client, "link", "set", f"vc{tag}", "address", MAC)
        sh("ip", "-n", server, "addr", "add", f"{subnet}.1/24", "dev", f"vs{tag}")
        for ns, dev in ((server, f"vs{tag}"), (client, f"vc{tag}")):
            sh("ip", "-n", ns, "link", "set", "lo", "up")
            sh("ip", "-n", ns, "link", "set", dev, "up")
        yield server, client, subnet
    finally:
        sh("ip", "netns", "del", server, check=False)
        sh("ip", "netns", "del", client, check=False)


def udhcpc(client: str, tag: str, workdir: Path, *options: str) -> str:
    script = workdir / "udhcpc.sh"
    script.write_text(UDHCPC_SCRIPT)
    script.chmod(0o755)
    lease = workdir / "lease.txt"
    lease.unlink(missing_ok=True)
    result = sh(
        "ip", "netns", "exec", client, "udhcpc", "-i", f"vc{tag}", "-f", "-q", "-n", "-t", "5", "-T", "1",
        "-s", str(script), *options, check=False,
    )  # fmt: skip
    assert lease.exists(), f"udhcpc got no lease:\n{result.stdout}\n{result.stderr}"
    return lease.read_text().strip()


@pytest.mark.timeout(120)
def test_full_dhcp_tftp_http_on_an_interface(wire: tuple[str, str, str], tmp_path: Path) -> None:
    if not shutil.which("udhcpc"):
        pytest.fail("udhcpc is needed (apt-get install udhcpc)")
    server_ns, client_ns, subnet = wire
    tag = server_ns.rsplit("-", 1)[1]
    root = tmp_path / "root"
    root.mkdir()
    (root / "boot.ipxe").write_text("#!ipxe\necho hello {{ mac }} from {{ server }}\n")
    proc = subprocess.Popen(
        ["ip", "netns", "exec", server_ns, sys.executable, "-m", "ipxescript", "serve", str(root),
         "--interface", f"vs{tag}", "--dhcp", "full", "--dhcp-range", f"{subnet}.100-{subnet}.120",
         "--state-dir", str(tmp_path / "state")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:  # HTTP on the standard port 80, at the interface's address (asked from the server side)
            probe = sh("ip", "netns", "exec", server_ns, "curl", "-s", "-m", "1", "-o", "/dev/null", "-w",
                       "%{http_code}", f"http://{subnet}.1/", check=False)  # fmt: skip
            if probe.stdout == "200":
                break
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate(timeout=5)
            time.sleep(0.1)

        # a BIOS PXE ROM (not iPXE): an address and the first stage
        bios = udhcpc(client_ns, tag, tmp_path, "-V", "PXEClient:Arch:00000:UNDI:002001", "-x", "0x5d:0000")
        leased = bios.split("ip=", 1)[1].split()[0]
        assert (
            leased.startswith(f"{subnet}.") and 100 <= int(leased.rsplit(".", 1)[1]) <= 120
        )  # from the pool
        assert f"siaddr={subnet}.1" in bios
        assert "boot_file=undionly.kpxe" in bios
        # iPXE (user-class "iPXE"): the HTTP script instead, so it never chainloads itself
        ipxe = udhcpc(client_ns, tag, tmp_path, "-V", "PXEClient:Arch:00000:UNDI:002001", "-x", "0x5d:0000",
                      "-x", "0x4d:69505845")  # fmt: skip
        assert f"boot_file=http://{subnet}.1/boot.ipxe" in ipxe

        sh("ip", "-n", client_ns, "addr", "add", f"{leased}/24", "dev", f"vc{tag}")
        fetched = tmp_path / "undionly.kpxe"
        sh(
            "ip",
            "netns",
            "exec",
            client_ns,
            "curl",
            "-s",
            "-m",
            "20",
            "-o",
            str(fetched),
            f"tftp://{subnet}.1/undionly.kpxe",
        )
        assert fetched.read_bytes() == Path("/usr/lib/ipxe/undionly.kpxe").read_bytes()
        script = sh("ip", "netns", "exec", client_ns, "curl", "-s", "-m", "5",
                    f"http://{subnet}.1/boot.ipxe?mac=52-54-00-aa-bb-01").stdout  # fmt: skip
        assert script == f"#!ipxe\necho hello {MAC} from http://{subnet}.1\n"
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert f"DHCP   full on vs{tag} (port 67, pool {subnet}.100-{subnet}.120)" in out
    assert f"TFTP   {subnet}.1:69" in out
    # the boot log has the client's DHCP, binary and script steps under its MAC
    log = (tmp_path / "state" / "bootlog.jsonl").read_text()
    for stage in ('"stage": "dhcp"', '"stage": "binary"', '"stage": "script"'):
        assert stage in log


@pytest.mark.timeout(90)
def test_proxy_mode_opens_the_standard_ports(wire: tuple[str, str, str], tmp_path: Path) -> None:
    server_ns, client_ns, subnet = wire
    tag = server_ns.rsplit("-", 1)[1]
    root = tmp_path / "root"
    root.mkdir()
    (root / "boot.ipxe").write_text("#!ipxe\necho hi\n")
    proc = subprocess.Popen(
        ["ip", "netns", "exec", server_ns, sys.executable, "-m", "ipxescript", "serve", str(root),
         "--interface", f"vs{tag}", "--dhcp", "proxy", "--state-dir", str(tmp_path / "state")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            ports = sh("ip", "netns", "exec", server_ns, "ss", "-Hlnu").stdout
            if ":4011" in ports and ":67 " in ports and ":69 " in ports:
                break
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate(timeout=5)
            time.sleep(0.1)
        assert "LISTEN" in sh("ip", "netns", "exec", server_ns, "ss", "-Hltn", "sport", "= :80").stdout
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert f"DHCP   proxy on vs{tag} (ports 67 and 4011)" in out
