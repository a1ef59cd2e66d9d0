"""The shell and line editing (src/hci/shell.c, src/hci/readline.c, src/hci/editstring.c)."""

from __future__ import annotations

from ipxescript.sim import keys
from ipxescript.sim.commands.registry import command
from ipxescript.sim.lineedit import edit_key
from ipxescript.sim.machine import Simulator
from ipxescript.sim.options import Parsed
from ipxescript.sim.status import RunEnded, Stop


@command("shell")
def shell(sim: Simulator, p: Parsed, argv0: str) -> int:
    if sim.inputs.exploring or (not sim.inputs.keys and sim.interactive is None):
        raise RunEnded("shell", 0, {"where": sim.engine.where()})
    sim.engine.in_shell += 1
    try:
        while True:
            sim.out("iPXE> ")
            line = read_line(sim, "", "shell", ends_run_as="shell")
            if line is not None and line is not TIMED_OUT:
                run_shell_line(sim, line)
            if sim.engine.shell_stopped(Stop.SEQUENCE):
                return sim.engine.shell_status
    finally:
        sim.engine.in_shell -= 1


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
            status = sim.engine.execute(cmd)
        if sim.engine.stop_state == Stop.SEQUENCE:
            sim.engine.shell_status = status
            return
        if sim.engine.shell_stopped(Stop.COMMAND) or i == len(commands) - 1:
            break
        op = operators[i]
        run_next = op == ";" or (op == "&&" and status == 0) or (op == "||" and status != 0)


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
            raise RunEnded(ends_run_as, 0, {"where": sim.engine.where()})
        key = sim.wait_key(timeout if first else 0, what)
        if key is None:
            sim.out("\n")  # readline ends its line on a timeout too (observed: read --timeout)
            return TIMED_OUT
        first = False
        if key == keys.LF or key == 0x0D:
            break
        if key == keys.CTRL_C:
            show_edited(sim, initial, "".join(text), mask)
            return None
        special = {v + sim.profile.key_offset: k for k, v in keys.SPECIAL.items()}.get(key)
        moved = edit_key(text, cursor, key, special, sim.profile.readline_max)
        if moved is not None:
            cursor = moved
    final = "".join(text)
    show_edited(sim, initial, final, mask)
    return final


def show_edited(sim: Simulator, initial: str, final: str, mask: bool) -> None:
    """The edited line as it stands on the screen when editing ends, then the newline iPXE prints."""
    shown = "*" * len(final) if mask else final
    sim.out("\b" * len(initial) + shown + " " * max(0, len(initial) - len(final)) + "\n")
