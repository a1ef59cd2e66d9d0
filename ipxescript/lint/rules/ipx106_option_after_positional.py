"""Option written after the first positional argument

iPXE stops reading options at the first positional word, so an option written later is plain
text: ``item linux --key l Linux`` shows "--key l Linux" and ``chain url --autofree`` passes
``--autofree`` to the image. The fix moves the option (with its value) before the positional; an
option that needs a value and has none after it (``imgfetch url --name``) gets no fix, since in front
it would take the URL as its value. A word inside a double-quoted kernel parameter
(``early_command="udhcpc -n -q"``, the kernel reads the quotes) is an argument on purpose and is not
reported. Detected by the language core.

Failing::

    #!ipxe
    chain http://boot.example.com/boot.ipxe --autofree

Passing::

    #!ipxe
    chain --autofree http://boot.example.com/boot.ipxe

Passing::

    #!ipxe
    kernel http://boot.example.com/vmlinuz
    imgargs vmlinuz auto=true preseed/early_command="udhcpc -n -q -T 5" priority=critical
    boot
"""

from __future__ import annotations

from ipxescript.analysis.diagnostics import Diagnostic, Severity
from ipxescript.lint.context import LintContext

CODE = "IPX106"
NAME = "option-after-positional"
SEVERITY = Severity.WARNING
CORE = True


def check(ctx: LintContext) -> list[Diagnostic]:
    return ctx.core(CODE)
