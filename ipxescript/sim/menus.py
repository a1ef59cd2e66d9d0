"""Menus: the ``menu``/``item`` model and ``choose``'s full-screen loop (src/hci/tui/menu_ui.c:
show_menu, menu_loop, draw_menu_item(s); src/hci/jumpscroll.c), drawn on an 80x25 grid.

``legacy`` is Debian's 2019 build: any key kills the countdown for good (no --retimeout), TAB does
nothing, and duplicate shortcut keys pick the item the 2019 loop lands on (DEBIAN-12-BUILD.md §3.6).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ipxescript.sim import errors, keys
from ipxescript.sim.console import COLS, ROWS, Screen

TICKS_PER_SEC = 1024
TITLE_ROW = 1
MENU_ROW = 3
MENU_COL = 1
MENU_ROWS = ROWS - 2 - MENU_ROW
MENU_COLS = COLS - 2
MENU_PAD = 2


@dataclass
class MenuItem:
    name: str | None
    text: str
    shortcut: int = 0
    default: bool = False
    secret: bool = False  # forms: the edit box shows stars


@dataclass
class Menu:
    name: str | None
    title: str
    items: list[MenuItem] = field(default_factory=list)


def initial_index(menu: Menu, select: str | None) -> int | None:
    """show_menu: first named item; else the --default of choose, else the last flagged item."""
    current = None
    for index, item in enumerate(menu.items):
        if item.name is None:
            continue
        if current is None:
            current = index
        if select is not None:
            if item.name == select:
                current = index
        elif item.default:
            current = index
    return current


@dataclass
class MenuScreen:
    """One choose session: the grid plus the scroller state (jump_scroller)."""

    menu: Menu
    current: int
    timeout: int  # remaining ticks (0 = none)
    first: int = 0
    screen: Screen = field(default_factory=Screen)

    @property
    def count(self) -> int:
        return len(self.menu.items)

    def jump_scroll(self) -> bool:
        if 0 <= self.current - self.first < MENU_ROWS:
            return False
        while self.first < self.current:
            self.first += MENU_ROWS
        while self.first > self.current:
            self.first -= MENU_ROWS
        return True

    def draw_item(self, index: int) -> None:
        row = MENU_ROW + index - self.first
        if not 0 <= index - self.first < MENU_ROWS:
            return
        if index >= self.count:
            self.screen.clear_to_eol(row, MENU_COL)
            return
        item = self.menu.items[index]
        style = "selected" if index == self.current else "normal" if item.name is not None else "gap"
        buf = [" "] * MENU_COLS
        text = item.text[: MENU_COLS - 2 * MENU_PAD]
        buf[MENU_PAD : MENU_PAD + len(text)] = list(text)
        if index == self.current and self.timeout:
            countdown = f"({(self.timeout + TICKS_PER_SEC - 1) // TICKS_PER_SEC})"[:5]
            start = MENU_COLS - MENU_PAD - len(countdown)
            buf[start : start + len(countdown)] = list(countdown)
        self.screen.put(row, MENU_COL, "".join(buf), style)

    def draw_items(self) -> None:
        self.screen.put(MENU_ROW - 1, MENU_COL + MENU_PAD, "   " if self.first == 0 else "...", "marker")
        last = self.first + MENU_ROWS >= self.count
        self.screen.put(MENU_ROW + MENU_ROWS, MENU_COL + MENU_PAD, "   " if last else "...", "marker")
        for i in range(MENU_ROWS):
            self.draw_item(self.first + i)

    def draw_initial(self) -> None:
        self.screen.clear()
        title = self.menu.title[:MENU_COLS]
        self.screen.put(TITLE_ROW, (COLS - len(title)) // 2, title, "title")
        self.jump_scroll()
        self.draw_items()
        self.draw_item(self.current)

    def scroll_key(self, key: int, key_offset: int, legacy: bool) -> int:
        """jump_scroll_key: the movement a key asks for."""
        special = {v + key_offset: k for k, v in keys.SPECIAL.items()}
        name = special.get(key)
        if name == "UP":
            return -1
        if name == "DOWN":
            return +1
        if name == "PGUP":
            return self.first - self.current - 1
        if name == "PGDN":
            return self.first - self.current + MENU_ROWS
        if name == "HOME":
            return -self.count
        if name == "END":
            return +self.count
        if key == keys.TAB and not legacy:
            return -self.count if self.current == self.count - 1 else +1
        return 0

    def scroll_move(self, move: int) -> int:
        current = self.current + move
        if current < 0:
            self.current = 0
            return +1
        if current > self.count - 1:
            self.current = self.count - 1
            return -1
        self.current = current
        return +1 if move > 0 else -1


KeyWait = Callable[[int], "int | None"]  # ticks to wait (0 = forever) -> key, or None on timeout
Show = Callable[[Screen], None]  # the screen as it stands (its text, styles and highlighted row)

# How the firmware's screen is observed (tests/oracle, and a person at the keyboard): a screen is taken
# once it has rested 0.35 s, and a key comes only after the screen has rested 0.6 s. So a countdown
# tick due sooner than that is drawn before the key arrives. (1 tick = 1 ms; a menu "second" is 1024.)
REST_TICKS = 350
KEY_DELAY_TICKS = 600
KEY_UNANSWERED_TICKS = 2000  # a key the firmware does not answer is followed by the next after 2 s


def run_menu(
    menu: Menu,
    timeout: int,
    retimeout: int,
    select: str | None,
    wait_key: KeyWait,
    snapshot: Show,
    *,
    legacy: bool,
    key_offset: int,
    keys_pending: Callable[[], bool] = lambda: False,
    key_group_done: Callable[[], bool] = lambda: True,
    elapse: Callable[[int], None] = lambda ticks: None,
    on_redraw: Show | None = None,
) -> tuple[int, MenuItem | None]:
    """show_menu + menu_loop. Returns (status, chosen item); snapshots the screen when it rests."""
    current = initial_index(menu, select)
    if current is None:
        return errors.MENU_EMPTY, None
    ui = MenuScreen(menu, current, timeout)
    ui.draw_initial()
    pending_snapshot = True
    chosen = False
    status = 0
    while True:
        previous = ui.current
        wait = ui.timeout % TICKS_PER_SEC
        if wait == 0 and ui.timeout:
            wait = TICKS_PER_SEC
        ui.timeout -= wait
        if pending_snapshot and (wait == 0 or wait >= REST_TICKS):
            snapshot(ui.screen)
            pending_snapshot = False
        move = 0
        if wait and wait < KEY_DELAY_TICKS and keys_pending():
            elapse(wait)  # the countdown ticks before the next key can come
            key = None
        else:
            key = wait_key(wait)
        if key is None:
            if ui.timeout == 0:
                chosen = True
        else:
            ui.timeout = 0 if legacy else retimeout
            move = ui.scroll_key(key, key_offset, legacy)
            if key in (keys.ESC, keys.CTRL_C):
                status = errors.CHOOSE_CANCELLED
            elif key in (keys.LF, 0x0D):
                chosen = True
            elif legacy:
                chosen, move = _legacy_shortcut(ui, key, chosen, move)
            else:
                chosen, move = _shortcut(ui, key, chosen, move)
        while move:
            move = ui.scroll_move(move)
            if ui.current < ui.count and ui.menu.items[ui.current].name is not None:
                break
        if ui.current != previous or wait:
            ui.draw_item(previous)
            if ui.jump_scroll():
                ui.draw_items()
            ui.draw_item(ui.current)
        if key is not None and key_group_done():
            pending_snapshot = True
        elif on_redraw is not None:
            on_redraw(ui.screen)  # a countdown tick: shown live, not recorded
        if status or chosen:
            break
    snapshot(ui.screen)
    return status, ui.menu.items[ui.current]


def _legacy_shortcut(ui: MenuScreen, key: int, chosen: bool, move: int) -> tuple[bool, int]:
    # 2019 menu_loop: the index is not advanced after a match (the duplicate-shortcut bug)
    i = 0
    for item in ui.menu.items:
        if item.shortcut != key:
            i += 1
            continue
        ui.current = i
        if item.name is not None:
            chosen = True
        else:
            move = +1
    return chosen, move


def _shortcut(ui: MenuScreen, key: int, chosen: bool, move: int) -> tuple[bool, int]:
    # upstream dynui_shortcut: the next item with that key at or after the cursor, wrapping
    for offset in range(ui.count):
        index = (ui.current + offset) % ui.count
        item = ui.menu.items[index]
        if item.shortcut == key:
            ui.current = index
            if item.name is not None:
                return True, move
            return chosen, +1
    return chosen, move
