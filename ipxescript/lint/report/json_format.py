"""``--format json``: one array; keys exactly path line column end_line end_column code severity
message (1-based; end_column is just past the last character), plus ``fix`` when one exists and, for
a script reached through a boot tree, ``via`` (the chain path as text) and ``related`` (the chain
commands on the way, each path line column message)."""

from __future__ import annotations

from typing import Any

from ipxescript.lint.report import FileReport, json_text
from ipxescript.lint.report.positions import diagnostic_span, fix_json


def records(reports: list[FileReport]) -> list[dict[str, Any]]:
    out = []
    for report in reports:
        for d in report.diagnostics:
            s = diagnostic_span(report.script, d)
            item: dict[str, Any] = {
                "path": report.path,
                "line": s.line,
                "column": s.column,
                "end_line": s.end_line,
                "end_column": s.end_column,
                "code": d.code,
                "severity": d.severity.value,
                "message": d.message,
            }
            if d.fix is not None:
                item["fix"] = fix_json(report.script, d.fix)
            if d.via:
                item["via"] = d.via
            if d.related:
                item["related"] = [
                    {"path": r.path, "line": r.line, "column": r.column, "message": r.message}
                    for r in d.related
                ]
            out.append(item)
    return out


def render_json(reports: list[FileReport]) -> str:
    return json_text(records(reports)) + "\n"
