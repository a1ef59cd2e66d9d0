"""Malformed URL

URLs with a network scheme need ``scheme://host/path``. ``http:/boot.ipxe`` or ``http:///boot.ipxe``
has no host, ``http://server:web/`` has a port that is not a number, and ``\\`` is not a path
separator (``chain boot\\menu.ipxe`` asks for a file whose name contains a backslash).

Failing::

    #!ipxe
    chain http:/boot.example.com/boot.ipxe

Passing::

    #!ipxe
    chain http://boot.example.com/boot.ipxe
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ipxescript.analysis.diagnostics import Diagnostic, Severity
from ipxescript.lint.context import LintContext
from ipxescript.lint.urls import UrlUse, url_uses

CODE = "IPX601"
NAME = "malformed-url"
SEVERITY = Severity.ERROR
NETWORK_SCHEMES = ("http", "https", "ftp", "tftp", "tftm", "mtftp")
AUTHORITY = re.compile(r"^//(?P<userinfo>[^/?#@]*@)?(?P<host>\[[^\]]*\]|[^/?#:]*)(?::(?P<port>[^/?#]*))?")


def problem(prefix: str, scheme: str | None, complete: bool) -> str | None:
    """What is wrong with the literal start of a URL, or None."""
    if scheme is None or scheme.lower() not in NETWORK_SCHEMES:
        return None
    rest = prefix[len(scheme) + 1 :]
    if not rest.startswith("//"):
        if not complete and rest in ("", "/"):
            return None  # the rest comes from a ${...}: see WARN_PREFIX
        return f"a {scheme} URL needs '//' and a host after '{scheme}:'"
    match = AUTHORITY.match(rest)
    if match is None:
        return None
    authority_end = match.end()
    authority_complete = complete or authority_end < len(rest)
    if not authority_complete:
        return None
    if not match.group("host"):
        return f"this {scheme} URL has no host"
    port = match.group("port")
    if port is not None and not port.isdigit():
        return f"the port '{port}' is not a number"
    return None


def _set_values(ctx: LintContext) -> Iterator[UrlUse]:
    """``set base-url http://...``: the value is a URL used later, so check it where it is written."""
    for line, bound in ctx.commands_named("set"):
        if len(bound.positionals) >= 2:
            use = UrlUse(line, bound, bound.positionals[1])
            if use.scheme is not None and use.scheme.lower() in NETWORK_SCHEMES:
                yield use


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    for use in [*url_uses(ctx), *_set_values(ctx)]:
        prefix = use.literal_prefix
        complete = use.word.is_literal
        what = problem(prefix, use.scheme, complete)
        if what is not None:
            yield Diagnostic(CODE, SEVERITY, f"malformed URL: {what}", use.word.start, use.word.end)
        elif (
            use.scheme
            and use.scheme.lower() in NETWORK_SCHEMES
            and prefix.lower() == use.scheme.lower() + ":/"
        ):
            yield Diagnostic(
                CODE,
                Severity.WARNING,
                f"malformed URL: '{prefix}' has one slash; a {use.scheme} URL starts with '{use.scheme}://' "
                "(unless the ${...} that follows starts with '/')",
                use.word.start,
                use.word.end,
            )
        elif "\\" in prefix:
            # Windows TFTP servers (WDS) accept '\\', so this is only a warning
            yield Diagnostic(
                CODE,
                Severity.WARNING,
                "'\\' is not a path separator in URLs: iPXE asks the server for a name containing "
                "backslashes (only some Windows TFTP servers map them to folders); use '/'",
                use.word.start,
                use.word.end,
            )
