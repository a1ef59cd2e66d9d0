"""``--format github``: GitHub Actions workflow commands, one annotation per finding."""

from __future__ import annotations

from ipxescript.analysis.diagnostics import Severity
from ipxescript.lint.report import FileReport
from ipxescript.lint.report.positions import diagnostic_span

LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(reports: list[FileReport]) -> str:
    out = []
    for report in reports:
        for d in report.diagnostics:
            s = diagnostic_span(report.script, d)
            props = (
                f"file={_prop(report.path)},line={s.line},col={s.column},endLine={s.end_line},"
                f"endColumn={s.end_column},title={_prop(d.code)}"
            )
            via = f" ({d.via})" if d.via else ""
            out.append(f"::{LEVEL[d.severity]} {props}::{_data(d.code + ' ' + d.message + via)}")
    return "\n".join(out) + ("\n" if out else "")
