"""``--help`` in a script

Every command accepts ``-h``/``--help``: it prints the usage and returns ECANCELED -- a failure,
which ends the script. It has no place in a script. Detected by the language core.

Failing::

    #!ipxe
    chain --help

Passing::

    #!ipxe
    chain http://boot.example.com/boot.ipxe
"""

from __future__ import annotations

from ipxescript.analysis.diagnostics import Diagnostic, Severity
from ipxescript.lint.context import LintContext

CODE = "IPX107"
NAME = "help-in-script"
SEVERITY = Severity.ERROR
CORE = True


def check(ctx: LintContext) -> list[Diagnostic]:
    return ctx.core(CODE)
