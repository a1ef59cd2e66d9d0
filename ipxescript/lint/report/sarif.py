"""``--format sarif``: SARIF 2.1.0, one run, every registered rule described in the driver."""

from __future__ import annotations

from pathlib import PurePath
from typing import Any
from urllib.parse import quote

from ipxescript import __version__
from ipxescript.analysis.diagnostics import Fix, Severity
from ipxescript.lint.registry import all_rules
from ipxescript.lint.report import FileReport, json_text
from ipxescript.lint.report.positions import diagnostic_span, span
from ipxescript.syntax.tree import Script

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def _uri(path: str) -> str:
    # a name that is not UTF-8 (held by surrogateescape) is percent-encoded as its bytes
    return quote(PurePath(path).as_posix(), errors="surrogateescape") if path != "-" else "stdin"


def _region(s: Any) -> dict[str, int]:
    return {"startLine": s.line, "startColumn": s.column, "endLine": s.end_line, "endColumn": s.end_column}


def _fix(script: Script, uri: str, fix: Fix) -> dict[str, Any]:
    return {
        "description": {"text": fix.description + ("" if fix.safe else " (unsafe)")},
        "artifactChanges": [
            {
                "artifactLocation": {"uri": uri},
                "replacements": [
                    {
                        "deletedRegion": _region(span(script, e.start, e.end)),
                        "insertedContent": {"text": e.text},
                    }
                    for e in fix.edits
                ],
            }
        ],
    }


def render_sarif(reports: list[FileReport]) -> str:
    rules = list(all_rules())
    index = {r.code: i for i, r in enumerate(rules)}
    driver_rules = [
        {
            "id": r.code,
            "name": r.name,
            "shortDescription": {"text": r.title.replace("``", "'")},
            "fullDescription": {"text": r.doc.split("Failing::")[0].strip().replace("``", "'")},
            "help": {"text": f"ipxelint --explain {r.code}"},
            "defaultConfiguration": {"level": LEVEL[r.severity]},
        }
        for r in rules
    ]
    results = []
    for report in reports:
        uri = _uri(report.path)
        for d in report.diagnostics:
            result: dict[str, Any] = {
                "ruleId": d.code,
                "level": LEVEL[d.severity],
                "message": {"text": d.message},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": uri},
                            "region": _region(diagnostic_span(report.script, d)),
                        }
                    }
                ],
            }
            if d.code in index:
                result["ruleIndex"] = index[d.code]
            if d.related:
                result["relatedLocations"] = [
                    {
                        "id": number,
                        "physicalLocation": {
                            "artifactLocation": {"uri": _uri(r.path)},
                            "region": {"startLine": r.line, "startColumn": r.column},
                        },
                        "message": {"text": r.message},
                    }
                    for number, r in enumerate(d.related)
                ]
                result["message"]["text"] += f" ({d.via})"
            if d.fix is not None:
                result["fixes"] = [_fix(report.script, uri, d.fix)]
            results.append(result)
    log = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "ipxelint",
                        "fullName": "ipxelint (ipxescript)",
                        "version": __version__,
                        "rules": driver_rules,
                    }
                },
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }
    return json_text(log) + "\n"
