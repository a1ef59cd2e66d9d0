"""Unknown command

The first word of a command must name one of iPXE's commands exactly (case-sensitive). An unknown
name prints ``<name>: command not found`` and the failure ends the script. Detected by the language
core (src/core/exec.c: execv).

The message suggests a command only when the name is one typo away from it (``echoo``, ``chian``), or
when a missing space is the mistake (``sleep1`` is ``sleep 1``; ``dhcp||goto`` needs spaces around
``||``, because iPXE only sees operators as whole words). The suggested fix is offered only when the
corrected line is itself valid.

Failing::

    #!ipxe
    echoo hello

Passing::

    #!ipxe
    echo hello
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ipxescript.analysis.checks import check_command
from ipxescript.analysis.diagnostics import Diagnostic, Edit, Fix, Severity
from ipxescript.analysis.suggest import close_names
from ipxescript.lint.context import LintContext
from ipxescript.syntax.parser import parse
from ipxescript.syntax.tree import LogicalLine

CODE = "IPX101"
NAME = "unknown-command"
SEVERITY = Severity.ERROR
CORE = True  # detected by ipxescript.analysis; this module words the hint and checks the fix

GLUED_OPERATOR = re.compile(r"(\|\||&&|;)")
COMMAND_THEN_NUMBER = re.compile(r"([a-z]+)(\d+)")


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    found = ctx.core(CODE)
    if not found:
        return
    bom = ctx.script.text.startswith("\ufeff")
    reachable = ctx.flow.reachable
    lines = ctx.script.lines
    i = 0  # the core's findings come in file order: the line of each is at or after the last one's
    for d in found:
        if d.start == 0 and bom:
            continue  # a BOM before '#!ipxe': IPX001 says the file is not run as a script at all
        if i < len(lines) and lines[i].start <= d.start:
            while i + 1 < len(lines) and lines[i + 1].start <= d.start:
                i += 1
            line: LogicalLine | None = lines[i]
        else:
            line = ctx.script.line_at(d.start)
        # notes pasted after the final 'exit' ('initrd.gz ldlinux.c32 linux'): never run, never fail
        yield _retold(ctx, d, line, line is not None and line.index not in reachable)


def _handled_by_or(line: LogicalLine | None, start: int) -> bool:
    """The unknown command is followed by ``||`` on its line (``ntp ... || ntpserver ... || goto x``)."""
    if line is None:
        return False
    index = next((k for k, c in enumerate(line.commands) if c.start <= start < c.end), None)
    return index is not None and index < len(line.operators) and line.operators[index].text == "||"


def _retold(ctx: LintContext, d: Diagnostic, line: LogicalLine | None, unreachable: bool) -> Diagnostic:
    text = ctx.script.text
    name = text[d.start : d.end]
    base = f"'{name}' is not an iPXE command: " + (
        "it fails with 'command not found' and the '||' after it runs what follows"
        if _handled_by_or(line, d.start)
        else "the line fails with 'command not found' and ends the script"
    )
    fix: Fix | None = None
    suggestions: tuple[str, ...] = ()
    if not ctx.overlaps_mask(d.start, d.end):
        replacement, hint = _suggestion(ctx, name)
        if replacement is not None:
            base += hint
            suggestions = (replacement,)
            if _line_valid_after(ctx, d, line, replacement):
                fix = Fix(
                    f"replace '{name}' with '{replacement}'", (Edit(d.start, d.end, replacement),), safe=False
                )
    severity, message = d.severity, base
    if unreachable:
        severity = Severity.INFO
        message = f"'{name}' is not an iPXE command (this line is unreachable, so it never runs)"
    return Diagnostic(d.code, severity, message, d.start, d.end, fix, suggestions, d.via, d.related)


def _suggestion(ctx: LintContext, name: str) -> tuple[str | None, str]:
    commands = ctx.catalog.commands
    glued = GLUED_OPERATOR.search(name)
    if glued and glued.start() > 0:
        spaced = GLUED_OPERATOR.sub(lambda m: f" {m.group(1)} ", name).strip()
        return spaced, f"; iPXE sees operators only as whole words: write '{spaced}'"
    split = COMMAND_THEN_NUMBER.fullmatch(name)
    if split and split.group(1) in commands:
        spaced = f"{split.group(1)} {split.group(2)}"
        return spaced, f"; did you mean '{spaced}' (a missing space)?"
    guesses = close_names(name, ctx.catalog.command_names)
    if guesses:
        return guesses[0], f"; did you mean '{guesses[0]}'?"
    return None, ""


def _line_valid_after(ctx: LintContext, d: Diagnostic, line: LogicalLine | None, replacement: str) -> bool:
    """Re-read the fixed line: the fix is offered only if the core finds nothing wrong with it."""
    if line is None:
        return False
    text = ctx.script.text
    fixed = text[line.start : d.start] + replacement + text[d.end : line.end]
    script = parse("#!ipxe\n" + fixed + "\n")
    for _line, command in script.commands():
        for found in check_command(command, ctx.catalog, ctx.profile):
            if found.severity == Severity.ERROR:
                return False
    return True
