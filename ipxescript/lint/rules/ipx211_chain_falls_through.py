"""A ``chain`` that returns falls into the next section

``chain`` runs a script and, when that script returns (it ran ``exit`` or reached its end, e.g. the
user left a sub-menu), carries on with the next line (``src/core/image.c: image_exec``). When the
``chain`` is the last line of its section, that next line is the start of another section: a
returned sub-menu then runs the installer written below it. (Falling into a section that only
prints an error or opens a shell is not reported.) End the section with a ``goto`` back to
the menu, or use ``chain --replace`` when the script should never come back. (When the failure
handler is that very section, ``chain host.ipxe || goto default`` then ``:default``, both ways lead
there on purpose: not reported.) In a boot tree, where the chained script is one of the tree's files,
this is a warning when that script can return normally (a reachable ``exit``, or a last line it gets
through) and nothing when it only boots; when the script is not known (a remote URL, one file linted
alone) it is a note.

Failing::

    #!ipxe
    :tools
    chain http://boot.example.com/tools.ipxe || goto error
    :install
    kernel http://boot.example.com/installer/vmlinuz
    boot
    :error
    shell

Passing::

    #!ipxe
    :start
    menu Boot
    item tools Tools
    item install Install
    choose target && goto ${target} || goto error
    :tools
    chain --autofree http://boot.example.com/tools.ipxe || goto error
    goto start
    :install
    kernel http://boot.example.com/installer/vmlinuz
    boot
    :error
    shell
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from ipxescript.analysis.diagnostics import Diagnostic, Severity
from ipxescript.lint.context import LintContext
from ipxescript.lint.images import KERNEL_TARGET, boots_from, can_return, last_part
from ipxescript.syntax.tree import Command, LogicalLine

if TYPE_CHECKING:
    from ipxescript.analysis.boottree import TreeFile

CODE = "IPX211"
NAME = "chain-falls-through"
SEVERITY = Severity.WARNING
LEAVES = ("goto", "exit", "reboot", "poweroff", "shell")


def _returns_into_next_line(ctx: LintContext, line: LogicalLine, chain: Command) -> bool:
    """Run the rest of the line as iPXE does when ``chain`` succeeds (``system``: left to right, no
    precedence), taking every later command to succeed: does it reach the end of the line?"""
    index = next(i for i, c in enumerate(line.commands) if c is chain)
    status_ok = True
    for i in range(index + 1, len(line.commands)):
        op = line.operators[i - 1].text
        runs = op == ";" or (op == "&&" and status_ok) or (op == "||" and not status_ok)
        command = line.commands[i]
        if not runs or not command.words:
            continue
        if command.name in LEAVES or (command.name == "chain" and ctx.bound(command).has("replace")):
            return False
        status_ok = True
    return True


def _failure_targets(ctx: LintContext, line: LogicalLine, chain: Command) -> set[str]:
    """Labels the line's gotos after the chain jump to (its failure handlers)."""
    return {
        j.target
        for j in ctx.flow.lines[line.index].jumps
        if j.target is not None and j.command.start > chain.start
    }


def _next_code_line(ctx: LintContext, index: int) -> LogicalLine | None:
    for line in ctx.script.lines[index + 1 :]:
        if line.label is not None or any(c.words for c in line.commands):
            return line
        if line.index in ctx.template_barriers:
            return None
    return None


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    for line, bound in ctx.commands_named("chain"):
        if not bound.positionals or bound.has("replace") or line.index in ctx.template_barriers:
            continue
        if KERNEL_TARGET.search(last_part(bound.positionals[0]).replace("\x00", "")):
            continue  # a kernel or boot loader returns only when it failed to start
        if not ctx.flow.lines[line.index].falls_through or not _returns_into_next_line(
            ctx, line, bound.command
        ):
            continue
        following = _next_code_line(ctx, line.index)
        if following is None or following.label is None or not following.label.name:
            continue
        if following.label.name in _failure_targets(ctx, line, bound.command):
            continue  # 'chain host.ipxe || goto default' then ':default': both ways lead there on purpose
        booting = boots_from(ctx, following.index)
        if booting is None:
            continue  # falling into an error message or a shell is the author's fallback, not a boot
        children = _children(ctx, bound.command)
        if children is not None and not any(can_return(child.model) for child in children):
            continue  # every script it can chain boots or jumps away: it never returns normally
        returning = next((c for c in children or () if can_return(c.model)), None)
        who = f"'{returning.name}'" if returning is not None else "the chained script"
        yield Diagnostic(
            CODE,
            SEVERITY if returning is not None else Severity.INFO,
            f"when {who} returns, execution falls through into ':{following.label.name}' "
            f"(line {ctx.line_number(following.start)}) and loads another image on line "
            f"{ctx.line_number(ctx.script.lines[booting].start)}; add a 'goto' after this line, or "
            "'chain --replace' if the script should not come back",
            bound.command.start,
            bound.command.end,
        )


def _children(ctx: LintContext, chain: Command) -> list[TreeFile] | None:
    """The tree's scripts this ``chain`` can run; None when the tree does not know (one file linted
    alone, a remote or computed target)."""
    tree, here = getattr(ctx, "tree", None), getattr(ctx, "tree_file", None)
    if tree is None or here is None:
        return None
    for edge in tree.edges_from(here):
        if edge.command is chain:
            return list(edge.targets) or None
    return None
