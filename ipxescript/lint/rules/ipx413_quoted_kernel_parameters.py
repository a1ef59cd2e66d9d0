"""Quotes around several kernel parameters

iPXE has no quoting: it splits the line at spaces and joins the words after the kernel's name into
its command line with the quotes still in it (``src/core/image.c: image_set_cmdline``). Linux then
reads a double quote at the start of a parameter as quoting *its value*: ``"console=ttyS0 quiet"``
is one parameter ``console`` whose value is ``ttyS0 quiet``, so the console is wrong and ``quiet`` is
never seen. Write the parameters without quotes; quote only a value that has spaces
(``param="a b"``).

Failing::

    #!ipxe
    kernel http://boot.example.com/vmlinuz "console=ttyS0,115200 quiet"
    boot

Passing::

    #!ipxe
    kernel http://boot.example.com/vmlinuz console=ttyS0,115200 quiet
    boot
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ipxescript.analysis.diagnostics import Diagnostic, Edit, Fix, Severity
from ipxescript.lint.context import LintContext
from ipxescript.syntax.tree import Literal, Word

CODE = "IPX413"
NAME = "quoted-kernel-parameters"
SEVERITY = Severity.WARNING
# Commands whose words after the image become the image's command line.
CMDLINE = ("kernel", "imgargs", "chain", "boot", "imgexec", "imgselect", "imgload")
PARAMETER = re.compile(r'^[A-Za-z_][\w.-]*(=[^"]*)?"?$')


def _text(word: Word) -> str:
    return "".join(p.value if isinstance(p, Literal) else "x" for p in word.parts)


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    if '"' not in ctx.script.text:
        return  # most scripts: no double quote anywhere
    for line, bound in ctx.commands_named(*CMDLINE):
        if '"' not in line.text:
            continue
        args = bound.positionals[1:]
        i = 0
        while i < len(args):
            first = _text(args[i])
            if not first.startswith('"') or first.count('"') % 2 == 0:
                i += 1
                continue
            j = i + 1
            while j < len(args) and '"' not in _text(args[j]):
                j += 1
            if j >= len(args):
                break  # never closed: the kernel reads the rest of the line as one value
            span = [_text(w) for w in args[i + 1 : j + 1]]
            closing = _text(args[j])
            if PARAMETER.match(first[1:]) and all(PARAMETER.match(t) for t in span) and closing.endswith('"'):
                name = first[1:].split("=", 1)[0]
                edits = (
                    Edit(args[i].start, args[i].start + 1, ""),
                    Edit(args[j].end - 1, args[j].end, ""),
                )
                yield Diagnostic(
                    CODE,
                    SEVERITY,
                    f"iPXE passes these quotes on, and Linux reads everything up to the closing quote as one "
                    f"parameter '{name}' (the other {len(span)} word(s) become part of its value); "
                    "drop the quotes",
                    args[i].start,
                    args[j].end,
                    fix=Fix("remove the quotes", edits, safe=False),
                )
            i = j + 1
