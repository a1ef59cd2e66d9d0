"""What a rule sees: the script's model (labels, flow, menus, settings; analysis/model.py), the
config and the core's findings."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from functools import cached_property
from typing import TYPE_CHECKING, TypeVar

from ipxescript.analysis.binding import BoundCommand
from ipxescript.analysis.diagnostics import Diagnostic
from ipxescript.analysis.model import ScriptModel
from ipxescript.analysis.suggest import close_names
from ipxescript.catalog import Catalog, Profile
from ipxescript.lint.config import LintConfig
from ipxescript.syntax.tree import Command, Script

if TYPE_CHECKING:
    from ipxescript.analysis.boottree import BootTree, TreeFile


T = TypeVar("T")


def catalog_fact(compute: Callable[[Catalog], T]) -> Callable[[Catalog], T]:
    """``compute(catalog)`` made once per catalog: what a rule derives from the catalog (which commands
    take a timeout, every known scheme) is the same for every script it checks."""
    made: dict[int, tuple[Catalog, T]] = {}

    def get(catalog: Catalog) -> T:
        found = made.get(id(catalog))
        if found is None or found[0] is not catalog:
            found = made[id(catalog)] = (catalog, compute(catalog))
        return found[1]

    return get


class LintContext(ScriptModel):
    """The script's model (ipxescript.analysis.model) plus the lint config and the core's findings."""

    def __init__(
        self,
        script: Script,
        config: LintConfig | None = None,
        masked: Iterable[tuple[int, int]] = (),
        bindings: dict[int, tuple[Command, BoundCommand]] | None = None,
        previous: ScriptModel | None = None,
    ):
        super().__init__(script, masked, bindings, previous)
        self.config = config or LintConfig()

    tree: BootTree | None = None  # set when the script is linted as part of a boot tree
    tree_file: TreeFile | None = None

    def release(self) -> None:
        config = self.config
        super().release()  # the tree and tree_file go too: the tree points back at this context
        self.config = config

    @cached_property
    def profile(self) -> Profile:
        """The build profile, with the project's own build switches (``[build]``) applied."""
        return build_profile(self.catalog, self.config)

    @property
    def scan_whole_text(self) -> bool:
        """One look at the whole text costs less than one at each of the model's lines: the model holds
        most of its text's lines (not so for the few edited lines of a large document the language
        server checks, with a model of just those). A text that has nothing a rule reports has
        nothing in any of its lines either, so a rule may skip the model after such a look."""
        return len(self.script.lines) * 8 >= len(self.script.line_starts)

    def parents_known(self) -> bool:
        """Some script of the tree chains this one: settings and failures reach it from there."""
        return (
            self.tree is not None and self.tree_file is not None and bool(self.tree.parents(self.tree_file))
        )

    @cached_property
    def core_diagnostics(self) -> list[Diagnostic]:
        """The language core's own findings: the reader's plus the analysis checks."""
        from ipxescript.analysis.checks import check_script

        return list(self.script.diagnostics) + check_script(self.script, self.catalog, self.profile)

    def core(self, code: str) -> list[Diagnostic]:
        found = self.core_diagnostics
        index = self.__dict__.get("_core_index")
        if index is None or index[0] is not found:  # core_diagnostics may be set, not computed
            by_code: dict[str, list[Diagnostic]] = {}
            for d in found:
                by_code.setdefault(d.code, []).append(d)
            index = self.__dict__["_core_index"] = (found, by_code)
        return list(index[1].get(code, ()))


def build_profile(catalog: Catalog, config: LintConfig) -> Profile:
    """The configured profile (the catalog's default when none) with ``[build] enable``/``disable``
    switches applied to its commands and URI schemes."""
    profile = catalog.profile(config.profile)
    if not config.build_enable and not config.build_disable:
        return profile
    commands, schemes = set(profile.commands), set(profile.schemes)
    for switches, add in ((config.build_enable, True), (config.build_disable, False)):
        on = set(switches)
        names = {name for name, spec in catalog.commands.items() if spec.build_macro in on}
        kinds = {scheme for scheme, macro in catalog.scheme_build_macros.items() if macro in on}
        if add:
            commands |= names
            schemes |= kinds
        else:
            commands -= names
            schemes -= kinds
    return replace(profile, commands=frozenset(commands), schemes=frozenset(schemes))


def did_you_mean(word: str, candidates: Iterable[str], cutoff: float = 0.75) -> list[str]:
    """Close names that ``word`` is probably a typo of (see ipxescript.analysis.suggest).

    ``cutoff`` is kept for callers; a stricter edit-distance test decides. The candidates are the
    script's names (labels, settings, images), whose numbers are versions or items, never typos."""
    del cutoff
    return close_names(word, candidates, versions=True)
