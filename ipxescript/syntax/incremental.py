"""Incremental reparsing: after an edit, only the logical lines it touches are parsed again.

iPXE reads a script line by line and no line's meaning depends on another's, so an edit can only
change the logical lines that overlap it (a continuation can make that more than one physical
line). Lines after the edit are kept as they are and moved: every node is anchored to its line, so
moving a line is one assignment, not a walk over its words.

    doc = Document(text)
    doc.edit(start, end, "new text")   # offsets into the current text
    doc.script                          # always equal to parse(doc.text)
"""

from __future__ import annotations

import bisect
import gc
from dataclasses import dataclass

from ipxescript.analysis.diagnostics import Diagnostic
from ipxescript.syntax.parser import (
    detect_magic,
    line_diagnostics,
    parse,
    parse_logical_line,
    split_logical_lines,
)
from ipxescript.syntax.tree import LogicalLine, Script, line_index


@dataclass(frozen=True)
class EditResult:
    first: int  # index of the first reparsed logical line
    reparsed: int  # how many logical lines were parsed again
    removed: int  # how many old logical lines they replaced


class Document:
    """A script being edited. ``script`` is kept equal to a full parse of ``text``."""

    def __init__(self, text: str | bytes, path: str | None = None) -> None:
        self.script: Script = parse(text, path)

    @property
    def text(self) -> str:
        return self.script.text

    def replace(self, text: str) -> None:
        """Replace the whole text (a full parse)."""
        self.script = parse(text, self.script.path)

    def edit(self, start: int, end: int, new: str) -> EditResult:
        """Replace text[start:end] with ``new`` and reparse what changed."""
        enabled = gc.isenabled()
        gc.disable()  # as in parse(): no collection pauses while nodes are built
        try:
            return self._edit(start, end, new)
        finally:
            if enabled:
                gc.enable()

    def _edit(self, start: int, end: int, new: str) -> EditResult:
        old = self.script
        text = old.text
        start = max(0, min(start, len(text)))
        end = max(start, min(end, len(text)))
        new_text = text[:start] + new + text[end:]
        delta = len(new) - (end - start)
        new_end = start + len(new)

        # Physical line starts: keep those up to the edit, recompute inside it, shift the rest.
        starts = old.line_starts
        keep = bisect.bisect_right(starts, start)
        tail = bisect.bisect_right(starts, end)
        middle = [start + 1 + i for i, c in enumerate(new) if c == "\n"]
        line_starts = starts[:keep] + middle + [s + delta for s in starts[tail:]]
        line_delta = (keep + len(middle)) - tail

        lines = old.lines
        first = max(0, line_index(lines, start))
        if first > 0 and lines[first].start == start:
            first -= 1  # an edit at a line's first character may join it to the line before

        script = Script(
            text=new_text,
            path=old.path,
            lines=lines[:first],
            diagnostics=[],
            magic=detect_magic(new_text),
            line_starts=line_starts,
            encoding_errors=old.encoding_errors,
        )
        resume = len(lines)  # old index from which lines are reused
        pos = lines[first].start if lines else 0
        reparsed: list[LogicalLine] = []
        for raw in split_logical_lines(new_text, pos):
            raw_start = raw[0]
            if raw_start >= new_end and raw_start > 0:
                k = max(0, line_index(lines, raw_start - delta))  # old lines still have old offsets here
                if k > first and lines[k].start == raw_start - delta:
                    resume = k
                    break
            reparsed.append(parse_logical_line(new_text, raw, first + len(reparsed), script))
        else:
            resume = len(lines)
        script.lines.extend(reparsed)
        cut_start = lines[first].start if lines else 0  # old offsets, before the lines move
        cut_end = lines[resume].start if resume < len(lines) else len(text) + 1
        moved = lines[resume:]
        base = first + len(reparsed) - resume
        # (each a loop of its own, run only when it moves something: typing in a line moves only
        # the offsets of the lines after it)
        if delta:
            for line in moved:
                line.anchor.offset += delta
        if line_delta:
            for line in moved:
                line.first_line += line_delta
                line.last_line += line_delta
        if base:
            for line in moved:
                line.index += base
        script.lines.extend(moved)

        # Diagnostics: those of untouched lines stay (shifted after the edit), the rest are new.
        diagnostics: list[Diagnostic] = [d for d in old.diagnostics if d.start < cut_start]
        for line in reparsed:
            diagnostics.extend(line_diagnostics(line))
        for d in old.diagnostics:
            if d.start >= cut_end:
                d.start += delta
                d.end += delta
                diagnostics.append(d)
        script.diagnostics = diagnostics
        self.script = script
        return EditResult(first, len(reparsed), resume - first)
