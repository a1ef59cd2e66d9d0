"""A plain-data dump of a syntax tree, for comparing trees in tests."""

from __future__ import annotations

from ipxescript.syntax.tree import Literal, Reference, Script


def dump_part(p):
    if isinstance(p, Literal):
        return ("lit", p.start, p.end, p.value)
    assert isinstance(p, Reference)
    return ("ref", p.start, p.end, [dump_part(c) for c in p.parts])


def dump(script: Script):
    out = []
    for ln in script.lines:
        out.append(
            (
                ln.index, ln.start, ln.end, ln.first_line, ln.last_line, ln.text, ln.unterminated,
                (ln.label.start, ln.label.end, ln.label.name) if ln.label else None,
                [(c.start, c.end, [(w.start, w.end, w.text, [dump_part(p) for p in w.parts]) for w in c.words])
                 for c in ln.commands],
                [(o.start, o.end, o.text) for o in ln.operators],
                (ln.comment.start, ln.comment.end, ln.comment.text) if ln.comment else None,
                [(type(t).__name__, t.start, t.end) for t in ln.tokens],
            )
        )  # fmt: skip
    diags = sorted((d.code, d.start, d.end) for d in script.diagnostics)
    return out, script.line_starts, script.magic, diags
