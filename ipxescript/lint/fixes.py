"""Applying fixes: non-overlapping edits, safe ones by default, unsafe ones only when asked."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from ipxescript.analysis.diagnostics import Diagnostic, Edit

MAX_PASSES = 10


def fixable(diagnostics: Iterable[Diagnostic], unsafe: bool = False) -> list[Diagnostic]:
    return [d for d in diagnostics if d.fix is not None and d.fix.edits and (d.fix.safe or unsafe)]


def apply_edits(text: str, edits: list[Edit]) -> str:
    out = []
    pos = 0
    for edit in sorted(edits, key=lambda e: (e.start, e.end)):
        out.append(text[pos : edit.start])
        out.append(edit.text)
        pos = edit.end
    out.append(text[pos:])
    return "".join(out)


def apply_once(text: str, diagnostics: Iterable[Diagnostic], unsafe: bool = False) -> tuple[str, int]:
    """Apply every fix whose edits do not overlap an earlier one; returns (text, fixes applied)."""
    taken: list[tuple[int, int]] = []
    edits: list[Edit] = []
    applied = 0
    for d in sorted(fixable(diagnostics, unsafe), key=lambda d: d.start):
        assert d.fix is not None
        spans = [(e.start, e.end) for e in d.fix.edits]
        if any(_overlaps(a, b, c, e) for a, b in spans for c, e in taken):
            continue
        taken.extend(spans)
        edits.extend(d.fix.edits)
        applied += 1
    return apply_edits(text, edits), applied


def _overlaps(a: int, b: int, c: int, d: int) -> bool:
    if a == b or c == d:  # insertions clash only at the same point
        return a == c or (c < a < d) or (a < c < b)
    return a < d and c < b


def fix_text(text: str, lint: Callable[[str], list[Diagnostic]], unsafe: bool = False) -> tuple[str, int]:
    """Lint and fix repeatedly until nothing fixable is left (fixes can unlock others)."""
    total = 0
    for _ in range(MAX_PASSES):
        new, applied = apply_once(text, lint(text), unsafe)
        if not applied or new == text:
            break
        text = new
        total += applied
    return text, total
