from __future__ import annotations

import sys
from pathlib import Path

import pytest

from ipxescript.lint import lint_source
from ipxescript.lint.config import LintConfig

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).resolve().parents[2]


def findings(
    text: str, config: LintConfig | None = None, path: str = "test.ipxe"
) -> list[tuple[str, int, int]]:
    """(code, 1-based line, 1-based column) of every finding."""
    from ipxescript.syntax.parser import parse

    script = parse(text)
    out = []
    for d in lint_source(text, path, config):
        line, column = script.position(d.start)
        out.append((d.code, line + 1, column + 1))
    return out


def codes(text: str, config: LintConfig | None = None) -> set[str]:
    return {c for c, _l, _c in findings(text, config)}


def lines_of(text: str, code: str, config: LintConfig | None = None) -> list[int]:
    return [line for c, line, _col in findings(text, config) if c == code]


@pytest.fixture
def run_cli():
    """Run the ipxelint console script in a subprocess (what users run)."""
    import subprocess

    def run(
        *args: str, stdin: str | None = None, cwd: Path | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "ipxescript.lint.cli", *args],
            input=stdin,
            capture_output=True,
            text=True,
            cwd=cwd,
            timeout=120,
        )

    return run
