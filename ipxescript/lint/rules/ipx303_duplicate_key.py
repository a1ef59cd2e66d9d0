"""Duplicate ``--key`` in one menu

A shortcut key chooses the first item with that key at or after the cursor, so with two items on the
same key one of them is reached only by chance. Two items that never exist together are fine: each
created by ``iseq ${x} VALUE && item ...`` with the same ``${x}`` and different values (one menu line
shown one way or the other).

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

Passing::

    #!ipxe
    menu Settings
    iseq ${verbose} 0 && item --key v verbose Verbose [off] ||
    iseq ${verbose} 1 && item --key v verbose Verbose [on] ||
    choose target && goto ${target} ||
    :verbose
"""

from __future__ import annotations

from collections.abc import Iterator

from ipxescript.analysis.diagnostics import Diagnostic, Severity
from ipxescript.analysis.menus import key_value, menus
from ipxescript.lint.context import LintContext
from ipxescript.syntax.tree import Command, LogicalLine

CODE = "IPX303"
NAME = "duplicate-key"
SEVERITY = Severity.WARNING


def _guard(line: LogicalLine, command: Command) -> tuple[str, str] | None:
    """``(x, VALUE)`` when the item is created only by ``iseq x VALUE && item ...`` (its line's start)."""
    commands = line.commands
    if len(commands) < 2 or commands[1] is not command or line.operators[0].text != "&&":
        return None
    test = [w.text for w in commands[0].words]
    return (test[1], test[2]) if len(test) == 3 and test[0] == "iseq" else None


def _exclusive(a: tuple[str, str] | None, b: tuple[str, str] | None) -> bool:
    return a is not None and b is not None and a[0] == b[0] and a[1] != b[1] and "${" not in a[1] + b[1]


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    lines = {id(bound.command): line for line, bound in ctx.commands_named("item")}
    for menu in menus(ctx).menus:
        seen: dict[int, list[tuple[int, tuple[str, str] | None]]] = {}  # key -> (offset, guard) of its items
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
            command = item.bound.command
            line = lines.get(id(command))
            guard = _guard(line, command) if line is not None else None
            earlier = [start for start, other in seen.get(value, []) if not _exclusive(guard, other)]
            if earlier:
                yield Diagnostic(
                    CODE,
                    SEVERITY,
                    f"key '{key.value}' is already used by the item on line {ctx.line_number(earlier[0])} of "
                    "this menu",
                    key.start,
                    key.end,
                )
            seen.setdefault(value, []).append((command.start, guard))
