"""``imgfree`` between ``kernel`` and ``boot``

``imgfree`` with no name unregisters every image, the selected kernel included
(``src/usr/imgmgmt.c``). A ``boot`` that follows with no new ``kernel`` has nothing to run: it prints
"No image selected" and *succeeds*, so the script carries on as if the machine had booted. Free the
old images before loading the new ones, not after.

Failing::

    #!ipxe
    kernel http://boot.example.com/vmlinuz
    initrd http://boot.example.com/initrd.img
    imgfree
    boot

Passing::

    #!ipxe
    imgfree
    kernel http://boot.example.com/vmlinuz
    initrd http://boot.example.com/initrd.img
    boot
"""

from __future__ import annotations

from collections.abc import Iterator

from ipxescript.analysis.diagnostics import Diagnostic, Severity
from ipxescript.lint.context import LintContext
from ipxescript.lint.images import loads_kernel, runs_selected
from ipxescript.lint.urls import EXECUTES, image_name_pattern
from ipxescript.syntax.tree import Command

CODE = "IPX504"
NAME = "imgfree-before-boot"
SEVERITY = Severity.WARNING


def _selected_before(ctx: LintContext, line_index: int, imgfree: Command) -> Command | None:
    """The ``kernel`` that selected an image on the straight path into ``imgfree`` (same section)."""
    lines = ctx.script.lines
    for i in range(line_index, -1, -1):
        line = lines[i]
        commands = [c for c in line.commands if c.words and (i < line_index or c.start < imgfree.start)]
        for command in reversed(commands):
            if loads_kernel(ctx, command):
                return command
            if command.name in EXECUTES or command.name == "goto":
                return None
        if line.label is not None:
            return None
    return None


def _frees(ctx: LintContext, imgfree: Command, kernel: Command) -> bool:
    names = ctx.bound(imgfree).positionals
    if not names:
        return True
    bound = ctx.bound(kernel)
    pattern = image_name_pattern(bound, bound.positionals[0])
    return pattern is not None and any(n.is_literal and pattern.fullmatch(n.text) for n in names)


def _boot_after(ctx: LintContext, line_index: int, imgfree: Command) -> Command | None:
    """The argument-less ``boot`` the straight path from ``imgfree`` reaches before any new load."""
    lines = ctx.script.lines
    for i in range(line_index, len(lines)):
        for command in lines[i].commands:
            if not command.words or (i == line_index and command.start <= imgfree.start):
                continue
            if runs_selected(ctx, command):
                return command
            if loads_kernel(ctx, command) or command.name in EXECUTES or command.name in ("goto", "exit"):
                return None
        flow = ctx.flow.lines[i]
        if flow.jumps or flow.stops or not flow.falls_through or i in ctx.template_barriers:
            return None
    return None


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    for line, bound in ctx.commands_named("imgfree"):
        kernel = _selected_before(ctx, line.index, bound.command)
        if kernel is None or not _frees(ctx, bound.command, kernel):
            continue
        boot = _boot_after(ctx, line.index, bound.command)
        if boot is None:
            continue
        yield Diagnostic(
            CODE,
            SEVERITY,
            f"'imgfree' unregisters the kernel loaded on line {ctx.line_number(kernel.start)}, so the "
            f"'{boot.name}' on line {ctx.line_number(boot.start)} has nothing to run: it prints "
            "'No image selected' and succeeds; free old images before 'kernel', not after",
            bound.command.start,
            bound.command.end,
        )
