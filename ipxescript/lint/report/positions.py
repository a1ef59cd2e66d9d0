"""1-based line/column ranges for output formats (columns count characters; end is exclusive)."""

from __future__ import annotations

from dataclasses import dataclass

from ipxescript.analysis.diagnostics import Diagnostic, Fix
from ipxescript.syntax.tree import Script


@dataclass(frozen=True)
class Span:
    line: int
    column: int
    end_line: int
    end_column: int


def span(script: Script, start: int, end: int) -> Span:
    line, column = script.position(start)
    end_line, end_column = script.position(max(start, end))
    return Span(line + 1, column + 1, end_line + 1, end_column + 1)


def diagnostic_span(script: Script, d: Diagnostic) -> Span:
    return span(script, d.start, d.end)


def fix_json(script: Script, fix: Fix) -> dict[str, object]:
    return {
        "description": fix.description,
        "applicability": "safe" if fix.safe else "unsafe",
        "edits": [
            {
                "line": s.line,
                "column": s.column,
                "end_line": s.end_line,
                "end_column": s.end_column,
                "text": e.text,
            }
            for e in fix.edits
            for s in [span(script, e.start, e.end)]
        ],
    }
