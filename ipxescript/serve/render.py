"""Scripts the server writes: per-client rendering of targets, the identity probe and error scripts.

Targets are iPXE scripts with `{{ name }}` placeholders (iPXE itself never uses `{{`, so `${...}` stays
iPXE's). Values come from the client, the server and the config's metadata; a placeholder with no value
is an error shown to the client rather than an empty string in a kernel command line.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import quote, urlencode

if TYPE_CHECKING:
    from ipxescript.serve.policy import Client

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*\}\}")
_UNSAFE = re.compile(r"[\x00-\x1f\x7f]")

# What a client reports about itself when it first asks for boot.ipxe (iPXE settings, URI-escaped where
# the value may hold spaces or '&').
IDENTITY_QUERY = "&".join(
    [
        "mac=${mac:hexhyp}",
        "uuid=${uuid}",
        "serial=${serial:uristring}",
        "hostname=${hostname:uristring}",
        "buildarch=${buildarch}",
        "platform=${platform}",
        "ip=${ip}",
        "manufacturer=${manufacturer:uristring}",
        "product=${product:uristring}",
    ]
)


IDENTITY_KEYS = frozenset(part.split("=", 1)[0] for part in IDENTITY_QUERY.split("&"))


class RenderError(Exception):
    pass


# What a client-supplied value may hold as it is: letters, digits and -._~ (quote keeps those), and :/@+,=
# (MACs, UUIDs, URLs, key=value). Anything else, space, `$`, `{`, `|`, `&`, `;`, `#`, `%`, quotes and
# control characters included, is percent-encoded as UTF-8.
VALUE_SAFE = ":/@+,="


_ALL_SAFE = re.compile(r"[A-Za-z0-9_.~:/@+,=-]*")  # what quote() leaves as it is (its own and VALUE_SAFE)


def escape_value(value: str) -> str:
    """A client-supplied value made one inert word of an iPXE script line: it can never start another
    word, add an operator (`||`, `&&`, `;`), a comment, a `${...}` expansion or a line."""
    if _ALL_SAFE.fullmatch(value):  # the common case (a MAC, an address, a UUID): nothing to encode
        return value
    return quote(value, safe=VALUE_SAFE, errors="surrogateescape")


def clean_value(value: str) -> str:
    """Client-supplied text goes into scripts: drop control characters so it cannot add lines."""
    return _UNSAFE.sub("", value)


def render(text: str, values: dict[str, str], *, name: str) -> str:
    missing: list[str] = []

    def substitute(match: re.Match[str]) -> str:
        key = match.group(1)
        if key in values:
            return values[key]
        missing.append(key)
        return match.group(0)

    out = PLACEHOLDER.sub(substitute, text)
    if missing:
        names = ", ".join(sorted(set(missing)))
        raise RenderError(
            f"{name}: no value for placeholder(s) {names} (set them under [metadata] or [group.metadata])"
        )
    return out


def identity_script(boot_url: str, labels: dict[str, str] | None = None) -> str:
    """The probe that makes iPXE chain back with its identity; labels already in the URL are kept
    (percent-encoded, so nothing in them is expanded by iPXE or splits the command)."""
    kept = {k: v for k, v in (labels or {}).items() if k not in IDENTITY_KEYS}
    extra = "&" + urlencode(kept, quote_via=quote, safe="") if kept else ""
    return (
        "#!ipxe\n"
        "# ipxescript serve: report who this machine is, then fetch the script chosen for it\n"
        f"chain {boot_url}?{IDENTITY_QUERY}{extra}\n"
    )


def _echo_text(text: str) -> str:
    """A line safe as echo arguments: no control characters, no `${` expansion, no operators, no comments."""
    text = clean_value(text).replace("${", "$ {")
    words = [w for w in text.split() if w not in ("||", "&&", ";")]
    return " ".join(w if not w.startswith("#") else "-" + w for w in words)


def error_script(title: str, lines: list[str]) -> str:
    """A script that shows what is wrong and drops to the iPXE prompt, instead of a half-working boot."""
    body = [f"echo {_echo_text(line)}" for line in lines]
    return "\n".join(
        [
            "#!ipxe",
            f"echo ipxescript serve: {_echo_text(title)}",
            *body,
            "echo Fix the script on the server; type 'exit' or reboot to try again.",
            "shell",
            "",
        ]
    )


RETRY_SECONDS = 5


def retry_script(boot_url: str, client: Client) -> str:
    """While the state database is away and a once assignment may be waiting: wait, then ask again."""
    chain = identity_script(boot_url, client.labels).splitlines()[-1]
    return (
        "#!ipxe\n"
        f"echo ipxescript serve: boot state unavailable, asking again in {RETRY_SECONDS} s\n"
        f"sleep {RETRY_SECONDS}\n"
        f"{chain}\n"
    )
