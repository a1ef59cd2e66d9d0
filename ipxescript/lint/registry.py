"""The rule registry: one rule per module in ``ipxescript/lint/rules/`` (as in yamllint).

A rule module has a docstring (its documentation: a title line, an explanation, then ``Failing::`` and
``Passing::`` example blocks), and the constants ``CODE``, ``NAME``, ``SEVERITY`` plus a function
``check(ctx) -> Iterable[Diagnostic]``. Optional: ``SUPERSEDES`` (codes this rule's finding replaces
when both start at the same place, e.g. a precise "missing goto" over the generic "unknown command"),
``EXAMPLE_CONFIG`` (config the examples need, e.g. a build profile) and ``CORE = True`` for rules whose
detection lives in ``ipxescript.analysis`` (the module is then the documentation and the registration).
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from types import ModuleType
from typing import TYPE_CHECKING, Any

from ipxescript.analysis.diagnostics import Diagnostic, Severity

if TYPE_CHECKING:
    from ipxescript.lint.context import LintContext

CODE_RE = re.compile(r"^IPX\d{3}$")


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    severity: Severity
    doc: str
    check: Callable[[LintContext], Iterable[Diagnostic]]
    module: str
    supersedes: tuple[str, ...] = ()
    example_config: dict[str, Any] = field(default_factory=dict)
    core: bool = False

    @property
    def title(self) -> str:
        return self.doc.strip().splitlines()[0].strip() if self.doc.strip() else self.name

    @property
    def family(self) -> str:
        return FAMILIES.get(self.code[:4], "Other")

    def examples(self, kind: str) -> list[str]:
        """The example scripts under ``Failing::`` or ``Passing::`` in the docstring."""
        return parse_examples(self.doc).get(kind, [])


FAMILIES = {
    "IPX0": "Script",
    "IPX1": "Commands",
    "IPX2": "Control flow",
    "IPX3": "Menus",
    "IPX4": "Settings and references",
    "IPX5": "Images",
    "IPX6": "URLs",
}


EXAMPLE_MARKERS = ("Failing::", "Passing::")


def example_block(lines: list[str], i: int) -> tuple[list[str], int]:
    """The block indented by 4 spaces that starts at ``lines[i]``, trimmed of blank edge lines, and the
    index of the first line after it."""
    block: list[str] = []
    while i < len(lines) and (not lines[i].strip() or lines[i].startswith("    ")):
        block.append(lines[i][4:])
        i += 1
    while block and not block[0].strip():
        block.pop(0)
    while block and not block[-1].strip():
        block.pop()
    return block, i


def parse_examples(doc: str) -> dict[str, list[str]]:
    """``Failing::``/``Passing::`` markers, each followed by a block indented by 4 spaces."""
    out: dict[str, list[str]] = {}
    lines = doc.splitlines()
    i = 0
    while i < len(lines):
        marker = lines[i].strip()
        if marker in EXAMPLE_MARKERS:
            block, i = example_block(lines, i + 1)
            out.setdefault(marker[:-2].lower(), []).append("\n".join(block) + "\n")
            continue
        i += 1
    return out


def _rule_from_module(module: ModuleType) -> Rule:
    code = getattr(module, "CODE", None)
    if not isinstance(code, str) or not CODE_RE.match(code):
        raise ValueError(f"{module.__name__}: CODE must look like IPX123")
    return Rule(
        code=code,
        name=module.NAME,
        severity=module.SEVERITY,
        doc=(module.__doc__ or "").strip("\n"),
        check=module.check,
        module=module.__name__,
        supersedes=tuple(getattr(module, "SUPERSEDES", ())),
        example_config=dict(getattr(module, "EXAMPLE_CONFIG", {})),
        core=bool(getattr(module, "CORE", False)),
    )


@cache
def all_rules() -> tuple[Rule, ...]:
    """Every registered rule, sorted by code."""
    from ipxescript.lint import rules as package

    found = []
    for info in pkgutil.iter_modules(package.__path__):
        if info.name.startswith("_"):
            continue
        found.append(_rule_from_module(importlib.import_module(f"{package.__name__}.{info.name}")))
    codes = [r.code for r in found]
    duplicates = {c for c in codes if codes.count(c) > 1}
    if duplicates:
        raise ValueError(f"duplicate rule codes: {sorted(duplicates)}")
    return tuple(sorted(found, key=lambda r: r.code))


def rules_by_code() -> dict[str, Rule]:
    return {r.code: r for r in all_rules()}


def find_rule(key: str) -> Rule | None:
    """A rule by code (case-insensitive) or by name."""
    key = key.strip()
    for rule in all_rules():
        if rule.code == key.upper() or rule.name == key.lower():
            return rule
    return None
