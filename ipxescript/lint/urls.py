"""URL-bearing words and image names, as iPXE reads them (src/core/uri.c: parse_uri; src/core/image.c:
image_set_uri; src/core/basename.c)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import unquote

from ipxescript.analysis.binding import BoundCommand
from ipxescript.lint.context import LintContext
from ipxescript.syntax.tree import Literal, LogicalLine, Word

# Commands whose first positional is a URI or an image name (src/hci/commands/image_cmd.c).
IMAGE_COMMANDS = (
    "imgfetch",
    "module",
    "initrd",
    "kernel",
    "chain",
    "imgselect",
    "imgload",
    "imgexec",
    "boot",
    "imgargs",
)
LOADS_ALWAYS = ("imgfetch", "module", "initrd")  # always download
SELECTS = ("kernel", "imgselect", "imgload")
EXECUTES = ("chain", "boot", "imgexec")
SAN_COMMANDS = ("sanboot", "sanhook")
# Schemes implemented in iPXE's tree but enabled in none of the catalog's profiles (ipxe-language §11.3).
OFF_BY_DEFAULT_SCHEMES = frozenset({"ftp", "nfs", "x-slam", "usb", "tcp", "udp", "https", "file"})
SCHEME_RE = re.compile(r"^([A-Za-z_-]+):")


@dataclass(frozen=True)
class UrlUse:
    line: LogicalLine
    bound: BoundCommand
    word: Word

    @property
    def literal_prefix(self) -> str:
        """The word's text up to its first ``${...}`` reference."""
        out = []
        for part in self.word.parts:
            if not isinstance(part, Literal):
                break
            out.append(part.value)
        return "".join(out)

    @property
    def scheme(self) -> str | None:
        """The scheme when it is written literally (letters, '-' and '_' before ':')."""
        match = SCHEME_RE.match(self.literal_prefix)
        return match.group(1) if match else None


def url_uses(ctx: LintContext) -> Iterator[UrlUse]:
    for line, bound in ctx.commands:
        if bound.name in IMAGE_COMMANDS and bound.positionals:
            yield UrlUse(line, bound, bound.positionals[0])
        elif bound.name in SAN_COMMANDS:
            for word in bound.positionals:
                yield UrlUse(line, bound, word)


def known_schemes(ctx: LintContext) -> frozenset[str]:
    schemes: set[str] = set(OFF_BY_DEFAULT_SCHEMES)
    for profile in ctx.catalog.profiles.values():
        schemes |= profile.schemes
    return frozenset(schemes)


def looks_like_uri(text: str) -> bool:
    return "/" in text or SCHEME_RE.match(text) is not None


def image_name_pattern(bound: BoundCommand, word: Word) -> re.Pattern[str] | None:
    """The name iPXE gives the image a command loads: ``--name``, else the URI path's last part.

    Returns a regex (exact for literal names, with ``.*`` for parts that come from references), or
    None when the name cannot be told (e.g. a data: URI or an empty last part).
    """
    named = bound.option("name")
    if named is not None and named.value is not None:
        if named.value_word is not None and not named.value_word.is_literal:
            return re.compile(".*", re.S)
        return re.compile(re.escape(named.value))
    raw = "".join(part.value if isinstance(part, Literal) else "\x00" for part in word.parts)
    raw = raw.split("##", 1)[0]
    raw = re.split(r"[?#]", raw, maxsplit=1)[0]
    scheme = SCHEME_RE.match(raw)
    if scheme and scheme.group(1).lower() == "data":
        return None
    if scheme:
        raw = raw[scheme.end() :]
        if raw.startswith("//"):
            slash = raw.find("/", 2)
            raw = raw[slash:] if slash >= 0 else ""
    last = raw.rsplit("/", 1)[-1]
    if not last:
        return None
    regex = "".join(
        ".*" if chunk == "\x00" else re.escape(unquote(chunk)) for chunk in re.split("(\x00)", last) if chunk
    )
    return re.compile(regex, re.S)
