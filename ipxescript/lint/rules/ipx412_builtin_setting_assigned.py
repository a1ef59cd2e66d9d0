"""Assigning one of iPXE's built-in settings

``errno``, ``platform``, ``buildarch``, ``version``, ``unixtime``, ``cwuri`` and ``cwduri`` are
computed by iPXE (``src/core/settings.c``: the ``builtin`` block). ``set errno 0`` does not reset
them: it stores an ordinary global setting of the same name, and since an unscoped ``${errno}``
searches the global block before ``builtin``, every later read shows the stored value instead of the
real one until ``clear errno`` (``set builtin/errno ...`` fails: the block is read-only). So
``set errno 0`` freezes ``${errno}`` at 0 and ``set platform efi`` makes every ``iseq ${platform}``
test lie. Use a name of your own (``set os_version 12``).

Failing::

    #!ipxe
    set errno 0
    chain http://boot.example.com/menu.ipxe || echo failed with ${errno}

Passing::

    #!ipxe
    chain http://boot.example.com/menu.ipxe || echo failed with ${errno}
"""

from __future__ import annotations

from collections.abc import Iterator

from ipxescript.analysis.diagnostics import Diagnostic, Severity
from ipxescript.analysis.settings import WRITES_POSITIONAL, split_name
from ipxescript.catalog import Catalog
from ipxescript.lint.context import LintContext, catalog_fact

CODE = "IPX412"
NAME = "builtin-setting-assigned"
SEVERITY = Severity.WARNING
# What a shadowed value breaks (src/core/settings.c: *_setting, builtin_fetch).
EFFECT = {
    "errno": "'${errno}' then shows the stored value, never the error of a later failing command",
    "platform": "'${platform}' then no longer tells EFI from BIOS",
    "buildarch": "'${buildarch}' then no longer tells the build's architecture",
    "unixtime": "'${unixtime}' then stops moving",
    "cwuri": "'${cwuri}' then no longer shows the URI relative paths resolve against",
    "cwduri": "'${cwduri}' then no longer shows the directory relative paths resolve against",
    "version": "'${version}' then shows your value instead of iPXE's version",
}


@catalog_fact
def _builtins(catalog: Catalog) -> frozenset[str]:
    return frozenset(catalog.builtin_settings)


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    builtins = _builtins(ctx.catalog)
    for _line, bound in ctx.commands_named(*WRITES_POSITIONAL):
        index = WRITES_POSITIONAL[bound.name or ""]
        if len(bound.positionals) <= index or not bound.positionals[index].is_literal:
            continue
        word = bound.positionals[index]
        block, name = split_name(word.text)
        if name not in builtins or block not in (None, "", "builtin"):
            continue
        if block == "builtin":
            message = (
                f"the 'builtin' block is read-only: this '{bound.name}' of '{name}' fails and ends the script"
            )
            yield Diagnostic(CODE, Severity.ERROR, message, word.start, word.end)
            continue
        # Reusing 'version' for a distribution's version only hides iPXE's own: a note, not a fault.
        severity = Severity.INFO if name == "version" else SEVERITY
        message = (
            f"'{name}' is one of iPXE's built-in settings: this '{bound.name}' stores a global '{name}' "
            f"that hides the real one until 'clear {name}'; {EFFECT.get(name, '')}; use a name of your own"
        )
        yield Diagnostic(CODE, severity, message, word.start, word.end)
