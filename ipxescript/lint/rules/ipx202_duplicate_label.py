"""Duplicate label

Defining a label twice is legal, but ``goto`` always finds the first one from the top of the file, so
the later definition can never be jumped to: code meant for it runs under the first label instead.
(Not reported: the same label twice in a row, definitions in different branches of a template, and
definitions with the same lines under them up to one that always jumps away -- a menu's ``:menu-timed``
/ ``choose ... && goto ${selected} || goto start`` pasted under each menu -- where a jump does the same
thing either way.)

Failing::

    #!ipxe
    goto linux
    :linux
    chain http://boot.example.com/a.ipxe
    :linux
    chain http://boot.example.com/b.ipxe

Passing::

    #!ipxe
    goto linux
    :linux
    chain http://boot.example.com/a.ipxe || goto linux2
    exit
    :linux2
    chain http://boot.example.com/b.ipxe

Passing::

    #!ipxe
    menu Linux
    item tools Tools
    :pick
    choose selected && goto ${selected} || goto pick
    :tools
    menu Tools
    item shell Shell
    :pick
    choose selected && goto ${selected} || goto pick
    :shell
    shell
"""

from __future__ import annotations

from collections.abc import Iterator

from ipxescript.analysis.diagnostics import Diagnostic, Severity
from ipxescript.lint.context import LintContext

CODE = "IPX202"
NAME = "duplicate-label"
SEVERITY = Severity.WARNING


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    for label, line in ctx.label_list:
        if not label.name or ctx.overlaps_mask(label.start, label.end):
            continue
        first = ctx.labels[label.name]
        if first is line:
            continue
        between = ctx.script.lines[first.index + 1 : line.index]
        if any(b.index in ctx.template_barriers for b in between):
            continue  # '{% if %} :start ... {% else %} :start': the template keeps one of them
        if not any(c.words for b in [first, *between] for c in b.commands):
            continue  # ':reload' twice in a row: a goto lands in the same place either way
        section = _section(ctx, line.index)
        if section is not None and section == _section(ctx, first.index):
            continue  # the same lines under both: a goto does the same thing either way
        yield Diagnostic(
            CODE,
            SEVERITY,
            f"label ':{label.name}' is already defined on line {first.first_line + 1}; goto always jumps to "
            "the first one, so this one is never a goto target",
            label.start,
            label.end,
        )


def _section(ctx: LintContext, index: int) -> list[str] | None:
    """The code under the label on line ``index``, up to and including the first line that never
    falls through; None when another label or the end of the file comes first."""
    lines = ctx.script.lines
    flow = ctx.flow.lines
    code: list[str] = []
    for i in range(index + 1, len(lines)):
        line = lines[i]
        if line.label is not None:
            return None
        if not any(c.words for c in line.commands):
            continue
        code.append(
            " ".join(w.text for c in line.commands for w in c.words) + str([o.text for o in line.operators])
        )
        if not flow[i].falls_through:
            return code
    return None
