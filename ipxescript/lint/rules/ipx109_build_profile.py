"""Command or URL scheme not in the chosen build profile

iPXE is compiled with a chosen set of commands and protocols. A command missing from the build prints
"command not found" and ends the script; a URL scheme missing from it fails the download with "Operation
not supported". The profile (``profile = "pcbios"`` in the config or ``--profile``; default ``efi``)
names a build from the catalog: BIOS builds lack ``https``, ``console``, ``colour``, ``ntp``,
``cert*`` and more; ``nslookup``, ``ping``, ``time`` are off in every default build.

Failing::

    #!ipxe
    console --x 1024 --y 768
    chain https://boot.example.com/boot.ipxe

Passing::

    #!ipxe
    chain http://boot.example.com/boot.ipxe
"""

from __future__ import annotations

from collections.abc import Iterator

from ipxescript.analysis.diagnostics import Diagnostic, Severity
from ipxescript.lint.context import LintContext
from ipxescript.lint.urls import known_schemes, url_uses

CODE = "IPX109"
NAME = "not-in-build"
SEVERITY = Severity.WARNING
EXAMPLE_CONFIG = {"profile": "pcbios"}


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    profile = ctx.profile
    for _line, bound in ctx.commands:
        name = bound.name
        if name is None or name in profile.commands or bound.spec is None:
            continue
        spec = bound.spec
        how = f" (build switch {spec.build_macro})" if spec.build_macro else ""
        word = bound.command.words[0]
        yield Diagnostic(
            CODE,
            SEVERITY,
            f"'{name}' is not in the '{profile.name}' build{how}: it fails with 'command not found' and ends "
            "the script there",
            word.start,
            word.end,
        )
    known = known_schemes(ctx)
    for use in url_uses(ctx):
        scheme = use.scheme
        if scheme is None or scheme.lower() not in known or scheme.lower() in profile.schemes:
            continue
        yield Diagnostic(
            CODE,
            SEVERITY,
            f"'{scheme}:' URLs are not supported by the '{profile.name}' build: the download fails with "
            f"'Operation not supported'; supported here: {', '.join(sorted(profile.schemes))}",
            use.word.start,
            use.word.start + len(scheme) + 1,
        )
