"""Unknown command

The first word of a command must name one of iPXE's commands exactly (case-sensitive). An unknown
name prints ``<name>: command not found`` and the failure ends the script. The message suggests close
command names. Detected by the language core (src/core/exec.c: execv).

Failing::

    #!ipxe
    echoo hello

Passing::

    #!ipxe
    echo hello
"""

from __future__ import annotations

from ipxescript.analysis.diagnostics import Diagnostic, Severity
from ipxescript.lint.context import LintContext

CODE = "IPX101"
NAME = "unknown-command"
SEVERITY = Severity.ERROR
CORE = True


def check(ctx: LintContext) -> list[Diagnostic]:
    return ctx.core(CODE)
