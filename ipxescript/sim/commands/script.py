"""Script control (src/image/script.c: goto, prompt)."""

from __future__ import annotations

from ipxescript.sim import errors, keys
from ipxescript.sim.commands.registry import command, ticks
from ipxescript.sim.machine import Simulator
from ipxescript.sim.options import Parsed
from ipxescript.sim.status import Stop


@command("goto")
def goto(sim: Simulator, p: Parsed, argv0: str) -> int:
    if not sim.engine.frames:
        status = sim.err(errors.GOTO_NOT_IN_SCRIPT)
        sim.out(f"Not in a script: {sim.strerror(status)}\n")
        return status
    frame = sim.engine.frames[-1]
    frame.index = sim.engine.find_label(frame, p.args[0])
    sim.engine.shell_stop(Stop.COMMAND)
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
