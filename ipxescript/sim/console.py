"""The console: what the script prints, and the 80x25 screen full-screen UIs draw on.

Text is kept raw (with the ``\\b \\b`` erasures iPXE prints) and rendered like a terminal line model
(``\\r`` returns, ``\\b`` steps back, characters overwrite, trailing spaces dropped) for output.
"""

from __future__ import annotations

import re

ROWS, COLS = 25, 80
ESC = "\x1b"


def visible(text: str) -> str:
    """TEXT without the ANSI escape sequences iPXE's consoles consume (src/core/ansiesc.c,
    ansiesc_process): after ESC, `[`, parameter digits, `;` and intermediate bytes (0x20-0x2f) are
    taken until any other byte, the final one, which ends the sequence. They take no room on the
    screen: `set esc:hex 1b` + `echo ${esc:string}[1mBold` shows `Bold`, and a menu item's colour codes
    count for its layout (iPXE pads and centres by the bytes) but are not shown."""
    if ESC not in text:
        return text
    out: list[str] = []
    in_escape = False
    for ch in text:
        if ch == ESC and not in_escape:
            in_escape = True
        elif not in_escape:
            out.append(ch)
        elif not (ch == "[" or ch == ";" or "0" <= ch <= "9" or " " <= ch <= "/"):
            in_escape = False  # the final byte
    return "".join(out)


def render(text: str) -> str:
    text = visible(text)
    lines: list[str] = []
    cur: list[str] = []
    col = 0
    for ch in text:
        if ch == "\n":
            lines.append("".join(cur).rstrip())
            cur = []
            col = 0
        elif ch == "\r":
            col = 0
        elif ch == "\b":
            col = max(0, col - 1)
        else:
            if ch == "\t":
                ch = " "
            if ch < " ":
                continue
            if col < len(cur):
                cur[col] = ch
            else:
                cur.extend(" " * (col - len(cur)))
                cur.append(ch)
            col += 1
    lines.append("".join(cur).rstrip())
    return "\n".join(lines)


_CONTROL = re.compile("[\x01-\x07\x0b\x0c\x0e-\x1a\x1c-\x1f]")


class Console:
    def __init__(self, legacy_bytes: bool = False, echo: bool = False, efi_text: bool = False) -> None:
        self.parts: list[str] = []
        self.legacy_bytes = legacy_bytes  # Debian's EFI console prints each byte >= 0x80 as "?"
        self.echo = echo  # interactive runs also write to the real terminal
        self.efi_text = efi_text  # the EFI text console shows other control characters as "?"

    def write(self, text: str) -> None:
        if self.efi_text and _CONTROL.search(text):
            # OVMF's terminal passes only NUL, BS, TAB, LF and CR (observed: `show v:string` of an
            # ipv4 value prints "????"); ESC never reaches it alone (iPXE parses its sequences)
            text = _CONTROL.sub("?", text)
        if self.legacy_bytes and any(ord(c) >= 0x80 for c in text):
            text = "".join(
                "?" * len(c.encode("utf-8", "surrogateescape")) if ord(c) >= 0x80 else c for c in text
            )
        self.parts.append(text)
        if self.echo:
            import sys

            sys.stdout.flush()  # raw bytes (surrogateescape), whatever encoding stdout has
            sys.stdout.buffer.write(text.encode("utf-8", "surrogateescape"))
            sys.stdout.buffer.flush()

    def raw(self) -> str:
        return "".join(self.parts)

    def text(self) -> str:
        return render(self.raw())

    def at_line_start(self) -> bool:
        """Nothing shows on the last line: it is empty, or holds only colour codes and spaces (a
        terminal shows no partial line there, so a full-screen UI does not end one)."""
        return not render(self.raw().rsplit("\n", 1)[-1])


class Screen:
    """An 80x25 character grid, each cell with a style: what a person sees of a full-screen UI.

    Styles name iPXE's colour pairs and attributes (DEBIAN-12-BUILD.md §3.6): ``normal`` white on
    blue, ``title`` bold, ``selected`` the highlighted menu row (bold white on red), ``gap`` a nameless
    item and ``marker`` the ``...`` scroll markers (cyan on blue). ``lines()`` is the text alone, as a
    recorder without colours sees it.
    """

    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        self.cells = [[" "] * COLS for _ in range(ROWS)]
        self.styles = [["normal"] * COLS for _ in range(ROWS)]

    def put(self, row: int, col: int, text: str, style: str = "normal") -> None:
        if not 0 <= row < ROWS:
            return
        for i, ch in enumerate(visible(text)):
            if 0 <= col + i < COLS:
                self.cells[row][col + i] = ch if ch >= " " else " "
                self.styles[row][col + i] = style

    def clear_to_eol(self, row: int, col: int) -> None:
        self.put(row, col, " " * (COLS - col))

    def lines(self) -> list[str]:
        return ["".join(row) for row in self.cells]

    def selected_row(self) -> int | None:
        """The row holding the highlighted item, if any."""
        return next((r for r, styles in enumerate(self.styles) if "selected" in styles), None)

    def runs(self, row: int) -> list[tuple[str, str]]:
        """The row as (style, text) runs, for drawing on a terminal."""
        out: list[tuple[str, str]] = []
        for ch, style in zip(self.cells[row], self.styles[row], strict=True):
            if out and out[-1][0] == style:
                out[-1] = (style, out[-1][1] + ch)
            else:
                out.append((style, ch))
        return out
