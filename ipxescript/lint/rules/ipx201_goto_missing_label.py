"""``goto`` to a label that does not exist

``goto`` searches the current script for a line ``:name`` (exact, case-sensitive). When there is none
it fails with "no such label" and, unless the failure is handled with ``||``, the script ends. The
message suggests close label names.

A ``goto`` that runs only after a failure (``chain ${url} || goto retry``) is a warning: the line was
failing anyway, and a chained script's failure is often handled by its parent (``chain sub.ipxe ||
goto error``). On a success path (``goto x`` alone, ``iseq ... && goto x``) the jump was meant to
happen and it is an error. The label rename offered as a fix is never applied when it would jump back
to an earlier line (e.g. from a menu's Esc path back into the menu, an endless loop).

In a boot tree the failure of a chained script returns to the script that chained it: when every
``chain`` of this script handles failure (``chain linux.ipxe || goto error``), the missing label
ends this script and the parent's handler runs. The finding names that handler (each of them when
parents handle it differently); it is an info when every handler is the same ``goto`` (the error
screen lives in the parent, a common idiom, and some script up the chain has the label), a warning
otherwise (``goto linux_menu`` in a sub-menu shows the parent's error screen instead). A parent whose
``chain ${base}/linux/menu.ipxe`` starts with a server the linter cannot know still names the file when
the path after the last ``${...}`` ends exactly one file's path in the tree (``menus/linux/menu.ipxe``).
A file this script chains that chains it back (``chain linux.ipxe`` to return to the menu) is not
counted as a parent: the failure climbs to the script that entered this one first. Nor is a file
whose ``chain ${menu}.ipxe`` reaches this one only through a value stored elsewhere in the tree, when
another parent names it by its own values.

Failing::

    #!ipxe
    goto strat
    :start
    echo hello

Passing::

    #!ipxe
    goto start
    :start
    echo hello
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator

from ipxescript.analysis.boottree import BootTree, Edge, TreeFile
from ipxescript.analysis.diagnostics import Diagnostic, Edit, Fix, Severity
from ipxescript.lint.context import LintContext
from ipxescript.syntax.tree import Reference

CODE = "IPX201"
NAME = "goto-missing-label"
SEVERITY = Severity.ERROR


def _parent_handlers(ctx: LintContext) -> list[Edge] | None:
    """The chains of this script when every one of them handles its failure (``|| goto error``)."""
    if ctx.tree is None or ctx.tree_file is None:
        return None
    return _handling_edges(ctx.tree, ctx.tree_file)


def _handling_edges(tree: BootTree, tree_file: TreeFile) -> list[Edge] | None:
    edges = tree.named_by(tree_file) or _by_tail(tree).get(id(tree_file), [])
    # a script this one chains that chains it back (a sub-menu's 'chain linux.ipxe' to return) runs it
    # again inside its own chain: the failure climbs to where this script was entered first
    below = tree.descendants(tree_file) if len(edges) > 1 else set()
    edges = [e for e in edges if id(e.source) not in below] or edges
    # a chain through a setting its own file never stores (``chain ${menu}.ipxe`` in a sub-menu
    # without a menu of its own) only may reach this script: the chains that name it by their own
    # values are its parents
    edges = [e for e in edges if _own_values(e)] or edges
    if not edges or any(e.failure_handler is None for e in edges):
        return None
    return edges


def _own_values(edge: Edge) -> bool:
    """Every ``${...}`` of the edge's target is a setting its own file stores."""
    written = edge.source.model.settings.written_names
    return all(not isinstance(p, Reference) or p.setting in written for p in edge.word.parts)


_TAILS: weakref.WeakKeyDictionary[BootTree, dict[int, list[Edge]]] = weakref.WeakKeyDictionary()


def _by_tail(tree: BootTree) -> dict[int, list[Edge]]:
    """Open chains whose target is ``${...}/folder/file.ipxe`` (a base unknown, or a server's URL), by
    the one file of the tree whose path ends with that literal tail. Made once per tree."""
    found = _TAILS.get(tree)
    if found is None:
        found = {}
        by_name: dict[str, list[tuple[str, TreeFile]]] = {}  # file name -> (POSIX path, file)
        for f in tree.files.values():
            by_name.setdefault(f.path.name, []).append((f.path.as_posix(), f))
        for edge in tree.edges:
            if not edge.is_open or edge.reason not in ("computed", "remote") or edge.word.is_literal:
                continue
            tail = edge.word.text[edge.word.text.rfind("}") + 1 :].split("?", 1)[0]
            if "/" not in tail or "${" in tail or not tail.startswith("/") or tail.endswith("/"):
                continue
            hits = [f for p, f in by_name.get(tail.rsplit("/", 1)[1], ()) if p.endswith(tail)]
            if len(hits) == 1 and hits[0] is not edge.source:
                found.setdefault(id(hits[0]), []).append(edge)
        _TAILS[tree] = found
    return found


def _same_goto(edges: list[Edge], name: str) -> bool:
    """Every parent handles the failure with ``goto name`` itself: the jump the child meant happens
    in the parent (netboot.xyz's sub-menus end in ``|| goto error`` and ``:error`` is the main
    menu's). A parent that lacks ``:name`` too gets its own finding; this one is not repeated."""
    for edge in edges:
        handler = edge.failure_handler
        if handler is None or [w.text for w in handler.words] != ["goto", name]:
            return False
    return True


def _handled(ctx: LintContext, name: str, edges: list[Edge], hint: str) -> tuple[Severity, str]:
    assert ctx.tree is not None and ctx.tree_file is not None
    by_handler: dict[str, list[Edge]] = {}  # parents that handle it alike, in the order they come
    for edge in edges:
        handler = edge.failure_handler
        assert handler is not None
        by_handler.setdefault(" ".join(w.text for w in handler.words), []).append(edge)
    handled = " or ".join(
        f"'{text}' ({alike[0].where}" + (f" and {len(alike) - 1} more)" if len(alike) > 1 else ")")
        for text, alike in by_handler.items()
    )
    who = "the script that chains it handles" if len(by_handler) == 1 else "the scripts that chain it handle"
    message = (
        f"no label ':{name}' in this script: goto fails ('no such label'), {ctx.tree_file.name} ends with "
        f"that error and {who} it with {handled}"
    )
    if _same_goto(edges, name):
        if _lands(ctx.tree, edges, name, ctx.tree_file):
            return Severity.INFO, message + f"; the jump to ':{name}' happens there"
        return Severity.WARNING, message + f"; but no script that chains it has ':{name}' either{hint}"
    return Severity.WARNING, message + hint


def _lands(tree: BootTree, edges: list[Edge], name: str, child: TreeFile) -> bool:
    """Some script up the chains has ``:name``, or passes the failure on no further and reports its
    own missing label. Scripts that chain each other in a circle with no ``:name`` anywhere and no
    way out (a menu and the sub-menu that chains back to it) would otherwise each leave it to the
    other, and nothing would be reported."""
    seen = {id(child)}
    todo = list(edges)
    while todo:
        parent = todo.pop().source
        if id(parent) in seen:
            continue
        seen.add(id(parent))
        if name in parent.model.labels:
            return True
        above = _handling_edges(tree, parent)
        if above is None or not _same_goto(above, name):
            return True  # the parent's own 'goto name' is reported there
        todo.extend(above)
    return False


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    labels = ctx.labels
    if ctx.has_template_labels:
        return  # a label written with template text could have any name once rendered
    suggest = ctx.label_suggester
    # only a goto whose literal target names no label can be reported: found by the flow's index
    lines = ctx.flow.lines_with_goto_to(ctx.flow.missing_goto_targets())
    gotos = [(line, ctx.bound(c)) for line in lines for c in line.commands if c.name == "goto"]
    parents = _parent_handlers(ctx) if gotos else None
    for line, bound in gotos:
        if len(bound.positionals) != 1 or bound.option_words:
            continue
        word = bound.positionals[0]
        if not word.is_literal or word.text in labels or ctx.overlaps_mask(word.start, word.end):
            continue
        if word.text.startswith(":") and word.text[1:] in labels:
            continue  # IPX210 explains the colon
        index = next(k for k, c in enumerate(line.commands) if c is bound.command)
        on_failure = index > 0 and line.operators[index - 1].text == "||"
        guesses = suggest(word.text)
        hint = f"; did you mean '{guesses[0]}'?" if guesses else ""
        fix = None
        if guesses:
            target = labels[guesses[0]]
            if target.index > line.index:
                fix = Fix(f"goto {guesses[0]}", (Edit(word.start, word.end, guesses[0]),), safe=False)
            else:
                hint += " (no automatic fix: it jumps back to an earlier line, check it cannot loop)"
        if parents is not None:
            severity, message = _handled(ctx, word.text, parents, hint)
        elif on_failure:
            message = (
                f"no label ':{word.text}' in this script: when the command before '||' fails, this goto "
                f"fails too ('no such label') and the script ends with that error; add ':{word.text}' "
                f"or correct the name{hint}"
            )
            severity = Severity.WARNING
        else:
            message = f"no label ':{word.text}' in this script: goto fails with 'no such label'{hint}"
            severity = SEVERITY
        yield Diagnostic(CODE, severity, message, word.start, word.end, fix, tuple(guesses))
