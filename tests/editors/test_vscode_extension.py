"""The VS Code extension: its TextMate grammar tests and client tests (npm test), and the .vsix build.

Needs node and npm (Debian's `nodejs` and `npm` in CI); `npm ci` installs the locked packages from the
npm registry into editors/vscode/node_modules (git-ignored).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

EXTENSION = Path(__file__).resolve().parents[2] / "editors" / "vscode"


def run_npm(*args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    npm = shutil.which("npm")
    assert npm, "npm is needed for the VS Code extension tests (apt-get install nodejs npm)"
    return subprocess.run(
        [npm, *args], cwd=EXTENSION, capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.fixture(scope="module")
def installed() -> Path:
    result = run_npm("ci", "--ignore-scripts", "--no-audit", "--no-fund", timeout=400)
    assert result.returncode == 0, result.stdout + result.stderr
    return EXTENSION


@pytest.mark.timeout(500)
def test_grammar_and_client_tests_pass(installed: Path) -> None:
    result = run_npm("test", timeout=120)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    for name in ("basics", "expansions", "options", "continuation"):
        assert f"tests/grammar/{name}.ipxe run successfuly" in output
    assert "# fail 0" in output


@pytest.mark.timeout(500)
def test_real_client_starts_the_server_and_shows_diagnostics(installed: Path) -> None:
    # extension.js on the real vscode-languageclient launches `ipxescript lsp --stdio` from PATH, as VS
    # Code does with the default setting; only the `vscode` module is modelled (tests/server.test.js)
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    node = shutil.which("node") or shutil.which("nodejs")
    assert node, "node is needed for the VS Code extension tests (apt-get install nodejs)"
    result = subprocess.run(
        [node, "--test", "tests/server.test.js"],
        cwd=installed,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "# pass 2" in output and "# fail 0" in output


@pytest.mark.timeout(500)
def test_a_broken_grammar_expectation_fails(installed: Path, tmp_path: Path) -> None:
    # the grammar test runner must really check scopes: `#` inside a word is not a comment
    case = tmp_path / "wrong.ipxe"
    case.write_text(
        '# SYNTAX TEST "source.ipxe" "must fail"\necho hello#world\n#         ^^^^^^ comment.line.number-sign.ipxe\n'
    )
    tool = installed / "node_modules" / ".bin" / "vscode-tmgrammar-test"
    result = subprocess.run(
        [str(tool), "-g", "syntaxes/ipxe.tmLanguage.json", str(case)],
        cwd=installed,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "missing required scopes: comment.line.number-sign.ipxe" in result.stdout + result.stderr


@pytest.mark.timeout(500)
def test_builds_a_vsix_with_grammar_and_client(installed: Path) -> None:
    vsix = installed / "ipxescript.vsix"
    vsix.unlink(missing_ok=True)
    result = run_npm("run", "package", timeout=180)
    assert result.returncode == 0, result.stdout + result.stderr
    with zipfile.ZipFile(vsix) as archive:
        names = set(archive.namelist())
        manifest = json.loads(archive.read("extension/package.json"))
    assert {
        "extension/extension.js",
        "extension/syntaxes/ipxe.tmLanguage.json",
        "extension/language-configuration.json",
        "extension/node_modules/vscode-languageclient/package.json",
        "extension.vsixmanifest",
    } <= names
    assert not any(name.startswith("extension/tests/") for name in names)
    language = manifest["contributes"]["languages"][0]
    assert language["extensions"] == [".ipxe"]
    assert language["firstLine"] == "^#!(ipxe|gpxe)(\\s|$)"
    vsix.unlink()


def test_grammar_is_generated_from_the_catalog() -> None:
    result = subprocess.run(
        ["python3", str(EXTENSION / "scripts" / "build_grammar.py")],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    committed = (EXTENSION / "syntaxes" / "ipxe.tmLanguage.json").read_text()
    assert json.loads(result.stdout) == json.loads(committed), "run scripts/build_grammar.py again"
