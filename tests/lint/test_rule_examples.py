"""Every rule documents itself with failing and passing examples; hold each rule to its examples."""

from __future__ import annotations

import pytest

from ipxescript.analysis.diagnostics import Severity
from ipxescript.lint import all_rules, lint_source
from ipxescript.lint.config import config_from_table
from ipxescript.lint.registry import FAMILIES

RULES = [r for r in all_rules()]
OFFLINE = [r for r in RULES if r.code not in ("IPX604", "IPX605")]


def _example(text: str) -> str:
    return text.replace("\\x00", "\x00")


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_rule_is_documented(rule):
    assert rule.title and not rule.title.endswith(".")
    assert rule.examples("failing"), f"{rule.code} has no failing example"
    assert rule.examples("passing"), f"{rule.code} has no passing example"
    assert rule.code[:4] in FAMILIES
    assert rule.name == rule.name.lower() and " " not in rule.name


@pytest.mark.parametrize("rule", OFFLINE, ids=lambda r: r.code)
def test_failing_examples_trigger_the_rule(rule):
    config = config_from_table(rule.example_config)
    for example in rule.examples("failing"):
        found = lint_source(_example(example), "example.ipxe", config)
        assert rule.code in {d.code for d in found}, example


@pytest.mark.parametrize("rule", OFFLINE, ids=lambda r: r.code)
def test_passing_examples_are_clean(rule):
    config = config_from_table(rule.example_config)
    for example in rule.examples("passing"):
        found = lint_source(_example(example), "example.ipxe", config)
        loud = [(d.code, d.message) for d in found if d.severity != Severity.INFO]
        assert rule.code not in {d.code for d in found}, example
        assert not loud, example


def test_codes_are_unique_and_the_fixed_ones_exist():
    codes = [r.code for r in RULES]
    assert len(codes) == len(set(codes))
    fixed = {"IPX001", "IPX002", "IPX003", "IPX004", "IPX101", "IPX102", "IPX103", "IPX104", "IPX105", "IPX106",
             "IPX107", "IPX108", "IPX109", "IPX401", "IPX402"}  # fmt: skip
    assert fixed <= set(codes)


def test_core_rules_delegate_to_the_analysis():
    core = {r.code for r in RULES if r.core}
    assert core == {"IPX002", "IPX004", "IPX101", "IPX102", "IPX103", "IPX104", "IPX105", "IPX106", "IPX107",
                    "IPX401", "IPX402"}  # fmt: skip


@pytest.mark.parametrize("rule", [r for r in OFFLINE if r.core], ids=lambda r: r.code)
def test_core_rules_document_the_severity_the_core_reports(rule):
    for example in rule.examples("failing"):
        found = [d for d in lint_source(_example(example), "example.ipxe") if d.code == rule.code]
        assert {d.severity for d in found} == {rule.severity}
