"""Loop that downloads images again without ``imgfree``

``initrd``, ``imgfetch`` and ``module`` always download and register a new image, and iPXE hands
every registered image that is not hidden to the next Linux kernel as an initrd
(``src/image/initrd.c``). A retry loop or a menu that jumps back after a failed ``boot`` runs these
lines again with the earlier images still loaded (a download that failed registers nothing, so
only the paths after a successful load count): the kernel finally booted receives the stale
initrds of the previous attempt (or of another menu entry) in front of its own. Free them on the
way back (``imgfree`` with no name unregisters every image).

Failing::

    #!ipxe
    :retry
    kernel http://boot.example.com/vmlinuz
    initrd http://boot.example.com/initrd.img || goto retry
    boot || goto retry

Passing::

    #!ipxe
    :retry
    imgfree
    kernel http://boot.example.com/vmlinuz
    initrd http://boot.example.com/initrd.img || goto retry
    boot || goto retry
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator

from ipxescript.analysis.diagnostics import Diagnostic, Severity
from ipxescript.lint.context import LintContext
from ipxescript.lint.images import ACCUMULATES, freeing_lines, reach, strict_graph, successors_after
from ipxescript.syntax.tree import Command

CODE = "IPX505"
NAME = "reload-without-imgfree"
SEVERITY = Severity.WARNING


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    loaders = ctx.commands_named(*ACCUMULATES)
    if not loaders:
        return
    freeing = freeing_lines(ctx)
    reported: list[set[int]] = []
    for line, bound in loaders:
        index = line.index
        if index in freeing or not bound.positionals or any(index in loop for loop in reported):
            continue
        again = reach(ctx, successors_after(ctx, line, bound.command), freeing)
        if index not in again:
            continue
        reported.append(again)
        back = _back_jump(ctx, index, bound.command, freeing)
        where = f" (back through line {back})" if back else ""
        yield Diagnostic(
            CODE,
            SEVERITY,
            f"'{bound.name}' can run again{where} while the image it loaded last time is still "
            "registered: every loaded image reaches the next kernel as an initrd, so stale ones pile "
            "up in front of the real one; run 'imgfree' before loading again",
            bound.command.start,
            bound.command.end,
        )


def _back_jump(ctx: LintContext, index: int, loader: Command, freeing: set[int]) -> int | None:
    """The first goto met on the way from the loader (breadth first) that jumps back to it or above."""
    graph = strict_graph(ctx)
    seen = {index}
    queue = deque(j for j in successors_after(ctx, ctx.script.lines[index], loader) if j not in freeing)
    while queue:
        i = queue.popleft()
        if i in seen:
            continue
        seen.add(i)
        if i < len(ctx.flow.lines):
            for jump in ctx.flow.lines[i].jumps:
                target = ctx.labels.get(jump.target) if jump.target else None
                if target is not None and target.index <= index:
                    return ctx.line_number(jump.command.start)
        queue.extend(j for j in graph[i] if j not in seen and j not in freeing)
    return None
