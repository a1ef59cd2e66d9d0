"""Forms: upstream's ``present`` and ``login`` screen (src/hci/tui/form_ui.c: layout_form, draw_form,
form_loop), drawn on an 80x25 grid. The layout and every text position were recorded on ipxe.efi and
ipxe.lkrn (tests/oracle/cases/form_present_*, login_*).

Each named item is an edit box of half the screen's width under its label (the item's text, centred);
a blank row goes between controls and after each label while the rows last. Enter moves to the next
input and submits on the last one (or on one whose last store failed); Ctrl-X submits; Esc/Ctrl-C
cancel. A store that fails shows its error, centred, under its box, and the form stays.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ipxescript.sim import keys
from ipxescript.sim.console import COLS, ROWS, Screen
from ipxescript.sim.lineedit import edit_key

TITLE_ROW = 1
START_ROW = 3
END_ROW = ROWS - 3
INSTRUCTION_ROW = ROWS - 2
INSTRUCTIONS = "Ctrl-X - save changes     Ctrl-C - discard changes"
INPUT_WIDTH = COLS // 2
INPUT_COL = (COLS - INPUT_WIDTH) // 2

FORM_NO_INPUTS = 0x1C63E082  # form_ui.c EINVAL (observed: present of a form with only labels)
FORM_TOO_BIG = 0x4663E085  # form_ui.c ERANGE (observed: seven labelled inputs)
FORM_CANCELLED = 0x0B63E095  # form_ui.c ECANCELED (observed: Esc in present, Ctrl-C in login)


@dataclass
class Control:
    name: str | None  # the setting an input edits; None for a label
    text: str  # the label ("" for none)
    secret: bool = False
    shortcut: int = 0
    default: bool = False
    label_row: int = 0
    box_row: int = 0
    value: list[str] = field(default_factory=list)
    cursor: int = 0
    first: int = 0  # the first character the box shows
    status: int = 0  # the last store's failure


def centre(screen: Screen, row: int, text: str, style: str = "normal") -> None:
    """message.c msg(): the text centred on its row."""
    screen.put(row, max(0, (COLS - len(text)) // 2), text, style)


@dataclass
class Form:
    title: str
    controls: list[Control]
    screen: Screen = field(default_factory=Screen)
    current: int = 0
    count: int = 0  # controls up to and including the last input (the scroller's range)

    def layout(self) -> int:
        """layout_form: rows for labels and boxes; a status when the form cannot be shown."""
        labels = sum(1 for c in self.controls if c.text)
        inputs = [i for i, c in enumerate(self.controls) if c.name is not None]
        if not inputs:
            return FORM_NO_INPUTS
        defaults = [i for i in inputs if self.controls[i].default]
        self.current = defaults[-1] if defaults else inputs[0]
        self.count = inputs[-1] + 1
        minimum = labels + 2 * len(inputs)
        remaining = END_ROW - START_ROW
        if minimum > remaining:
            return FORM_TOO_BIG
        remaining -= minimum
        pad_control = pad_label = 0
        if len(self.controls) - 1 <= remaining:
            pad_control = 1
            remaining -= len(self.controls) - 1
        if labels <= remaining:
            pad_label = 1
            remaining -= labels
        row = START_ROW + remaining // 2
        for control in self.controls:
            if control.text:
                control.label_row = row
                row += 1 + pad_label
            if control.name is not None:
                control.box_row = row
                row += 2  # the box and its error message
            row += pad_control
        return 0

    def draw(self) -> None:
        self.screen.clear()
        if self.title:
            centre(self.screen, TITLE_ROW, self.title, "title")
        for control in self.controls:
            if control.label_row:
                centre(self.screen, control.label_row, control.text)
            if control.name is not None:
                self.draw_box(control)
        centre(self.screen, INSTRUCTION_ROW, INSTRUCTIONS)

    def draw_box(self, control: Control) -> None:
        """draw_editbox: the text from the scrolled offset, padded with underscores."""
        if control.cursor < control.first:
            control.first = control.cursor
        if control.cursor > control.first + INPUT_WIDTH - 1:
            control.first = control.cursor - INPUT_WIDTH + 1
        shown = "".join(control.value)[control.first : control.first + INPUT_WIDTH]
        if control.secret:
            shown = "*" * len(shown)
        self.screen.put(control.box_row, INPUT_COL, shown + "_" * (INPUT_WIDTH - len(shown)), "edit")

    def draw_errors(self, strerror: Callable[[int], str]) -> None:
        for control in self.controls:
            if control.name is None:
                continue
            row = control.box_row + 1
            self.screen.clear_to_eol(row, 0)
            if control.status:
                centre(self.screen, row, f" {strerror(control.status)} ", "alert")

    def scroll_key(self, key: int, key_offset: int) -> int:
        """jump_scroll_key over the form's inputs (every control fits on the screen)."""
        special = {v + key_offset: k for k, v in keys.SPECIAL.items()}.get(key)
        if special == "UP":
            return -1
        if special in ("DOWN", "PGDN"):
            return +1 if special == "DOWN" else self.count - 1 - self.current
        if special == "PGUP":
            return -self.current - 1
        if key == keys.TAB:
            return -self.count if self.current == self.count - 1 else +1
        return 0

    def move(self, move: int) -> None:
        while move:
            current = self.current + move
            if current < 0:
                self.current, move = 0, +1
            elif current > self.count - 1:
                self.current, move = self.count - 1, -1
            else:
                self.current, move = current, (+1 if move > 0 else -1)
            if self.controls[self.current].name is not None:
                break


@dataclass
class FormIO:
    """What the loop needs from the machine: keys, screens, stores and error texts."""

    wait_key: Callable[[], int]
    snapshot: Callable[[Screen], None]
    key_group_done: Callable[[], bool]
    store: Callable[[Control], int]  # store the control's text; 0 or the failure
    strerror: Callable[[int], str]
    key_offset: int


def run_form(form: Form, io: FormIO) -> int:
    """show_form after layout: draw, then form_loop until submitted (0) or cancelled."""
    form.draw()
    io.snapshot(form.screen)
    while True:
        control = form.controls[form.current]
        key = io.wait_key()
        special = {v + io.key_offset: k for k, v in keys.SPECIAL.items()}.get(key)
        cursor = edit_key(control.value, control.cursor, key, special)
        move = 0
        if cursor is not None:
            control.cursor = cursor
            form.draw_box(control)
        elif key in (keys.ESC, keys.CTRL_C):
            return FORM_CANCELLED
        else:
            move = form.scroll_key(key, io.key_offset)
            submit = key == 0x18  # Ctrl-X
            if key in (keys.LF, 0x0D):
                if control.status == 0 and form.current < form.count - 1:
                    move = +1
                else:
                    submit = True
            elif not submit and not move:
                move = _shortcut(form, key)
            if submit:
                failed = 0
                for each in form.controls:
                    if each.name is not None:
                        each.status = io.store(each)
                        failed = each.status or failed
                form.draw_errors(io.strerror)
                if not failed:
                    io.snapshot(form.screen)
                    return 0
                if control.status == 0:
                    form.current = next(i for i, c in enumerate(form.controls) if c.status)
        form.move(move)
        if io.key_group_done():
            io.snapshot(form.screen)


def _shortcut(form: Form, key: int) -> int:
    """dynui_shortcut: the first control with that key (on a label, the cursor moves on)."""
    for index, control in enumerate(form.controls):
        if key and control.shortcut == key:
            form.current = index
            return +1 if control.name is None else 0
    return 0
