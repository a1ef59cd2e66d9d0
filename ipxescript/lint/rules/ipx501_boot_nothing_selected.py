"""``boot`` when no kernel can have been selected

``boot`` with no argument runs the selected image (chosen by ``kernel``, ``imgselect`` or
``imgload``). When nothing is selected it prints "No image selected" and *succeeds*, so the script
carries on as if the machine had booted. This rule follows every path that reaches the ``boot`` and
reports it when none of them selects an image first. A ``boot`` right after a ``sanboot`` or
``chain`` that already ran an image (``sanboot ... && boot``) only gets a note: it does nothing. A
``##NAME##`` build placeholder in a template (``chain ##BASEURL##/menu.ipxe`` in a ``.ipxe.in`` file)
is template text, not a comment that leaves ``chain`` without its argument.

Failing::

    #!ipxe
    initrd http://boot.example.com/initrd.img
    boot

Passing::

    #!ipxe
    kernel http://boot.example.com/vmlinuz
    initrd http://boot.example.com/initrd.img
    boot

Passing::

    #!ipxe
    dhcp
    chain ##BASEURL##/menu.ipxe ||
    sanboot --no-describe --drive 0x80
"""

from __future__ import annotations

from collections.abc import Iterator

from ipxescript.analysis.diagnostics import Diagnostic, Severity
from ipxescript.analysis.flow import walk
from ipxescript.lint.context import LintContext
from ipxescript.lint.urls import EXECUTES, SELECTS
from ipxescript.syntax.tree import Command

CODE = "IPX501"
NAME = "boot-nothing-selected"
SEVERITY = Severity.WARNING


def _selects(ctx: LintContext, command: Command) -> bool:
    return command.name in SELECTS and bool(ctx.bound(command).positionals)


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    lines = ctx.script.lines
    # only the lines with an argument-less 'chain'/'boot'/'imgexec' can be reported: found by the index
    runs = sorted({line.index for line, bound in ctx.commands_named(*EXECUTES) if not bound.positionals})
    if not runs:
        return
    graph = ctx.flow.graph  # lines, then one node per goto ${...} pattern
    # may-analysis "some path has selected an image": a line is entered selected when an edge leads
    # to it from a reached line that selects, or from a line entered selected; i.e. the nodes
    # reachable from the top, and among them those one or more edges after a reached selecting line
    # (Flow.reachable is that walk, shared with other rules, unless template seams add starts)
    entered = ctx.flow.reachable if not ctx.masked else set(walk(graph, [0]))
    selecting = {line.index for line, bound in ctx.commands_named(*SELECTS) if bound.positionals}
    selected = set(walk(graph, [j for i in sorted(selecting) if i in entered for j in graph[i]]))
    for i in runs:
        if i not in entered or i in selected:
            continue  # entered with an image selected, the line's boots all have one
        state = False
        for command in lines[i].commands:
            if _selects(ctx, command):
                state = True
            elif command.name in EXECUTES and not ctx.bound(command).positionals and not state:
                after = _after_a_boot(ctx, i, command)
                if after is not None:  # 'sanboot ... && boot': a harmless extra boot, a note only
                    yield Diagnostic(
                        CODE,
                        Severity.INFO,
                        f"this '{command.name}' does nothing: the '{after}' before it already ran its image, "
                        "and no kernel is selected",
                        command.start,
                        command.end,
                    )
                    continue
                yield Diagnostic(
                    CODE,
                    SEVERITY,
                    f"no kernel can be selected when this '{command.name}' runs: it prints 'No image selected' "
                    "and succeeds without booting anything; load one with 'kernel' first",
                    command.start,
                    command.end,
                )


BOOTS = ("sanboot", "chain", "imgexec", "boot")


def _after_a_boot(ctx: LintContext, index: int, command: Command) -> str | None:
    """The name of the command that ran an image just before ``command`` (earlier on its line, or
    last on the code line before it), if any."""
    line = ctx.script.lines[index]
    position = next(k for k, c in enumerate(line.commands) if c is command)
    before = [c for c in line.commands[:position] if c.words]
    if not before:
        previous = next(
            (ln for ln in reversed(ctx.script.lines[:index]) if any(c.words for c in ln.commands)), None
        )
        if previous is None or line.label is not None:
            return None
        before = [c for c in previous.commands if c.words]
    # 'chain x.efi || goto failed' then 'boot': the boot runs only when the chain ran and returned
    ran = next((c for c in reversed(before) if c.name in BOOTS and ctx.bound(c).positionals), None)
    return ran.name if ran is not None else None
