"""Real firmware boots a tiny Linux from `ipxescript serve` alone, in a private network namespace.

Each case ends when the tiny Linux prints its marker; its kernel command line says which entry booted
(`e2e.entry=...`), on which platform and with which address. QEMU runs without KVM, so every wait has a
limit a few times the boot time measured on a 2-core machine (shared/reference/RUNNING-IPXE.md).
"""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest
from e2e_lab import Lab
from e2e_machine import Machine, boot_to_linux
from e2e_servers import POOL, SITE_POOL, ipxescript, served, start_ipxescript, start_plain_dhcp
from e2e_tinylinux import TinyLinux
from e2e_trees import GRUB_PREFIX, grub_tree, menu_tree, pxelinux_tree, targets_tree

# Per-boot limits (seconds): measured ~12 s BIOS+iPXE, ~13-16 s ipxe.lkrn chains, ~25 s OVMF native PXE,
# ~30 s OVMF + shim + GRUB on an idle 2-core machine; up to 3x that on one loaded by other work.
BIOS_LIMIT = 90
EFI_LIMIT = 150

# ipxe.lkrn stands in for a plain BIOS PXE ROM (Debian ships none). It sends option 175 whatever its
# user-class, so a server that follows iPXE's own markers (as ours does) offers it the script URL; the
# stand-in therefore loads the first stage a plain ROM is offered (the server's `--boot-file bios=` value)
# itself, by TFTP from the server. What runs next on iPXE's PXE stack (undionly.kpxe, PXELINUX) is real.
STANDIN = "set user-class plain-pxe && dhcp && clear user-class && "


def entries(cmdline: str) -> dict[str, str]:
    """The e2e.* parameters of a kernel command line."""
    pairs = (word.split("=", 1) for word in cmdline.split() if word.startswith("e2e.") and "=" in word)
    return {key[len("e2e.") :]: value for key, value in pairs}


def in_pool(lab: Lab, ip: str, pool: tuple[int, int]) -> bool:
    prefix, _, host = ip.rpartition(".")
    return prefix == lab.subnet and host.isdigit() and pool[0] <= int(host) <= pool[1]


@pytest.mark.timeout(BIOS_LIMIT + 60)
def test_seabios_ipxe_rom_full_dhcp_menu_times_out_to_default(
    lab: Lab, tiny_linux: TinyLinux, tmp_path: Path
):
    root = menu_tree(tmp_path / "root", tiny_linux, timeout_ms=1000)
    serve = start_ipxescript(lab, root, "full")

    cmdline = boot_to_linux(Machine(lab, "seabios-ipxe", "vm"), tiny_linux, BIOS_LIMIT)

    seen = entries(cmdline)
    assert seen["entry"] == "second", cmdline  # `choose --timeout` fell to the default item
    assert seen["platform"] == "pcbios", cmdline
    assert in_pool(lab, seen["ip"], POOL), f"address {seen['ip']} is not from the server's range"
    assert {"vmlinuz", "initrd.img"} <= set(served(lab, "http")), served(lab, "http")
    serve.send_signal(signal.SIGTERM)
    assert serve.wait(10) == 0, "serve did not stop cleanly on SIGTERM:\n" + lab.log_text("serve")[-2000:]


@pytest.mark.timeout(BIOS_LIMIT + 60)
def test_plain_bios_pxe_loads_undionly_then_ipxe_gets_the_script(
    lab: Lab, tiny_linux: TinyLinux, tmp_path: Path
):
    # ROOT has no undionly.kpxe: the server's default first stage comes from Debian's ipxe package.
    root = menu_tree(tmp_path / "root", tiny_linux)
    start_ipxescript(lab, root, "full", {"bios": "undionly.kpxe"})
    script = STANDIN + "chain tftp://${next-server}/undionly.kpxe"

    cmdline = boot_to_linux(Machine(lab, "seabios-lkrn", "vm", lkrn_script=script), tiny_linux, BIOS_LIMIT)

    # undionly.kpxe asked again as iPXE and got the HTTP script, not itself: loaded once, no chainload loop
    assert served(lab, "tftp").count("undionly.kpxe") == 1, served(lab, "tftp")
    assert entries(cmdline)["entry"] == "second", cmdline
    assert entries(cmdline)["platform"] == "pcbios", cmdline


@pytest.mark.timeout(EFI_LIMIT + 60)
def test_ovmf_native_pxe_loads_ipxe_efi_by_tftp_then_the_script_by_http(
    lab: Lab, tiny_linux: TinyLinux, tmp_path: Path
):
    root = menu_tree(tmp_path / "root", tiny_linux)
    start_ipxescript(lab, root, "full")

    cmdline = boot_to_linux(Machine(lab, "ovmf-pxe", "vm"), tiny_linux, EFI_LIMIT)

    seen = entries(cmdline)
    assert seen["entry"] == "second", cmdline
    assert seen["platform"] == "efi", cmdline
    assert "initrd=initrd.img" in cmdline
    assert "ipxe.efi" in served(lab, "tftp"), served(lab, "tftp")
    assert {"vmlinuz", "initrd.img"} <= set(served(lab, "http")), served(lab, "http")


@pytest.mark.timeout(EFI_LIMIT + 60)
@pytest.mark.parametrize(
    "firmware, limit, platform",
    [("seabios-ipxe", BIOS_LIMIT, "pcbios"), ("ovmf-pxe", EFI_LIMIT, "efi")],
    ids=["ipxe-rom", "edk2-native-pxe"],
)
def test_proxy_mode_beside_a_plain_dhcp_server(
    lab: Lab, tiny_linux: TinyLinux, tmp_path: Path, firmware: str, limit: float, platform: str
):
    # EDK2 asks the proxy again on port 4011 for its boot file; iPXE takes the proxy offer from port 67.
    root = menu_tree(tmp_path / "root", tiny_linux)
    start_plain_dhcp(lab)
    start_ipxescript(lab, root, "proxy")

    cmdline = boot_to_linux(Machine(lab, firmware, "vm"), tiny_linux, limit, ("serve", "site-dhcp"))

    seen = entries(cmdline)
    assert seen["entry"] == "second", cmdline
    assert seen["platform"] == platform, cmdline
    assert in_pool(lab, seen["ip"], SITE_POOL), f"address {seen['ip']} should come from the site DHCP server"


@pytest.mark.timeout(BIOS_LIMIT + 60)
def test_pxelinux_on_bios_reaches_the_kernel_over_tftp(lab: Lab, tiny_linux: TinyLinux, tmp_path: Path):
    root = pxelinux_tree(tmp_path / "root", tiny_linux)
    start_ipxescript(lab, root, "full", {"bios": "pxelinux.0"})
    # PXELINUX takes its path prefix from the file name in the DHCP reply the PXE stack hands it. After a
    # DHCP exchange, ipxe.lkrn's would be the script URL (the server saw option 175) and PXELINUX would
    # load everything by HTTP through iPXE, so the stand-in sets up what a plain ROM would have been told.
    script = (
        f"ifopen net0 && set net0/ip {lab.address(60)} && set net0/netmask 255.255.255.0 && "
        f"set net0/next-server {lab.server_ip} && set net0/filename pxelinux.0 && "
        f"chain tftp://{lab.server_ip}/pxelinux.0"
    )

    cmdline = boot_to_linux(Machine(lab, "seabios-lkrn", "vm", lkrn_script=script), tiny_linux, BIOS_LIMIT)

    assert entries(cmdline)["entry"] == "pxelinux", cmdline
    assert cmdline.startswith("BOOT_IMAGE=vmlinuz "), cmdline  # PXELINUX's own mark
    sent = served(lab, "tftp")
    assert {"pxelinux.0", "ldlinux.c32", "pxelinux.cfg/default", "vmlinuz", "initrd.img"} <= set(sent), sent


@pytest.mark.timeout(EFI_LIMIT + 60)
def test_shim_and_grub_on_ovmf_native_pxe_reach_the_kernel_over_tftp(
    lab: Lab, tiny_linux: TinyLinux, tmp_path: Path
):
    root = grub_tree(tmp_path / "root", tiny_linux)
    start_ipxescript(lab, root, "full", {"efi64": "bootnetx64.efi"})

    cmdline = boot_to_linux(Machine(lab, "ovmf-pxe", "vm"), tiny_linux, EFI_LIMIT)

    assert entries(cmdline)["entry"] == "grub", cmdline
    assert cmdline.startswith("BOOT_IMAGE=/vmlinuz "), cmdline  # GRUB's own mark
    sent = served(lab, "tftp")
    assert {"bootnetx64.efi", "grubx64.efi", f"{GRUB_PREFIX}/grub.cfg", "vmlinuz", "initrd.img"} <= set(
        sent
    ), sent


@pytest.mark.timeout(2 * BIOS_LIMIT + 60)
def test_once_assignment_boots_its_target_once_then_the_default(
    lab: Lab, tiny_linux: TinyLinux, tmp_path: Path
):
    root = targets_tree(tmp_path / "root", tiny_linux)
    start_ipxescript(lab, root, "full")
    mac = "52:54:00:e2:e0:06"
    assigned = ipxescript(lab, "assign", mac, "target-a.ipxe", "--once", "--root", str(root))
    assert assigned.returncode == 0, assigned.stderr

    first = boot_to_linux(Machine(lab, "seabios-ipxe", "vm-first", mac=mac), tiny_linux, BIOS_LIMIT)
    assert entries(first)["entry"] == "target-a", first
    listed = ipxescript(lab, "assignments", "--json")
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout) == [], "the once assignment was not consumed by the first boot"

    second = boot_to_linux(Machine(lab, "seabios-ipxe", "vm-second", mac=mac), tiny_linux, BIOS_LIMIT)
    assert entries(second)["entry"] == "default", second
