"""Unknown option

iPXE's option parser knows only the options each command declares, with full long names (no
abbreviations: ``--time`` is not ``--timeout``). An unknown option prints ``Unrecognised option`` and
fails, which ends the script (src/core/getopt.c). Detected by the language core.

Failing::

    #!ipxe
    chain --time 5000 http://boot.example.com/boot.ipxe

Passing::

    #!ipxe
    chain --timeout 5000 http://boot.example.com/boot.ipxe
"""

from __future__ import annotations

from ipxescript.analysis.diagnostics import Diagnostic, Severity
from ipxescript.lint.context import LintContext

CODE = "IPX102"
NAME = "unknown-option"
SEVERITY = Severity.ERROR
CORE = True


def check(ctx: LintContext) -> list[Diagnostic]:
    return ctx.core(CODE)
