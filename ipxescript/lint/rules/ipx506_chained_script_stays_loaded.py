"""Script chained without ``--autofree`` stays loaded and reaches the kernel

When a script run by ``chain`` returns, iPXE registers it again (``src/core/image.c: image_exec``)
unless it was fetched with ``--autofree``; and every registered image that is not hidden is handed
to the next Linux kernel as an initrd (``src/image/initrd.c``). A sub-menu that returns to its
parent, which then loads and boots a kernel, puts the sub-menu's text in front of the real initrd.
Chain scripts with ``--autofree`` (or ``imgfree`` before loading the kernel).

Failing::

    #!ipxe
    chain --timeout 5000 http://boot.example.com/hosts/${mac}.ipxe ||
    kernel http://boot.example.com/vmlinuz
    initrd http://boot.example.com/initrd.img
    boot

Passing::

    #!ipxe
    chain --autofree --timeout 5000 http://boot.example.com/hosts/${mac}.ipxe ||
    kernel http://boot.example.com/vmlinuz
    initrd http://boot.example.com/initrd.img
    boot
"""

from __future__ import annotations

from collections.abc import Iterator

from ipxescript.analysis.diagnostics import Diagnostic, Edit, Fix, Severity
from ipxescript.lint.context import LintContext
from ipxescript.lint.images import freeing_lines, is_script_target, loads_kernel, reach, strict_graph

CODE = "IPX506"
NAME = "chained-script-stays-loaded"
SEVERITY = Severity.WARNING


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    chains = [(line, b) for line, b in ctx.commands_named("chain") if b.positionals]
    if not chains:
        return
    freeing = freeing_lines(ctx)
    graph = strict_graph(ctx)
    kernel_lines = {
        line.index
        for line, bound in ctx.commands
        if loads_kernel(ctx, bound.command) and line.index not in freeing
    }
    if not kernel_lines:
        return
    for line, bound in chains:
        if bound.has("autofree") or bound.has("replace") or line.index in freeing:
            continue
        if not is_script_target(bound.positionals[0]):
            continue
        after = reach(ctx, graph[line.index], freeing)
        later = sorted(after & kernel_lines)
        if not later:
            continue
        kernel_line = ctx.script.lines[later[0]]
        word = bound.command.words[0]
        yield Diagnostic(
            CODE,
            SEVERITY,
            f"if the chained script returns it stays loaded (no '--autofree'), and the kernel loaded on "
            f"line {ctx.line_number(kernel_line.start)} then receives it as an initrd in front of the real "
            "one; write 'chain --autofree'",
            bound.positionals[0].start,
            bound.positionals[0].end,
            fix=Fix("add '--autofree'", (Edit(word.end, word.end, " --autofree"),), safe=False),
        )
