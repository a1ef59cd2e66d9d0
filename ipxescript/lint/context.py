"""What a rule sees: the script's model (labels, flow, menus, settings; analysis/model.py), the
config and the core's findings."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cached_property

from ipxescript.analysis.diagnostics import Diagnostic
from ipxescript.analysis.model import ScriptModel
from ipxescript.analysis.suggest import close_names
from ipxescript.catalog import Catalog, Profile
from ipxescript.lint.config import LintConfig
from ipxescript.syntax.tree import Script


class LintContext(ScriptModel):
    """The script's model (ipxescript.analysis.model) plus the lint config and the core's findings."""

    def __init__(
        self, script: Script, config: LintConfig | None = None, masked: Iterable[tuple[int, int]] = ()
    ):
        super().__init__(script, masked)
        self.config = config or LintConfig()

    @cached_property
    def profile(self) -> Profile:
        return self.catalog.profile(self.config.profile)

    @cached_property
    def core_diagnostics(self) -> list[Diagnostic]:
        """The language core's own findings: the reader's plus the analysis checks."""
        return list(self.script.diagnostics) + run_core_checks(self.script, self.catalog, self.profile)

    def core(self, code: str) -> list[Diagnostic]:
        return [d for d in self.core_diagnostics if d.code == code]


def did_you_mean(word: str, candidates: Iterable[str], cutoff: float = 0.75) -> list[str]:
    """Close names that ``word`` is probably a typo of (see ipxescript.analysis.suggest).

    ``cutoff`` is kept for callers; a stricter edit-distance test decides."""
    del cutoff
    return close_names(word, candidates)


def run_core_checks(script: Script, catalog: Catalog, profile: Profile) -> list[Diagnostic]:
    """Diagnostics from the language core's analysis (ipxescript.analysis.checks)."""
    from ipxescript.analysis.checks import check_script

    return list(check_script(script, catalog, profile))
