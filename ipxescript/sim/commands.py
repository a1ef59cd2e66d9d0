"""The commands of the simulated firmware, each as iPXE's *_exec does it (cites in the reference:
src/core/exec.c, src/hci/commands/*.c, src/image/script.c). ``run_command`` is execv's dispatch."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ipxescript.sim import errors, keys, types
from ipxescript.sim.console import Screen
from ipxescript.sim.errors import IpxeError
from ipxescript.sim.menus import TICKS_PER_SEC, Menu, MenuItem, initial_index, run_menu
from ipxescript.sim.options import Parsed, UsageError, parse_argv, parse_integer, usage_text
from ipxescript.sim.settings import SettingRef
from ipxescript.sim.state import RunEnded

if TYPE_CHECKING:
    from ipxescript.sim.machine import Simulator

Handler = Callable[["Simulator", Parsed, str], int]
HANDLERS: dict[str, Handler] = {}


def command(*names: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        for name in names:
            HANDLERS[name] = handler
        return handler

    return register


def run_command(sim: Simulator, argv: list[str]) -> int:
    name = argv[0]
    if name not in sim.profile.commands:
        sim.out(f"{name}: command not found\n")
        return sim.err(errors.COMMAND_NOT_FOUND)
    if name == "help":
        return help_command(sim)
    try:
        parsed = parse_argv(argv, sim.profile)
        handler = HANDLERS.get(name, not_simulated)
        return handler(sim, parsed, argv[0])
    except UsageError as exc:
        if exc.message:
            sim.out(exc.message + "\n")
        if exc.usage:
            sim.out(usage_text(argv[0], sim.profile))
        return sim.err(exc.status)
    except IpxeError as exc:
        if exc.message:
            sim.out(exc.message + "\n")
        return sim.err(exc.status)


def ticks(ms: int) -> int:
    """parse_timeout: TICKS_PER_MS is 1, so N ms become N ticks of 1/1024 s (src/include/ipxe/timer.h)."""
    return ms


def not_simulated(sim: Simulator, parsed: Parsed, argv0: str) -> int:
    sim.notes.append(f"{sim.where()}: '{argv0}' is not simulated; it was assumed to succeed")
    return 0


def help_command(sim: Simulator) -> int:
    out = ["\nAvailable commands:\n\n"]
    hpos = 0
    for name in sim.profile.command_order:
        text = f"  {name}"
        out.append(text)
        hpos += len(text)
        if hpos > 16 * 4:
            out.append("\n")
            hpos = 0
        else:
            pad = (16 - hpos % 16) % 16
            out.append(" " * pad)
            hpos += pad
    out.append('\n\nType "<command> --help" for further information\n\n')
    sim.out("".join(out))
    return 0


# -- core (src/core/exec.c) ---------------------------------------------------------------------------


@command("echo")
def echo(sim: Simulator, p: Parsed, argv0: str) -> int:
    sim.out(" ".join(p.args) + ("" if p.options.get("n") else "\n"))
    return 0


@command("exit")
def exit_(sim: Simulator, p: Parsed, argv0: str) -> int:
    value = parse_integer(p.args[0], sim.profile) if p.args else 0
    if sim.frames and not sim.in_shell:
        sim.frames[-1].exited = True
    sim.shell_stop(2)
    return errors.errno_of_exit(value)


@command("isset")
def isset(sim: Simulator, p: Parsed, argv0: str) -> int:
    return 0 if p.args[0] else sim.err(errors.ISSET_FALSE)


@command("iseq")
def iseq(sim: Simulator, p: Parsed, argv0: str) -> int:
    return 0 if p.args[0] == p.args[1] else sim.err(errors.ISEQ_FALSE)


@command("sleep")
def sleep(sim: Simulator, p: Parsed, argv0: str) -> int:
    seconds = parse_integer(p.args[0], sim.profile)
    if not seconds:
        return 0
    # sleep reads the keyboard: Ctrl-C aborts it. Other --keys are left for the commands that wait for
    # input (a person typing ahead of a prompt would lose them here; a key list is meant for prompts).
    if sim.inputs.keys and sim.inputs.keys[0].code == keys.CTRL_C:
        sim.inputs.keys.popleft()
        sim.advance(TICKS_PER_SEC // 2)
        return sim.err(errors.SLEEP_CANCELLED)
    if sim.interactive is not None:
        sim.interactive.sleep(seconds)
    sim.advance(seconds * TICKS_PER_SEC)
    return 0


# -- script control (src/image/script.c) --------------------------------------------------------------


@command("goto")
def goto(sim: Simulator, p: Parsed, argv0: str) -> int:
    if not sim.frames:
        status = sim.err(errors.GOTO_NOT_IN_SCRIPT)
        sim.out(f"Not in a script: {sim.strerror(status)}\n")
        return status
    frame = sim.frames[-1]
    frame.index = sim.find_label(frame, p.args[0])
    sim.shell_stop(1)
    return 0


@command("prompt")
def prompt(sim: Simulator, p: Parsed, argv0: str) -> int:
    text = " ".join(p.args)
    wanted = p.options.get("key", 0)
    timeout = ticks(p.options.get("timeout", 0))
    sim.out(text)
    if sim.inputs.exploring:
        options = [f"key {keys.key_label(wanted, sim.profile.key_offset)}" if wanted else "any key"]
        if wanted:
            options.append("another key")
        if timeout:
            options.append("timeout")
        choice = options[sim.decide("prompt", options)]
        sim.out("\b \b" * len(text))
        if choice == "timeout":
            sim.advance(timeout)
            return sim.err(errors.PROMPT_TIMED_OUT)
        return sim.err(errors.PROMPT_CANCELLED) if choice == "another key" else 0
    key = sim.wait_key(timeout, "prompt")
    sim.out("\b \b" * len(text))
    if key is None:
        return sim.err(errors.PROMPT_TIMED_OUT)
    if wanted and key != wanted:
        return sim.err(errors.PROMPT_CANCELLED)
    return 0


@command("shell")
def shell(sim: Simulator, p: Parsed, argv0: str) -> int:
    if sim.inputs.exploring or (not sim.inputs.keys and sim.interactive is None):
        raise RunEnded("shell", 0, {"where": sim.where()})
    sim.in_shell += 1
    try:
        while True:
            sim.out("iPXE> ")
            line = read_line(sim, "", "shell", ends_run_as="shell")
            if line is not None and line is not TIMED_OUT:
                run_shell_line(sim, line)
            if sim.shell_stopped(2):
                return sim.shell_status
    finally:
        sim.in_shell -= 1


def run_shell_line(sim: Simulator, line: str) -> None:
    """A typed line goes straight to system(): no labels (``:x`` is looked up as a command)."""
    words: list[str] = []
    for word in line.split():
        if word.startswith("#"):
            break
        words.append(word)
    commands: list[list[str]] = [[]]
    operators: list[str] = []
    for word in words:
        if word in ("||", "&&", ";"):
            operators.append(word)
            commands.append([])
        else:
            commands[-1].append(word)
    status = 0
    run_next = True
    for i, cmd in enumerate(commands):
        if run_next:
            status = sim.execute(cmd)
        if sim.stop_state == 2:
            sim.shell_status = status
            return
        if sim.shell_stopped(1) or i == len(commands) - 1:
            break
        op = operators[i]
        run_next = op == ";" or (op == "&&" and status == 0) or (op == "||" and status != 0)


# -- settings (src/hci/commands/nvo_cmd.c) -------------------------------------------------------------


def parse_setting(sim: Simulator, text: str, create: bool) -> SettingRef:
    try:
        return sim.settings.parse_name(text, create=create)
    except IpxeError as exc:
        raise IpxeError(exc.status, f'"{text}": invalid setting') from exc


def store_failed(sim: Simulator, ref: SettingRef, code: int) -> int:
    """Report a failed store as nvo_cmd does and return the status."""
    status = sim.err(code)
    sim.out(f'Could not store "{ref.name}": {sim.strerror(status)}\n')
    return status


def store(sim: Simulator, ref: SettingRef, value: str) -> int:
    try:
        sim.settings.store_text(ref, value)
    except IpxeError as exc:
        return store_failed(sim, ref, exc.status)
    return 0


@command("set")
def set_(sim: Simulator, p: Parsed, argv0: str) -> int:
    ref = parse_setting(sim, p.args[0], create=True)
    return store(sim, ref, " ".join(p.args[1:]))


@command("clear")
def clear(sim: Simulator, p: Parsed, argv0: str) -> int:
    ref = parse_setting(sim, p.args[0], create=True)
    return store(sim, ref, "")


@command("show")
def show(sim: Simulator, p: Parsed, argv0: str) -> int:
    ref = parse_setting(sim, p.args[0], create=False)
    try:
        line = sim.settings.show_line(p.args[0])
    except IpxeError as exc:
        status = sim.err(exc.status)
        sim.out(f'Could not find "{ref.name}": {sim.strerror(status)}\n')
        return status
    sim.out((line.split(" = ", 1)[1] if p.options.get("quiet") else line) + "\n")
    return 0


@command("inc")
def inc(sim: Simulator, p: Parsed, argv0: str) -> int:
    ref = parse_setting(sim, p.args[0], create=False)
    increment = parse_integer(p.args[1], sim.profile) if len(p.args) > 1 else 1
    found = sim.settings.fetch_ref(ref)
    type_name = ref.type or (found[1].type if found else "int32")
    value = 0
    if found is not None and type_name in types.INT_WIDTHS:
        value = types.numeric_value(found[1].data, not type_name.startswith("u"))
    if type_name not in types.INT_WIDTHS:
        return store_failed(sim, ref, errors.STORE_UNSUPPORTED)
    width = types.INT_WIDTHS[type_name]
    data = ((value + increment) & ((1 << (8 * width)) - 1)).to_bytes(width, "big")
    try:
        sim.settings.store_raw(ref, type_name, data)
    except IpxeError as exc:
        return store_failed(sim, ref, exc.status)
    return 0


@command("read")
def read(sim: Simulator, p: Parsed, argv0: str) -> int:
    ref = parse_setting(sim, p.args[0], create=True)
    current = sim.settings.get(p.args[0]) or ""
    found = sim.settings.fetch_ref(ref)
    if found is not None and ref.type is None:
        ref.type = found[1].type  # read_value fetches into the setting: the stored type is kept
    timeout = ticks(p.options.get("timeout", 0))
    line = read_line(sim, current, "read", timeout=timeout)
    if line is None:
        return sim.err(errors.READ_CANCELLED)
    if line is TIMED_OUT:
        return sim.err(errors.READ_TIMED_OUT)
    return store(sim, ref, line)


TIMED_OUT = "\0timeout"


def read_line(
    sim: Simulator,
    initial: str,
    what: str,
    *,
    timeout: int = 0,
    ends_run_as: str | None = None,
    mask: bool = False,
) -> str | None:
    """readline with edit_string's keys. None on Ctrl-C; TIMED_OUT if the first key never came."""
    if sim.inputs.exploring:
        choice = sim.decide(what, ["ENTER", "CTRL-C"])
        sim.out(initial + "\n")
        return initial if choice == 0 else None
    text = list(initial)[: sim.profile.readline_max]
    cursor = len(text)
    sim.out(initial if not mask else "*" * len(initial))
    first = True
    while True:
        if not sim.inputs.keys and sim.interactive is None and ends_run_as:
            raise RunEnded(ends_run_as, 0, {"where": sim.where()})
        key = sim.wait_key(timeout if first else 0, what)
        if key is None:
            return TIMED_OUT
        first = False
        if key == keys.LF or key == 0x0D:
            break
        if key == keys.CTRL_C:
            show_edited(sim, initial, "".join(text), mask)
            return None
        special = {v + sim.profile.key_offset: k for k, v in keys.SPECIAL.items()}.get(key)
        if key == keys.BACKSPACE or key == 0x7F:
            if cursor:
                del text[cursor - 1]
                cursor -= 1
        elif special == "DELETE" or key == 0x04:
            if cursor < len(text):
                del text[cursor]
        elif key == 0x17:  # Ctrl-W: delete the word before the cursor
            start = cursor
            while start and text[start - 1] == " ":
                start -= 1
            while start and text[start - 1] != " ":
                start -= 1
            del text[start:cursor]
            cursor = start
        elif key == 0x15:  # Ctrl-U
            del text[:cursor]
            cursor = 0
        elif key == 0x0B:  # Ctrl-K
            del text[cursor:]
        elif special == "HOME" or key == 0x01:
            cursor = 0
        elif special == "END" or key == 0x05:
            cursor = len(text)
        elif special == "LEFT" or key == 0x02:
            cursor = max(0, cursor - 1)
        elif special == "RIGHT" or key == 0x06:
            cursor = min(len(text), cursor + 1)
        elif 0x20 <= key < 0x100 and key != 0x7F and len(text) < sim.profile.readline_max:
            text.insert(cursor, chr(key))
            cursor += 1
    final = "".join(text)
    show_edited(sim, initial, final, mask)
    return final


def show_edited(sim: Simulator, initial: str, final: str, mask: bool) -> None:
    """The edited line as it stands on the screen when editing ends, then the newline iPXE prints."""
    shown = "*" * len(final) if mask else final
    sim.out("\b" * len(initial) + shown + " " * max(0, len(initial) - len(final)) + "\n")


# -- menus (menu_cmd.c in 2019, dynui_cmd.c upstream) --------------------------------------------------


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
        raise RunEnded("error", 0, {"message": f"--choose {wanted}: the menu has no item {wanted!r}"})
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
        for entry in target.items:
            if entry.name is None:
                continue
            ref = parse_setting(sim, entry.name, create=True)
            line = read_line(sim, sim.settings.get(entry.name) or "", "form")
            if line is None or line is TIMED_OUT:
                return sim.err(errors.CHOOSE_CANCELLED)
            status = store(sim, ref, line)
            if status:
                return status
        return 0
    finally:
        if not p.options.get("keep") and target in sim.menus:
            sim.menus.remove(target)


LOGIN_ROWS = {"username": (8, 10), "password": (14, 16)}  # label row, edit box row (2019 login_ui)
LOGIN_COL, BOX_COL, BOX_WIDTH, LOGIN_MAX = 36, 30, 20, 63


@command("login")
def login(sim: Simulator, p: Parsed, argv0: str) -> int:
    """The 2019 two-box login form: Enter moves on and finally stores both; Esc/Ctrl-C cancel."""
    values = {name: list(sim.settings.get(name) or "") for name in LOGIN_ROWS}
    screen = Screen()

    def draw() -> Screen:
        for name, (label_row, box_row) in LOGIN_ROWS.items():
            screen.put(label_row, LOGIN_COL, "Username:" if name == "username" else "Password:")
            text = "".join(values[name])[-BOX_WIDTH:]
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
        status = sim.err(0x0B17E095)
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


# -- images (src/hci/commands/image_cmd.c) -------------------------------------------------------------


def family_of(sim: Simulator, name: str) -> str:
    family = sim.specs[name].get("family")
    return str(family) if family else name


@command(
    "imgfetch", "module", "initrd", "kernel", "imgselect", "imgload", "chain", "imgexec", "boot", "imgargs"
)
def imgsingle(sim: Simulator, p: Parsed, argv0: str) -> int:
    family = family_of(sim, argv0)
    name_opt = p.options.get("name")
    if p.args:
        if family == "imgfetch":
            status, image = sim.download(
                p.args[0], name_opt, progress=not p.options.get("quiet"), timeout=p.options.get("timeout", 0)
            )
        else:
            status, image = sim.acquire(
                p.args[0], name_opt, progress=not p.options.get("quiet"), timeout=p.options.get("timeout", 0)
            )
        if status:
            return status
    else:
        image = sim.registry.selected()
        if image is None:
            sim.out("No image selected\n")
            return 0
    assert image is not None
    if family == "imgargs":
        image.cmdline = None
    if name_opt is not None:
        image.name = name_opt
    if len(p.args) > 1:
        image.cmdline = " ".join(p.args[1:])
    if p.options.get("autofree"):
        image.autofree = True
    if family == "imgselect":
        if image.verified and image.type is None:
            if sim.profile.legacy:
                for other in sim.registry.images:
                    other.selected = False
            status = sim.err(errors.IMAGE_NOT_EXECUTABLE)
            sim.out(f"Could not select: {sim.strerror(status)}\n")
            return status
        sim.registry.select(image)
        return 0
    if family == "imgexec":
        if p.options.get("replace"):
            status = replace(sim, image)
        else:
            status = sim.image_exec(image)
        if status:
            sim.out(f"Could not boot: {sim.strerror(status)}\n")
        return status
    return 0


def replace(sim: Simulator, image: Any) -> int:
    if not sim.frames:
        return sim.err(errors.REPLACE_NOT_IN_SCRIPT)
    if image.verified and image.type is None:
        return sim.err(errors.IMAGE_NOT_EXECUTABLE)
    sim.frames[-1].image.replacement = image
    sim.shell_stop(2)
    return 0


@command("imgstat", "imgfree")
def imgmulti(sim: Simulator, p: Parsed, argv0: str) -> int:
    def action(image: Any) -> None:
        if argv0 == "imgstat":
            sim.out(sim.registry.imgstat_line(image, sim.profile.legacy) + "\n")
        else:
            sim.registry.unregister(image)

    if not p.args:
        for image in list(sim.registry.images):
            action(image)
        return 0
    for name in p.args:
        found = sim.registry.find(name)
        if found is None:
            status = sim.err(errors.NO_SUCH_IMAGE)
            sim.out(f'"{name}": no such image\n')
            return status
        action(found)
    return 0


DIGESTS = {
    "md5sum": "md5",
    "sha1sum": "sha1",
    "sha224sum": "sha224",
    "sha256sum": "sha256",
    "sha384sum": "sha384",
    "sha512sum": "sha512",
    "md4sum": "md4",
}


@command(*DIGESTS)
def digest(sim: Simulator, p: Parsed, argv0: str) -> int:
    for name in p.args:
        image = sim.registry.find(name)
        if image is None:
            status = sim.err(errors.NO_SUCH_IMAGE)
            sim.out(f'"{name}": no such image\n')
            return status
        if image.data is None:
            sim.notes.append(f"{sim.where()}: {argv0} of {name}: the image was not downloaded whole")
            value = "0" * (2 * hashlib.new(DIGESTS[argv0]).digest_size)
        else:
            value = hashlib.new(DIGESTS[argv0], image.data).hexdigest()
        target = p.options.get("set")
        if target:
            status = store(sim, parse_setting(sim, target, create=True), value)
            if status:
                return status
        else:
            sim.out(f"{value}  {name}\n")
    return 0


# -- boot targets that end the run ---------------------------------------------------------------------


@command("reboot")
def reboot(sim: Simulator, p: Parsed, argv0: str) -> int:
    raise RunEnded("reboot", 0, {"where": sim.where(), "boot": {"warm": bool(p.options.get("warm"))}})


@command("poweroff")
def poweroff(sim: Simulator, p: Parsed, argv0: str) -> int:
    raise RunEnded("poweroff", 0, {"where": sim.where()})


@command("sanboot")
def sanboot(sim: Simulator, p: Parsed, argv0: str) -> int:
    default_root = sim.settings.get("root-path")
    root_paths = p.args or ([default_root] if default_root else [])
    drive = p.options.get("drive")
    if drive is None:
        configured = sim.settings.get("san-drive")
        drive = int(configured, 16) if configured else 0x80
    if not root_paths and not sim.san_hooked:
        # nothing to boot: iPXE tries the drive number and finds no such SAN device (observed)
        status = sim.err(0x2C222087)
        sim.out(f"Booting from SAN device {drive:#04x}\nBoot from SAN device {drive:#04x} failed: ")
        sim.out(f"{sim.strerror(status)}\n")
        return status
    plan = {
        "root_paths": root_paths or sim.san_hooked,
        "drive": drive,
        "filename": p.options.get("filename") or sim.settings.get("san-filename"),
    }
    raise RunEnded("sanboot", 0, {"where": sim.where(), "boot": plan})


@command("sanhook")
def sanhook(sim: Simulator, p: Parsed, argv0: str) -> int:
    sim.san_hooked.extend(p.args)
    return 0


@command("sanunhook")
def sanunhook(sim: Simulator, p: Parsed, argv0: str) -> int:
    sim.san_hooked = []
    return 0


# -- network (src/hci/commands/ifmgmt_cmd.c and friends) -----------------------------------------------


def netdevs(sim: Simulator, names: list[str]) -> list[str]:
    for name in names:
        if name not in ("net0", "netX"):
            raise IpxeError(sim.err(0x2C0A6087), f'"{name}": no such network device')
    return ["net0" for _ in names] or ["net0"]


def network_fails(sim: Simulator, what: str) -> bool:
    return sim.fetcher.forced_failure(what)


@command("dhcp", "ifconf")
def ifconf(sim: Simulator, p: Parsed, argv0: str) -> int:
    configurator = p.options.get("configurator")
    if configurator is not None and configurator not in ("dhcp", "ipv6"):
        raise IpxeError(sim.err(0x2D16208E), f'"{configurator}": no such configurator')
    for dev in netdevs(sim, p.args):
        label = f"[{configurator}] " if configurator else ""
        # "..." then one progress dot a second: DHCP on QEMU's network takes about three
        sim.out(f"Configuring {label}({dev} {sim.machine.mac})......")
        if network_fails(sim, argv0) or network_fails(sim, f"{argv0}:{dev}"):
            status = sim.err(errors.DHCP_FAILED)
            sim.out(f" {sim.strerror(status)}\n")
            sim.out(f"Could not configure {dev}: {sim.strerror(status)}\n")
            return status
        sim.out(" ok\n")
        sim.net_open = True
        sim.dhcp_configure()
    return 0


@command("ifopen", "ifclose", "iflinkwait")
def ifopen(sim: Simulator, p: Parsed, argv0: str) -> int:
    for dev in netdevs(sim, p.args):
        if network_fails(sim, argv0):
            status = sim.err(errors.NETWORK_UNREACHABLE)
            sim.out(f"Could not open {dev}: {sim.strerror(status)}\n")
            return status
        sim.net_open = argv0 != "ifclose"
    return 0


@command("ifstat")
def ifstat(sim: Simulator, p: Parsed, argv0: str) -> int:
    m = sim.machine
    location = f"0000:00:{m.busloc >> 3:02x}.{m.busloc & 7:x}"
    for dev in netdevs(sim, p.args):
        sim.out(f"{dev}: {m.mac} using {m.chip} on {location} (open)\n  [Link:up, TX:0 TXE:0 RX:0 RXE:0]\n")
    return 0


@command("route")
def route(sim: Simulator, p: Parsed, argv0: str) -> int:
    m = sim.machine
    sim.out(f"net0: {m.ip}/{m.netmask} gw {m.gateway}\n")
    sim.out(f"net0: {m.ip6}/64 gw {m.gateway6}\nnet0: {m.link_ip6}/64\n")
    return 0


@command("ping", "ntp", "nslookup", "pxebs")
def network_probe(sim: Simulator, p: Parsed, argv0: str) -> int:
    if network_fails(sim, argv0) or sim.fetcher.offline:
        status = sim.err(errors.CONNECTION_TIMED_OUT)
        sim.out(f"Could not {argv0}: {sim.strerror(status)}\n")
        return status
    if argv0 == "nslookup":
        import socket

        try:
            address = socket.gethostbyname(p.args[1])
        except OSError:
            status = sim.err(errors.HTTP_NOT_FOUND)
            sim.out(f"Could not resolve {p.args[1]}: {sim.strerror(status)}\n")
            return status
        return store(sim, parse_setting(sim, p.args[0], create=True), address)
    return not_simulated(sim, p, argv0)


@command("autoboot")
def autoboot(sim: Simulator, p: Parsed, argv0: str) -> int:
    filename = sim.settings.get("filename")
    if not filename:
        status = sim.err(errors.HTTP_NOT_FOUND)
        sim.out("No more network devices\n")
        return status
    status, image = sim.download(filename, None)
    if status or image is None:
        return status
    return sim.image_exec(image)


# CPUID feature bits of QEMU's default x86_64 CPU (qemu64): leaf 1 EDX/ECX and leaf 0x80000001 EDX/ECX
CPU_FEATURES = {
    "edx": {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 14, 15, 16, 17, 19, 23, 24, 25, 26},
    "ecx": {0, 13, 23, 31},
    "ext-edx": {11, 20, 29},
    "ext-ecx": {0, 2, 5, 6},
}


@command("cpuid")
def cpuid(sim: Simulator, p: Parsed, argv0: str) -> int:
    bit = parse_integer(p.args[0], sim.profile) & 31  # the C shift (1 << bit) wraps at 32
    extended = bool(p.options.get("ext") or p.options.get("amd"))
    register = ("ext-" if extended else "") + ("ecx" if p.options.get("ecx") else "edx")
    return 0 if bit in CPU_FEATURES[register] else sim.err(0x2D00008E)


@command("pciscan")
def pciscan(sim: Simulator, p: Parsed, argv0: str) -> int:
    devices = [0x00, 0x08, 0x09, 0x0B, 0x10, 0x18]
    ref = parse_setting(sim, p.args[0], create=True)
    found = sim.settings.fetch_ref(ref)
    start = 0
    if found is not None:
        start = types.numeric_value(found[1].data, False) + 1
    for busdevfn in devices:
        if busdevfn >= start:
            sim.settings.store_raw(ref, ref.type or "busdevfn", busdevfn.to_bytes(2, "big"))
            return 0
    sim.settings.delete(ref)
    return sim.err(errors.SETTING_NO_BLOCK)


@command("usbscan")
def usbscan(sim: Simulator, p: Parsed, argv0: str) -> int:
    return sim.err(errors.SETTING_NO_BLOCK)


@command(
    "sync",
    "console",
    "colour",
    "cpair",
    "vcreate",
    "vdestroy",
    "params",
    "param",
    "ibstat",
    "iwstat",
    "iwlist",
)
def quiet_success(sim: Simulator, p: Parsed, argv0: str) -> int:
    return 0
