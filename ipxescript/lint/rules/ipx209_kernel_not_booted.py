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
    kernel http://mirror1.example.com/linux || kernel http://mirror2.example.com/linux
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
from functools import partial

from ipxescript.analysis.diagnostics import Diagnostic, Severity
from ipxescript.lint.context import LintContext
from ipxescript.lint.urls import EXECUTES, SELECTS, image_name_pattern
from ipxescript.syntax.tree import Command, LogicalLine

CODE = "IPX209"
NAME = "kernel-not-booted"
SEVERITY = Severity.WARNING


def _guarded(line: LogicalLine, command: Command) -> bool:
    """The command runs only when the test before it succeeds (``iseq ... && kernel ...``)."""
    index = next((i for i, c in enumerate(line.commands) if c is command), 0)
    return index > 0 and line.operators[index - 1].text == "&&"


def _fallback(line: LogicalLine, command: Command) -> bool:
    """``kernel A || kernel B``: B runs only when A failed to load, so together they are one load."""
    index = next((i for i, c in enumerate(line.commands) if c is command), 0)
    return index > 0 and line.operators[index - 1].text == "||"


def _same_image(ctx: LintContext, loader: Command, selector: Command) -> bool:
    """``imgselect NAME`` of the image the loader just named ``NAME`` selects that same image."""
    if selector.name != "imgselect":
        return False
    bound = ctx.bound(loader)
    selected = ctx.bound(selector).positionals
    if not bound.positionals or len(selected) != 1 or not selected[0].is_literal:
        return False
    pattern = image_name_pattern(bound, bound.positionals[0])
    return pattern is not None and pattern.fullmatch(selected[0].text) is not None


def _verdict(ctx: LintContext, start_line: int, loader: Command) -> tuple[str, int] | None:
    """Follow fall-through from the kernel command. None when a boot comes first (or a jump out of
    the kernel's own section); else the reason and the line where ``boot`` is missing: the last line
    of the kernel's section. Kept across versions of an edited document while the lines it read
    stay (Flow.span_fact), with line numbers relative to the kernel's line."""
    found = ctx.flow.span_fact((CODE, id(loader)), start_line, partial(_follow, ctx, start_line, loader))
    if found is None:
        return None
    reason, number, anchor = found
    if number is not None:
        reason = reason.replace(_NUMBER, str(ctx.script.lines[start_line].first_line + 1 + number))
    return reason, start_line + anchor


_NUMBER = "\x00"  # where the line number goes in a reason kept by span_fact


def _follow(
    ctx: LintContext, start_line: int, loader: Command
) -> tuple[tuple[str, int | None, int] | None, int]:
    """``_verdict`` relative to the kernel's line (the reason with ``_NUMBER`` for the line number,
    the line number and the anchor as offsets), and the last line it read (``len(lines)``: it ran
    to the end of the script)."""
    read = [len(ctx.script.lines)]
    verdict = _walk(ctx, start_line, loader, read)
    if verdict is None:
        return None, read[0]
    reason, anchor, number = verdict
    first = ctx.script.lines[start_line].first_line + 1
    return (reason, None if number is None else number - first, anchor - start_line), read[0]


def _walk(
    ctx: LintContext, start_line: int, loader: Command, read: list[int]
) -> tuple[str, int, int | None] | None:
    """The reason (with ``_NUMBER`` for the line number it cites), the anchor line, the line number."""
    lines = ctx.script.lines
    flow_lines = ctx.flow.lines
    barriers = ctx.template_barriers
    after = loader.start
    alternative = _guarded(lines[start_line], loader)
    crossed: str | None = None
    section_last = start_line
    for index in range(start_line, len(lines)):
        read[0] = index
        line = lines[index]
        if index > start_line and line.label is not None and crossed is None:
            crossed = line.label.name
        for command in line.commands:
            if (index == start_line and command.start <= after) or not command.words:
                continue
            if command.name in EXECUTES or command.name == "sanboot":
                if crossed is None or (command.name != "sanboot" and not ctx.bound(command).positionals):
                    return None  # boots the selected image (or, in its own section, whatever it meant)
                return (
                    f"{_into(crossed)}runs another image on line {_NUMBER}",
                    section_last,
                    ctx.line_number(command.start),
                )
            if command.name == "exit" and crossed is None:
                return None
            if command.name == "exit" and flow_lines[index].falls_through:
                continue  # 'iseq ${try} xxxxx && exit ||': leaves only when retries ran out
            if command.name == "exit":
                return (
                    f"{_into(crossed)}exits on line {_NUMBER}",
                    section_last,
                    ctx.line_number(command.start),
                )
            if command.name in SELECTS and crossed is None and _same_image(ctx, loader, command):
                continue
            if command.name in SELECTS and index == start_line and _fallback(line, command):
                continue  # 'kernel A || kernel B || kernel C' is one load with fallbacks
            if command.name in SELECTS and crossed is None and alternative and _guarded(line, command):
                continue  # 'iseq ${arch} x86_64 && kernel a' then 'iseq ${arch} i386 && kernel b'
            if command.name in SELECTS:
                anchor = section_last if crossed is not None else start_line
                number = ctx.line_number(command.start)
                return f"{_into(crossed)}loads another image on line {_NUMBER}", anchor, number
        if crossed is None and any(c.words for c in line.commands):
            section_last = index
        if index in barriers:
            return None  # the template decides what follows
        lf = flow_lines[index]
        if lf.jumps or lf.stops or not lf.falls_through:
            if crossed is None:
                return None
            if lf.falls_through:
                continue  # a conditional goto or exit ('iseq ${try} xxx && exit ||'): the path goes on
            return (
                f"{_into(crossed)}leaves on line {_NUMBER} without booting",
                section_last,
                ctx.line_number(line.start),
            )
    read[0] = len(lines)
    if crossed is not None:
        return f"falls through into ':{crossed}' and reaches the end of the script", section_last, None
    return "reaches the end of the script", section_last, None


def _into(crossed: str | None) -> str:
    return f"falls through into ':{crossed}', which " if crossed is not None else ""


def _content(ctx: LintContext, index: int) -> tuple[int, int]:
    words = [c for c in ctx.script.lines[index].commands if c.words]
    return (words[0].start, words[-1].end) if words else (ctx.script.lines[index].start,) * 2


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    for line, bound in ctx.commands_named(*SELECTS):
        if not bound.positionals:
            continue
        verdict = _verdict(ctx, line.index, bound.command)
        if verdict is None:
            continue
        reason, anchor = verdict
        if anchor == line.index:
            start, end = bound.command.start, bound.command.end
            text = f"missing 'boot': the image '{bound.name}' selects here is never booted: execution then {reason}"
        else:
            start, end = _content(ctx, anchor)
            text = (
                f"missing 'boot': the image selected by '{bound.name}' on line {ctx.line_number(bound.command.start)} "
                f"is never booted: after this line execution {reason}"
            )
        yield Diagnostic(CODE, SEVERITY, text, start, end)
