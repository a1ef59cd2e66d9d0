"""Servers started inside a lab: the server under test (`ipxescript serve`) and the peers around it.

Peers: an RA-only dnsmasq (ends iPXE's ~15 s wait for an IPv6 router advertisement after each DHCP), a
plain DHCP-only dnsmasq (the site's DHCP server beside a proxy), and the baseline dnsmasq + nginx that the
end-to-end benchmark compares against.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from e2e_lab import BRIDGE, Lab

POOL = (100, 199)  # the server under test's range in full mode
SITE_POOL = (50, 59)  # the plain site DHCP server's range beside a proxy: tells who gave the address


def dhcp_range(lab: Lab) -> tuple[str, str]:
    return lab.address(POOL[0]), lab.address(POOL[1])


def _dnsmasq_base(lab: Lab, label: str) -> list[str]:
    return [
        "dnsmasq",
        "--keep-in-foreground",
        "--conf-file=/dev/null",
        "--port=0",  # no DNS
        "--user=root",  # read the test's private (0700) directories
        "--no-ping",  # offer at once (no ~3 s ICMP check of a fresh address)
        f"--interface={BRIDGE}",
        "--bind-interfaces",
        f"--pid-file={lab.workdir / (label + '.pid')}",
        f"--dhcp-leasefile={lab.workdir / (label + '.leases')}",
        "--log-facility=-",
    ]


def start_router_advertiser(lab: Lab) -> subprocess.Popen[bytes]:
    """Router advertisements only: no DHCP, no DNS, no UDP port taken."""
    argv = _dnsmasq_base(lab, "ra") + [
        "--enable-ra",
        f"--dhcp-range=::,constructor:{BRIDGE},ra-only",
    ]
    proc = lab.spawn("ra", argv)
    return proc


def start_plain_dhcp(lab: Lab, next_server: str | None = None) -> subprocess.Popen[bytes]:
    """A site DHCP server with no boot options at all (proxy mode answers the PXE part beside it)."""
    start, end = lab.address(SITE_POOL[0]), lab.address(SITE_POOL[1])
    argv = _dnsmasq_base(lab, "site-dhcp") + [f"--dhcp-range={start},{end},255.255.255.0,1h", "--log-dhcp"]
    if next_server:
        argv.append(f"--dhcp-boot=,,{next_server}")
    proc = lab.spawn("site-dhcp", argv)
    lab.wait_listening("udp", 67, proc=proc)
    return proc


def start_dnsmasq_boot(
    lab: Lab, root: Path, boot_files: Mapping[str, str], http_url: str
) -> subprocess.Popen[bytes]:
    """The baseline boot server: dnsmasq DHCP (full) + TFTP, tagging iPXE clients by user-class.

    iPXE clients get HTTP_URL; others get BOOT_FILES[arch] ('bios' or 'efi64') by TFTP from this host.
    Option 60 'PXEClient' in replies to iPXE lets it take the offer without waiting ~3 s for proxy offers;
    EDK2 must not get it without option 43 (it then takes the offer as BINL and asks port 4011).
    """
    start, end = dhcp_range(lab)
    argv = _dnsmasq_base(lab, "dnsmasq") + [
        f"--dhcp-range={start},{end},255.255.255.0,1h",
        "--dhcp-userclass=set:ipxe,iPXE",
        "--dhcp-match=set:efi64,option:client-arch,7",
        "--dhcp-match=set:efi64,option:client-arch,9",
        "--dhcp-option-force=tag:ipxe,60,PXEClient",
        f"--dhcp-boot=tag:ipxe,{http_url}",
        f"--dhcp-boot=tag:!ipxe,tag:efi64,{boot_files.get('efi64', 'ipxe.efi')},,{lab.server_ip}",
        f"--dhcp-boot=tag:!ipxe,tag:!efi64,{boot_files.get('bios', 'undionly.kpxe')},,{lab.server_ip}",
        "--enable-tftp",
        f"--tftp-root={root}",
        "--log-dhcp",
    ]
    proc = lab.spawn("dnsmasq", argv)
    lab.wait_listening("udp", 67, proc=proc)
    lab.wait_listening("udp", 69, proc=proc)
    return proc


NGINX_CONF = """daemon off;
master_process off;
worker_processes 1;
pid {work}/nginx.pid;
error_log stderr warn;
events {{ worker_connections {connections}; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
    sendfile on;
    client_body_temp_path {work}/nginx-body;
    proxy_temp_path {work}/nginx-proxy;
    fastcgi_temp_path {work}/nginx-fastcgi;
    uwsgi_temp_path {work}/nginx-uwsgi;
    scgi_temp_path {work}/nginx-scgi;
    server {{
        listen {address}:{port};
        root {root};
    }}
}}
"""


def write_nginx_conf(work: Path, address: str, root: Path, port: int = 80, connections: int = 256) -> Path:
    """nginx as the baseline's static HTTP server (one process, sendfile, no access log), everything it
    writes kept in `work`; the config file's path (run `nginx -c PATH -e stderr`). Also the boot storm's
    (benchmarks/bench_storm.py)."""
    conf = work / "nginx.conf"
    conf.write_text(
        NGINX_CONF.format(work=work, address=address, port=port, root=root, connections=connections)
    )
    return conf


def start_nginx(lab: Lab, root: Path, port: int = 80) -> subprocess.Popen[bytes]:
    conf = write_nginx_conf(lab.workdir, lab.server_ip, root, port)
    proc = lab.spawn("nginx", ["nginx", "-c", str(conf), "-e", "stderr"])
    lab.wait_listening("tcp", port, proc=proc)
    return proc


def serve_argv(
    lab: Lab,
    root: Path,
    dhcp: str,
    boot_files: Mapping[str, str] | None = None,
    http_port: int = 80,
    tftp_port: int = 69,
) -> list[str]:
    """The command line of the server under test: issue 7's flags, plus --state-dir to keep each test's
    assignments and boot log apart from the user's."""
    start, end = dhcp_range(lab)
    argv = [
        sys.executable, "-m", "ipxescript", "serve", str(root),
        "--interface", BRIDGE,
        "--address", lab.server_ip,
        "--dhcp", dhcp,
        "--http-port", str(http_port),
        "--tftp-port", str(tftp_port),
        "--state-dir", str(state_dir(lab)),
    ]  # fmt: skip
    if dhcp == "full":
        argv += ["--dhcp-range", f"{start}-{end}"]
    for arch, name in (boot_files or {}).items():
        argv += ["--boot-file", f"{arch}={name}"]
    return argv


def start_ipxescript(
    lab: Lab,
    root: Path,
    dhcp: str,
    boot_files: Mapping[str, str] | None = None,
    http_port: int = 80,
    tftp_port: int = 69,
) -> subprocess.Popen[bytes]:
    proc = lab.spawn("serve", serve_argv(lab, root, dhcp, boot_files, http_port, tftp_port))
    lab.wait_listening("tcp", http_port, proc=proc)
    lab.wait_listening("udp", tftp_port, proc=proc)
    if dhcp != "off":
        lab.wait_listening("udp", 67, proc=proc)
    if dhcp == "proxy":
        lab.wait_listening("udp", 4011, proc=proc)
    return proc


def state_dir(lab: Lab) -> Path:
    return lab.workdir / "serve-state"


def boot_log(lab: Lab) -> list[dict[str, object]]:
    """The server's per-client boot log (JSON lines in its state directory)."""
    path = state_dir(lab) / "bootlog.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def served(lab: Lab, protocol: str) -> list[str]:
    """What the server's boot log says it sent over PROTOCOL ('tftp', 'http', 'dhcp'), in order."""
    return [str(record.get("what")) for record in boot_log(lab) if record.get("protocol") == protocol]


def ipxescript(lab: Lab, *args: str) -> subprocess.CompletedProcess[str]:
    """Run another `ipxescript` command (assign, assignments, ...) against the lab server's state."""
    argv = [sys.executable, "-m", "ipxescript", *args, "--state-dir", str(state_dir(lab))]
    return subprocess.run(argv, capture_output=True, text=True, timeout=60)
