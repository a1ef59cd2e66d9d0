"""Missing option argument, or a flag given a value

An option that takes an argument needs one (and it may not start with ``-``); a flag given a
value (``--keep=1``) is an error too. Both fail with "requires an argument"/"takes no argument" and end
the script (src/core/getopt.c). Detected by the language core.

Failing::

    #!ipxe
    prompt --timeout

Passing::

    #!ipxe
    prompt --timeout 5000 ||
"""

from __future__ import annotations

from ipxescript.analysis.diagnostics import Diagnostic, Severity
from ipxescript.lint.context import LintContext

CODE = "IPX103"
NAME = "option-argument"
SEVERITY = Severity.ERROR
CORE = True


def check(ctx: LintContext) -> list[Diagnostic]:
    return ctx.core(CODE)
