"""Interactive runs on a terminal: keys from the keyboard, menus drawn as iPXE draws them, real time."""

from __future__ import annotations

import os
import select
import signal
import sys
import termios
import threading
import time
import tty
from collections.abc import Callable
from typing import TypeVar

from ipxescript.sim import keys
from ipxescript.sim.console import Screen
from ipxescript.sim.fetch import Transfer

T = TypeVar("T")

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


# Screen styles as SGR sequences: iPXE's colours (white on blue, the highlighted row bold white on red,
# gaps and scroll markers cyan; a form's edit boxes black on cyan, its errors white on red), or, under
# NO_COLOR, attributes alone (the highlight and edit boxes in reverse video, errors bold).
COLOUR = {
    "normal": "0;37;44",
    "title": "0;1;37;44",
    "selected": "0;1;37;41",
    "gap": "0;36;44",
    "marker": "0;36;44",
    "edit": "0;30;46",
    "alert": "0;37;41",
}
MONO = {
    "normal": "0",
    "title": "0;1",
    "selected": "0;7",
    "gap": "0",
    "marker": "0",
    "edit": "0;7",
    "alert": "0;1",
}


def _quit(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # Ctrl-\ leaves the simulator the way Ctrl-C does elsewhere ("Aborted!")


class Terminal:
    """The keyboard and screen of an interactive run. While the firmware reads keys (a menu, prompt,
    read, sleep, the shell) Ctrl-C is its key (iPXE cancels with it); Ctrl-\\ then quits the simulator.
    While it is busy (a long run) Ctrl-C quits, as in any program; during a download it cancels it."""

    def __init__(self, key_offset: int = 0, colour: bool | None = None) -> None:
        self.fd = sys.stdin.fileno()
        self.saved = termios.tcgetattr(self.fd)
        tty.setcbreak(self.fd)
        self.busy = termios.tcgetattr(self.fd)
        self.reading = termios.tcgetattr(self.fd)
        self.reading[6][termios.VINTR] = 0  # _POSIX_VDISABLE: Ctrl-C arrives as the byte 0x03
        self.saved_quit = signal.signal(signal.SIGQUIT, _quit)
        self.saved_winch = signal.signal(signal.SIGWINCH, self._resized)
        self.screen: Screen | None = None  # the full-screen UI up now, drawn again after a resize
        self.waiting = False  # in select(): a resize may draw (never in the middle of a draw)
        self.key_offset = key_offset
        self.drawing = False  # a screen is up (drawn over in place) or not (cleared first)
        self.styles = COLOUR if (colour if colour is not None else "NO_COLOR" not in os.environ) else MONO

    def close(self) -> None:
        termios.tcsetattr(self.fd, termios.TCSADRAIN, self.saved)
        signal.signal(signal.SIGQUIT, self.saved_quit)
        signal.signal(signal.SIGWINCH, self.saved_winch)

    def _resized(self, signum: int, frame: object) -> None:
        """The terminal changed size: it dropped (or moved) what was drawn, so draw the screen again."""
        if self.waiting and self.screen is not None:
            self.drawing = False
            self.draw(self.screen)

    def _read_byte(self, timeout: float | None) -> str | None:
        termios.tcsetattr(self.fd, termios.TCSANOW, self.reading)
        try:
            self.waiting = True
            try:
                ready, _, _ = select.select([self.fd], [], [], timeout)
            finally:
                self.waiting = False
            if not ready:
                return None
            return os.read(self.fd, 1).decode("latin-1")
        finally:
            termios.tcsetattr(self.fd, termios.TCSANOW, self.busy)

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

    def draw(self, screen: Screen) -> None:
        """Draw the whole 80x25 screen with its styles, from the top left; on a smaller terminal what
        fits (a full row there wraps, and a row past the bottom scrolls the rest away)."""
        self.screen = screen
        try:
            columns, lines = os.get_terminal_size(sys.stdout.fileno())
        except OSError:
            columns, lines = 0, 0
        if not columns or not lines:  # a terminal that does not say its size (a bare pty: 0x0)
            columns, lines = 80, 25
        out = ["\x1b[H" if self.drawing else "\x1b[0m\x1b[2J\x1b[H"]
        self.drawing = True
        for row in range(min(len(screen.cells), lines)):
            out.append(f"\x1b[{row + 1};1H")
            room = columns
            for style, text in screen.runs(row):
                if room <= 0:
                    break
                out.append(f"\x1b[{self.styles[style]}m{text[:room]}")
                room -= len(text)
        out.append("\x1b[0m\x1b[H")
        sys.stdout.flush()  # menu titles may hold bytes that are not UTF-8 (surrogateescape)
        sys.stdout.buffer.write("".join(out).encode("utf-8", "surrogateescape"))
        sys.stdout.buffer.flush()

    def end_screen(self) -> None:
        self.drawing = False
        self.screen = None
        sys.stdout.write("\x1b[0m\x1b[2J\x1b[H")
        sys.stdout.flush()

    def sleep(self, seconds: int) -> bool:
        """sleep(): False when Ctrl-C ended it; other keys are read and dropped (keypress_interrupted)."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            if self._read_byte(left) == "\x03":
                return False
        return True

    def fetching(self, fetch: Callable[[], T], transfer: Transfer, out: Callable[[str], None]) -> T | None:
        """monojob_wait on a terminal: while `fetch` runs (in a thread), once a second its progress
        (` NN%` erased again when the size is known, else a `.` that stays); Ctrl-C cancels: None (the
        thread is left to end on its own network timeout). Other keys are read and dropped."""
        done: list[T] = []
        failed: list[BaseException] = []

        def run() -> None:
            try:
                done.append(fetch())
            except BaseException as exc:  # raised again here, in the run's thread
                failed.append(exc)

        worker = threading.Thread(target=run, daemon=True)
        worker.start()
        shown = 0
        tick = time.monotonic() + 1
        # Ctrl-C is a byte for the whole wait (toggled per read, one typed in between was a SIGINT)
        termios.tcsetattr(self.fd, termios.TCSANOW, self.reading)
        try:
            while worker.is_alive():
                ready, _, _ = select.select([self.fd], [], [], min(0.1, max(tick - time.monotonic(), 0)))
                if ready and os.read(self.fd, 1) == b"\x03":
                    out("\b \b" * shown)
                    return None
                if time.monotonic() >= tick and worker.is_alive():
                    out("\b \b" * shown)
                    total, now = transfer.total, transfer.done
                    text = f"{100 * (now // 128) // (total // 128):3d}%" if total and total >= 128 else "."
                    out(text)
                    shown = len(text) if total and total >= 128 else 0
                    tick += 1
        finally:
            termios.tcsetattr(self.fd, termios.TCSANOW, self.busy)
        out("\b \b" * shown)
        if failed:
            raise failed[0]
        return done[0]
