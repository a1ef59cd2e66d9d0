"""Offsets into a script's text <-> LSP positions.

The core counts characters (code points); LSP columns count code units of the encoding agreed with
the client at initialisation: UTF-16 by default, UTF-8 or UTF-32 when the client prefers them.
Columns differ only on lines with non-ASCII characters, so the conversion looks at one line and is
free for everything else.
"""

from __future__ import annotations

from lsprotocol import types

from ipxescript.syntax.tree import Script


def _units_utf16(char: str) -> int:
    return 2 if ord(char) > 0xFFFF else 1


def _units_utf8(char: str) -> int:
    code = ord(char)
    return 1 if code < 0x80 else 2 if code < 0x800 else 3 if code < 0x10000 else 4


UNITS = {"utf-16": _units_utf16, "utf-8": _units_utf8}


class Positions:
    """Converts for one script, in ``encoding`` (utf-16, utf-8 or utf-32)."""

    def __init__(self, script: Script, encoding: str = "utf-16") -> None:
        self.script = script
        units = UNITS.get(encoding)
        # nothing to count when every character is one unit
        self._units = None if units is None or script.text.isascii() else units

    def _line_text(self, line: int) -> str:
        starts = self.script.line_starts
        start = starts[line]
        end = starts[line + 1] if line + 1 < len(starts) else len(self.script.text)
        return self.script.text[start:end]

    def line_column(self, offset: int) -> tuple[int, int]:
        offset = max(0, min(offset, len(self.script.text)))
        line, column = self.script.position(offset)
        if self._units is not None and column:
            prefix = self._line_text(line)[:column]
            if not prefix.isascii():
                column = sum(map(self._units, prefix))
        return line, column

    def position(self, offset: int) -> types.Position:
        line, column = self.line_column(offset)
        return types.Position(line=line, character=column)

    def offset(self, position: types.Position) -> int:
        starts = self.script.line_starts
        if position.line >= len(starts):
            return len(self.script.text)
        column = position.character
        if self._units is not None and column:
            text = self._line_text(position.line)
            if not text.isascii():
                units = 0
                for index, char in enumerate(text):
                    if units >= column:
                        column = index
                        break
                    units += self._units(char)
                else:
                    column = len(text)
        line_end = starts[position.line + 1] - 1 if position.line + 1 < len(starts) else len(self.script.text)
        return min(starts[position.line] + column, max(line_end, starts[position.line]))

    def range(self, start: int, end: int) -> types.Range:
        return types.Range(start=self.position(start), end=self.position(end))
