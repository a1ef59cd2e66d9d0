"""Invalid integer, timeout or key

Integers are read with C ``strtoul`` base 0: ``10``, ``0x1f``, ``017`` (octal!). ``08``, ``5s``
and ``2.5`` are invalid and fail the command (src/core/parseopt.c: parse_integer). ``sleep`` takes whole
seconds, ``--timeout`` milliseconds. Detected by the language core.

Failing::

    #!ipxe
    sleep 5s

Passing::

    #!ipxe
    sleep 5
"""

from __future__ import annotations

from ipxescript.analysis.diagnostics import Diagnostic, Severity
from ipxescript.lint.context import LintContext

CODE = "IPX105"
NAME = "invalid-value"
SEVERITY = Severity.ERROR
CORE = True


def check(ctx: LintContext) -> list[Diagnostic]:
    return ctx.core(CODE)
