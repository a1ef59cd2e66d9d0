"""Core commands (src/core/exec.c: echo, exit, isset, iseq, sleep; src/hci/commands/help_cmd.c)."""

from __future__ import annotations

from ipxescript.sim import errors, keys
from ipxescript.sim.commands.registry import command
from ipxescript.sim.machine import Simulator
from ipxescript.sim.menus import KEY_DELAY_TICKS, KEY_UNANSWERED_TICKS, TICKS_PER_SEC
from ipxescript.sim.options import Parsed, parse_integer
from ipxescript.sim.status import Stop


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


@command("echo")
def echo(sim: Simulator, p: Parsed, argv0: str) -> int:
    sim.out(" ".join(p.args) + ("" if p.options.get("n") else "\n"))
    return 0


@command("exit")
def exit_(sim: Simulator, p: Parsed, argv0: str) -> int:
    value = parse_integer(p.args[0], sim.profile) if p.args else 0
    if sim.engine.frames and not sim.engine.in_shell:
        sim.engine.frames[-1].exited = True
    sim.engine.shell_stop(Stop.SEQUENCE)
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
    # sleep reads the keyboard: Ctrl-C aborts it, any other key is read and dropped (observed: `x`
    # then Ctrl-C during `sleep 3`). Keys come as the oracle types them: the first once the screen has
    # rested, each next one when the firmware has not answered the last for 2 s.
    at = KEY_DELAY_TICKS
    while sim.interactive is None and sim.inputs.keys and at < seconds * TICKS_PER_SEC:
        if sim.inputs.keys.popleft().code == keys.CTRL_C:
            sim.advance(at)
            return sim.err(errors.SLEEP_CANCELLED)
        at += KEY_UNANSWERED_TICKS
    if sim.interactive is not None and not sim.interactive.sleep(seconds):
        return sim.err(errors.SLEEP_CANCELLED)
    sim.advance(seconds * TICKS_PER_SEC)
    return 0
