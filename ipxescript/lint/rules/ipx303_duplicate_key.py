"""Duplicate ``--key`` in one menu

A shortcut key chooses the first item with that key at or after the cursor, so with two items on the
same key one of them is reached only by chance.

Failing::

    #!ipxe
    menu Boot
    item --key d debian Debian
    item --key d fedora Fedora
    choose target && goto ${target} ||
    :debian
    :fedora

Passing::

    #!ipxe
    menu Boot
    item --key d debian Debian
    item --key f fedora Fedora
    choose target && goto ${target} ||
    :debian
    :fedora
"""

from __future__ import annotations

from collections.abc import Iterator

from ipxescript.analysis.diagnostics import Diagnostic, Severity
from ipxescript.analysis.menus import key_value, menus
from ipxescript.lint.context import LintContext

CODE = "IPX303"
NAME = "duplicate-key"
SEVERITY = Severity.WARNING


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    for menu in menus(ctx).menus:
        seen: dict[int, int] = {}  # key -> offset of the first item with it
        for item in menu.items:
            key = item.key
            if (
                key is None
                or key.value is None
                or (key.value_word is not None and not key.value_word.is_literal)
            ):
                continue
            value = key_value(key.value)
            if value is None:
                continue
            if value in seen:
                yield Diagnostic(
                    CODE,
                    SEVERITY,
                    f"key '{key.value}' is already used by the item on line {ctx.line_number(seen[value])} of "
                    "this menu",
                    key.start,
                    key.end,
                )
            else:
                seen[value] = item.bound.command.start
