"""Offsets into a script's text <-> LSP positions.

The core counts characters (code points); LSP clients count UTF-16 code units unless they agreed to
another encoding. Columns differ only on lines with characters outside the Basic Multilingual Plane,
so the conversion looks at one line and is free for everything else.
"""

from __future__ import annotations

from lsprotocol import types

from ipxescript.syntax.tree import Script


class Positions:
    """Converts for one script; ``utf16`` is False when the client counts code points (utf-32)."""

    def __init__(self, script: Script, utf16: bool = True) -> None:
        self.script = script
        # columns need counting only when some character takes two UTF-16 units
        self.utf16 = utf16 and not script.text.isascii()

    def _line_text(self, line: int) -> str:
        starts = self.script.line_starts
        start = starts[line]
        end = starts[line + 1] if line + 1 < len(starts) else len(self.script.text)
        return self.script.text[start:end]

    def line_column(self, offset: int) -> tuple[int, int]:
        offset = max(0, min(offset, len(self.script.text)))
        line, column = self.script.position(offset)
        if self.utf16 and column:
            prefix = self._line_text(line)[:column]
            if not prefix.isascii():
                column += sum(1 for c in prefix if ord(c) > 0xFFFF)
        return line, column

    def position(self, offset: int) -> types.Position:
        line, column = self.line_column(offset)
        return types.Position(line=line, character=column)

    def offset(self, position: types.Position) -> int:
        starts = self.script.line_starts
        if position.line >= len(starts):
            return len(self.script.text)
        column = position.character
        if self.utf16 and column:
            text = self._line_text(position.line)
            if not text.isascii():
                units = 0
                for index, char in enumerate(text):
                    if units >= column:
                        column = index
                        break
                    units += 2 if ord(char) > 0xFFFF else 1
                else:
                    column = len(text)
        line_end = starts[position.line + 1] - 1 if position.line + 1 < len(starts) else len(self.script.text)
        return min(starts[position.line] + column, max(line_end, starts[position.line]))

    def range(self, start: int, end: int) -> types.Range:
        return types.Range(start=self.position(start), end=self.position(end))
