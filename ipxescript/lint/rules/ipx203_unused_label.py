"""Unused label

No ``goto`` in the script can reach this label (neither by name nor through a ``goto ${...}`` whose
value could be it). Often a typo in the label or in the ``goto``; otherwise it is dead weight.

Failing::

    #!ipxe
    :start
    echo hello

Passing::

    #!ipxe
    :start
    echo hello
    prompt Press a key to run again && goto start ||
"""

from __future__ import annotations

from collections.abc import Iterator

from ipxescript.analysis.diagnostics import Diagnostic, Severity
from ipxescript.lint.context import LintContext

CODE = "IPX203"
NAME = "unused-label"
SEVERITY = Severity.INFO


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    flow = ctx.flow
    # a label written as a command (missing goto, IPX205) is meant to be used: one finding is enough
    as_commands = ctx.command_names
    labels = ctx.labels
    masked = bool(ctx.masked)
    unused = []
    for label, line in ctx.label_list:
        name = label.name
        if not name or labels[name] is not line or (masked and ctx.overlaps_mask(label.start, label.end)):
            continue
        if not flow.label_is_targeted(name) and name not in as_commands:
            unused.append(label)
    if not unused:
        return
    written: dict[str, int] = {}  # label -> a goto naming it that can never run
    for _line, bound in ctx.commands_named("goto"):
        if len(bound.positionals) == 1 and bound.positionals[0].is_literal:
            written.setdefault(bound.positionals[0].text, bound.command.start)
    for label in unused:
        if label.name in written:
            message = (
                f"label ':{label.name}' is only the target of a goto that can never run "
                f"(line {ctx.line_number(written[label.name])})"
            )
        else:
            message = f"label ':{label.name}' is never the target of a goto"
        yield Diagnostic(CODE, SEVERITY, message, label.start, label.end)
