"""Comment ending in ``\\`` swallows the next line

Backslash continuation applies to every line, comments included: a comment that ends in ``\\`` joins
the next line to the comment, so that line never runs. This is almost never meant (often an ASCII-art
rule or a commented-out continued command). The fix (unsafe: the next line starts running) removes
the backslash.

Failing::

    #!ipxe
    # load the kernel \\
    kernel http://boot.example.com/vmlinuz
    boot

Passing::

    #!ipxe
    # load the kernel
    kernel http://boot.example.com/vmlinuz
    boot
"""

from __future__ import annotations

from collections.abc import Iterator

from ipxescript.analysis.diagnostics import Diagnostic, Edit, Fix, Severity
from ipxescript.lint.context import LintContext

CODE = "IPX003"
NAME = "comment-continuation"
SEVERITY = Severity.WARNING


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    script = ctx.script
    text = script.text
    for line in script.lines:
        comment = line.comment
        if comment is None or line.unterminated or line.last_line == line.first_line:
            continue  # most lines: no comment, or one physical line
        first = script.position(comment.start)[0]
        last = line.last_line
        if last <= first:
            continue
        swallowed = [
            text[
                script.line_starts[n] : (
                    script.line_starts[n + 1] if n + 1 < len(script.line_starts) else len(text)
                )
            ]
            for n in range(first + 1, last + 1)
        ]
        meaningful = [s for s in swallowed if s.strip(" \t\r\n\v\f\\") and not s.strip().startswith("#")]
        if not meaningful:
            continue
        end_of_first = script.line_starts[first + 1] - 1  # the "\n"
        backslash = end_of_first - 1
        if text[backslash] == "\r":
            backslash -= 1
        if text[backslash] != "\\":
            continue
        yield Diagnostic(
            CODE,
            SEVERITY,
            f"this comment ends in '\\', which joins line {first + 2} to the comment: that line never runs; "
            "remove the backslash",
            backslash,
            backslash + 1,
            Fix("remove the trailing backslash", (Edit(backslash, backslash + 1, ""),), safe=False),
        )
