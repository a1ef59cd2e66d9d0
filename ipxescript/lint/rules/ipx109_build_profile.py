"""Command or URL scheme not in the chosen build profile

iPXE is compiled with a chosen set of commands and protocols. A command missing from the build prints
"command not found" and ends the script; a URL scheme missing from it fails the download with "Operation
not supported". The profile (``profile = "pcbios"`` in the config or ``--profile``) names a build
from the catalog: BIOS builds lack ``https``, ``console``, ``colour``, ``ntp``, ``cert*`` and more;
``nslookup``, ``ping``, ``time`` are off in every default build.

Projects ship their own builds (netboot.xyz turns on ``imgtrust`` and ``nslookup``), so with no
profile and no ``[tool.ipxelint.build]`` table configured this rule says nothing. A project describes
its build with the switches it turns on or off on top of the profile (default ``efi``)::

    [tool.ipxelint.build]
    enable = ["IMAGE_TRUST_CMD", "NSLOOKUP_CMD", "DOWNLOAD_PROTO_HTTPS"]

Each finding names the build switch that would turn the command or scheme on.

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
    if not ctx.config.checks_build:
        return  # the build is not known: a project's own build may have it
    profile = ctx.profile
    macros = ctx.catalog.scheme_build_macros
    missing = [name for name in ctx.command_names if name not in profile.commands]
    for _line, bound in ctx.commands_named(*missing) if missing else ():
        name = bound.name
        if name is None or bound.spec is None:
            continue
        spec = bound.spec
        how = f" (build switch {spec.build_macro})" if spec.build_macro else ""
        turn_on = (
            f"; if your build has it, add {spec.build_macro} to [tool.ipxelint.build] enable"
            if spec.build_macro
            else ""
        )
        word = bound.command.words[0]
        yield Diagnostic(
            CODE,
            SEVERITY,
            f"'{name}' is not in the '{profile.name}' build{how}: it fails with 'command not found' and ends "
            f"the script there{turn_on}",
            word.start,
            word.end,
        )
    known = known_schemes(ctx)
    for use in url_uses(ctx):
        scheme = use.scheme
        if scheme is None or scheme.lower() not in known or scheme.lower() in profile.schemes:
            continue
        macro = macros.get(scheme.lower())
        switch = f" (build switch {macro})" if macro else ""
        yield Diagnostic(
            CODE,
            SEVERITY,
            f"'{scheme}:' URLs are not supported by the '{profile.name}' build{switch}: the download fails "
            f"with 'Operation not supported'; supported here: {', '.join(sorted(profile.schemes))}",
            use.word.start,
            use.word.start + len(scheme) + 1,
        )
