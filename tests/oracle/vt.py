"""Turn the firmware's serial byte stream into a line transcript and 80x25 screen snapshots.

OVMF's terminal driver turns iPXE's console into VT100 bytes on the serial port. Plain output is text
with `\\r`, `\\n`, `\\b` and colour escapes; a full-screen drawing (menu, login form) starts with a clear
(`ESC[2J`) and ends with iPXE's `endwin`: a move to the last row, `\\r\\n`, then another clear. So:

* in line mode, text goes to a line model (`\\r` returns to column 0, `\\b` steps back, characters
  overwrite); escapes other than a clear are dropped;
* a clear in line mode enters screen mode: a partial line is ended there, and the bytes drive an 80x25
  grid instead;
* in screen mode, a `\\n` followed by a clear ends the drawing: the grid is snapshotted just before
  that `\\n` and line mode resumes on a fresh line;
* a script can clear the screen too (`echo ${cls}` with `set cls:hex 1b:5b:4a`, 26 corpus scripts), and
  then no drawing follows: iPXE's `endwin` moves to the last row and prints `\\n` there, while a script
  goes on printing lines. So a `\\n` that is not right after a move to the last row, or text after the
  drawing's `\\n`, shows that the clear was the script's: the screen mode is undone (its snapshots
  dropped, the partial line before the clear restored, the text since the clear put on the lines),
  which is what the simulator's console shows (it prints no escapes).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

ROWS, COLS = 25, 80
ESC = 0x1B


class LineModel:
    """Lines as a terminal without escapes shows them: `\\r`, `\\b` and overwriting applied."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self._cur: list[str] = []
        self._col = 0

    def put(self, ch: str) -> None:
        if ch == "\n":
            self.end_line()
        elif ch == "\r":
            self._col = 0
        elif ch == "\b":
            self._col = max(0, self._col - 1)
        elif ch == "\t":
            self.put(" ")
        elif ch >= " ":
            if self._col < len(self._cur):
                self._cur[self._col] = ch
            else:
                self._cur.extend(" " * (self._col - len(self._cur)))
                self._cur.append(ch)
            self._col += 1

    def end_line(self) -> None:
        self.lines.append(self.partial())
        self._cur = []
        self._col = 0

    def partial(self) -> str:
        return "".join(self._cur).rstrip()

    def text(self) -> str:
        """All lines joined by newlines, the partial last line included (no newline after it)."""
        return "\n".join([*self.lines, self.partial()])


def render_text(text: str) -> str:
    """Apply `\\r`/`\\b` overwriting to plain console text and strip line ends (used on both sides)."""
    model = LineModel()
    for ch in text:
        model.put(ch)
    return model.text()


class Grid:
    """A minimal VT100 screen: enough for OVMF's cursor moves, clears and text."""

    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        self.cells = [[" "] * COLS for _ in range(ROWS)]
        self.row = self.col = 0

    def put(self, ch: str) -> None:
        if ch == "\r":
            self.col = 0
        elif ch == "\n":
            self._down()
        elif ch == "\b":
            self.col = max(0, self.col - 1)
        elif ch >= " ":
            if self.col >= COLS:
                self.col = 0
                self._down()
            self.cells[self.row][self.col] = ch
            self.col += 1

    def _down(self) -> None:
        if self.row == ROWS - 1:
            self.cells = [*self.cells[1:], [" "] * COLS]
        else:
            self.row += 1

    def csi(self, params: str, final: str) -> None:
        nums = [int(p) if p.isdigit() else 0 for p in params.split(";")] if params else []
        if final == "H" or final == "f":
            row = nums[0] if nums and nums[0] else 1
            col = nums[1] if len(nums) > 1 and nums[1] else 1
            self.row, self.col = min(row, ROWS) - 1, min(col, COLS) - 1
        elif final == "J":
            self.cells = [[" "] * COLS for _ in range(ROWS)]
        elif final == "K":
            self.cells[self.row][self.col :] = [" "] * (COLS - self.col)
        elif final in "ABCD":
            n = nums[0] if nums and nums[0] else 1
            if final == "A":
                self.row = max(0, self.row - n)
            elif final == "B":
                self.row = min(ROWS - 1, self.row + n)
            elif final == "C":
                self.col = min(COLS - 1, self.col + n)
            else:
                self.col = max(0, self.col - n)

    def snapshot(self) -> list[str]:
        return ["".join(r).rstrip() for r in self.cells]


@dataclass
class ScreenShot:
    line_index: int  # how many transcript lines were complete when it was taken
    session: int  # which full-screen drawing it belongs to
    rows: list[str]


@dataclass
class Decoder:
    """Feed raw serial bytes; read the transcript, screen snapshots and activity times (thread-safe)."""

    lines: LineModel = field(default_factory=LineModel)
    grid: Grid = field(default_factory=Grid)
    screens: list[ScreenShot] = field(default_factory=list)
    raw: bytearray = field(default_factory=bytearray)
    in_screen: bool = False
    session: int = 0
    last_byte_time: float = 0.0
    lock: threading.RLock = field(default_factory=threading.RLock)
    # Clears before this line appears (OVMF's own start-up) do not start a drawing.
    enable_after: str | None = None
    # Transcript line numbers where the stream broke the escape syntax OVMF always follows: bytes were
    # lost on the serial line (OVMF drops output when the port is not drained in time).
    garbled_lines: list[int] = field(default_factory=list)
    _esc: bytearray | None = None
    _newline_in_screen: bool = False
    # Undoing a screen mode that was a script's clear: the characters since the clear, the line model
    # as the clear found it (lines, partial line, column), and whether the last thing was a move.
    _screen_text: list[str] = field(default_factory=list)
    _lines_at_clear: tuple[int, list[str], int] = (0, [], 0)
    _moved: bool = False
    _stray_m: bool = False  # the BIOS build's broken `ESC 0m` left its `m` to come

    def feed(self, data: bytes) -> None:
        with self.lock:
            self.raw.extend(data)
            self.last_byte_time = time.monotonic()
            for byte in data:
                self._byte(byte)

    def _byte(self, byte: int) -> None:
        if self._esc is not None:
            self._esc.append(byte)
            if len(self._esc) == 1 and byte == ord("0"):
                # the BIOS build's mucurses writes "\0330m" (no `[`): a terminal takes ESC 0 as a
                # two-byte escape and shows the `m` (shared/firmware/README.md)
                self._esc = None
                self._stray_m = True
            elif len(self._esc) == 1 and byte != ord("["):
                self._esc = None
                self._garbled()
            elif len(self._esc) > 1 and 0x40 <= byte <= 0x7E:
                seq = self._esc[1:-1].decode("latin-1")
                self._esc = None
                if chr(byte) not in "HJKmhlABCDf" or not all(c in "0123456789;=?" for c in seq):
                    self._garbled()
                self._csi(seq, chr(byte))
            elif len(self._esc) > 32 or byte < 0x20:
                self._esc = None
                self._garbled()
            return
        if byte == ESC:
            self._esc = bytearray()
            return
        ch = chr(byte) if byte < 0x80 else "?"
        stray, self._stray_m = self._stray_m and ch == "m", False
        if self.in_screen and stray:
            self._screen_text.append(ch)  # part of an escape, though shown: decides nothing
            self.grid.put(ch)
        elif self.in_screen:
            self._screen_text.append(ch)
            if ch == "\n" and not (self._moved and self.grid.row == ROWS - 1):
                self._not_a_drawing()
                return
            if self._newline_in_screen and ch != "\r":
                self._not_a_drawing()
                return
            if ch == "\n":
                self.take_snapshot()
                self._newline_in_screen = True
            elif ch != "\r":
                self._moved = False
            self.grid.put(ch)
        else:
            self.lines.put(ch)
            self.grid.put(ch)
            if ch == "\n" and self.enable_after is not None and self.lines.lines[-1] == self.enable_after:
                self.enable_after = None

    def _csi(self, params: str, final: str) -> None:
        if final == "J" and not self.in_screen and self.enable_after is None:
            lines = self.lines
            self._lines_at_clear = (len(lines.lines), list(lines._cur), lines._col)
            self._screen_text = []
            self._moved = False
            if lines.partial():
                lines.end_line()
            self.in_screen = True
            self.session += 1
            self._newline_in_screen = False
        elif final == "J" and self._newline_in_screen:
            self.in_screen = False
        if final in "Hf":
            self._moved = True
        self.grid.csi(params, final)

    def _not_a_drawing(self) -> None:
        """The clear that started this screen mode was a script's: back to lines, as if no clear."""
        count, partial, col = self._lines_at_clear
        del self.lines.lines[count:]
        self.lines._cur, self.lines._col = list(partial), col
        self.screens = [s for s in self.screens if s.session != self.session]
        self.in_screen = self._newline_in_screen = False
        for ch in self._screen_text:
            self.lines.put(ch)
        self.grid.put(self._screen_text[-1])  # the grid has had the ones before

    def _garbled(self) -> None:
        self.garbled_lines.append(len(self.lines.lines))

    def take_snapshot(self) -> None:
        """Record the grid unless it is blank or the same as the last snapshot of this drawing."""
        with self.lock:
            if not self.in_screen:
                return
            rows = self.grid.snapshot()
            if not any(rows):
                return  # a form clearing itself on the way out: nothing to show
            last = self.screens[-1] if self.screens else None
            if last and last.session == self.session and last.rows == rows:
                return
            self.screens.append(ScreenShot(len(self.lines.lines), self.session, rows))

    def text(self) -> str:
        with self.lock:
            return self.lines.text()

    def quiet_for(self) -> float:
        with self.lock:
            return time.monotonic() - self.last_byte_time
