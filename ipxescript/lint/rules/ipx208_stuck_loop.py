"""Loop that can never make progress

A backward ``goto`` whose loop body only runs commands that neither wait nor change anything (``echo``,
``isset``, ``iseq``, ``show``, ...) spins forever: nothing the tests look at can change. Add a
``sleep``, a ``prompt``, a ``dhcp``/``ifconf`` retry, an ``inc`` counter or another way out.

Failing::

    #!ipxe
    :wait
    echo waiting for the network
    isset ${ip} || goto wait

Passing::

    #!ipxe
    :wait
    echo waiting for the network
    dhcp || goto wait
"""

from __future__ import annotations

from collections.abc import Iterator

from ipxescript.analysis.diagnostics import Diagnostic, Severity
from ipxescript.lint.context import LintContext
from ipxescript.syntax.tree import LogicalLine

CODE = "IPX208"
NAME = "loop-without-progress"
SEVERITY = Severity.WARNING
# Commands that neither wait for anything nor change state a later test could see.
STATIC = frozenset({"echo", "isset", "iseq", "goto", "show", "imgstat", "help", "cpuid", "ifstat", "route"})


def _only_static(body: list[LogicalLine]) -> bool:
    seen = False
    for line in body:
        for command in line.commands:
            if command.words:
                if command.name not in STATIC:
                    return False
                seen = True
    return seen


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    lines = ctx.script.lines
    for jump in ctx.flow.jumps:
        if jump.target is None:
            continue
        target = ctx.labels.get(jump.target)
        if target is None or target.index > jump.line.index:
            continue
        if _only_static(lines[target.index : jump.line.index + 1]):
            yield Diagnostic(
                CODE,
                SEVERITY,
                f"this loop back to ':{jump.target}' can never make progress: nothing between the label and "
                "the goto waits or changes anything, so it spins forever; add a sleep, prompt or retry",
                jump.command.start,
                jump.command.end,
            )
