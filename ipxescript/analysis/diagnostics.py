"""Diagnostics shared by the core checks, the linter, the language server and the server's lint-on-serve.

Ranges are character offsets into the script's text (``Script.text``); ``Script.position`` turns an
offset into a 0-based (line, column). Output formats convert to 1-based.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"info": 0, "warning": 1, "error": 2}[self.value]


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace text[start:end] with ``text`` (offsets into the original text)."""

    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class Fix:
    description: str
    edits: tuple[Edit, ...]
    safe: bool = True


@dataclass(frozen=True, slots=True)
class Related:
    """Another place a finding depends on, often in another file of the boot tree (1-based)."""

    path: str
    line: int
    column: int
    message: str


@dataclass(slots=True)
class Diagnostic:
    code: str  # stable code, e.g. "IPX101"
    severity: Severity
    message: str
    start: int  # offset of the first character the finding is about
    end: int  # offset just past it (>= start)
    fix: Fix | None = None
    # did-you-mean candidates, for editors' code actions
    suggestions: tuple[str, ...] = field(default_factory=tuple)
    # the chain of scripts that leads here in a boot tree ("via menu.ipxe:42 → linux.ipxe"), and the
    # places it passes through or depends on
    via: str = ""
    related: tuple[Related, ...] = ()
