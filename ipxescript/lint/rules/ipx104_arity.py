"""Wrong number of positional arguments

Each command takes a fixed range of positional arguments (``goto`` exactly one, ``kernel`` at
least one, ``set`` at least one). Too few or too many print the usage and fail with ERANGE, ending the
script (src/core/parseopt.c: reparse_options). Detected by the language core.

Failing::

    #!ipxe
    :exit
    goto exit 0

Passing::

    #!ipxe
    goto done
    :done
"""

from __future__ import annotations

from ipxescript.analysis.diagnostics import Diagnostic, Severity
from ipxescript.lint.context import LintContext

CODE = "IPX104"
NAME = "argument-count"
SEVERITY = Severity.ERROR
CORE = True


def check(ctx: LintContext) -> list[Diagnostic]:
    return ctx.core(CODE)
