"""``inc`` on a setting stored as a string

``set i 0`` stores the text ``0`` with the type ``string`` (the default for a name iPXE does not
predefine). ``inc`` adds only to numeric settings, so ``inc i`` then fails with "Operation not
supported" and, unless handled, ends the script. A setting that does not exist yet is fine: ``inc``
creates it as ``int32`` 0. The fix gives the ``set`` a numeric type: ``set i:int32 0``.

Failing::

    #!ipxe
    set i 0
    :loop
    inc i
    iseq ${i} 3 || goto loop
    echo done

Passing::

    #!ipxe
    set i:int32 0
    :loop
    inc i
    iseq ${i} 3 || goto loop
    echo done
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ipxescript.analysis.diagnostics import Diagnostic, Edit, Fix, Severity
from ipxescript.lint.context import LintContext
from ipxescript.syntax.tree import Word

CODE = "IPX409"
NAME = "inc-string-setting"
SEVERITY = Severity.ERROR

INTEGER = re.compile(r"-?(0x[0-9a-fA-F]+|[0-9]+)")
NUMERIC_TYPES = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64")


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    incs = [
        (line, b) for line, b in ctx.commands_named("inc") if b.positionals and b.positionals[0].is_literal
    ]
    if not incs:
        return
    untyped: dict[str, list[tuple[int, Word, Word | None]]] = {}  # name -> (line index, name word, value)
    safe_names: set[str] = set()  # a numeric type or a clear somewhere: the order decides, stay quiet
    for line, bound in ctx.commands_named("set", "clear", "read", "choose"):
        if not bound.positionals:
            continue
        word = bound.positionals[0]
        if not word.is_literal or "/" in word.text:
            continue
        name, _colon, kind = word.text.partition(":")
        if bound.name == "clear" or kind in NUMERIC_TYPES or name in ctx.catalog.settings:
            safe_names.add(name)
        elif kind in ("", "string") and bound.name == "set" and len(bound.positionals) > 1:
            value = bound.positionals[1] if len(bound.positionals) == 2 else None
            untyped.setdefault(name, []).append((line.index, word, value))
    for line, bound in incs:
        name = bound.positionals[0].text
        writes = untyped.get(name)
        if name in safe_names or not writes or writes[0][0] >= line.index:
            continue
        first_line = ctx.line_number(writes[0][1].start)
        fix = None
        if all(v is not None and v.is_literal and INTEGER.fullmatch(v.text) for _i, _w, v in writes):
            edits = tuple(Edit(w.start, w.end, f"{name}:int32") for _i, w, _v in writes)
            fix = Fix(f"store '{name}' as int32 ('set {name}:int32 ...')", edits)
        yield Diagnostic(
            CODE,
            SEVERITY,
            f"'{name}' is a string setting (set on line {first_line} without a type), so 'inc {name}' fails "
            f"with 'Operation not supported' and ends the script; write 'set {name}:int32 ...'",
            bound.command.start,
            bound.command.end,
            fix,
        )
