"""Label name used as a command (missing ``goto``)

``cmd || failed`` where ``:failed`` is a label runs a command called ``failed``, which does not exist:
it prints "command not found" and the script ends. The author meant ``cmd || goto failed``. The fix
inserts ``goto``. A command that the script reaches straight from its own label with nothing on the
way that waits or changes anything (``:shutdown`` then ``shutdown``) is not a missing ``goto``: jumping
back there would loop forever (IPX208), so it is left to IPX101 (unknown command). Going back to a
label above through a menu is what the author meant (``choose os || start`` under ``:start menu``).

Failing::

    #!ipxe
    dhcp || failed
    chain http://boot.example.com/boot.ipxe
    :failed
    echo DHCP failed

Passing::

    #!ipxe
    dhcp || goto failed
    chain http://boot.example.com/boot.ipxe
    :failed
    echo DHCP failed
"""

from __future__ import annotations

from collections.abc import Iterator

from ipxescript.analysis.diagnostics import Diagnostic, Edit, Fix, Severity
from ipxescript.lint.context import LintContext
from ipxescript.lint.rules.ipx208_stuck_loop import STATIC
from ipxescript.syntax.tree import Command, LogicalLine

CODE = "IPX205"
NAME = "missing-goto"
SEVERITY = Severity.ERROR
SUPERSEDES = ("IPX101",)


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    labels = ctx.labels
    # the names run as commands that are labels and not commands: most scripts have none
    names = [name for name in ctx.command_names & labels.keys() if not ctx.known_command(name)]
    for line, bound in ctx.commands_named(*names) if names else ():
        name = bound.name
        if name is None or _goto_would_spin(ctx, labels[name], line, bound.command):
            continue
        word = bound.command.words[0]
        yield Diagnostic(
            CODE,
            SEVERITY,
            f"'{name}' is a label, not a command: this runs a command '{name}' (not found, the script ends); "
            f"write 'goto {name}'",
            word.start,
            word.end,
            Fix(f"insert 'goto' before '{name}'", (Edit(word.start, word.start, "goto "),)),
        )


def _goto_would_spin(ctx: LintContext, label: LogicalLine, line: LogicalLine, command: Command) -> bool:
    """Whether 'goto' here would fall from ``label`` straight back down to it through commands that
    neither wait nor change anything (IPX208's endless loop): then the author did not mean 'goto'."""
    if label.index > line.index:
        return False
    flows = ctx.flow.lines
    if not all(flows[i].falls_through for i in range(label.index, line.index)):
        return False
    before = [c for earlier in ctx.script.lines[label.index : line.index] for c in earlier.commands]
    before += line.commands[: next(i for i, c in enumerate(line.commands) if c is command)]
    return all(not c.words or c.name in STATIC for c in before)
