"""The login form (src/hci/commands/login_cmd.c, src/hci/tui/login_ui.c)."""

from __future__ import annotations

from collections.abc import Callable

from ipxescript.sim import errors, keys
from ipxescript.sim.commands.menus import show_form
from ipxescript.sim.commands.registry import command
from ipxescript.sim.commands.settings import store
from ipxescript.sim.console import Screen
from ipxescript.sim.forms import Control
from ipxescript.sim.machine import Simulator
from ipxescript.sim.options import Parsed

LOGIN_ROWS = {"username": (8, 10), "password": (14, 16)}  # label row, edit box row (2019 login_ui)
LOGIN_COL, LOGIN_MAX = 36, 63
BOX_COL, BOX_WIDTH = 30, 20  # 2019 login_ui: "Username:" over a 20-wide box


@command("login")
def login(sim: Simulator, p: Parsed, argv0: str) -> int:
    """The 2019 two-box login form: Enter moves on and finally stores both; Esc/Ctrl-C cancel.
    Upstream's login_ui is a form (form_ui.c) of the two settings (recorded: `Username` over a
    40-wide box, a footer naming the keys, Ctrl-C failing with form_ui.c's ECANCELED)."""
    if not sim.profile.legacy:
        controls = [Control("username", "Username"), Control("password", "Password", secret=True)]
        status = show_form(sim, "", controls)
        if status:
            sim.out(f"Could not set credentials: {sim.strerror(status)}\n")
        return status
    values = {name: list(sim.settings.get(name) or "") for name in LOGIN_ROWS}
    screen = Screen()

    def draw() -> Screen:
        for name, (label_row, box_row) in LOGIN_ROWS.items():
            label = "Username" if name == "username" else "Password"
            screen.put(label_row, LOGIN_COL, label + ":")
            text = "".join(values[name])
            text = text[max(0, len(text) - BOX_WIDTH + 1) :]  # the box scrolls to keep the cursor in it
            shown = "*" * len(text) if name == "password" else text
            screen.put(box_row, BOX_COL, shown + "_" * (BOX_WIDTH - len(shown)))
        return screen

    sim.begin_screen()
    sim.snapshot(draw())
    if sim.inputs.exploring:
        cancelled = sim.decide("login", ["ENTER ENTER", "ESC"]) == 1
    else:
        cancelled = not _login_keys(sim, values, draw)
    if cancelled:
        status = sim.err(errors.LOGIN_CANCELLED)
        sim.out(f"Could not set credentials: {sim.strerror(status)}\n")
        return status
    for name in LOGIN_ROWS:
        status = store(sim, sim.settings.parse_name(name, create=True), "".join(values[name]))
        if status:
            return status
    return 0


def _login_keys(sim: Simulator, values: dict[str, list[str]], draw: Callable[[], Screen]) -> bool:
    names = list(LOGIN_ROWS)
    field = 0
    special = {v + sim.profile.key_offset: k for k, v in keys.SPECIAL.items()}
    while True:
        key = sim.wait_key(0, "login")
        assert key is not None
        text = values[names[field]]
        if key in (keys.ESC, keys.CTRL_C):
            return False
        if key in (keys.LF, 0x0D):
            if field == len(names) - 1:
                return True
            field += 1
        elif key == keys.TAB or special.get(key) in ("UP", "DOWN"):
            field = 1 - field
        elif key in (keys.BACKSPACE, 0x7F):
            if text:
                text.pop()
        elif key == 0x15:
            text.clear()
        elif 0x20 <= key < 0x7F and len(text) < LOGIN_MAX:
            text.append(chr(key))
        shown = draw()
        if sim.key_group_done():
            sim.snapshot(shown)
