"""Interactive runs on a terminal: keys from the keyboard, menus drawn as iPXE draws them, real time."""

from __future__ import annotations

import os
import select
import sys
import termios
import time
import tty

from ipxescript.sim import keys

TICKS_PER_SEC = 1024  # timer ticks; a --timeout in ms is taken as that many ticks

# ANSI sequences a terminal sends -> key names (as OVMF's terminal turns them into iPXE keys)
SEQUENCES = {
    "[A": "UP",
    "[B": "DOWN",
    "[C": "RIGHT",
    "[D": "LEFT",
    "[H": "HOME",
    "[F": "END",
    "OH": "HOME",
    "OF": "END",
    "[1~": "HOME",
    "[4~": "END",
    "[2~": "INSERT",
    "[3~": "DELETE",
    "[5~": "PGUP",
    "[6~": "PGDN",
    "OP": "F1",
    "OQ": "F2",
    "OR": "F3",
    "OS": "F4",
    "[15~": "F5",
    "[17~": "F6",
    "[18~": "F7",
    "[19~": "F8",
    "[20~": "F9",
    "[21~": "F10",
    "[23~": "F11",
    "[24~": "F12",
}


class Terminal:
    def __init__(self, key_offset: int = 0) -> None:
        self.fd = sys.stdin.fileno()
        self.saved = termios.tcgetattr(self.fd)
        tty.setcbreak(self.fd)
        self.key_offset = key_offset

    def close(self) -> None:
        termios.tcsetattr(self.fd, termios.TCSADRAIN, self.saved)

    def _read_byte(self, timeout: float | None) -> str | None:
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return None
        return os.read(self.fd, 1).decode("latin-1")

    def wait_key(self, ticks: int) -> int | None:
        """getkey(): ticks of 1/1024 s; 0 waits forever."""
        char = self._read_byte(ticks / TICKS_PER_SEC if ticks else None)
        if char is None:
            return None
        if char == "\x1b":
            seq = ""
            while True:
                nxt = self._read_byte(0.05)
                if nxt is None:
                    break
                seq += nxt
                if seq in SEQUENCES or (len(seq) > 1 and (nxt.isalpha() or nxt == "~")):
                    break
            if not seq:
                return keys.ESC
            name = SEQUENCES.get(seq)
            return keys.key_code(name, self.key_offset) if name else keys.ESC
        if char == "\r":
            return keys.LF
        if char == "\x7f":
            return keys.BACKSPACE
        return ord(char)

    def draw(self, rows: list[str]) -> None:
        text = "\x1b[2J\x1b[H" + "\r\n".join(rows) + "\x1b[H"
        sys.stdout.flush()  # menu titles may hold bytes that are not UTF-8 (surrogateescape)
        sys.stdout.buffer.write(text.encode("utf-8", "surrogateescape"))
        sys.stdout.buffer.flush()

    def end_screen(self) -> None:
        sys.stdout.write("\x1b[2J\x1b[H")
        sys.stdout.flush()

    def sleep(self, seconds: int) -> None:
        time.sleep(seconds)
