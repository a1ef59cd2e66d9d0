"""ipxelint: rules that catch what breaks real boots.

Public API (the language server and the boot server use these names)::

    lint_source(text, path=None, config=None) -> list[Diagnostic]
    lint_script(script, config=None) -> list[Diagnostic]
    load_config(start_path) -> LintConfig        (ipxescript.lint.config)
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ipxescript.lint.config import LintConfig, load_config

if TYPE_CHECKING:
    from ipxescript.lint.engine import LintResult, lint_script, lint_source, lint_text
    from ipxescript.lint.registry import Rule, all_rules, find_rule

# Imported on first use: ``ipxelint`` imports this package, and a run the cache answers
# (ipxescript.lint.cache) needs neither the engine nor the rules.
_LAZY = {
    "LintResult": "engine",
    "lint_script": "engine",
    "lint_source": "engine",
    "lint_text": "engine",
    "Rule": "registry",
    "all_rules": "registry",
    "find_rule": "registry",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


__all__ = [
    "LintConfig",
    "LintResult",
    "Rule",
    "all_rules",
    "find_rule",
    "lint_script",
    "lint_source",
    "lint_text",
    "load_config",
]
