"""File ends inside a backslash continuation

A line ending in ``\\`` is joined with the next one. When the file ends right after such a line, iPXE
drops the unfinished line without running it and the script fails with "Invalid argument"
(src/image/script.c: process_script). Detected by the language core; this module documents it.

Failing::

    #!ipxe
    echo last line \\

Passing::

    #!ipxe
    echo last line
"""

from __future__ import annotations

from ipxescript.analysis.diagnostics import Diagnostic, Severity
from ipxescript.lint.context import LintContext

CODE = "IPX002"
NAME = "eof-in-continuation"
SEVERITY = Severity.ERROR
CORE = True


def check(ctx: LintContext) -> list[Diagnostic]:
    return ctx.core(CODE)
