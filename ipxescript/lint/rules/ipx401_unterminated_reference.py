"""Unterminated ``${``

A ``${`` with no closing ``}`` in the same word is kept as literal text by iPXE, so the setting is
never expanded (src/core/settings.c: expand_settings). Detected by the language core.

Failing::

    #!ipxe
    echo ${hostname

Passing::

    #!ipxe
    echo ${hostname}
"""

from __future__ import annotations

from ipxescript.analysis.diagnostics import Diagnostic, Severity
from ipxescript.lint.context import LintContext

CODE = "IPX401"
NAME = "unterminated-reference"
SEVERITY = Severity.WARNING
CORE = True


def check(ctx: LintContext) -> list[Diagnostic]:
    return ctx.core(CODE)
