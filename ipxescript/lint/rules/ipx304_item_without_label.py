"""Menu item that ``goto ${choice}`` cannot dispatch to

``choose target && goto ${target}`` jumps to the label named like the chosen item. An item without
such a label makes ``goto`` fail with "no such label" when it is picked (and, without ``||``, ends the
script). Also understands prefixes such as ``goto os_${target}``.

Failing::

    #!ipxe
    menu Boot
    item debian Debian
    item fedora Fedora
    choose target && goto ${target} ||
    :debian
    echo Debian

Passing::

    #!ipxe
    menu Boot
    item debian Debian
    item fedora Fedora
    choose target && goto ${target} ||
    :debian
    echo Debian
    :fedora
    echo Fedora
"""

from __future__ import annotations

from collections.abc import Iterator

from ipxescript.analysis.diagnostics import Diagnostic, Severity
from ipxescript.lint.context import LintContext
from ipxescript.lint.menus import menus
from ipxescript.syntax.tree import Literal, Reference, Word

CODE = "IPX304"
NAME = "item-without-label"
SEVERITY = Severity.WARNING


def _dispatch(word: Word, setting: str) -> tuple[str, str] | None:
    """(prefix, suffix) when the goto target is literal text around one ``${setting}``."""
    refs = [p for p in word.parts if isinstance(p, Reference)]
    if len(refs) != 1 or not refs[0].is_static or refs[0].block is not None or refs[0].setting != setting:
        return None
    index = word.parts.index(refs[0])
    prefix = "".join(p.value for p in word.parts[:index] if isinstance(p, Literal))
    suffix = "".join(p.value for p in word.parts[index + 1 :] if isinstance(p, Literal))
    return prefix, suffix


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    gotos = ctx.commands_named("goto")
    for choice in menus(ctx).choices:
        if choice.menu is None or not choice.bound.positionals or not choice.bound.positionals[0].is_literal:
            continue
        setting = choice.bound.positionals[0].text.split("/")[-1].split(":")[0]
        start = choice.bound.command.start
        candidates = [(ln, b) for ln, b in gotos if b.command.start > start and len(b.positionals) == 1]
        same_line = [c for c in candidates if c[0].start <= start < c[0].end]
        pattern = None
        for _line, bound in same_line or candidates:
            pattern = _dispatch(bound.positionals[0], setting)
            if pattern is not None:
                break
        if pattern is None:
            continue
        prefix, suffix = pattern
        for item in choice.menu.items:
            if item.name is None or item.name_word is None:
                continue
            label = prefix + item.name + suffix
            if label in ctx.labels:
                continue
            yield Diagnostic(
                CODE,
                SEVERITY,
                f"choosing '{item.name}' runs 'goto {label}', but there is no label ':{label}'",
                item.name_word.start,
                item.name_word.end,
            )
