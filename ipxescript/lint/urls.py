"""URL-bearing words and image names, as iPXE reads them (src/core/uri.c: parse_uri; src/core/image.c:
image_set_uri; src/core/basename.c)."""

from __future__ import annotations

import re
from urllib.parse import unquote

from ipxescript.analysis.binding import BoundCommand
from ipxescript.catalog import Catalog
from ipxescript.lint.context import LintContext, catalog_fact
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
URL_COMMANDS = (*IMAGE_COMMANDS, *SAN_COMMANDS)
# Schemes implemented in iPXE's tree but enabled in none of the catalog's profiles (ipxe-language §11.3).
OFF_BY_DEFAULT_SCHEMES = frozenset({"ftp", "nfs", "x-slam", "usb", "tcp", "udp", "https", "file"})
SCHEME_RE = re.compile(r"^([A-Za-z_-]+):")


class UrlUse:
    """A word that names a URL or an image, with its literal start and scheme worked out once (three
    rules and the URL checks ask each use for both)."""

    __slots__ = ("line", "bound", "word", "literal_prefix", "scheme")

    def __init__(self, line: LogicalLine, bound: BoundCommand, word: Word) -> None:
        self.line, self.bound, self.word = line, bound, word
        # the word's text up to its first ``${...}`` reference
        parts = word.text_parts
        if len(parts) < 2 or not isinstance(parts[1], Literal):  # most words: one part, or two
            first = parts[0] if parts else None
            prefix = first.value if isinstance(first, Literal) else ""
        else:
            out = []
            for part in parts:
                if not isinstance(part, Literal):
                    break
                out.append(part.value)
            prefix = "".join(out)
        self.literal_prefix = prefix
        # the scheme when it is written literally (letters, '-' and '_' before ':')
        match = SCHEME_RE.match(prefix) if ":" in prefix else None
        self.scheme: str | None = match.group(1) if match else None


def url_uses(ctx: LintContext) -> list[UrlUse]:
    """Every URL-bearing word, in file order: made once per context."""
    found: list[UrlUse] | None = ctx.__dict__.get("_url_uses")
    if found is None:
        found = ctx.__dict__["_url_uses"] = []
        for line, bound in ctx.commands_named(*URL_COMMANDS):
            if bound.name in SAN_COMMANDS:
                found.extend(UrlUse(line, bound, word) for word in bound.positionals)
            elif bound.positionals:
                found.append(UrlUse(line, bound, bound.positionals[0]))
    return found


def known_schemes(ctx: LintContext) -> frozenset[str]:
    return _known_schemes(ctx.catalog)


@catalog_fact
def _known_schemes(catalog: Catalog) -> frozenset[str]:
    """The schemes of every profile and those in iPXE's tree but off in all of them."""
    schemes: set[str] = set(OFF_BY_DEFAULT_SCHEMES)
    for profile in catalog.profiles.values():
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
    raw = "".join(part.value if isinstance(part, Literal) else "\x00" for part in word.text_parts)
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
