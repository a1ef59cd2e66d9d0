"""``isset`` on a setting name instead of its value

``isset`` tests whether its argument is non-empty; it does not look a name up. ``isset hostname``
tests the literal text ``hostname`` and is always true. Write ``isset ${hostname}``. The fix (unsafe)
wraps the name in ``${...}``.

Failing::

    #!ipxe
    isset filename || goto no_file
    chain ${filename}
    :no_file

Passing::

    #!ipxe
    isset ${filename} || goto no_file
    chain ${filename}
    :no_file
"""

from __future__ import annotations

from collections.abc import Iterator

from ipxescript.analysis.diagnostics import Diagnostic, Edit, Fix, Severity
from ipxescript.lint.context import LintContext

CODE = "IPX407"
NAME = "isset-literal"
SEVERITY = Severity.WARNING


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    for _line, bound in ctx.commands_named("isset"):
        if len(bound.positionals) != 1 or not bound.positionals[0].is_literal:
            continue
        word = bound.positionals[0]
        yield Diagnostic(
            CODE,
            SEVERITY,
            f"'isset {word.text}' tests the text '{word.text}', which is never empty, so it always succeeds; "
            f"did you mean 'isset ${{{word.text}}}'?",
            word.start,
            word.end,
            Fix(f"test ${{{word.text}}}", (Edit(word.start, word.end, "${" + word.text + "}"),), safe=False),
        )
