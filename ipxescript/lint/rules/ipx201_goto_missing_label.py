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
ends this script and the parent's handler runs. The finding names that handler; it is an info when
the parent has the label (the error screen lives in the parent, a common idiom), a warning otherwise.

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

from collections.abc import Iterator

from ipxescript.analysis.boottree import Edge
from ipxescript.analysis.diagnostics import Diagnostic, Edit, Fix, Severity
from ipxescript.analysis.suggest import Suggester
from ipxescript.lint.context import LintContext

CODE = "IPX201"
NAME = "goto-missing-label"
SEVERITY = Severity.ERROR


def _parent_handlers(ctx: LintContext) -> list[Edge] | None:
    """The chains of this script when every one of them handles its failure (``|| goto error``)."""
    if ctx.tree is None or ctx.tree_file is None:
        return None
    edges = ctx.tree.edges_to(ctx.tree_file)
    if not edges or any(e.failure_handler is None for e in edges):
        return None
    return edges


def _handled(name: str, script: str, edges: list[Edge], hint: str) -> tuple[Severity, str]:
    first = edges[0]
    handler = first.failure_handler
    assert handler is not None
    handler_text = " ".join(w.text for w in handler.words)
    in_parent = all(name in e.source.model.labels for e in edges)
    where = f"{first.where}" + (f" and {len(edges) - 1} more" if len(edges) > 1 else "")
    message = (
        f"no label ':{name}' in this script: goto fails ('no such label'), {script} ends with that error "
        f"and the script that chains it handles it with '{handler_text}' ({where})"
    )
    if in_parent:
        return Severity.INFO, message + f"; ':{name}' is in that script, not this one"
    return Severity.WARNING, message + hint


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    labels = ctx.labels
    if ctx.has_template_labels:
        return  # a label written with template text could have any name once rendered
    suggest = Suggester(labels)
    parents = _parent_handlers(ctx)
    for line in ctx.script.lines:
        for index, command in enumerate(line.commands):
            if command.name != "goto":
                continue
            bound = ctx.bound(command)
            if len(bound.positionals) != 1 or bound.option_words:
                continue
            word = bound.positionals[0]
            if not word.is_literal or word.text in labels or ctx.overlaps_mask(word.start, word.end):
                continue
            if word.text.startswith(":") and word.text[1:] in labels:
                continue  # IPX210 explains the colon
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
                name = ctx.tree_file.name if ctx.tree_file is not None else "this script"
                severity, message = _handled(word.text, name, parents, hint)
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
