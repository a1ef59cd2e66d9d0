"""``sleep`` given milliseconds

``sleep`` counts whole seconds, unlike every ``--timeout`` in iPXE. ``sleep 5000`` waits well over an
hour. A value of 1000 or more is almost certainly milliseconds.

Failing::

    #!ipxe
    sleep 5000

Passing::

    #!ipxe
    sleep 5
"""

from __future__ import annotations

from collections.abc import Iterator

from ipxescript.analysis.diagnostics import Diagnostic, Edit, Fix, Severity
from ipxescript.lint.context import LintContext
from ipxescript.lint.values import parse_ipxe_integer

CODE = "IPX110"
NAME = "sleep-milliseconds"
SEVERITY = Severity.WARNING


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    for _line, bound in ctx.commands_named("sleep"):
        if len(bound.positionals) != 1 or not bound.positionals[0].is_literal:
            continue
        word = bound.positionals[0]
        value = parse_ipxe_integer(word.text)
        if value is None or value < 1000:
            continue
        seconds = value // 1000
        yield Diagnostic(
            CODE,
            SEVERITY,
            f"sleep counts seconds: 'sleep {word.text}' waits {value // 60} minutes; did you mean 'sleep {seconds}'?",
            word.start,
            word.end,
            Fix(f"sleep {seconds} seconds", (Edit(word.start, word.end, str(seconds)),), safe=False),
        )
