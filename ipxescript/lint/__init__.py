"""ipxelint: rules that catch what breaks real boots.

Public API (the language server and the boot server use these names)::

    lint_source(text, path=None, config=None) -> list[Diagnostic]
    lint_script(script, config=None) -> list[Diagnostic]
    load_config(start_path) -> LintConfig        (ipxescript.lint.config)
"""

from __future__ import annotations

from ipxescript.lint.config import LintConfig, load_config
from ipxescript.lint.engine import LintResult, lint_script, lint_source, lint_text
from ipxescript.lint.registry import Rule, all_rules, find_rule

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
