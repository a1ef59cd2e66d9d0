"""``iseq`` comparing two fixed texts

``iseq`` compares its two arguments as text after ``${...}`` expansion. When neither argument holds a
reference the result never changes: ``iseq platform efi`` compares the word ``platform`` with ``efi``
and always fails. Usually a ``${...}`` was forgotten. The fix (unsafe) wraps the first argument when
it names a setting.

Failing::

    #!ipxe
    iseq platform efi && goto efi || goto bios
    :efi
    chain http://boot.example.com/ipxe.efi
    :bios
    chain http://boot.example.com/undionly.kpxe

Passing::

    #!ipxe
    iseq ${platform} efi && goto efi || goto bios
    :efi
    chain http://boot.example.com/ipxe.efi
    :bios
    chain http://boot.example.com/undionly.kpxe
"""

from __future__ import annotations

from collections.abc import Iterator

from ipxescript.analysis.diagnostics import Diagnostic, Edit, Fix, Severity
from ipxescript.analysis.settings import settings
from ipxescript.lint.context import LintContext

CODE = "IPX408"
NAME = "iseq-literal"
SEVERITY = Severity.WARNING


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    model = None
    for _line, bound in ctx.commands_named("iseq"):
        args = bound.positionals
        if len(args) != 2 or not all(w.is_literal for w in args):
            continue
        if model is None:
            model = settings(ctx)
        known = set(ctx.catalog.settings) | set(ctx.catalog.builtin_settings) | model.written_names
        named = next((w for w in args if w.text in known), None)
        outcome = "always succeeds" if args[0].text == args[1].text else "always fails"
        hint = f"; did you mean '${{{named.text}}}'?" if named is not None else ""
        fix = None
        if named is not None:
            fix = Fix(
                f"compare ${{{named.text}}}",
                (Edit(named.start, named.end, "${" + named.text + "}"),),
                safe=False,
            )
        yield Diagnostic(
            CODE,
            SEVERITY,
            f"'iseq {args[0].text} {args[1].text}' compares two fixed texts and {outcome}{hint}",
            bound.command.start,
            bound.command.end,
            fix,
        )
