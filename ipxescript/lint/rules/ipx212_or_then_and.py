"""``a || b && c``: no precedence, the ``&&`` part runs when ``a`` succeeds

iPXE runs the commands of a line left to right, and each ``&&``/``||`` looks only at the status of
the last command that ran (``src/core/exec.c: system``); ``&&`` does not bind tighter than ``||``.
In ``a || b && c``, when ``a`` succeeds ``b`` is skipped, the status stays 0, and ``c`` runs. So
``dhcp || echo failed && goto manual`` goes to ``manual`` exactly when DHCP worked. Put the fallback
on a line of its own (``dhcp && goto ok ||`` then ``echo failed`` and ``goto manual``), or jump in
the first part (``a && goto ok || b && c``).

Failing::

    #!ipxe
    dhcp || echo DHCP failed && goto manual
    chain --replace http://boot.example.com/menu.ipxe
    :manual
    shell

Passing::

    #!ipxe
    dhcp && goto network_ok ||
    echo DHCP failed
    goto manual
    :network_ok
    chain --replace http://boot.example.com/menu.ipxe
    :manual
    shell
"""

from __future__ import annotations

from collections.abc import Iterator

from ipxescript.analysis.diagnostics import Diagnostic, Severity
from ipxescript.lint.context import LintContext
from ipxescript.lint.urls import EXECUTES

CODE = "IPX212"
NAME = "or-then-and"
SEVERITY = Severity.WARNING
# Commands used as conditions: 'iseq a || iseq b && goto x' is a deliberate "either" test.
CONDITIONS = ("iseq", "isset", "cpuid", "prompt", "ping", "imgverify", "nslookup")
# Commands whose success leaves the line: 'a && goto x || b && c' never reaches '||' on success.
LEAVES = ("goto", "exit")
# Commands that normally never return when they succeed (an OS or a sub-menu runs).
NO_RETURN = (*EXECUTES, "sanboot")


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    for line in ctx.script.lines:
        commands, ops = line.commands, line.operators
        if len(ops) < 2:
            continue  # most lines: one operator at most
        for i in range(len(ops) - 1):
            if ops[i].text != "||" or ops[i + 1].text != "&&":
                continue
            left, middle, right = commands[i], commands[i + 1], commands[i + 2]
            if not (left.words and middle.words and right.words):
                continue
            if left.name in LEAVES or left.name in NO_RETURN or middle.name in CONDITIONS:
                continue
            first = next((c for c in commands[: i + 1] if c.words), left)
            yield Diagnostic(
                CODE,
                SEVERITY,
                f"iPXE has no precedence between '||' and '&&': when '{left.name}' succeeds, "
                f"'{middle.name}' is skipped but the status stays 0, so '{right.name}' still runs; "
                "put the fallback on its own line",
                first.start,
                right.end,
            )
