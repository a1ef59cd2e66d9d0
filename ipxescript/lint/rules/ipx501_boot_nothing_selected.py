"""``boot`` when no kernel can have been selected

``boot`` with no argument runs the selected image (chosen by ``kernel``, ``imgselect`` or
``imgload``). When nothing is selected it prints "No image selected" and *succeeds*, so the script
carries on as if the machine had booted. This rule follows every path that reaches the ``boot`` and
reports it when none of them selects an image first.

Failing::

    #!ipxe
    initrd http://boot.example.com/initrd.img
    boot

Passing::

    #!ipxe
    kernel http://boot.example.com/vmlinuz
    initrd http://boot.example.com/initrd.img
    boot
"""

from __future__ import annotations

from collections.abc import Iterator

from ipxescript.analysis.diagnostics import Diagnostic, Severity
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
    if not lines:
        return
    graph = ctx.flow.graph  # lines, then one node per goto ${...} pattern
    selects = [any(_selects(ctx, c) for c in line.commands) for line in lines] + [False] * (
        len(graph) - len(lines)
    )
    entry: dict[int, bool] = {0: False}
    work = [0]
    while work:  # may-analysis: "some path has selected an image"
        i = work.pop()
        state = entry[i] or selects[i]
        for succ in graph[i]:
            if succ not in entry or (state and not entry[succ]):
                entry[succ] = entry.get(succ, False) or state
                work.append(succ)
    for i, selected in sorted(entry.items()):
        if i >= len(lines):
            continue
        state = selected
        for command in lines[i].commands:
            if _selects(ctx, command):
                state = True
            elif command.name in EXECUTES and not ctx.bound(command).positionals and not state:
                yield Diagnostic(
                    CODE,
                    SEVERITY,
                    f"no kernel can be selected when this '{command.name}' runs: it prints 'No image selected' "
                    "and succeeds without booting anything; load one with 'kernel' first",
                    command.start,
                    command.end,
                )
