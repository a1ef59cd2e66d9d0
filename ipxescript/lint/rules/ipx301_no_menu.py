"""``item`` or ``choose`` with no ``menu``

``item`` and ``choose`` work on a menu created by ``menu`` (the unnamed one, or the one named by
``--menu``). When the script never creates that menu they fail with "No default user interface" (or
"no such user interface") and the script ends.

Failing::

    #!ipxe
    item linux Boot Linux
    choose target && goto ${target} ||
    :linux

Passing::

    #!ipxe
    menu Boot menu
    item linux Boot Linux
    choose target && goto ${target} ||
    :linux
"""

from __future__ import annotations

from collections.abc import Iterator

from ipxescript.analysis.diagnostics import Diagnostic, Severity
from ipxescript.analysis.menus import menus
from ipxescript.lint.context import LintContext

CODE = "IPX301"
NAME = "no-menu"
SEVERITY = Severity.WARNING


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    for bound in menus(ctx).orphans:
        named = bound.option("menu") or bound.option("form")
        which = f"a menu named '{named.value}'" if named and named.value else "a 'menu' command"
        word = bound.command.words[0]
        yield Diagnostic(
            CODE,
            SEVERITY,
            f"'{bound.name}' needs {which} first; the script never creates one, so this fails and ends the "
            "script",
            word.start,
            word.end,
        )
