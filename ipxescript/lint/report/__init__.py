"""Output formats: text (compiler style), concise (one line each), json, sarif (2.1.0) and github
(workflow annotations)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from ipxescript.analysis.diagnostics import Diagnostic
from ipxescript.syntax.tree import Script


@dataclass
class FileReport:
    path: str  # as shown to the user ("-" for stdin, or --stdin-filename)
    script: Script
    diagnostics: list[Diagnostic]


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def json_text(value: Any) -> str:
    """``value`` as indented JSON, non-ASCII text as it is, and a byte of a script that is not UTF-8
    (held as a lone surrogate by surrogateescape) as its ``\\udcXX`` escape: the output stays valid
    UTF-8 for strict readers, and one decoding with surrogateescape gets the byte back."""
    text = json.dumps(value, indent=2, ensure_ascii=False)
    return _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


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
