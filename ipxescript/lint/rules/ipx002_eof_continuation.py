"""File ends inside a backslash continuation

A line ending in ``\\`` is joined with the next one. When the file ends right after such a line, iPXE
drops the unfinished line without running it and the script fails with "Invalid argument"
(src/image/script.c: process_script). Detected by the language core.

When the unfinished line is only a comment and the line before it never returns (``boot``,
``chain``, ``exit`` or ``goto`` without ``||``), the end of the file is never reached: nothing happens, and the finding
is an info (like parked dead code, IPX204).

Failing::

    #!ipxe
    echo last line \\

Passing::

    #!ipxe
    echo last line
"""

from __future__ import annotations

from dataclasses import replace

from ipxescript.analysis.diagnostics import Diagnostic, Severity
from ipxescript.lint.context import LintContext

NEVER_RETURNS = ("boot", "chain", "imgexec", "exit", "goto")

CODE = "IPX002"
NAME = "eof-in-continuation"
SEVERITY = Severity.ERROR
CORE = True


def check(ctx: LintContext) -> list[Diagnostic]:
    return [_graded(ctx, d) for d in ctx.core(CODE)]


def _graded(ctx: LintContext, d: Diagnostic) -> Diagnostic:
    line = ctx.script.line_at(d.start)
    if line is None or any(c.words for c in line.commands) or line.label is not None:
        return d
    before = [ln for ln in ctx.script.lines[: line.index] if any(c.words for c in ln.commands)]
    if not before:
        return d
    last = before[-1]
    ops = [op.text for op in last.operators]
    if last.commands[-1].name not in NEVER_RETURNS or "||" in ops or ";" in ops:
        return d
    if any(ln.label is not None for ln in ctx.script.lines[last.index + 1 : line.index]):
        return d  # a label in between can be jumped to
    return replace(
        d,
        severity=Severity.INFO,
        message="the file ends inside a backslash continuation (a comment ending in '\\'); the line before "
        "never returns, so this is never reached, but remove the trailing '\\'",
    )
