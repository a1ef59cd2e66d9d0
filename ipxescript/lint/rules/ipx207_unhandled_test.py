"""A test whose failure ends the script by surprise

Any line whose final status is a failure ends the script. ``isset ${x} && cmd`` is the classic trap:
when ``x`` is empty, ``isset`` fails, ``&&`` skips ``cmd``, and the line -- and the script -- fail. End
such a line with ``||`` (an empty command that succeeds) or handle the other case with ``|| goto``.
Applies to the commands that scripts use as tests: ``isset``, ``iseq``, ``cpuid``, ``prompt``,
``imgstat NAME``, ``pciscan``, ``usbscan`` (``imgstat`` alone lists the images and cannot fail). The
fix (unsafe) appends ``||``. ``choose x && goto ${x}`` is the same shape (Esc makes ``choose`` fail and
ends the script); as the ipxe.org examples use it on purpose, it is only an info.

Failing::

    #!ipxe
    isset ${proxy} && set http-proxy ${proxy}
    chain http://boot.example.com/boot.ipxe

Passing::

    #!ipxe
    isset ${proxy} && set http-proxy ${proxy} ||
    chain http://boot.example.com/boot.ipxe
"""

from __future__ import annotations

from collections.abc import Iterator

from ipxescript.analysis.diagnostics import Diagnostic, Edit, Fix, Severity
from ipxescript.lint.context import LintContext

CODE = "IPX207"
NAME = "unhandled-test-failure"
SEVERITY = Severity.WARNING
TESTS = ("isset", "iseq", "cpuid", "prompt", "imgstat", "pciscan", "usbscan", "choose")


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    flow = ctx.flow
    # the lines that run a test (the index), each once, in file order
    for line in dict.fromkeys(line for line, _bound in ctx.commands_named(*TESTS)):
        ops = [op.text for op in line.operators]
        for i, command in enumerate(line.commands):
            if command.name not in TESTS or i >= len(ops) or ops[i] != "&&":
                continue
            if "fail" not in flow.outcomes(command):
                continue
            if command.name == "imgstat" and not ctx.bound(command).positionals:
                continue  # with no names it lists every image (none is fine): it cannot fail
            if any(op in ("||", ";") for op in ops[i:]):
                continue
            severity = Severity.INFO if command.name == "choose" else SEVERITY
            last = line.commands[-1]
            end = last.end if last.words else line.operators[-1].end
            yield Diagnostic(
                CODE,
                severity,
                f"when '{command.name}' fails, '&&' skips the rest and this line fails, which ends the script; "
                "end the line with '||' or handle the other case with '|| goto ...'",
                command.start,
                command.end,
                Fix("append '||' to the line", (Edit(end, end, " ||"),), safe=False),
            )
