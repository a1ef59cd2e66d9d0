"""Output formats: text (compiler style), concise (one line each), json, sarif (2.1.0) and github
(workflow annotations)."""

from __future__ import annotations

from dataclasses import dataclass

from ipxescript.analysis.diagnostics import Diagnostic
from ipxescript.syntax.tree import Script


@dataclass
class FileReport:
    path: str  # as shown to the user ("-" for stdin, or --stdin-filename)
    script: Script
    diagnostics: list[Diagnostic]


FORMATS = ("text", "concise", "json", "sarif", "github")


def render(fmt: str, reports: list[FileReport], color: bool = False) -> str:
    if fmt == "json":
        from ipxescript.lint.report.json_format import render_json

        return render_json(reports)
    if fmt == "concise":
        from ipxescript.lint.report.concise import render_concise

        return render_concise(reports)
    if fmt == "sarif":
        from ipxescript.lint.report.sarif import render_sarif

        return render_sarif(reports)
    if fmt == "github":
        from ipxescript.lint.report.github import render_github

        return render_github(reports)
    from ipxescript.lint.report.text import render_text

    return render_text(reports, color)
