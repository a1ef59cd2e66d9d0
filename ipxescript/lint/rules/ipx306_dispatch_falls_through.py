"""Menu item with no label when the dispatch is ``goto ${x} ||``

``choose target`` then ``goto ${target} ||`` jumps to the label named like the chosen item. When an
item has no such label, ``goto`` fails ("no such label"), the trailing ``||`` swallows the failure,
and execution carries on with the next line: usually the first section below, which boots another
entry without a word. (When the next line uses ``${target}`` itself, e.g.
``chain ${target}.ipxe``, or only reports the failure, the fallback is deliberate and nothing is
reported; so when the fallback lands on a label whose first line does that, as in netboot.xyz's
sub-menus.)

Failing::

    #!ipxe
    menu Boot
    item debian Debian
    item fedora Fedora
    choose target || goto cancel
    goto ${target} ||
    :debian
    kernel http://boot.example.com/debian/linux
    boot
    :cancel
    exit

Passing::

    #!ipxe
    menu Boot
    item debian Debian
    item fedora Fedora
    choose target || goto cancel
    goto ${target} ||
    chain --autofree http://boot.example.com/${target}.ipxe || goto cancel
    goto cancel
    :debian
    kernel http://boot.example.com/debian/linux
    boot
    :cancel
    exit

Passing::

    #!ipxe
    menu Boot
    item debian Debian
    item fedora Fedora
    choose target || goto cancel
    goto ${target} ||
    :change_menu
    chain --autofree http://boot.example.com/${target}.ipxe || goto cancel
    goto cancel
    :debian
    kernel http://boot.example.com/debian/linux
    boot
    :cancel
    exit
"""

from __future__ import annotations

from collections.abc import Iterator

from ipxescript.analysis.diagnostics import Diagnostic, Severity
from ipxescript.lint.context import LintContext
from ipxescript.lint.images import boots_from
from ipxescript.lint.rules.ipx304_item_without_label import _failure_handled, dispatches
from ipxescript.syntax.tree import LogicalLine, Reference

CODE = "IPX306"
NAME = "dispatch-falls-through"
SEVERITY = Severity.WARNING


def _reads(line: LogicalLine, setting: str) -> bool:
    return any(
        isinstance(p, Reference) and p.setting == setting
        for c in line.commands
        for w in c.words
        for p in w.parts
    )


def _fallthrough_line(ctx: LintContext, line: LogicalLine) -> tuple[LogicalLine, LogicalLine | None] | None:
    """The line a failed ``goto`` falls to (a label or a command line), and the first command line from
    there (below the labels it falls past): only when the rest of the dispatch line does nothing."""
    after = line.commands[1:]
    if any(c.words for c in after) or not ctx.flow.lines[line.index].falls_through:
        return None
    landing: LogicalLine | None = None
    for following in ctx.script.lines[line.index + 1 :]:
        if following.index in ctx.template_barriers:
            break
        if any(c.words for c in following.commands):
            return (landing or following), following
        if following.label is not None and landing is None:
            landing = following
    return (landing, None) if landing is not None else None


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    for dispatch in dispatches(ctx):
        line, goto = dispatch.line, dispatch.goto
        if not dispatch.missing or line.index not in ctx.flow.reachable or not _failure_handled(line, goto):
            continue  # IPX304 reports the items of an unguarded dispatch
        found = _fallthrough_line(ctx, line)
        if found is None:
            continue
        landing, body = found
        if body is not None and _reads(body, dispatch.setting) or boots_from(ctx, landing.index) is None:
            continue  # a fallback that reads the choice, or that only reports, is deliberate
        into = (
            f"':{landing.label.name}'"
            if landing.label is not None
            else f"line {ctx.line_number(landing.start)}"
        )
        for item, label in dispatch.missing:
            assert item.name_word is not None
            yield Diagnostic(
                CODE,
                SEVERITY,
                f"choosing '{item.name}' runs 'goto {label}', which fails (no label ':{label}'); the '||' on "
                f"line {ctx.line_number(goto.start)} swallows the failure and execution falls into "
                f"{into}, running another entry",
                item.name_word.start,
                item.name_word.end,
            )
