"""Implausibly small millisecond timeout

Every ``--timeout``/``--retimeout`` in iPXE is in milliseconds (only ``sleep`` counts seconds), so
``choose --timeout 5`` gives the user five thousandths of a second. A value below 100 ms is almost
certainly seconds written by mistake. The fix (unsafe) multiplies it by 1000.

Failing::

    #!ipxe
    prompt --timeout 3 Press any key ||

Passing::

    #!ipxe
    prompt --timeout 3000 Press any key ||
"""

from __future__ import annotations

from collections.abc import Iterator

from ipxescript.analysis.binding import OptionValue
from ipxescript.analysis.diagnostics import Diagnostic, Edit, Fix, Severity
from ipxescript.catalog import Catalog
from ipxescript.lint.context import LintContext, catalog_fact
from ipxescript.lint.values import parse_ipxe_integer
from ipxescript.syntax.tree import Reference

CODE = "IPX108"
NAME = "tiny-timeout"
SEVERITY = Severity.WARNING
THRESHOLD_MS = 100


def _timeout_options(ctx: LintContext) -> Iterator[OptionValue]:
    timed = _timed_options(ctx.catalog)
    names = timed.keys() & ctx.command_names
    for _line, bound in ctx.commands_named(*names) if names else ():
        if bound.spec is None or not bound.options:
            continue
        milliseconds = timed[bound.name or ""]
        for opt in bound.options:
            if opt.name in milliseconds and opt.value is not None:
                yield opt


@catalog_fact
def _timed_options(catalog: Catalog) -> dict[str, frozenset[str]]:
    """Command -> its options that take milliseconds, for the commands that have some (few do)."""
    out = {}
    for name, spec in catalog.commands.items():
        first: dict[str, str | None] = {}  # an option's first spec decides, as in the binding
        for option in spec.all_options:
            first.setdefault(option.name, option.argument_kind)
        timed = frozenset(o for o, kind in first.items() if kind == "timeout_ms")
        if timed:
            out[name] = timed
    return out


def _report(value: int, text: str, start: int, end: int, what: str) -> Diagnostic:
    return Diagnostic(
        CODE,
        SEVERITY,
        f"{what} is {value} millisecond{'s' if value != 1 else ''}: iPXE timeouts are in milliseconds, so did "
        f"you mean {value * 1000} ({value} s)?",
        start,
        end,
        Fix(f"use {value * 1000} ms", (Edit(start, end, str(value * 1000)),), safe=False),
    )


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    through: dict[str, int] = {}  # setting -> line of a timeout option that uses ${setting}
    for opt in _timeout_options(ctx):
        word = opt.value_word
        if word is not None and not word.is_literal:
            parts = word.parts
            if len(parts) == 1 and isinstance(parts[0], Reference) and parts[0].is_static:
                through.setdefault(parts[0].setting, ctx.line_number(opt.start))
            continue
        assert opt.value is not None
        value = parse_ipxe_integer(opt.value)
        if value is not None and 0 < value < THRESHOLD_MS:
            yield _report(value, opt.value, opt.start, opt.end, f"--{opt.name} {opt.value}")
    if not through:
        return
    # set menu-timeout 5 ... choose --timeout ${menu-timeout}: report where the number is written
    for _line, bound in ctx.commands_named("set"):
        if len(bound.positionals) != 2 or not all(w.is_literal for w in bound.positionals):
            continue
        name = bound.positionals[0].text.split("/")[-1].split(":")[0]
        if name not in through:
            continue
        word = bound.positionals[1]
        value = parse_ipxe_integer(word.text)
        if value is not None and 0 < value < THRESHOLD_MS:
            yield _report(
                value, word.text, word.start, word.end, f"'{name}' (a --timeout on line {through[name]})"
            )
