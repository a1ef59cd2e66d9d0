"""Menu item that ``goto ${choice}`` cannot dispatch to

``choose target && goto ${target}`` jumps to the label named like the chosen item. An item without
such a label makes ``goto`` fail with "no such label" when it is picked (and, without ``||``, ends the
script). Also understands prefixes such as ``goto os_${target}``, and items taken away before the
dispatch by ``iseq ${target} VALUE && goto elsewhere``.

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
from dataclasses import dataclass, replace
from functools import partial

from ipxescript.analysis.diagnostics import Diagnostic, Severity
from ipxescript.analysis.menus import Choice, Item, Menu, menus
from ipxescript.lint.context import LintContext
from ipxescript.syntax.tree import Command, Literal, LogicalLine, Reference, Word

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


def _failure_handled(line: LogicalLine, command: Command) -> bool:
    """A line of its own ``goto ${x} || ...``: the author falls back on purpose when no label
    matches (netboot.xyz chains ``${x}.ipxe`` then). In ``choose x && goto ${x} ||`` the ``||`` is
    there for Esc, so that case is still reported."""
    return line.commands[0] is command and any(op.text == "||" for op in line.operators)


def _filtered(line: LogicalLine, command: Command) -> bool:
    """``iseq ${x} VALUE && goto ${x}``: only that one value reaches the dispatch."""
    index = next((i for i, c in enumerate(line.commands) if c is command), 0)
    return index > 0 and line.operators[index - 1].text == "&&" and line.commands[index - 1].name == "iseq"


def _handled_earlier(ctx: LintContext, setting: str, lines: list[LogicalLine]) -> set[str]:
    """Values that an ``iseq ${setting} VALUE && goto ...`` on ``lines`` takes away."""
    out: set[str] = set()
    for line in lines:
        if len(line.commands) < 2:
            continue
        for i, command in enumerate(line.commands[:-1]):
            if command.name != "iseq" or line.operators[i].text != "&&":
                continue
            if line.commands[i + 1].name not in ("goto", "exit"):
                continue
            args = ctx.bound(command).positionals
            if len(args) != 2:
                continue
            for ref_word, value in ((args[0], args[1]), (args[1], args[0])):
                if value.is_literal and _dispatch(ref_word, setting) == ("", ""):
                    out.add(value.text)
    return out


@dataclass(frozen=True)
class Dispatch:
    """``choose x`` and the first ``goto PREFIX${x}SUFFIX`` after it; ``missing`` lists the items
    (with the label each would jump to) that have no such label, of ``candidates``."""

    setting: str
    line: LogicalLine
    goto: Command
    missing: list[tuple[Item, str]]
    candidates: list[tuple[Item, str]]


def dispatches(ctx: LintContext) -> list[Dispatch]:
    """The model's dispatches (IPX304 and IPX306 both read them: made once per model)."""
    found: list[Dispatch] | None = getattr(ctx, "_dispatches", None)
    if found is None:
        found = _kept_dispatches(ctx)
        if found is None:
            found = list(_dispatches(ctx))
        ctx._dispatches = found  # type: ignore[attr-defined]
    return found


def _kept_dispatches(ctx: LintContext) -> list[Dispatch] | None:
    """The previous version's dispatches (of an edited document), when the edit left them alone: the
    same menus (no menu, item or choose line touched) and no goto or iseq line touched (which could
    change where a dispatch is or what it takes away); their missing labels looked up again when the
    edit touched a label line."""
    previous, span = ctx.previous, ctx.changed
    if previous is None or span is None:
        return None
    earlier: list[Dispatch] | None = getattr(previous, "_dispatches", None)
    if earlier is None or previous.__dict__.get("menus") is not ctx.menus:
        return None
    first, old_end, new_end = span
    labelled = False
    for line in (*previous.script.lines[first:old_end], *ctx.script.lines[first:new_end]):
        if any(c.name in ("goto", "iseq") for c in line.commands):
            return None
        labelled = labelled or line.label is not None
    if not labelled:
        return earlier
    labels = ctx.labels
    return [
        replace(d, missing=[(i, label) for i, label in d.candidates if label not in labels]) for d in earlier
    ]


def _dispatches(ctx: LintContext) -> Iterator[Dispatch]:
    if ctx.has_template_labels:
        return  # labels written with template text could have any name once rendered
    choose_lines = {id(b): line for line, b in ctx.commands_named("choose")}
    labels = ctx.labels
    for choice in menus(ctx).choices:
        if choice.menu is None or not choice.bound.positionals or not choice.bound.positionals[0].is_literal:
            continue
        index = choose_lines[id(choice.bound)].index
        # kept across versions while the lines from the choose to its goto stay (and the menu)
        found = ctx.flow.span_fact(
            (CODE, id(choice.bound.command), id(choice.menu)),
            index,
            partial(_dispatch_of, ctx, choice, index),
        )
        if found is None:
            continue
        menu, setting, line, goto, candidates = found
        if menu is not choice.menu:  # another menu object that got the same id
            found = _dispatch_of(ctx, choice, index)[0]
            assert found is not None
            menu, setting, line, goto, candidates = found
        missing = [(item, label) for item, label in candidates if label not in labels]
        yield Dispatch(setting, line, goto, missing, candidates)


_Found = tuple[Menu, str, LogicalLine, Command, list[tuple[Item, str]]]


def _dispatch_of(ctx: LintContext, choice: Choice, index: int) -> tuple[_Found | None, int]:
    """The first ``goto`` after the choice that dispatches on its setting, with the items and the
    labels they would jump to (taken-away values left out), and the last line read."""
    assert choice.menu is not None
    setting = choice.bound.positionals[0].text.split("/")[-1].split(":")[0]
    after = choice.bound.command.start
    lines = ctx.script.lines
    for k in range(index, len(lines)):
        line = lines[k]
        for command in line.commands:
            if command.name != "goto" or (k == index and command.start <= after):
                continue
            bound = ctx.bound(command)
            if len(bound.positionals) != 1:
                continue
            pattern = _dispatch(bound.positionals[0], setting)
            if pattern is None:
                continue
            prefix, suffix = pattern
            handled = _handled_earlier(ctx, setting, lines[index : k + 1])
            candidates = [
                (item, prefix + name + suffix)
                for item in choice.menu.items
                if (name := item.name) is not None and item.name_word is not None and name not in handled
            ]
            return (choice.menu, setting, line, command, candidates), k
    return None, len(lines)


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    for dispatch in dispatches(ctx):
        if _failure_handled(dispatch.line, dispatch.goto) or _filtered(dispatch.line, dispatch.goto):
            continue  # 'goto ${x} ||' falls back on purpose when there is no such label (IPX306)
        for item, label in dispatch.missing:
            assert item.name_word is not None
            yield Diagnostic(
                CODE,
                SEVERITY,
                f"choosing '{item.name}' runs 'goto {label}', but there is no label ':{label}'",
                item.name_word.start,
                item.name_word.end,
            )
