"""Interactive ``ipxesim`` menus in a real terminal (tmux), read back with their colours and attributes.

A person sees which item is selected (iPXE's bold white on red; reverse video under NO_COLOR), the
countdown on that row, and the ``...`` markers when items are above or below the page.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

SGR = re.compile(r"\x1b\[([0-9;]*)m")
IPXESIM = [sys.executable, "-m", "ipxescript.sim.cli"]


class Pane:
    """One tmux server (its own socket) running one command in an 80x25 window."""

    def __init__(self, command: list[str], env: dict[str, str]) -> None:
        assert shutil.which("tmux"), "tmux is needed (apt-get install tmux)"
        self.socket = f"ipxesim-test-{uuid.uuid4().hex[:8]}"
        exports = " ".join(f"{k}={v}" for k, v in env.items())
        shell = f"env {exports} {' '.join(command)}; echo '[exited]'; sleep 60"
        self.tmux("new-session", "-d", "-x", "80", "-y", "25", shell)

    def tmux(self, *args: str) -> str:
        done = subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, timeout=20, check=True
        )
        return done.stdout

    def keys(self, *names: str) -> None:
        self.tmux("send-keys", *names)

    def screen(self) -> tuple[list[str], list[set[str]]]:
        """The rows' text, and for each row the set of attributes its characters have."""
        raw = self.tmux("capture-pane", "-p", "-e")
        rows, attrs = [], []
        for line in raw.split("\n")[:25]:
            text, seen, state = "", set(), set()
            pos = 0
            for match in SGR.finditer(line + "\x1b[m"):
                chunk = line[pos : match.start()]
                text += chunk
                if chunk.strip():
                    seen |= state
                pos = match.end()
                for code in (match.group(1) or "0").split(";"):
                    if code in ("", "0"):
                        state = set()
                    elif code == "1":
                        state.add("bold")
                    elif code == "7":
                        state.add("reverse")
                    elif code == "41":
                        state.add("red")
                    elif code == "46":
                        state.add("cyan")
                    elif code in ("49", "44"):
                        state.discard("red")
            rows.append(text)
            attrs.append(seen)
        return rows, attrs

    def wait_for(self, text: str, timeout: float = 30) -> tuple[list[str], list[set[str]]]:
        deadline = time.monotonic() + timeout
        while True:
            rows, attrs = self.screen()
            if any(text in r for r in rows):
                return rows, attrs
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} never appeared:\n" + "\n".join(rows))
            time.sleep(0.1)

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True, check=False)


@pytest.fixture
def pane() -> Iterator[object]:
    panes: list[Pane] = []

    def start(script: Path, *, env: dict[str, str] | None = None) -> Pane:
        variables = {"PYTHONPATH": os.pathsep.join(sys.path), "TERM": "xterm-256color", **(env or {})}
        panes.append(Pane([*IPXESIM, str(script)], variables))
        return panes[-1]

    yield start
    for p in panes:
        p.close()


def highlighted(rows: list[str], attrs: list[set[str]], mark: str) -> list[str]:
    return [r.strip() for r, a in zip(rows, attrs, strict=True) if mark in a and r.strip()]


@pytest.mark.timeout(120)
def test_selected_item_is_highlighted_and_moves_with_the_keys(pane, tmp_path: Path) -> None:
    script = tmp_path / "m.ipxe"
    script.write_text(
        "#!ipxe\nmenu Pick one\nitem a Alpha\nitem --gap Section\nitem b Beta\nchoose x\necho chose ${x}\n"
    )
    p = pane(script)
    rows, attrs = p.wait_for("Pick one")
    assert highlighted(rows, attrs, "red") == ["Alpha"]
    assert "bold" in attrs[1]  # the title
    p.keys("Down")  # skips the gap
    deadline = time.monotonic() + 20
    while highlighted(*p.screen(), "red") != ["Beta"]:
        assert time.monotonic() < deadline, "the highlight did not move to Beta:\n" + "\n".join(p.screen()[0])
        time.sleep(0.1)
    p.keys("Up")
    deadline = time.monotonic() + 20
    while highlighted(*p.screen(), "red") != ["Alpha"]:
        assert time.monotonic() < deadline, "the highlight did not move back to Alpha"
        time.sleep(0.1)
    p.keys("Down", "Enter")
    rows, _ = p.wait_for("[exited]")
    assert any(r.strip() == "chose b" for r in rows)


@pytest.mark.timeout(120)
def test_no_color_uses_reverse_video_and_countdown_ticks(pane, tmp_path: Path) -> None:
    script = tmp_path / "m.ipxe"
    items = "".join(f"item i{n:02} Item {n:02}\n" for n in range(1, 26))
    script.write_text(f"#!ipxe\nmenu Many\n{items}choose --timeout 4000 x\necho chose ${{x}}\n")
    p = pane(script, env={"NO_COLOR": "1"})
    rows, attrs = p.wait_for("Many")
    assert all("red" not in a for a in attrs)
    selected = highlighted(rows, attrs, "reverse")
    assert len(selected) == 1 and re.fullmatch(r"Item 01 +\([34]\)", selected[0]), selected
    assert rows[2].strip() == "" and rows[23].strip() == "..."  # more items below
    rows, attrs = p.wait_for("(2)")
    assert re.fullmatch(r"Item 01 +\(2\)", highlighted(rows, attrs, "reverse")[0])
    p.keys("PageDown")
    rows, attrs = p.wait_for("Item 21")
    assert rows[2].strip() == "..." and rows[23].strip() == ""  # more items above, none below
    assert highlighted(rows, attrs, "reverse") == ["Item 21"]  # a key ends the countdown
    p.keys("End", "Enter")
    rows, _ = p.wait_for("[exited]")
    assert any(r.strip() == "chose i25" for r in rows)


@pytest.mark.timeout(120)
def test_login_and_form_edit_boxes_on_a_terminal(pane, tmp_path: Path) -> None:
    """login's and present's edit boxes are black on cyan, a value the form cannot store is shown in
    an alert row, the screen is cleared when the form closes; the run goes on with what was typed (it
    crashed drawing the first edit box, and a form's screen stayed under the console text)."""
    script = tmp_path / "f.ipxe"
    script.write_text(
        "#!ipxe\nlogin\nform Network\nitem mydns:ipv4 DNS server\n"
        "present && echo user=${username} pw=${password} dns=${mydns} || echo cancelled\n"
    )
    p = pane(script)
    rows, attrs = p.wait_for("Username")
    boxes = [r.strip() for r, a in zip(rows, attrs, strict=True) if "cyan" in a]
    assert len(boxes) == 2 and all(b and set(b) == {"_"} for b in boxes), boxes  # empty username, password
    p.keys("bob", "Enter", "secret", "Enter")
    rows, attrs = p.wait_for("DNS server")
    p.keys("bad", "Enter")
    rows, attrs = p.wait_for("Invalid argument")
    assert any("red" in a for r, a in zip(rows, attrs, strict=True) if "Invalid argument" in r)
    p.keys("BSpace", "BSpace", "BSpace", "10.0.0.1", "Enter")
    rows, _ = p.wait_for("[exited]")
    # the form's screen is cleared when it closes (endwin), as a menu's is
    assert [r.strip() for r in rows if r.strip()] == [
        "user=bob pw=secret dns=10.0.0.1",
        "== exit 0",
        "[exited]",
    ]


@pytest.mark.timeout(120)
def test_ctrl_c_is_the_firmwares_key_and_ctrl_backslash_quits(pane, tmp_path: Path) -> None:
    """Ctrl-C cancels a menu and a sleep as on the firmware (it quit the simulator, "Aborted!"); a key
    typed during `sleep` is read and dropped (it went to the next menu); Ctrl-\\ leaves a loop."""
    script = tmp_path / "c.ipxe"
    script.write_text(
        "#!ipxe\nsleep 2\nmenu Pick\nitem a Alpha\nitem b Beta\nchoose x || goto cancelled\necho chose ${x}\n"
        "exit 0\n:cancelled\necho cancelled ${errno}\nsleep 30 || echo slept ${errno}\n"
        ":top\nprompt Press a key\ngoto top\n"
    )
    p = pane(script)
    p.keys("b")  # during the first sleep: dropped, so the menu waits
    p.wait_for("Beta")
    time.sleep(1.5)
    rows, _ = p.screen()
    assert any("Pick" in r for r in rows)
    p.keys("C-c")
    p.wait_for("cancelled 0xb2ce095")
    time.sleep(1)
    p.keys("C-c")
    p.wait_for("slept 0xb022095")
    p.wait_for("Press a key")
    p.keys("C-c")  # a key for the prompt: the loop goes on
    time.sleep(1)
    p.keys("C-\\")
    rows, _ = p.wait_for("[exited]")
    assert [r.strip() for r in rows if r.strip()][-2:] == ["Aborted!", "[exited]"]


@pytest.mark.timeout(120)
def test_a_menu_is_drawn_again_when_the_terminal_is_resized(pane, tmp_path: Path) -> None:
    """A smaller terminal got the 80-column rows wrapped and scrolled away (a blank window) and nothing
    was drawn again until a key; now what fits is drawn at once, and all of it when the size comes back."""
    script = tmp_path / "r.ipxe"
    script.write_text("#!ipxe\nmenu Pick one\nitem a Alpha\nitem b Beta\nchoose x\necho chose ${x}\n")
    p = pane(script)
    p.wait_for("Beta")
    p.tmux("resize-window", "-x", "60", "-y", "20")
    rows, _ = p.wait_for("Beta", timeout=10)
    assert rows[1].strip() == "Pick one" and rows[3].strip() == "Alpha"  # in place, not scrolled
    p.tmux("resize-window", "-x", "80", "-y", "25")
    p.wait_for("Beta", timeout=10)
    p.keys("Down", "Enter")
    p.wait_for("chose b")
