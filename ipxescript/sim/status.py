"""How things stop, named in one place: a run's outcomes, the shell's stop levels and how a script ended.

Error statuses (the numbers ``${errno}`` shows) are in ``errors.py``; this module names the states the
engine and the commands pass between them instead of bare numbers and strings.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any

# What a whole run ends as (``--json``'s "outcome")
OUTCOMES = ("boot", "exit", "shell", "reboot", "poweroff", "sanboot", "error", "stuck", "loop", "back")
# explore only: a path came back to a branch point in a state it already showed, through a choice the
# user made (a "back" item, Esc to the main menu); the user can choose again there, so unlike `loop`
# (a cycle with no input in it) it is not a failure by default
BACK = "back"
# explore only, internal: the path reached a state another path explored from; the report replaces it
# with that path's outcome (explore.resolve_joins), so it never reaches the output
JOINED = "joined"


class Stop(IntEnum):
    """shell_stop()'s levels (src/core/exec.c): what a command asks the line engine to stop."""

    NONE = 0
    COMMAND = 1  # the rest of this line (goto)
    SEQUENCE = 2  # the rest of this script (exit, imgexec --replace)


class ScriptEnd:
    """How the last script run ended (the driver sees ``exit`` as a success even with a status)."""

    END = "end"  # ran off its last line, or stopped
    EXIT = "exit"  # an `exit` command
    FAIL = "fail"  # a command failed


class RunEnded(Exception):
    """Ends the whole simulated run (boot, reboot, stuck, ...)."""

    def __init__(self, outcome: str, status: int = 0, detail: dict[str, Any] | None = None) -> None:
        super().__init__(outcome)
        self.outcome = outcome
        self.status = status
        self.detail = detail or {}
