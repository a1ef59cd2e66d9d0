"""The default boot policy: a first-stage iPXE binary per client architecture, then the HTTP script.

Firmware that is not iPXE (plain PXE ROMs, EDK2's native PXE, UEFI HTTP boot) gets the iPXE build for its
architecture (option 93). Once iPXE runs it asks again, recognisable by user-class `iPXE` (raw or RFC 3004)
or option 175, and gets the script URL instead of the binary, so it never chainloads itself in a loop.

Any architecture can be pointed at another file (PXELINUX, shim, GRUB) with `ARCH=FILE` settings. The
per-client rules of `ipxescript serve` are built on top of this class.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from ipxescript.serve.policy import ARCH_NAMES, BootOffer, Client, VirtualFile

DEBIAN_IPXE_DIR = Path("/usr/lib/ipxe")  # Debian's `ipxe` package: undionly.kpxe, ipxe.efi, snponly.efi
ARCH_KEYS = ("bios", "efi32", "efi64", "arm32", "arm64", "efi32-http", "efi64-http", "arm64-http")

# First stages that exist in Debian. Debian builds iPXE for x86 only: IA32 and ARM EFI clients need a file
# configured (e.g. `arm64=ipxe-arm64.efi` built from upstream), or they get no boot file.
DEFAULT_FILES: Mapping[str, str] = {
    "bios": "undionly.kpxe",  # uses the PXE ROM's own network driver (UNDI): works on every BIOS NIC
    "efi64": "ipxe.efi",  # iPXE's own drivers; `efi64=snponly.efi` uses the firmware's network stack
}
DEBIAN_FIRST_STAGES = frozenset(
    {"undionly.kpxe", "undionly.kkpxe", "ipxe.efi", "snponly.efi", "ipxe.pxe", "ipxe.lkrn"}
)
HTTP_BOOT_OF = {"efi32-http": "efi32", "efi64-http": "efi64", "arm64-http": "arm64"}
VENDOR_ARCH = re.compile(r"^(?:PXE|HTTP)Client:Arch:(\d{5})")


class BootFilesError(ValueError):
    """A boot-file setting is wrong; the message names it."""


def parse_file_settings(settings: Iterable[str]) -> dict[str, str]:
    """`bios=undionly.kpxe`, `efi64=snponly.efi`, ... into a mapping, with errors naming the setting."""
    files: dict[str, str] = {}
    for setting in settings:
        key, sep, value = setting.partition("=")
        key = key.strip()
        if not sep or not value.strip():
            raise BootFilesError(
                f"boot file setting {setting!r} must look like ARCH=FILE (bios=undionly.kpxe)"
            )
        if key not in ARCH_KEYS:
            raise BootFilesError(
                f"boot file setting {setting!r}: unknown arch {key!r} (one of {', '.join(ARCH_KEYS)})"
            )
        files[key] = value.strip()
    return files


def client_arch(client: Client) -> tuple[int | None, str]:
    """Option 93, else the arch inside a PXE vendor class (`PXEClient:Arch:00007:...`), else BIOS."""
    if client.arch is not None:
        return client.arch, "option 93"
    match = VENDOR_ARCH.match(client.vendor_class or "")
    if match:
        return int(match.group(1)), "option 60"
    return None, "no arch sent: BIOS"


@dataclass(frozen=True)
class BootFilesPolicy:
    http_address: str  # where iPXE reaches the HTTP server
    http_port: int = 80
    script_path: str = "boot.ipxe"
    files: Mapping[str, str] = field(default_factory=dict)  # ARCH=FILE overrides of DEFAULT_FILES
    next_server: str | None = None  # TFTP server for first stages; None = the DHCP server itself
    root: Path | None = None  # the TFTP root; first stages missing there are served from ipxe_dir
    ipxe_dir: Path = DEBIAN_IPXE_DIR
    # boot_offer reads only what a client says about its kind (arch, vendor and user class, iPXE): the
    # DHCP fast path may ask once per kind of firmware (serve/dhcp/fastpath.py).
    answers_by_kind: ClassVar[bool] = True

    @property
    def script_url(self) -> str:
        return self.http_url(self.script_path)

    def http_url(self, path: str) -> str:
        port = "" if self.http_port == 80 else f":{self.http_port}"
        return f"http://{self.http_address}{port}/{path.lstrip('/')}"

    def file_for(self, key: str) -> str | None:
        return self.files.get(key) or DEFAULT_FILES.get(key)

    def boot_offer(self, client: Client) -> BootOffer | None:
        vendor = client.vendor_class or ""
        if client.is_ipxe:
            how = "user-class iPXE" if "iPXE" in (client.user_class or "").split(",") else "option 175"
            return BootOffer(self.script_url, self.next_server, f"iPXE client ({how}): the HTTP boot script")
        if client.arch is None and not vendor.startswith(("PXEClient", "HTTPClient")):
            return None  # an operating system's DHCP client: nothing to boot
        arch, source = client_arch(client)
        key = ARCH_NAMES.get(arch) if arch is not None else "bios"
        if key is None:
            return None  # unknown architecture: better no answer than a binary it cannot run
        configured = self.files.get(key)
        if key in HTTP_BOOT_OF:
            # UEFI HTTP boot fetches a URL; by default the same first stage as its PXE sibling, over HTTP.
            target = configured or self.file_for(HTTP_BOOT_OF[key])
            if target is None:
                return None
            url = target if "://" in target else self.http_url(target)
            return BootOffer(url, self.next_server, f"UEFI HTTP boot, arch {arch} ({key}, {source}): {url}")
        name = self.file_for(key)
        if name is None:
            return None
        origin = "configured" if configured else "default iPXE first stage"
        return BootOffer(
            name,
            self.next_server,
            f"not iPXE, arch {arch if arch is not None else 0} ({key}, {source}): {origin} {name}",
        )

    def tftp_file(self, path: str, client: Client) -> VirtualFile | None:
        """Serve a default first stage from Debian's iPXE directory when ROOT does not have it."""
        name = path.lstrip("/")
        if name not in DEBIAN_FIRST_STAGES or (self.root is not None and (self.root / name).is_file()):
            return None
        source = self.ipxe_dir / name
        try:
            data = source.read_bytes()
        except OSError:
            return None
        return VirtualFile(data, f"{name} from {self.ipxe_dir} (not in the TFTP root)")
