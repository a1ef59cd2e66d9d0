"""``choose --default`` naming no item

``--default`` must name an item of the menu. A name that matches no item is silently ignored: the first
item is preselected instead, and with ``--timeout`` the wrong entry boots.

Failing::

    #!ipxe
    menu Boot
    item local Boot from disk
    item linux Install Linux
    choose --default locl --timeout 5000 target && goto ${target} ||
    :local
    :linux

Passing::

    #!ipxe
    menu Boot
    item local Boot from disk
    item linux Install Linux
    choose --default local --timeout 5000 target && goto ${target} ||
    :local
    :linux
"""

from __future__ import annotations

from collections.abc import Iterator

from ipxescript.analysis.diagnostics import Diagnostic, Severity
from ipxescript.analysis.menus import menus
from ipxescript.lint.context import LintContext, did_you_mean

CODE = "IPX302"
NAME = "choose-default-unknown"
SEVERITY = Severity.WARNING


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    for choice in menus(ctx).choices:
        default = choice.bound.option("default")
        if default is None or default.value is None or choice.menu is None:
            continue
        if default.value_word is not None and not default.value_word.is_literal:
            continue
        if "${" in default.value:
            continue
        items = choice.menu.items
        if any(i.is_dynamic for i in items):
            continue
        if ctx.overlaps_mask(choice.menu.bound.command.start, choice.bound.command.start):
            continue  # a template writes some of the items ({% for %} ... item {{ x.name }})
        names = [i.name for i in items if i.name is not None]
        if default.value in names:
            continue
        guesses = did_you_mean(default.value, names, cutoff=0.6)
        hint = f"; did you mean '{guesses[0]}'?" if guesses else ""
        yield Diagnostic(
            CODE,
            SEVERITY,
            f"--default '{default.value}' names no item of this menu, so iPXE silently preselects the first "
            f"item{hint}",
            default.start,
            default.end,
            suggestions=tuple(guesses),
        )
