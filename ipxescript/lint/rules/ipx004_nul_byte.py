"""NUL byte in a line

iPXE handles each line as a C string, so everything after a NUL byte on that line is silently
ignored. Usually the file was saved in the wrong encoding (UTF-16) or is binary. Detected by the language
core; this module documents it.

Failing::

    #!ipxe
    echo before\\x00after (a NUL byte)

Passing::

    #!ipxe
    echo before after
"""

from __future__ import annotations

from ipxescript.analysis.diagnostics import Diagnostic, Severity
from ipxescript.lint.context import LintContext

CODE = "IPX004"
NAME = "nul-byte"
SEVERITY = Severity.WARNING
CORE = True


def check(ctx: LintContext) -> list[Diagnostic]:
    return ctx.core(CODE)
