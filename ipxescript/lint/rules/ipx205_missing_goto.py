"""Label name used as a command (missing ``goto``)

``cmd || failed`` where ``:failed`` is a label runs a command called ``failed``, which does not exist:
it prints "command not found" and the script ends. The author meant ``cmd || goto failed``. The fix
inserts ``goto``. A command that the script reaches straight from its own label (``:shutdown`` then
``shutdown``) is not a missing ``goto``: jumping back there would loop forever, so it is left to
IPX101 (unknown command).

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
from ipxescript.syntax.tree import LogicalLine

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
        if name is None or _falls_from_label(ctx, labels[name], line):
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


def _falls_from_label(ctx: LintContext, label: LogicalLine, line: LogicalLine) -> bool:
    """Whether the script falls from ``label``'s line down to ``line`` (so 'goto' would loop)."""
    flows = ctx.flow.lines
    return label.index <= line.index and all(flows[i].falls_through for i in range(label.index, line.index))
