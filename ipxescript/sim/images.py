"""The image registry (src/core/image.c): ordered list, names, selection, types, imgstat lines."""

from __future__ import annotations

from dataclasses import dataclass, field

SCRIPT_MAGICS = (b"#!ipxe", b"#!gpxe")
WHITESPACE = b" \t\n\v\f\r"


def detect_type(head: bytes | None, platform: str, size: int | None) -> str | None:
    """The image type whose probe accepts the bytes, in the platform's probe order; None: no type."""
    if head is None:
        return None
    is_script = len(head) >= 7 and head[:6] in SCRIPT_MAGICS and head[6:7] in [bytes([c]) for c in WHITESPACE]
    if platform == "efi":
        if head[:2] == b"MZ":
            return "EFI"
        return "script" if is_script else None
    # pcbios probe order: Multiboot, ELF, script, bzImage, PXE-NBP
    if head[:4] == b"\x7fELF":
        return "ELF"
    if is_script:
        return "script"
    if len(head) > 0x206 and head[0x202:0x206] == b"HdrS":
        return "bzImage"
    if size and size <= 0x98400:
        # the probe that accepts an "MZ" file comes second and says so (observed on ipxe.lkrn)
        return "PXE-NBP (may be EFI?)" if head[:2] == b"MZ" else "PXE-NBP"
    return None


@dataclass(eq=False)
class Image:
    uri: str | None  # resolved URI text (None for images without one)
    name: str
    data: bytes | None  # full content when fetched (scripts always are)
    size: int | None
    type: str | None
    cmdline: str | None = None
    selected: bool = False
    autofree: bool = False
    shim: bool = False  # tagged by `shim` (upstream EFI)
    hidden: bool = False  # left out of a constructed initrd (a shim is)
    verified: bool = True  # False: --offline assumed it exists
    source: str = ""  # where the bytes came from (a path, a URL)
    written: str = ""  # the URI as written in the script
    replacement: Image | None = None

    def describe(self) -> dict[str, object]:
        return {
            "name": self.name,
            "uri": self.uri,
            "cmdline": self.cmdline,
            "type": self.type,
            "size": self.size,
            "selected": self.selected,
            "autofree": self.autofree,
            "verified": self.verified,
        }


@dataclass
class Registry:
    images: list[Image] = field(default_factory=list)
    counter: int = 0

    def register(self, image: Image, unnamed: bool) -> None:
        if unnamed:
            image.name = f"img{self.counter}"
        self.counter += 1
        self.images.append(image)

    def find(self, name: str) -> Image | None:
        for image in self.images:
            if image.name == name:
                return image
        return None

    def selected(self) -> Image | None:
        for image in self.images:
            if image.selected:
                return image
        return None

    def unregister(self, image: Image) -> None:
        if image in self.images:
            self.images.remove(image)

    def select(self, image: Image) -> None:
        for other in self.images:
            other.selected = False
        image.selected = True

    def imgstat_line(self, image: Image, legacy: bool) -> str:
        size = image.size if image.size is not None else 0
        line = f"{image.name} : {size} bytes"
        if image.type:
            line += f" [{image.type}]"
        if image.selected:
            line += " [SELECTED]"
        if image.shim:
            line += " [SHIM]"
        if image.autofree:
            line += " [AUTOFREE]"
        if image.hidden:
            line += " [HIDDEN]"
        if image.cmdline is not None:
            line += f' "{image.cmdline}"'
        return line
