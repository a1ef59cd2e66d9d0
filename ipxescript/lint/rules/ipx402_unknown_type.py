"""Unknown setting type suffix

The type after ``:`` in ``${name:type}`` must be one of iPXE's setting types (``hex``,
``hexhyp``, ``ipv4``, ``uristring``, ...). An unknown type expands to an empty string, silently.
Detected by the language core, with a did-you-mean.

Failing::

    #!ipxe
    echo ${mac:hexhpy}

Passing::

    #!ipxe
    echo ${mac:hexhyp}
"""

from __future__ import annotations

from ipxescript.analysis.diagnostics import Diagnostic, Severity
from ipxescript.lint.context import LintContext

CODE = "IPX402"
NAME = "unknown-type"
SEVERITY = Severity.ERROR
CORE = True


def check(ctx: LintContext) -> list[Diagnostic]:
    return ctx.core(CODE)
