"""What a rule sees: the script, the config, the catalog and shared analyses computed once."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cached_property
from typing import TYPE_CHECKING

from ipxescript.analysis.diagnostics import Diagnostic
from ipxescript.analysis.suggest import close_names
from ipxescript.catalog import Catalog, Profile, get_catalog
from ipxescript.lint.binding import BoundCommand, bind
from ipxescript.lint.config import LintConfig
from ipxescript.syntax.tree import Command, Label, LogicalLine, Script

if TYPE_CHECKING:
    from ipxescript.lint.flow import Flow


class LintContext:
    def __init__(
        self, script: Script, config: LintConfig | None = None, masked: Iterable[tuple[int, int]] = ()
    ):
        self.script = script
        self.config = config or LintConfig()
        self.catalog: Catalog = get_catalog()
        self.masked = sorted(masked)  # template regions (start, end) replaced before parsing
        self._bound: dict[int, BoundCommand] = {}

    @cached_property
    def profile(self) -> Profile:
        return self.catalog.profile(self.config.profile)

    def known_command(self, name: str) -> bool:
        return name in self.catalog.commands

    def bound(self, command: Command) -> BoundCommand:
        key = id(command)
        found = self._bound.get(key)
        if found is None:
            name = command.name
            found = bind(command, self.catalog.commands.get(name) if name else None)
            self._bound[key] = found
        return found

    @cached_property
    def commands(self) -> list[tuple[LogicalLine, BoundCommand]]:
        """Every non-empty command, in file order, with its options bound."""
        return [(line, self.bound(command)) for line, command in self.script.commands()]

    def commands_named(self, *names: str) -> list[tuple[LogicalLine, BoundCommand]]:
        return [(line, b) for line, b in self.commands if b.name in names]

    @cached_property
    def label_list(self) -> list[tuple[Label, LogicalLine]]:
        return [(line.label, line) for line in self.script.lines if line.label is not None]

    @cached_property
    def labels(self) -> dict[str, LogicalLine]:
        """Label name -> the line defining it first (``goto`` finds the first from the top)."""
        out: dict[str, LogicalLine] = {}
        for label, line in self.label_list:
            out.setdefault(label.name, line)
        return out

    @cached_property
    def flow(self) -> Flow:
        from ipxescript.lint.flow import Flow

        return Flow(self)

    @cached_property
    def core_diagnostics(self) -> list[Diagnostic]:
        """The language core's own findings: the reader's plus the analysis checks."""
        return list(self.script.diagnostics) + run_core_checks(self.script, self.catalog, self.profile)

    def core(self, code: str) -> list[Diagnostic]:
        return [d for d in self.core_diagnostics if d.code == code]

    def is_masked(self, offset: int) -> bool:
        return any(a <= offset < b for a, b in self.masked)

    @cached_property
    def template_barriers(self) -> set[int]:
        """Lines that were only template statements (``{% if %}``, ``{{ end }}``): control may enter
        after them from anywhere, since the template decides which text surrounds them."""
        if not self.masked:
            return set()
        out = set()
        for line in self.script.lines:
            if (
                not line.words
                and line.label is None
                and any(line.start <= a < line.end for a, _b in self.masked)
            ):
                out.add(line.index)
        return out

    @cached_property
    def has_template_labels(self) -> bool:
        """A label is (partly) template text, so any name may exist at render time."""
        return any(self.overlaps_mask(label.start, label.end) for label, _line in self.label_list)

    def overlaps_mask(self, start: int, end: int) -> bool:
        return any(a < end and start < b for a, b in self.masked)

    def line_number(self, offset: int) -> int:
        """1-based physical line of an offset, for messages."""
        return self.script.position(offset)[0] + 1

    def code_lines(self) -> list[LogicalLine]:
        return [ln for ln in self.script.lines if any(c.words for c in ln.commands)]


def did_you_mean(word: str, candidates: Iterable[str], cutoff: float = 0.75) -> list[str]:
    """Close names that ``word`` is probably a typo of (see ipxescript.analysis.suggest).

    ``cutoff`` is kept for callers; a stricter edit-distance test decides."""
    del cutoff
    return close_names(word, candidates)


def run_core_checks(script: Script, catalog: Catalog, profile: Profile) -> list[Diagnostic]:
    """Diagnostics from the language core's analysis (ipxescript.analysis.checks)."""
    from ipxescript.analysis.checks import check_script

    return list(check_script(script, catalog, profile))
