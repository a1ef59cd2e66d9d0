"""``: name`` defines the empty label

A label is everything after ``:`` up to the first whitespace, so ``: menu`` defines the empty label
and then runs ``menu`` as a command whenever execution passes the line. A bare ``:`` on its own line is
fine (it is the empty label, reachable with ``goto ${empty}``); a word after the space is almost always
a typo for ``:menu``. The fix (unsafe) removes the space.

Failing::

    #!ipxe
    goto start
    : start
    echo hello

Passing::

    #!ipxe
    goto start
    :start
    echo hello
"""

from __future__ import annotations

from collections.abc import Iterator

from ipxescript.analysis.diagnostics import Diagnostic, Edit, Fix, Severity
from ipxescript.lint.context import LintContext

CODE = "IPX206"
NAME = "empty-label-with-command"
SEVERITY = Severity.WARNING
SUPERSEDES = ("IPX101", "IPX104")


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    for label, line in ctx.label_list:
        if label.name or not line.commands or not line.commands[0].words:
            continue
        word = line.commands[0].words[0]
        gap = ctx.script.text[label.end : word.start]
        if "\n" in gap or "\\" in gap:
            continue
        yield Diagnostic(
            CODE,
            SEVERITY,
            f"': {word.text}' defines the empty label and runs '{word.text}' as a command; for a label "
            f"named '{word.text}' write ':{word.text}'",
            label.start,
            word.end,
            Fix(f"write ':{word.text}'", (Edit(label.end, word.start, ""),), safe=False),
        )
