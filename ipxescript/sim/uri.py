"""URIs as iPXE parses, resolves, names and prints them (src/core/uri.c, src/core/image.c).

``legacy`` selects the 2019 rules of Debian's build (DEBIAN-12-BUILD.md §3.5): everything before the
first ``:`` is a scheme, fields are re-encoded when printed, and an opaque part never names an image.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from ipxescript.sim.types import to_bytes, to_text, uri_decode_text, uri_escape

_UPSTREAM_SCHEME = re.compile(r"([A-Za-z_-]*):")  # parse_uri: a leading ":" is an empty scheme (::1)


@dataclass(frozen=True, slots=True)
class Uri:
    scheme: str | None = None
    opaque: str | None = None
    user: str | None = None
    password: str | None = None
    host: str | None = None
    port: str | None = None
    path: str | None = None
    query: str | None = None
    fragment: str | None = None
    params: str | None = None

    @property
    def is_absolute(self) -> bool:
        return self.scheme is not None


def parse(text: str, legacy: bool = False) -> Uri:
    raw = text
    params = None
    if "##params" in raw:
        raw, params = raw.split("##params", 1)
        params = params.lstrip("=") or ""
    fragment = None
    if "#" in raw:
        raw, fragment = raw.split("#", 1)
    scheme = None
    if legacy:
        if ":" in raw:
            scheme, raw = raw.split(":", 1)
    else:
        m = _UPSTREAM_SCHEME.match(raw)
        if m:
            scheme = m.group(1)
            raw = raw[m.end() :]
    if scheme is not None and not raw.startswith("/"):
        return Uri(scheme=scheme, opaque=raw, fragment=fragment, params=params)
    query = None
    if "?" in raw:
        raw, query = raw.split("?", 1)
    user = password = host = port = None
    if scheme is not None and raw.startswith("//"):  # parse_uri: an authority only after a scheme
        authority, slash, rest = raw[2:].partition("/")
        raw = slash + rest
        if "@" in authority:
            userinfo, authority = authority.rsplit("@", 1)
            user, _, pw = userinfo.partition(":")
            password = pw if _ else None
        host = authority
        if ":" in authority and not authority.endswith("]"):
            host, port = authority.rsplit(":", 1)
    return Uri(scheme, None, user, password, host, port, raw, query, fragment, params)


def _dirname(path: str) -> str:
    """basename.c dirname(): up to the last "/" ("/" when that is the first character, "." with none)."""
    separator = path.rfind("/")
    if separator == 0:
        return "/"
    return path[:separator] if separator > 0 else "."


def resolve_path(base_path: str, rel_path: str) -> str:
    """resolve_path: only leading "./" and "../" are taken off the relative path (observed:
    `files/nested/../hello.txt` reaches the TFTP server with its "..", which QEMU's refuses)."""
    if rel_path.startswith("/"):
        return rel_path
    directory = _dirname(base_path)
    while rel_path.startswith("."):
        if rel_path in (".", "./") or rel_path.startswith("./"):
            rel_path = rel_path[2:]
        elif rel_path in ("..", "../") or rel_path.startswith("../"):
            directory = _dirname(directory)
            rel_path = rel_path[3:]
        else:
            break
    return directory + ("" if directory.endswith("/") else "/") + rel_path


def resolve(base: Uri | None, rel: Uri) -> Uri:
    """resolve_uri: a relative reference takes the working URI's scheme and authority, its path
    resolved by resolve_path (no RFC 3986 dot-segment removal)."""
    if rel.scheme is not None or base is None:
        return rel
    if not rel.path:
        return replace(
            base,
            query=rel.query if rel.query is not None else base.query,
            fragment=rel.fragment,
            params=rel.params,
        )
    path = resolve_path(base.path or "/", rel.path)
    return replace(base, path=path, query=rel.query, fragment=rel.fragment, params=rel.params, opaque=None)


_LEGACY_ESCAPED_PATH = set("#:@? %")


def _encode(field: str, legacy: bool) -> str:
    if not legacy:
        # upstream prints the path as written, escaping only what cannot be shown, from a signed char
        # (found by the differential fuzzer: `imgargs café` prints `caf%FFFFFFC3%FFFFFFA9...`)
        return "".join(
            uri_escape(b) if b <= 0x20 or b >= 0x7F else chr(b)
            for b in field.encode("utf-8", "surrogateescape")
        )
    out = []
    for b in uri_decode_text(field):
        ch = chr(b)
        if b <= 0x20 or b >= 0x7F or ch in _LEGACY_ESCAPED_PATH:
            out.append(uri_escape(b))
        else:
            out.append(ch)
    return "".join(out)


def format(uri: Uri, legacy: bool = False, with_query: bool = True) -> str:  # noqa: A001 - iPXE's name
    """format_uri; the download line uses with_query=False (no user, password, query, fragment)."""
    out = []
    if uri.scheme is not None:
        out.append(uri.scheme + ":")
    if uri.opaque is not None:
        out.append(uri.opaque)
        return "".join(out)
    if uri.host is not None:
        out.append("//")
        out.append(uri.host)
        if uri.port:
            out.append(":" + uri.port)
    if uri.path:
        out.append(_encode(uri.path, legacy))
    if with_query and uri.query is not None:
        out.append("?" + _encode(uri.query, legacy))
    return "".join(out)


def full(uri: Uri) -> str:
    """The URI with credentials and query (what a fetch requests), fragment and params dropped."""
    out = []
    if uri.scheme is not None:
        out.append(uri.scheme + ":")
    if uri.opaque is not None:
        return "".join(out) + uri.opaque
    if uri.host is not None:
        out.append("//")
        if uri.user is not None:
            out.append(uri.user + (":" + uri.password if uri.password is not None else "") + "@")
        out.append(uri.host + (":" + uri.port if uri.port else ""))
    out.append(uri.path or "")
    if uri.query is not None:
        out.append("?" + uri.query)
    return "".join(out)


def image_name(uri: Uri, legacy: bool = False) -> str | None:
    """Basename of the decoded path (or, upstream, of the decoded opaque part); None: imgN."""
    source = uri.path
    if source is None and not legacy and uri.opaque is not None:
        source = uri.opaque
    if source is None:
        return None
    decoded = to_text(uri_decode_text(source))
    return decoded[decoded.rfind("/") + 1 :]


def directory(text: str) -> str:
    """cwduri: the working URI up to and including its last '/'."""
    cut = text.rfind("/")
    return text[: cut + 1] if cut >= 0 else text


def decode_path(uri: Uri) -> str:
    return to_text(uri_decode_text(uri.path or ""))


def encode_path_bytes(text: str) -> bytes:
    return to_bytes(text)
