"""Normalising and diffing transcripts: the same rules for the firmware's recording and the simulator."""

from __future__ import annotations

import difflib
import json
import re
from pathlib import Path

from .builds import DEFAULT_PROFILE
from .cases import EXPECTED_DIR
from .firmware import Transcript
from .vt import COLS, ROWS, render_text

# `ifstat`'s packet counters count the boot's own traffic (an environment value): compared as X
COUNTERS = re.compile(r"TX:\d+ TXE:\d+ RX:\d+ RXE:\d+")
# ...and its error lines (`[TXE: 2 x "Operation canceled ..."]`) count what went wrong on the link since
# the boot began (earlier cases, packets the network sent while the interface was open): left out
ERROR_LINES = re.compile(r'^ *\[(?:TXE|RXE): \d+ x ".*"\]\n', re.MULTILINE)


def normalize_console(text: str) -> list[str]:
    """Console text as lines: `\\r`/`\\b` overwriting applied, line ends stripped, bytes >= 0x80 as `?`,
    `ifstat`'s packet counters as X and its error lines left out."""
    text = "".join(ch if ord(ch) < 0x80 else "?" for ch in text)
    text = ERROR_LINES.sub("", render_text(text))
    return COUNTERS.sub("TX:X TXE:X RX:X RXE:X", text).split("\n")


def normalize_screen(screen: list[str] | str) -> list[str]:
    """A screen as exactly 25 rows without trailing spaces (rows may come as a list or one string)."""
    rows = screen.split("\n") if isinstance(screen, str) else list(screen)
    rows = [r.rstrip()[:COLS] for r in rows][:ROWS]
    return rows + [""] * (ROWS - len(rows))


def diff(label: str, expected: list[str], actual: list[str]) -> str:
    lines = difflib.unified_diff(
        expected, actual, f"firmware {label}", f"simulator {label}", lineterm="", n=2
    )
    return "\n".join(lines)


def compare(expected: Transcript, console: str, screens: list[list[str] | str], status: int) -> list[str]:
    """Differences between a recorded firmware transcript and another run, as readable reports."""
    problems = []
    want, got = normalize_console(expected.console), normalize_console(console)
    if want != got:
        problems.append("console differs:\n" + diff("console", want, got))
    want_screens = [normalize_screen(s) for s in expected.screens]
    got_screens = [normalize_screen(s) for s in screens]
    if len(want_screens) != len(got_screens):
        problems.append(f"firmware drew {len(want_screens)} screen(s), simulator {len(got_screens)}")
    for i, (want_s, got_s) in enumerate(zip(want_screens, got_screens, strict=False)):
        if want_s != got_s:
            problems.append(f"screen {i + 1} differs:\n" + diff(f"screen {i + 1}", want_s, got_s))
    if expected.status != status:
        problems.append(f"status differs: firmware {expected.status:#x}, simulator {status:#x}")
    return problems


def expected_path(name: str, profile: str = DEFAULT_PROFILE) -> Path:
    """Each profile's firmware has its own recordings: expected/PROFILE/NAME.json."""
    return EXPECTED_DIR / profile / f"{name}.json"


def load_expected(name: str, profile: str = DEFAULT_PROFILE) -> Transcript:
    return Transcript.from_json(json.loads(expected_path(name, profile).read_text()))


def save_expected(transcript: Transcript, profile: str = DEFAULT_PROFILE) -> Path:
    path = expected_path(transcript.name, profile)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(transcript.to_json(), indent=1, ensure_ascii=False) + "\n")
    return path
