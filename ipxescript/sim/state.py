"""The inputs a run consumes (keys, --choose, explore decisions). Outcomes are named in status.py."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

from ipxescript.sim.keys import Key
from ipxescript.sim.status import JOINED, OUTCOMES, RunEnded

__all__ = ["JOINED", "OUTCOMES", "Decision", "Inputs", "RunEnded"]  # the outcomes moved to status.py


@dataclass
class Decision:
    kind: str  # menu | prompt | read | fetch | shell | login
    where: str
    options: list[str]
    chosen: int = 0

    @property
    def by_user(self) -> bool:
        """A person's choice: a key, an item, Esc, Enter, Ctrl-C, where something else could have been
        chosen; not a timeout (nobody pressed anything) nor a fetch's result."""
        return self.kind != "fetch" and len(self.options) > 1 and self.options[self.chosen] != "timeout"


@dataclass
class Inputs:
    """Keys and --choose ids, consumed in order whenever the script waits for input."""

    keys: deque[Key] = field(default_factory=deque)
    choose_ids: deque[str] = field(default_factory=deque)
    # explore: forced decisions, and what was decided along the way
    forced: list[int] | None = None
    decisions: list[Decision] = field(default_factory=list)
    explore_failures: bool = False
    memo: dict[Any, Any] | None = None  # explore: branch-point states already explored -> owning path
    path_number: int = 0

    @property
    def exploring(self) -> bool:
        return self.forced is not None

    def decide(self, kind: str, where: str, options: list[str]) -> int:
        assert self.forced is not None
        depth = len(self.decisions)
        chosen = self.forced[depth] if depth < len(self.forced) else 0
        self.decisions.append(Decision(kind, where, options, chosen))
        return chosen
