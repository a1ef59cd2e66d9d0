from __future__ import annotations

import json

import jsonschema
from conftest import DATA, ROOT

from ipxescript.lint import lint_text
from ipxescript.lint.docs import rules_markdown
from ipxescript.lint.report import FileReport, render

SCRIPT = "echo no magic\ndhcp || failed\n:failed\nchain http:/x\nisset ${x} && echo y\nsleep 3000\n"


def _report() -> list[FileReport]:
    result = lint_text(SCRIPT, "dir/boot menu.ipxe")
    return [FileReport("dir/boot menu.ipxe", result.script, result.diagnostics)]


def test_sarif_validates_against_the_2_1_0_schema():
    schema = json.loads((DATA / "sarif-schema-2.1.0.json").read_text())
    log = json.loads(render("sarif", _report()))
    jsonschema.validate(log, schema)
    run = log["runs"][0]
    results = run["results"]
    assert {r["ruleId"] for r in results} >= {"IPX001", "IPX205", "IPX601", "IPX207", "IPX110"}
    rules = run["tool"]["driver"]["rules"]
    for r in results:
        assert rules[r["ruleIndex"]]["id"] == r["ruleId"]
    goto = next(r for r in results if r["ruleId"] == "IPX205")
    region = goto["locations"][0]["physicalLocation"]["region"]
    assert region == {"startLine": 2, "startColumn": 9, "endLine": 2, "endColumn": 15}
    assert goto["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "dir/boot%20menu.ipxe"
    assert goto["fixes"][0]["artifactChanges"][0]["replacements"][0]["insertedContent"]["text"] == "goto "
    assert {r["level"] for r in results} <= {"error", "warning", "note"}


def test_sarif_with_no_findings_is_valid_too():
    schema = json.loads((DATA / "sarif-schema-2.1.0.json").read_text())
    result = lint_text("#!ipxe\necho hi\n", "ok.ipxe")
    log = json.loads(render("sarif", [FileReport("ok.ipxe", result.script, result.diagnostics)]))
    jsonschema.validate(log, schema)
    assert log["runs"][0]["results"] == []


def test_rules_md_is_generated_from_the_docstrings():
    current = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert current == rules_markdown(), "docs/rules.md is stale: run python -m ipxescript.lint.docs"


def test_rules_md_has_every_rule_with_examples():
    text = rules_markdown()
    from ipxescript.lint import all_rules

    for rule in all_rules():
        assert f"### {rule.code}" in text
    assert text.count("```ipxe") >= 2 * len(all_rules())
