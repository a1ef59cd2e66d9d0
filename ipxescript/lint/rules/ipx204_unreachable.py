"""Unreachable lines

Lines after an unconditional ``goto``, ``exit`` or ``chain --replace`` never run unless a label in
between is jumped to. Usually a missing label, or a ``goto`` that was meant to be conditional
(``... || goto fallback``). It is a warning when a line that reads as conditional (``a && goto x || goto y``) always leaves and
hides code that loads, boots or sets something; code parked after a plain ``goto`` or ``exit``, dead
code that only jumps or prints, and a section no goto names are notes.

Failing::

    #!ipxe
    iseq ${platform} efi && goto done || goto done
    set server boot.example.com
    :done
    chain http://${server}/boot.ipxe

Passing::

    #!ipxe
    goto done
    :retry
    echo download failed, retrying
    :done
    chain http://boot.example.com/boot.ipxe || goto retry
"""

from __future__ import annotations

from collections.abc import Iterator

from ipxescript.analysis.diagnostics import Diagnostic, Severity
from ipxescript.lint.context import LintContext
from ipxescript.syntax.tree import Label, LogicalLine, Operator, Word

CODE = "IPX204"
NAME = "unreachable"
SEVERITY = Severity.WARNING


def _content_range(line: LogicalLine) -> tuple[int, int]:
    words = [t for t in line.tokens if isinstance(t, (Word, Label, Operator))]
    return (words[0].start, words[-1].end) if words else (line.start, line.start)


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    flow = ctx.flow
    reachable = flow.reachable
    lines = ctx.script.lines
    # visit the unreachable lines only; a run of them (lines without code do not break it) is
    # reported at its first line, with the nearest code line above it when that one is reachable
    for index in sorted(set(range(len(lines))) - reachable):
        line = lines[index]
        if not _has_code(line):
            continue
        above = next((lines[k] for k in range(index - 1, -1, -1) if _has_code(lines[k])), None)
        if above is not None and above.index not in reachable:
            continue  # inside a run
        previous_reachable = above
        cause = ""
        if previous_reachable is not None:
            leaving = flow.lines[previous_reachable.index].leaving
            if leaving is not None and leaving.name:
                cause = f" (line {ctx.line_number(leaving.start)} always leaves with '{leaving.name}')"
        start, end = _content_range(line)
        run = _run(ctx, line.index, reachable)
        does_work = any(
            c.name not in HARMLESS and ctx.known_command(c.name or "")
            for ln in run
            for c in ln.commands
            if c.words
        )
        # A line that reads as conditional ('a && goto x || goto y') yet always leaves hides code that
        # was meant to run: a warning. Code parked after a plain 'goto'/'exit', or a section no goto
        # names (IPX203 notes its label), is deliberate or harmless: a note.
        looks_conditional = previous_reachable is not None and bool(previous_reachable.operators)
        loud = does_work and looks_conditional and line.label is None
        yield Diagnostic(
            CODE,
            SEVERITY if loud else Severity.INFO,
            f"unreachable: no line falls through to this one and no goto reaches it{cause}",
            start,
            end,
        )


# Dead code made only of these is a leftover fallback ('goto menu || goto failsafe' then a spare
# 'goto exit'): harmless, so only a note. Unreachable code that loads, boots or sets something was
# meant to run: a warning.
HARMLESS = ("goto", "exit", "echo", "prompt", "sleep", "shell", "reboot", "poweroff", "clear")


def _has_code(line: LogicalLine) -> bool:
    return line.label is not None or any(c.words for c in line.commands)


def _run(ctx: LintContext, index: int, reachable: set[int]) -> list[LogicalLine]:
    """The unreachable lines from ``index`` up to the next reachable one."""
    out = []
    for line in ctx.script.lines[index:]:
        if line.index in reachable:
            break
        out.append(line)
    return out
