"""Boot trees the cases serve: iPXE scripts, a PXELINUX tree and a shim + GRUB tree, all ending in the tiny Linux.

Every kernel command line carries `e2e.entry=NAME` so a test can tell which entry booted. Scripts use
relative URLs (iPXE resolves them against the script's own URL), so the same tree works behind any server.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from e2e_tinylinux import TinyLinux

IPXE_DIR = Path("/usr/lib/ipxe")
IPXE_BINARIES = ("undionly.kpxe", "ipxe.efi", "snponly.efi")
DI_DIR = Path("/usr/lib/debian-installer/images/12/amd64/text/debian-installer/amd64")
GRUB_PREFIX = "debian-installer/amd64/grub"  # built into Debian's signed netboot GRUB

# initrd=initrd.img names the initrd for EFI kernels (iPXE names an image after its URL's last part);
# BIOS kernels ignore it.
KERNEL_ARGS = "console=ttyS0 initrd=initrd.img panic=-1"

MENU_SCRIPT = """#!ipxe
menu e2e boot menu
item first First entry
item second Second entry (the default)
choose --timeout {timeout_ms} --default second entry || goto second
goto ${{entry}}
:first
kernel vmlinuz {args} e2e.entry=first e2e.platform=${{platform}} e2e.ip=${{ip}}
goto load
:second
kernel vmlinuz {args} e2e.entry=second e2e.platform=${{platform}} e2e.ip=${{ip}}
:load
initrd initrd.img
boot
"""

PLAIN_SCRIPT = """#!ipxe
kernel vmlinuz {args} e2e.entry={entry} e2e.platform=${{platform}} e2e.ip=${{ip}}
initrd initrd.img
boot
"""

PXELINUX_CFG = """DEFAULT tiny
PROMPT 0
TIMEOUT 0
LABEL tiny
  KERNEL vmlinuz
  APPEND {args} e2e.entry=pxelinux
"""

GRUB_CFG = """set default=0
set timeout=0
menuentry "tiny" {{
  linux /vmlinuz {args} e2e.entry=grub
  initrd /initrd.img
}}
"""


def _copy(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dst)


def linux_files(root: Path, linux: TinyLinux) -> None:
    _copy(linux.kernel, root / "vmlinuz")
    _copy(linux.initrd, root / "initrd.img")


def ipxe_binaries(root: Path) -> None:
    """Debian's iPXE builds in ROOT, for servers that only serve ROOT (dnsmasq's TFTP)."""
    for name in IPXE_BINARIES:
        _copy(IPXE_DIR / name, root / name)


def menu_tree(root: Path, linux: TinyLinux, timeout_ms: int = 1000) -> Path:
    """boot.ipxe: a menu whose `choose --timeout` falls to the default entry 'second'."""
    linux_files(root, linux)
    (root / "boot.ipxe").write_text(MENU_SCRIPT.format(timeout_ms=timeout_ms, args=KERNEL_ARGS))
    return root


def script(root: Path, name: str, entry: str) -> None:
    (root / name).write_text(PLAIN_SCRIPT.format(args=KERNEL_ARGS, entry=entry))


def targets_tree(root: Path, linux: TinyLinux) -> Path:
    """boot.ipxe boots entry 'default'; target-a.ipxe boots entry 'target-a'."""
    linux_files(root, linux)
    script(root, "boot.ipxe", "default")
    script(root, "target-a.ipxe", "target-a")
    return root


def pxelinux_tree(root: Path, linux: TinyLinux) -> Path:
    """Debian's pxelinux.0 + ldlinux.c32 with our own pxelinux.cfg/default."""
    linux_files(root, linux)
    _copy(DI_DIR / "pxelinux.0", root / "pxelinux.0")
    _copy(DI_DIR / "boot-screens" / "ldlinux.c32", root / "ldlinux.c32")
    (root / "pxelinux.cfg").mkdir(exist_ok=True)
    (root / "pxelinux.cfg" / "default").write_text(PXELINUX_CFG.format(args=KERNEL_ARGS))
    return root


def grub_tree(root: Path, linux: TinyLinux) -> Path:
    """Debian's signed shim (bootnetx64.efi) + grubx64.efi, with our grub.cfg under GRUB's built-in prefix."""
    linux_files(root, linux)
    _copy(DI_DIR / "bootnetx64.efi", root / "bootnetx64.efi")
    _copy(DI_DIR / "grubx64.efi", root / "grubx64.efi")
    cfg = root / GRUB_PREFIX / "grub.cfg"
    cfg.parent.mkdir(parents=True, exist_ok=True)
    cfg.write_text(GRUB_CFG.format(args=KERNEL_ARGS.replace(" initrd=initrd.img", "")))
    return root
