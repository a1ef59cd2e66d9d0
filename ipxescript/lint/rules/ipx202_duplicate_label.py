"""Duplicate label

Defining a label twice is legal, but ``goto`` always finds the first one from the top of the file, so
the later definition can never be jumped to: code meant for it runs under the first label instead.
(Not reported: the same label twice in a row, and definitions in different branches of a template.)

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
        yield Diagnostic(
            CODE,
            SEVERITY,
            f"label ':{label.name}' is already defined on line {first.first_line + 1}; goto always jumps to "
            "the first one, so this one is never a goto target",
            label.start,
            label.end,
        )
