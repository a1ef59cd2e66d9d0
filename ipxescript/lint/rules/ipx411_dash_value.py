"""A value starting with ``-`` expanded where options are read

iPXE expands ``${...}`` before the command reads its options (src/core/getopt.c), so a setting whose
value starts with ``-`` becomes an option when it lands in front of the first positional argument:
``set v -5`` then ``echo ${v}`` prints "Unrecognised option" and the line fails. Put ``--`` before the
argument (``echo -- ${v}``) or text in front of the reference (``echo value: ${v}``).

Failing::

    #!ipxe
    set offset -5
    echo ${offset}

Passing::

    #!ipxe
    set offset -5
    echo -- ${offset}
"""

from __future__ import annotations

from collections.abc import Iterator

from ipxescript.analysis.diagnostics import Diagnostic, Edit, Fix, Severity
from ipxescript.lint.context import LintContext
from ipxescript.syntax.tree import Reference

CODE = "IPX411"
NAME = "dash-value-as-option"
SEVERITY = Severity.WARNING


def _dash_settings(ctx: LintContext) -> dict[str, int]:
    """Settings every literal ``set`` of which stores a value starting with '-' -> the first set's line."""
    dash: dict[str, int] = {}
    other: set[str] = set()
    for line, bound in ctx.commands_named("set", "read", "choose", "inc", "clear"):
        args = bound.positionals
        if not args or not args[0].is_literal:
            continue
        name = args[0].text.rpartition("/")[2].partition(":")[0]
        value = args[1] if bound.name == "set" and len(args) > 1 else None
        if value is not None and value.is_literal and value.text.startswith("-") and value.text != "-":
            dash.setdefault(name, line.index)
        elif bound.name != "clear":
            other.add(name)
    return {name: index for name, index in dash.items() if name not in other}


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    dash = _dash_settings(ctx)
    if not dash:
        return
    for _line, bound in ctx.commands:
        spec = bound.spec
        if spec is None or not spec.help_option or not bound.positionals or bound.name in ("set", "item"):
            continue
        word = bound.positionals[0]
        first = word.parts[0] if word.parts else None
        if not isinstance(first, Reference) or not first.is_static or first.block is not None:
            continue
        if first.setting not in dash or any(w.text == "--" for w in bound.option_words):
            continue
        yield Diagnostic(
            CODE,
            SEVERITY,
            f"'{first.setting}' holds a value starting with '-' (set on line "
            f"{ctx.line_number(ctx.script.lines[dash[first.setting]].start)}), so '{bound.name}' reads it as "
            f"an option and fails with 'Unrecognised option'; write '-- ' before it",
            word.start,
            word.end,
            Fix("insert '--' before the argument", (Edit(word.start, word.start, "-- "),), safe=False),
        )
