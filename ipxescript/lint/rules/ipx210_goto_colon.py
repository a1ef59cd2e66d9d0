"""``goto :label``

The target of ``goto`` is the label's name without the colon: ``goto :start`` looks for a label
literally named ``:start`` (a line ``::start``), fails and ends the script. The fix removes the colon.

Failing::

    #!ipxe
    goto :start
    :start
    echo hello

Passing::

    #!ipxe
    goto start
    :start
    echo hello
"""

from __future__ import annotations

from collections.abc import Iterator

from ipxescript.analysis.diagnostics import Diagnostic, Edit, Fix, Severity
from ipxescript.lint.context import LintContext

CODE = "IPX210"
NAME = "goto-with-colon"
SEVERITY = Severity.ERROR


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    labels = ctx.labels
    # only a literal target with a colon that names no label can be reported: found by the flow's index
    colons = [name for name in ctx.flow.missing_goto_targets() if name.startswith(":")]
    if not colons:
        return
    lines = ctx.flow.lines_with_goto_to(colons)
    for bound in (ctx.bound(c) for line in lines for c in line.commands if c.name == "goto"):
        if len(bound.positionals) != 1:
            continue
        word = bound.positionals[0]
        if not word.is_literal or not word.text.startswith(":") or word.text in labels:
            continue
        name = word.text[1:]
        fix = Fix(f"goto {name}", (Edit(word.start, word.start + 1, ""),), safe=name in labels)
        yield Diagnostic(
            CODE,
            SEVERITY,
            f"goto takes the label name without ':': 'goto {word.text}' looks for a label named '{word.text}'; "
            f"write 'goto {name}'",
            word.start,
            word.end,
            fix,
        )
