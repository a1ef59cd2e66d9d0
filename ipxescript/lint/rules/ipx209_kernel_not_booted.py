"""Kernel loaded, then no ``boot``

``kernel`` (or ``imgselect``/``imgload``) only selects an image; it runs when ``boot`` is called.
A section that loads a kernel and then falls through into the next label (which loads another kernel)
or off the end of the script never boots it: the script ends and iPXE moves on to the next boot
device.

Failing::

    #!ipxe
    goto debian
    :debian
    kernel http://deb.example.com/linux
    initrd http://deb.example.com/initrd.gz
    :ubuntu
    kernel http://ubuntu.example.com/linux
    boot

Passing::

    #!ipxe
    goto debian
    :debian
    kernel http://deb.example.com/linux
    initrd http://deb.example.com/initrd.gz
    boot
    :ubuntu
    kernel http://ubuntu.example.com/linux
    boot
"""

from __future__ import annotations

from collections.abc import Iterator

from ipxescript.analysis.diagnostics import Diagnostic, Severity
from ipxescript.lint.context import LintContext
from ipxescript.lint.urls import EXECUTES, SELECTS

CODE = "IPX209"
NAME = "kernel-not-booted"
SEVERITY = Severity.WARNING


def _verdict(ctx: LintContext, start_line: int, after: int) -> str | None:
    """Follow fall-through from the kernel command; None when a boot (or a jump/exit) comes first."""
    lines = ctx.script.lines
    flow = ctx.flow
    crossed: str | None = None
    for index in range(start_line, len(lines)):
        line = lines[index]
        if index > start_line and line.label is not None and crossed is None:
            crossed = line.label.name
        for command in line.commands:
            if index == start_line and command.start <= after:
                continue
            if command.name in EXECUTES or command.name in ("exit", "shell", "sanboot"):
                return None
            if command.name in SELECTS:
                where = f"falls through into ':{crossed}', which " if crossed is not None else ""
                return f"{where}loads another image on line {ctx.line_number(command.start)} without booting this one"
        if index in ctx.template_barriers:
            return None  # the template decides what follows
        lf = flow.lines[index]
        if lf.jumps or lf.stops or not lf.falls_through:
            return None
    return "reaches the end of the script without 'boot'"


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    for line, bound in ctx.commands_named(*SELECTS):
        if not bound.positionals:
            continue
        verdict = _verdict(ctx, line.index, bound.command.start)
        if verdict is None:
            continue
        yield Diagnostic(
            CODE,
            SEVERITY,
            f"'{bound.name}' selects an image that is never booted: execution {verdict}",
            bound.command.start,
            bound.command.end,
        )
