"""Real DHCP clients (busybox udhcpc, ISC dhclient) and a real second server (dnsmasq) against our server,
all inside network namespaces this test creates and removes. Needs root (CI runs as root)."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import sys
import time
from pathlib import Path

import pytest
from dhcp_testlib import Lab, lab, start_runner

from ipxescript.serve.dhcp import codec as c

pytestmark = [
    pytest.mark.timeout(120),
    pytest.mark.skipif(
        os.geteuid() != 0 and not os.environ.get("CI"),
        reason="network namespaces need root (CI runs as root)",
    ),
]


def env_script(directory: Path, name: str, event: str) -> Path:
    """A client hook script that records the client's view of the lease, one file per event."""
    script = directory / f"{name}.sh"
    script.write_text(f'#!/bin/sh\nenv > "{directory}/{name}-${{{event}}}.env"\n')
    script.chmod(0o755)
    return script


def read_env(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)


def udhcpc(the_lab: Lab, ns: str, tmp: Path, *extra: str, tries: int = 3) -> dict[str, str] | None:
    """Run busybox udhcpc once; the environment it handed its script on `bound`, or None without a lease."""
    for old in tmp.glob("udhcpc-*.env"):
        old.unlink()
    script = env_script(tmp, "udhcpc", "1")
    done = the_lab.ns_exec(
        ns,
        "udhcpc",
        "-i",
        "eth0",
        "-f",
        "-q",
        "-n",
        "-t",
        str(tries),
        "-T",
        "1",
        "-s",
        str(script),
        *extra,
        check=False,
    )
    bound = tmp / "udhcpc-bound.env"
    if done.returncode != 0 or not bound.exists():
        return None
    return read_env(bound)


def log_text(path: Path) -> str:
    return path.read_text() if path.exists() else ""


def test_udhcpc_gets_a_lease_and_keeps_it_across_a_restart(tmp_path: Path) -> None:
    log = tmp_path / "dhcp.log"
    db = tmp_path / "leases.sqlite"
    args = (
        "--mode",
        "full",
        "--range",
        "10.213.7.100-10.213.7.150",
        "--router",
        "10.213.7.1",
        "--dns",
        "10.213.7.1",
    )
    with lab() as the_lab:
        first = the_lab.add_host("a", mac="52:54:00:aa:00:01")
        second = the_lab.add_host("b", mac="52:54:00:aa:00:02")
        server = start_runner(the_lab, *args, "--lease-db", str(db), "-v", log_file=log)
        lease = udhcpc(the_lab, first, tmp_path)
        assert lease is not None, log_text(log)
        assert lease["ip"] == "10.213.7.100" and lease["serverid"] == "10.213.7.1"
        assert (
            lease["subnet"] == "255.255.255.0"
            and lease["router"] == "10.213.7.1"
            and lease["lease"] == "3600"
        )
        assert "bootfile" not in lease and not lease.get("boot_file")  # an OS client gets no boot file

        os.killpg(server.pid, signal.SIGKILL)  # a crash, not a clean stop: the lease must be on disk already
        server.wait(10)
        start_runner(the_lab, *args, "--lease-db", str(db), log_file=log)
        other = udhcpc(the_lab, second, tmp_path, "-r", lease["ip"])  # asks for the first client's address
        assert other is not None and other["ip"] != lease["ip"]
        again = udhcpc(the_lab, first, tmp_path)
        assert again is not None and again["ip"] == lease["ip"]
    assert "the client's existing lease" in log_text(log)
    # udhcpc does not ask for broadcast: the OFFER went by unicast to an address the kernel had no ARP
    # entry for (the server added one).
    assert "sent OFFER to 10.213.7.100:68 (unicast)" in log_text(log)


def test_dhclient_gets_a_lease_keeps_it_across_a_restart_and_releases_it(tmp_path: Path) -> None:
    assert shutil.which("dhclient"), "isc-dhcp-client is needed"
    log = tmp_path / "dhcp.log"
    db = tmp_path / "leases.sqlite"
    args = ("--mode", "full", "--range", "10.213.7.100-10.213.7.150", "--lease-db", str(db))
    script = env_script(tmp_path, "dhclient", "reason")
    with script.open("a") as hook:  # configure the address so the RELEASE can be sent by unicast
        hook.write(
            'case "$reason" in BOUND|REBOOT) ip addr replace "$new_ip_address/24" dev "$interface";; esac\n'
        )
    leases = tmp_path / "dhclient.leases"

    def dhclient(ns: str, *extra: str) -> None:
        the_lab.ns_exec(
            ns, "dhclient", "-4", "-1", "-v", "-lf", str(leases), "-pf", str(tmp_path / "dhclient.pid"),
            "-sf", str(script), *extra, "eth0", timeout=60,
        )  # fmt: skip

    with lab() as the_lab:
        client = the_lab.add_host("d", mac="52:54:00:dd:00:01")
        server = start_runner(the_lab, *args, log_file=log)
        try:
            dhclient(client)
            bound = read_env(tmp_path / "dhclient-BOUND.env")
            assert bound["new_ip_address"] == "10.213.7.100"
            assert bound["new_subnet_mask"] == "255.255.255.0"
            assert bound["new_dhcp_server_identifier"] == "10.213.7.1"
            dhclient(client, "-x")  # stop the daemon, keep the lease file

            the_lab.stop(server)
            start_runner(the_lab, *args, log_file=log)
            dhclient(client)  # INIT-REBOOT with the remembered address
            reboot = read_env(tmp_path / "dhclient-REBOOT.env")
            assert reboot["new_ip_address"] == bound["new_ip_address"]
            dhclient(client, "-r")  # release
        finally:
            the_lab.ns_exec(client, "dhclient", "-x", "-pf", str(tmp_path / "dhclient.pid"), check=False)
        deadline = time.monotonic() + 5
        while "RELEASE from" not in log_text(log) and time.monotonic() < deadline:
            time.sleep(0.1)
    text = log_text(log)
    assert "lease bound (init-reboot)" in text
    assert "RELEASE from 52:54:00:dd:00:01" in text and "10.213.7.100 released" in text


ARCH_CASES = [
    # udhcpc arguments, boot file expected (None: an address but no boot file)
    (("-V", "PXEClient:Arch:00000:UNDI:002001", "-x", "0x5d:0000"), "undionly.kpxe"),
    (("-V", "PXEClient:Arch:00006:UNDI:003000", "-x", "0x5d:0006"), None),  # Debian ships no IA32 iPXE
    (("-V", "PXEClient:Arch:00007:UNDI:003000", "-x", "0x5d:0007"), "ipxe.efi"),
    (("-V", "PXEClient:Arch:00009:UNDI:003000", "-x", "0x5d:0009"), "ipxe.efi"),
    (("-V", "PXEClient:Arch:00011:UNDI:003000", "-x", "0x5d:000b"), "grubaa64.efi"),  # configured
    (("-V", "HTTPClient:Arch:00016:UNDI:003000", "-x", "0x5d:0010"), "http://10.213.7.1:8080/ipxe.efi"),
    (
        ("-V", "PXEClient:Arch:00000:UNDI:002001", "-x", "0x5d:0000", "-x", "0x4d:69505845"),
        "http://10.213.7.1:8080/boot.ipxe",
    ),
    (
        ("-V", "PXEClient:Arch:00007:UNDI:003000", "-x", "0x5d:0007", "-x", "0x4d:0469505845"),
        "http://10.213.7.1:8080/boot.ipxe",
    ),
    (("-x", "0x5d:0007", "-x", "0xaf:130101150101"), "http://10.213.7.1:8080/boot.ipxe"),  # option 175 only
]


def test_udhcpc_with_pxe_options_gets_the_boot_file_for_its_arch(tmp_path: Path) -> None:
    log = tmp_path / "dhcp.log"
    with lab() as the_lab:
        start_runner(
            the_lab, "--mode", "full", "--range", "10.213.7.100-10.213.7.150", "--http-port", "8080",
            "--boot-file", "arm64=grubaa64.efi", log_file=log,
        )  # fmt: skip
        for index, (extra, expected) in enumerate(ARCH_CASES):
            ns = the_lab.add_host(f"p{index}", mac=f"52:54:00:bb:00:{index:02x}")
            lease = udhcpc(the_lab, ns, tmp_path, *extra, "-O", "bootfile")
            assert lease is not None, (extra, log_text(log))
            assert lease.get("bootfile") == expected, extra
            if expected is None:
                continue
            assert lease["siaddr"] == "10.213.7.1"
            assert lease["boot_file"] == expected  # the BOOTP file field too (shim reads only that)
            vendor = extra[1].split(":")[0] if extra[0] == "-V" else None
            assert lease.get("vendor") == vendor, extra  # option 60 echoed to PXE/HTTP firmware only


def test_never_answers_on_another_interface(tmp_path: Path) -> None:
    log = tmp_path / "dhcp.log"
    with lab() as the_lab:
        start_runner(the_lab, "--mode", "full", "--range", "10.213.7.100-10.213.7.150", log_file=log)
        # A second link into the server's namespace that is not the bridge the server is bound to.
        outside = the_lab.add_host("x", bridged=False)
        assert udhcpc(the_lab, outside, tmp_path, tries=2) is None
        inside = the_lab.add_host("i")
        assert udhcpc(the_lab, inside, tmp_path) is not None  # the server is up and answering on br0
    assert "DISCOVER" in log_text(log)


async def _collect(sock: socket.socket, seconds: float) -> list[tuple[c.DhcpPacket, tuple[str, int]]]:
    got = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while (left := deadline - loop.time()) > 0:
        try:
            data, source = await asyncio.wait_for(loop.sock_recvfrom(sock, 4096), left)
        except TimeoutError:
            break
        got.append((c.decode(data), source))
    return got


PXE_PROBE = r"""
import asyncio, socket, sys
sys.path.insert(0, {testdir!r})
from dhcp_testlib import client_packet
from ipxescript.serve.dhcp import codec as c
from test_dhcp_real_clients import _collect

async def main():
    mac = "52:54:00:ee:00:01"
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b"eth0")
    sock.bind(("0.0.0.0", 68)); sock.setblocking(False)
    pxe = dict(arch=7, vendor="PXEClient:Arch:00007:UNDI:003000", mac=mac, xid=0x4242)
    sock.sendto(c.encode(client_packet(c.DISCOVER, **pxe)), ("255.255.255.255", 67))
    offers = [p for p, _ in await _collect(sock, 1.5) if p.xid == 0x4242]
    for p in offers:
        print("OFFER", p.server_id, p.yiaddr, p.siaddr, p.boot_file or "-", p.vendor_class, flush=True)
    lease = next(p for p in offers if p.yiaddr != "0.0.0.0")
    sock.sendto(c.encode(client_packet(c.REQUEST, requested=lease.yiaddr, server_id=lease.server_id, **pxe)),
                ("255.255.255.255", 67))
    acks = [p for p, _ in await _collect(sock, 1.0) if p.message_type == c.ACK and p.yiaddr != "0.0.0.0"]
    print("ACK", acks[0].server_id, acks[0].yiaddr, flush=True)
    print("CONFIGURE", lease.yiaddr, flush=True)
    sys.stdin.readline()  # the test has configured the address
    boot = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    boot.bind((lease.yiaddr, 4011)); boot.setblocking(False)
    proxy = next(p for p in offers if p.yiaddr == "0.0.0.0")
    boot.sendto(c.encode(client_packet(c.REQUEST, ciaddr=lease.yiaddr, broadcast=False, **pxe)), (proxy.server_id, 4011))
    for p, source in await _collect(boot, 1.5):
        print("BOOT", p.message_name, source[0], source[1], p.siaddr, p.boot_file, flush=True)

asyncio.run(main())
"""


def test_proxy_mode_beside_dnsmasq(tmp_path: Path) -> None:
    """dnsmasq (no boot options) gives the address, we give the boot file: the PXE client's view."""
    log = tmp_path / "dhcp.log"
    with lab() as the_lab:
        dnsmasq = the_lab.spawn(
            the_lab.server_ns, "dnsmasq", "--keep-in-foreground", "--port=0", "--conf-file=/dev/null",
            "--interface=br0", "--bind-interfaces", "--dhcp-range=10.213.7.50,10.213.7.99,1h", "--user=root",
            f"--dhcp-leasefile={tmp_path}/dnsmasq.leases", f"--pid-file={tmp_path}/dnsmasq.pid",
            f"--log-facility={tmp_path}/dnsmasq.log", "--log-dhcp",
            "--no-ping",  # its 3 s ping before each new address only slows the test
        )  # fmt: skip
        time.sleep(0.5)
        assert dnsmasq.poll() is None, dnsmasq.stderr.read() if dnsmasq.stderr else ""
        start_runner(the_lab, "--mode", "proxy", "--http-port", "8080", log_file=log)

        plain = the_lab.add_host("o", mac="52:54:00:ee:00:02")
        # -B: dnsmasq's unicast OFFER (to a MAC without an address) does not reach udhcpc on this bridge.
        os_lease = udhcpc(the_lab, plain, tmp_path, "-B", "-O", "bootfile")
        assert os_lease is not None and os_lease["serverid"] == "10.213.7.1" and "bootfile" not in os_lease
        # The OS client was not answered by us, and the log says why.
        assert any(
            "from 52:54:00:ee:00:02 " in line and "(proxy): silent: not a PXE client" in line
            for line in log_text(log).splitlines()
        )
        assert "(proxy): OFFER" not in log_text(log)

        pxe = the_lab.add_host("e", mac="52:54:00:ee:00:01")
        probe = the_lab.spawn(
            pxe, os.environ.get("PYTHON", sys.executable), "-c",
            PXE_PROBE.format(testdir=str(Path(__file__).parent)), stdin=-1,
        )  # fmt: skip
        assert probe.stdout is not None and probe.stdin is not None
        lines: list[str] = []
        while not lines or not lines[-1].startswith(("CONFIGURE", "Traceback")):
            line = probe.stdout.readline().decode()
            if not line:
                break
            lines.append(line.strip())
        assert lines and lines[-1].startswith("CONFIGURE"), (
            lines,
            probe.stderr.read() if probe.stderr else "",
        )
        address = lines[-1].split()[1]
        the_lab.ns_exec(pxe, "ip", "addr", "add", f"{address}/24", "dev", "eth0")
        probe.stdin.write(b"go\n")
        probe.stdin.flush()
        out, err = probe.communicate(timeout=20)
        lines += out.decode().split("\n")
    offers = [line.split() for line in lines if line.startswith("OFFER")]
    # OFFER server-id yiaddr siaddr boot-file vendor-class
    by_dnsmasq = [o for o in offers if o[2] != "0.0.0.0"]
    by_us = [o for o in offers if o[2] == "0.0.0.0"]
    assert len(by_dnsmasq) == 1 and by_dnsmasq[0][2].startswith("10.213.7.") and by_dnsmasq[0][4] == "-"
    assert by_us == [["OFFER", "10.213.7.1", "0.0.0.0", "10.213.7.1", "ipxe.efi", "PXEClient"]], offers
    assert any(line.startswith("ACK 10.213.7.1 " + address) for line in lines)  # dnsmasq acked the address
    # The boot-server request on 4011 is answered to the client's port 4011 with the boot file.
    assert "BOOT ACK 10.213.7.1 4011 10.213.7.1 ipxe.efi" in lines, lines
    text = log_text(log)
    assert "(proxy): OFFER boot file ipxe.efi from 10.213.7.1, no address" in text
    assert "on the boot-server port from 52:54:00:ee:00:01" in text


def test_relay_agent_is_answered_by_unicast(tmp_path: Path) -> None:
    """A relay (giaddr) in a third namespace gets the OFFER on port 67, unicast; the client link sees nothing."""
    log = tmp_path / "dhcp.log"
    relay_probe = r"""
import socket, sys
sys.path.insert(0, {testdir!r})
from dhcp_testlib import client_packet
from ipxescript.serve.dhcp import codec as c
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind(("10.213.7.3", 67)); sock.settimeout(2)
info = c.encode_suboptions({{c.RELAY_CIRCUIT_ID: b"sw1/7"}})
packet = client_packet(c.DISCOVER, mac="52:54:00:cc:00:01", giaddr="10.213.7.3", broadcast=False, arch=0,
                       vendor="PXEClient", extra={{c.OPT_RELAY_AGENT: info}})
sock.sendto(c.encode(packet), ("10.213.7.1", 67))
data, source = sock.recvfrom(4096)
p = c.decode(data)
print(source[0], source[1], p.message_name, p.yiaddr, p.giaddr, p.boot_file, p.options[82] == info)
"""
    with lab() as the_lab:
        relay = the_lab.add_host("r", address="10.213.7.3")
        watcher = the_lab.add_host("w", address="10.213.7.4")
        start_runner(the_lab, "--mode", "full", "--range", "10.213.7.100-10.213.7.150", log_file=log)
        listen = the_lab.spawn(
            watcher, "timeout", "4", "busybox", "nc", "-u", "-l", "-p", "68",
        )  # fmt: skip
        time.sleep(0.3)
        done = the_lab.ns_exec(
            relay,
            os.environ.get("PYTHON", sys.executable),
            "-c",
            relay_probe.format(testdir=str(Path(__file__).parent)),
        )
        heard, _ = listen.communicate(timeout=10)
    assert done.stdout.split() == [
        "10.213.7.1",
        "67",
        "OFFER",
        "10.213.7.100",
        "10.213.7.3",
        "undionly.kpxe",
        "True",
    ]
    assert heard == b""  # nothing was broadcast to clients on the link
    assert "relay=10.213.7.3" in log_text(log)
