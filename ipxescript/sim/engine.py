"""The line engine: runs a script's lines as iPXE does and holds only the state of that execution.

It follows src/image/script.c (process_script, terminate_on_exit_or_failure) and src/core/exec.c
(system, execv, shell_stop/shell_stopped). What a command does is not known here: the engine expands
words and hands each argv to ``dispatch`` (the command table), so it imports no command.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ipxescript.sim import errors
from ipxescript.sim.errors import IpxeError
from ipxescript.sim.images import Image
from ipxescript.sim.status import RunEnded, ScriptEnd, Stop
from ipxescript.syntax.parser import parse
from ipxescript.syntax.tree import LogicalLine, Script

DEFAULT_MAX_STEPS = 100_000


@dataclass
class Frame:
    """A running script (script_exec's saved state)."""

    image: Image
    script: Script
    index: int = 0
    exited: bool = False


class Engine:
    """Execution state: the script frames, the shell's stop level, ``${errno}``, steps and failures."""

    def __init__(
        self,
        dispatch: Callable[[list[str]], int],
        expand_word: Callable[[str], str],
        platform: str,
        *,
        max_steps: int = DEFAULT_MAX_STEPS,
        tracing: bool = False,
    ) -> None:
        self.dispatch = dispatch
        self.expand_word = expand_word
        self.platform = platform
        self.max_steps = max_steps
        self.tracing = tracing
        self.trace: list[dict[str, Any]] = []
        self.frames: list[Frame] = []
        self.stop_state = Stop.NONE
        self.in_shell = 0
        self.shell_status = 0
        self.errno = 0
        self.steps = 0
        self.cwuri: str | None = None
        self.current_line: tuple[str, int] | None = None
        self.failures: list[tuple[int, str | None]] = []
        self.last_how = ScriptEnd.END
        # lines run, by script (its source, or URI): what ipxesim --explore reports as never reached
        self.visited: dict[str, tuple[Image, Script, set[int]]] = {}

    def err(self, status: int) -> int:
        return errors.for_platform(status, self.platform)

    def where(self) -> str | None:
        if self.current_line is None:
            return None
        return f"{self.current_line[0]}:{self.current_line[1]}"

    def run_script(self, image: Image) -> int:
        assert image.data is not None
        script = parse_cached(image.data, image.name)
        frame = Frame(image, script)
        self.frames.append(frame)
        key = image.source or image.uri or image.name
        visited = self.visited.setdefault(key, (image, script, set()))[2]
        how = ScriptEnd.END
        try:
            status = 0
            lines = script.lines
            while frame.index < len(lines):
                line = lines[frame.index]
                frame.index += 1
                visited.add(line.index)
                self.current_line = (image.name, line.first_line + 1)
                if line.unterminated:
                    status = self.err(errors.UNTERMINATED_CONTINUATION)
                    self.failures.append((status, self.where()))
                    how = ScriptEnd.FAIL
                    break
                if self.tracing and (line.commands or line.label):
                    self.trace.append({"file": image.name, "line": line.first_line + 1, "text": line.text})
                status = self.exec_line(line)
                if self.shell_stopped(Stop.SEQUENCE):
                    how = ScriptEnd.EXIT if frame.exited else ScriptEnd.END
                    break
                if status != 0:
                    self.failures.append((status, self.where()))
                    how = ScriptEnd.FAIL
                    break
            return status
        finally:
            self.frames.pop()
            self.last_how = how
            if self.frames:
                outer = self.frames[-1]
                self.current_line = (outer.image.name, outer.script.lines[outer.index - 1].first_line + 1)

    def failure_site(self, status: int) -> str | None:
        """Where the run failed: the innermost line of the last chain of failures with that status."""
        site = None
        for failed, where in reversed(self.failures):
            if failed != status:
                break
            site = where
        return site

    def shell_stop(self, level: Stop) -> None:
        self.stop_state = level

    def shell_stopped(self, level: Stop) -> bool:
        stopped = self.stop_state >= level
        if self.stop_state <= level:
            self.stop_state = Stop.NONE
        return stopped

    def exec_line(self, line: LogicalLine) -> int:
        """system(): run the commands of one line with ||, && and ;."""
        return self.exec_commands(*line_plan(line))

    def exec_commands(self, commands: list[list[str]], operators: list[str]) -> int:
        status = 0
        run_next = True
        for i, words in enumerate(commands):
            if run_next:
                status = self.execute(words)
            if self.shell_stopped(Stop.COMMAND):
                break
            if i == len(commands) - 1:
                break
            op = operators[i]
            run_next = op == ";" or (op == "&&" and status == 0) or (op == "||" and status != 0)
        return status

    def execute(self, words: list[str]) -> int:
        """execv(): expand, look the command up, run it; errno keeps the last failure."""
        if not words:
            return 0
        argv = [self.expand_word(w) for w in words]
        self.steps += 1
        if self.steps > self.max_steps:
            raise RunEnded("loop", 0, {"message": f"more than {self.max_steps} commands ran (--max-steps)"})
        status = self.dispatch(argv) & 0xFFFFFFFF
        if status:
            self.errno = status if status < 0x80000000 else errors.errno_of_exit(status)
        return status

    def find_label(self, frame: Frame, label: str) -> int:
        for index, line in enumerate(frame.script.lines):
            if line.unterminated:
                raise IpxeError(self.err(errors.UNTERMINATED_CONTINUATION))
            if line.label is not None and line.label.name == label:
                return index
        raise IpxeError(self.err(errors.GOTO_NO_LABEL))


_PLANS: dict[int, tuple[LogicalLine, tuple[list[list[str]], list[str]]]] = {}


def line_plan(line: LogicalLine) -> tuple[list[list[str]], list[str]]:
    """A line's command words and operators as plain text (cached: explore runs lines many times)."""
    cached = _PLANS.get(id(line))
    if cached is None or cached[0] is not line:
        plan = ([[w.text for w in c.words] for c in line.commands], [op.text for op in line.operators])
        cached = (line, plan)
        if len(_PLANS) > 200_000:
            _PLANS.clear()
        _PLANS[id(line)] = cached
    return cached[1]


@functools.lru_cache(maxsize=256)
def parse_cached(data: bytes, name: str) -> Script:
    """Scripts are only read while they run, so one parse serves every run (explore replays many)."""
    return parse(data, path=name)
