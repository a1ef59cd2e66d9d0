"""The firmware builds the oracle runs, one per ipxesim profile.

* `debian-12-efi`: Debian's `/usr/lib/ipxe/ipxe.efi` (package `ipxe`) under OVMF;
* `efi`: upstream `ipxe.efi` from `../shared/firmware/` under OVMF;
* `pcbios`: upstream `ipxe.lkrn` from `../shared/firmware/` under SeaBIOS (`-kernel`), built with a
  serial console so its output can be recorded.

`../shared/firmware/` is found relative to the checkout: the nearest ancestor of the repository root
that has `shared/firmware/` (CI puts `shared/` beside the clone). `IPXE_ORACLE_FIRMWARE=DIR` overrides.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
OVMF_CODE = Path("/usr/share/OVMF/OVMF_CODE_4M.fd")
OVMF_VARS = Path("/usr/share/OVMF/OVMF_VARS_4M.fd")
SEABIOS = Path("/usr/share/seabios/bios-256k.bin")


def shared_firmware_dir() -> Path | None:
    override = os.environ.get("IPXE_ORACLE_FIRMWARE")
    if override:
        return Path(override)
    for parent in REPO_ROOT.parents:
        candidate = parent / "shared" / "firmware"
        if candidate.is_dir():
            return candidate
    return None


@dataclass(frozen=True)
class Build:
    profile: str  # the ipxesim profile this build judges
    file: str  # the firmware file: an absolute path, or a name inside ../shared/firmware/
    boot: str  # "efi": the ESP's BOOTX64.EFI under OVMF; "lkrn": `-kernel` under SeaBIOS

    @property
    def image(self) -> Path:
        path = Path(self.file)
        if path.is_absolute():
            return path
        shared = shared_firmware_dir()
        return (shared / path) if shared else Path("../shared/firmware") / path

    def missing(self) -> list[str]:
        """What is missing to run this build here (empty when everything is installed)."""
        needed = [self.image, *((OVMF_CODE, OVMF_VARS) if self.boot == "efi" else (SEABIOS,))]
        missing = [str(p) for p in needed if not p.exists()]
        if shutil.which("qemu-system-x86_64") is None:
            missing.append("qemu-system-x86_64")
        return missing


BUILDS = {
    "debian-12-efi": Build("debian-12-efi", "/usr/lib/ipxe/ipxe.efi", "efi"),
    "efi": Build("efi", "ipxe.efi", "efi"),
    "pcbios": Build("pcbios", "ipxe.lkrn", "lkrn"),
}
PROFILES = list(BUILDS)
DEFAULT_PROFILE = "debian-12-efi"
