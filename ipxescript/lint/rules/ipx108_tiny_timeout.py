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

from ipxescript.analysis.diagnostics import Diagnostic, Edit, Fix, Severity
from ipxescript.lint.context import LintContext
from ipxescript.lint.values import parse_ipxe_integer

CODE = "IPX108"
NAME = "tiny-timeout"
SEVERITY = Severity.WARNING
THRESHOLD_MS = 100


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    for _line, bound in ctx.commands:
        spec = bound.spec
        if spec is None:
            continue
        for opt in bound.options:
            option_spec = next((o for o in spec.all_options if o.name == opt.name), None)
            if option_spec is None or option_spec.argument_kind != "timeout_ms" or opt.value is None:
                continue
            if opt.value_word is not None and not opt.value_word.is_literal:
                continue
            value = parse_ipxe_integer(opt.value)
            if value is None or not 0 < value < THRESHOLD_MS:
                continue
            yield Diagnostic(
                CODE,
                SEVERITY,
                f"--{opt.name} {opt.value} is {value} millisecond{'s' if value != 1 else ''}: iPXE timeouts are "
                f"in milliseconds, so did you mean {value * 1000} ({value} s)?",
                opt.start,
                opt.end,
                Fix(f"use {value * 1000} ms", (Edit(opt.start, opt.end, str(value * 1000)),), safe=False),
            )
