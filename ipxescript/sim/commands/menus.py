"""Menus and forms (menu_cmd.c in 2019, dynui_cmd.c upstream: menu, item, choose, present)."""

from __future__ import annotations

from ipxescript.sim import errors
from ipxescript.sim.commands.registry import command, ticks
from ipxescript.sim.commands.settings import parse_setting, store
from ipxescript.sim.errors import IpxeError
from ipxescript.sim.forms import FORM_CANCELLED, Control, Form, FormIO, run_form
from ipxescript.sim.machine import Simulator
from ipxescript.sim.menus import Menu, MenuItem, initial_index, run_menu
from ipxescript.sim.options import Parsed
from ipxescript.sim.status import RunEnded


def find_menu(sim: Simulator, name: str | None) -> Menu:
    for menu in sim.menus:
        if menu.name == name:
            return menu
    default, named = sim.profile.menu_messages
    raise IpxeError(sim.err(errors.NO_SUCH_MENU), default if name is None else named.format(name))


@command("menu", "form")
def menu(sim: Simulator, p: Parsed, argv0: str) -> int:
    name = p.options.get("name")
    sim.menus = [m for m in sim.menus if m.name != name]
    created = Menu(name, " ".join(p.args))
    if not p.options.get("delete"):
        sim.menus.append(created)
    return 0


@command("item")
def item(sim: Simulator, p: Parsed, argv0: str) -> int:
    target = find_menu(sim, p.options.get("menu") or p.options.get("form"))
    if p.options.get("gap"):
        entry = MenuItem(None, " ".join(p.args))
    else:
        entry = MenuItem(p.args[0] if p.args else None, " ".join(p.args[1:]))
    entry.shortcut = p.options.get("key", 0)
    entry.default = bool(p.options.get("default"))
    entry.secret = bool(p.options.get("secret"))
    target.items.append(entry)
    return 0


@command("choose")
def choose(sim: Simulator, p: Parsed, argv0: str) -> int:
    ref = parse_setting(sim, p.args[0], create=True)
    target = find_menu(sim, p.options.get("menu"))
    try:
        status, chosen = show_menu(sim, target, p)
        if status:
            return sim.err(status)
        assert chosen is not None
        if ref.type is None:
            ref.type = "string"
        return store(sim, ref, chosen.name or "")
    finally:
        if not p.options.get("keep") and target in sim.menus:
            sim.menus.remove(target)


def show_menu(sim: Simulator, target: Menu, p: Parsed) -> tuple[int, MenuItem | None]:
    timeout = ticks(p.options.get("timeout", 0))
    retimeout = ticks(p.options.get("retimeout", 0))
    select = p.options.get("default")
    named = [i for i in target.items if i.name is not None]
    if not named:
        return errors.MENU_EMPTY, None
    if sim.inputs.exploring:
        options = [f"{i.name}" for i in named] + ["ESC"]
        if timeout:
            options.append("timeout")
        choice = options[sim.decide("menu", options)]
        if choice == "ESC":
            return errors.CHOOSE_CANCELLED, None
        if choice == "timeout":
            sim.advance(timeout)
            index = initial_index(target, select)
            return 0, target.items[index or 0]
        return 0, next(i for i in named if i.name == choice)
    if sim.inputs.choose_ids:
        wanted = sim.inputs.choose_ids.popleft()
        for entry in named:
            if entry.name == wanted:
                return 0, entry
        ids = ", ".join(i.name or "" for i in named)
        message = f"--choose {wanted}: the menu has no item {wanted!r} (its items: {ids})"
        raise RunEnded("error", 0, {"message": message})
    sim.begin_screen()
    try:
        return run_menu(
            target,
            timeout,
            retimeout,
            select,
            lambda t: sim.wait_key(t, "menu"),
            sim.snapshot,
            legacy=sim.profile.legacy,
            key_offset=sim.profile.key_offset,
            keys_pending=lambda: bool(sim.inputs.keys),
            key_group_done=sim.key_group_done,
            elapse=sim.advance,
            on_redraw=None if sim.interactive is None else sim.interactive.draw,
        )
    finally:
        if sim.interactive is not None:
            sim.interactive.end_screen()


@command("present")
def present(sim: Simulator, p: Parsed, argv0: str) -> int:
    target = find_menu(sim, p.options.get("form"))
    try:
        controls = [Control(i.name, i.text, i.secret, i.shortcut, i.default) for i in target.items]
        return show_form(sim, target.title, controls)
    finally:
        if not p.options.get("keep") and target in sim.menus:
            sim.menus.remove(target)


def show_form(sim: Simulator, title: str, controls: list[Control]) -> int:
    """form_ui.c show_form: the settings' current values in the boxes, then the form loop."""
    refs = {}
    for control in controls:
        if control.name is not None:
            refs[id(control)] = parse_setting(sim, control.name, create=True)
            control.value = list(sim.settings.get(control.name) or "")
            control.cursor = len(control.value)
    form = Form(title, controls)
    status = form.layout()
    if status:
        return sim.err(status)
    if sim.inputs.exploring:
        if sim.decide("form", ["CTRL-X", "ESC"]) == 1:
            return sim.err(FORM_CANCELLED)
        return 0

    def store_control(control: Control) -> int:
        ref = refs[id(control)]
        try:
            sim.settings.store_text(ref, "".join(control.value))
        except IpxeError as exc:
            return sim.err(exc.status)
        return 0

    def wait_key() -> int:
        key = sim.wait_key(0, "form")
        assert key is not None
        return key

    sim.begin_screen()
    io = FormIO(
        wait_key, sim.snapshot, sim.key_group_done, store_control, sim.strerror, sim.profile.key_offset
    )
    try:
        status = run_form(form, io)
    finally:
        if sim.interactive is not None:
            sim.interactive.end_screen()  # endwin() clears the screen, as after a menu
    return sim.err(status) if status else 0
