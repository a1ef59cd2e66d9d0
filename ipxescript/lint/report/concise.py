"""``--format concise``: one line per finding, ``path:line:col: severity CODE message``, for grep and editors."""

from __future__ import annotations

from ipxescript.lint.report import FileReport
from ipxescript.lint.report.positions import diagnostic_span


def render_concise(reports: list[FileReport]) -> str:
    out = []
    for report in reports:
        for d in report.diagnostics:
            s = diagnostic_span(report.script, d)
            message = " ".join(d.message.split())  # never more than one line
            out.append(f"{report.path}:{s.line}:{s.column}: {d.severity.value} {d.code} {message}")
    return "\n".join(out) + ("\n" if out else "")
