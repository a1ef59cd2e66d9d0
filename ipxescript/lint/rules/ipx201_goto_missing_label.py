"""``goto`` to a label that does not exist

``goto`` searches the current script for a line ``:name`` (exact, case-sensitive). When there is none
it fails with "no such label" and, unless the failure is handled with ``||``, the script ends. The
message suggests close label names.

Failing::

    #!ipxe
    goto strat
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
from ipxescript.lint.context import LintContext, did_you_mean

CODE = "IPX201"
NAME = "goto-missing-label"
SEVERITY = Severity.ERROR


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    labels = ctx.labels
    if ctx.has_template_labels:
        return  # a label written with template text could have any name once rendered
    for _line, bound in ctx.commands_named("goto"):
        if len(bound.positionals) != 1 or bound.option_words:
            continue
        word = bound.positionals[0]
        if not word.is_literal or word.text in labels:
            continue
        if word.text.startswith(":") and word.text[1:] in labels:
            continue  # IPX210 explains the colon
        names = [n for n in labels if n]
        guesses = did_you_mean(word.text, names, cutoff=0.6)
        hint = f"; did you mean '{guesses[0]}'?" if guesses else ""
        fix = None
        if len(guesses) == 1:
            fix = Fix(f"goto {guesses[0]}", (Edit(word.start, word.end, guesses[0]),), safe=False)
        yield Diagnostic(
            CODE,
            SEVERITY,
            f"no label ':{word.text}' in this script: goto fails with 'no such label'{hint}",
            word.start,
            word.end,
            fix,
            tuple(guesses),
        )
