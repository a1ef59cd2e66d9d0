"""Unsigned value compared with a decimal number

iPXE shows ``uint8``, ``uint16`` and ``uint32`` settings in hexadecimal with ``0x`` (``${errno}``,
``${unixtime}``, ``${busloc}``, a counter made with ``set n:uint8 0``). ``iseq`` compares text, so
``iseq ${errno} 0`` compares ``0x0`` with ``0`` and always fails, and a loop waiting for ``iseq ${n} 3``
never ends. The fix writes the number the way iPXE shows it (``0x3``), or use an ``int32`` counter.

Failing::

    #!ipxe
    chain http://boot.example.com/menu.ipxe ||
    iseq ${errno} 0 && echo ok ||

Passing::

    #!ipxe
    chain http://boot.example.com/menu.ipxe ||
    iseq ${errno} 0x0 && echo ok ||
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ipxescript.analysis.diagnostics import Diagnostic, Edit, Fix, Severity
from ipxescript.lint.context import LintContext
from ipxescript.syntax.tree import Reference, Word

CODE = "IPX410"
NAME = "unsigned-decimal-compare"
SEVERITY = Severity.WARNING

DECIMAL = re.compile(r"[0-9]+")
UNSIGNED = ("uint8", "uint16", "uint32", "uint64")


def _typed_names(ctx: LintContext) -> dict[str, str]:
    """Settings this script stores with an explicit type (``set n:uint8 0``)."""
    out: dict[str, str] = {}
    for _line, bound in ctx.commands_named("set"):
        if bound.positionals and bound.positionals[0].is_literal:
            name, _colon, kind = bound.positionals[0].text.rpartition("/")[2].partition(":")
            if kind:
                out[name] = kind
    return out


def _unsigned_type(ctx: LintContext, word: Word, typed: dict[str, str]) -> str | None:
    if len(word.parts) != 1 or not isinstance(word.parts[0], Reference) or not word.parts[0].is_static:
        return None
    ref = word.parts[0]
    if ref.type is not None:
        return ref.type if ref.type in UNSIGNED else None
    kind = typed.get(ref.setting)
    if kind is None:
        specs = ctx.catalog.settings.get(ref.setting, [])
        kind = specs[0].type if specs and all(s.type == specs[0].type for s in specs) else None
    return kind if kind in UNSIGNED else None


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    typed: dict[str, str] | None = None
    for _line, bound in ctx.commands_named("iseq"):
        args = bound.positionals
        if len(args) != 2:
            continue
        if typed is None:
            typed = _typed_names(ctx)
        for value, number in ((args[0], args[1]), (args[1], args[0])):
            kind = _unsigned_type(ctx, value, typed)
            if kind is None or not number.is_literal or not DECIMAL.fullmatch(number.text):
                continue
            shown = hex(int(number.text))
            yield Diagnostic(
                CODE,
                SEVERITY,
                f"'{value.text}' is a {kind} value, which iPXE shows in hexadecimal ('{shown}'), so comparing "
                f"it with '{number.text}' never matches; write '{shown}'",
                number.start,
                number.end,
                Fix(f"write '{shown}'", (Edit(number.start, number.end, shown),), safe=False),
            )
            break
