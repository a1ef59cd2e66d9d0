"""Compiler-style text: ``path:line:col: severity code message``, the source line and a caret range."""

from __future__ import annotations

import re

from ipxescript.analysis.diagnostics import Diagnostic, Severity
from ipxescript.lint.report import FileReport
from ipxescript.lint.report.positions import diagnostic_span
from ipxescript.syntax.tree import Script

# control characters but tab, and lone surrogates (undecodable bytes): one column each, shown as '?'
_UNSHOWN = re.compile("[\x00-\x08\x0a-\x1f\ud800-\udfff]")
COLORS = {Severity.ERROR: "\033[1;31m", Severity.WARNING: "\033[1;33m", Severity.INFO: "\033[1;36m"}
BOLD, GREEN, RESET = "\033[1m", "\033[32m", "\033[0m"


def physical_line(script: Script, number: int) -> str:
    """0-based physical line without its ending; control characters shown as '?' (keeps columns)."""
    starts = script.line_starts
    start = starts[number]
    end = starts[number + 1] if number + 1 < len(starts) else len(script.text)
    text = script.text[start:end].rstrip("\n")
    if text.endswith("\r"):
        text = text[:-1]
    return _UNSHOWN.sub("?", text)


def _columns(char: str) -> int:
    """Terminal columns of one character: two for East Asian wide ones (CJK, emoji), none for a
    combining mark, else one, so the caret stands under the finding."""
    if char < "\u0300":
        return 1
    import unicodedata

    if unicodedata.combining(char):
        return 0
    return 2 if unicodedata.east_asian_width(char) in "WF" else 1


WIDTH = 160  # longer source lines (a pasted blob, a long kernel line) are shown around the finding


def _window(source: str, first: int, last: int) -> tuple[str, int, int]:
    """The part of a long line around columns ``first``..``last`` (0-based, end excluded), cut ends
    marked with '…', and the columns within it."""
    if len(source) <= WIDTH:
        return source, first, last
    start = max(0, min(first - WIDTH // 4, len(source) - WIDTH))
    end = start + WIDTH
    last = min(last, end)
    shown = ("…" if start else "") + source[start:end] + ("…" if end < len(source) else "")
    shift = (1 if start else 0) - start
    return shown, first + shift, last + shift


def render_one(path: str, script: Script, d: Diagnostic, color: bool) -> str:
    s = diagnostic_span(script, d)
    sev = d.severity.value
    if color:
        head = f"{BOLD}{path}:{s.line}:{s.column}:{RESET} {COLORS[d.severity]}{sev}{RESET} {BOLD}{d.code}{RESET} {d.message}"
    else:
        head = f"{path}:{s.line}:{s.column}: {sev} {d.code} {d.message}"
    lines = [head]
    source = physical_line(script, s.line - 1)
    if source.strip():
        first = s.column - 1
        last = s.end_column - 1 if s.end_line == s.line else len(source)
        source, first, last = _window(source, first, min(last, len(source)))
        span = source[first:last]
        pad = "".join("\t" if c == "\t" else " " * _columns(c) for c in source[:first])
        carets = "^" * max(1, sum(_columns(c) for c in span))
        lines.append(f"    {source}")
        lines.append(f"    {pad}{GREEN if color else ''}{carets}{RESET if color else ''}")
    if d.via:
        lines.append(f"    {d.via}")
    if d.fix is not None:
        kind = "fix" if d.fix.safe else "unsafe fix"
        lines.append(f"    {kind}: {d.fix.description}")
    return "\n".join(lines)


def render_text(reports: list[FileReport], color: bool = False) -> str:
    out = []
    for report in reports:
        for d in report.diagnostics:
            out.append(render_one(report.path, report.script, d, color))
    return "\n".join(out) + ("\n" if out else "")
