"""One set of conventions across every command (docs/cli.md), checked on the installed console scripts
as a person runs them: --version, --format/--json, '-' for stdin, exit statuses 0/1/2, bad files among
good ones, no raw bytes on the terminal, colour only on a terminal and never under NO_COLOR, examples
in --help, and shell completion in a real bash."""

from __future__ import annotations

import json
import os
import pty
import select
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ipxescript.serve.assignments import AssignmentStore

BIN = Path(sys.executable).parent
GOOD = "#!ipxe\necho hello\n"
BAD = "#!ipxe\ngoto nowhere\n"


def run(*argv: str, stdin: str | bytes = b"", cwd: Path | None = None, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    program = str(BIN / argv[0])
    data = stdin.encode() if isinstance(stdin, str) else stdin
    environment = {**{k: v for k, v in os.environ.items() if k != "NO_COLOR"}, **(env or {})}
    done = subprocess.run(
        [program, *argv[1:]], input=data, capture_output=True, cwd=cwd, env=environment, timeout=120
    )
    return done.returncode, done.stdout.decode("utf-8", "replace"), done.stderr.decode("utf-8", "replace")


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "good.ipxe").write_text(GOOD)
    (tmp_path / "bad.ipxe").write_text(BAD)
    (tmp_path / "program.ipxe").write_bytes(b"\x7fELF\x02\x01\x01\x00" + b"\x00\x1b[2J\xff" * 64)
    AssignmentStore(tmp_path / "state" / "assignments.sqlite3").close()  # a server's state, no assignment yet
    return tmp_path


@pytest.mark.parametrize("program", ["ipxescript", "ipxelint", "ipxesim"])
def test_version_names_the_package(program: str) -> None:
    code, out, _ = run(program, "--version")
    assert code == 0 and "0.1.0" in out and (program == "ipxescript" or "(ipxescript)" in out)


@pytest.mark.parametrize(
    "argv",
    [
        ["ipxescript", "parse", "good.ipxe"],
        ["ipxescript", "commands", "chain"],
        ["ipxelint", "good.ipxe"],
        ["ipxesim", "good.ipxe"],
        ["ipxescript", "assignments", "--state-dir", "state"],
    ],
)
def test_format_json_and_its_json_alias(files: Path, argv: list[str]) -> None:
    code, out, err = run(*argv, "--format", "json", cwd=files)
    assert code == 0, err
    assert json.loads(out) == json.loads(run(*argv, "--json", cwd=files)[1])


@pytest.mark.parametrize(
    "argv, expect",
    [
        (["ipxescript", "parse", "-"], "echo"),
        (["ipxelint", "-"], ""),
        (["ipxescript", "check", "-"], ""),
        (["ipxescript", "fmt", "-"], GOOD),
        (["ipxesim", "-"], "hello\n== exit 0"),
        (["ipxescript", "sim", "-"], "hello\n== exit 0"),
        (["ipxescript", "graph", "-"], "digraph"),
    ],
)
def test_dash_reads_standard_input(argv: list[str], expect: str) -> None:
    code, out, err = run(*argv, stdin=GOOD)
    assert code == 0, err
    assert expect in out


@pytest.mark.parametrize(
    "argv",
    [
        ["ipxescript", "parse"],
        ["ipxescript", "commands"],
        ["ipxelint"],
        ["ipxescript", "fmt"],
        ["ipxesim"],
        ["ipxescript", "graph"],
        ["ipxescript", "lsp"],
        ["ipxescript", "serve"],
        ["ipxescript", "assignments"],
    ],
)
def test_usage_errors_exit_2_and_help_has_examples(argv: list[str]) -> None:
    code, _, err = run(*argv, "--no-such-option")
    assert code == 2 and "No such option" in err
    code, out, _ = run(*argv, "--help")
    assert code == 0 and "Examples:" in out


@pytest.mark.parametrize(
    "argv",
    [["ipxescript", "parse"], ["ipxelint"], ["ipxescript", "fmt"], ["ipxesim"], ["ipxescript", "graph"]],
)
def test_a_missing_file_is_an_input_error(files: Path, argv: list[str]) -> None:
    code, out, err = run(*argv, "missing.ipxe", cwd=files)
    assert code == 2 and "missing.ipxe" in err and "Traceback" not in out + err


def test_findings_and_failures_exit_1(files: Path) -> None:
    assert run("ipxelint", "bad.ipxe", cwd=files)[0] == 1
    assert run("ipxesim", "bad.ipxe", cwd=files)[0] == 1
    (files / "untidy.ipxe").write_text("#!ipxe\n  echo   hi\n")
    assert run("ipxescript", "fmt", "--check", "untidy.ipxe", cwd=files)[0] == 1
    assert run("ipxescript", "commands", "nosuch")[0] == 2


def test_a_binary_file_is_reported_and_the_others_still_checked(files: Path) -> None:
    code, out, err = run(
        "ipxelint", "--format", "concise", "program.ipxe", "bad.ipxe", "good.ipxe", cwd=files
    )
    assert code == 2
    assert "program.ipxe: skipped, an ELF executable, not an iPXE script" in err
    assert out.startswith("bad.ipxe:2:6: error IPX201 ")
    for text in (out, err):
        assert "\x1b" not in text and "\x7f" not in text and "\ufffd" not in text
    code, out, err = run("ipxescript", "fmt", "--check", "program.ipxe", "good.ipxe", cwd=files)
    assert code == 2 and "program.ipxe: skipped" in err and "\x1b" not in out + err


def test_rule_names_select_and_unknown_codes_are_errors(files: Path) -> None:
    code, out, _ = run(
        "ipxelint", "--select", "goto-missing-label", "--format", "concise", "bad.ipxe", cwd=files
    )
    assert code == 1 and " IPX201 " in out
    code, _, err = run("ipxelint", "--ignore", "IPX9999", "bad.ipxe", cwd=files)
    assert code == 2 and "IPX9999" in err


def test_quiet(files: Path) -> None:
    code, out, err = run("ipxelint", "-q", "bad.ipxe", cwd=files)
    assert code == 1 and "IPX201" in out and "Found" not in err
    assert run("ipxesim", "-q", "good.ipxe", cwd=files)[1] == "== exit 0\n"


def test_fix_with_diff_changes_nothing(files: Path) -> None:
    (files / "nomagic.ipxe").write_text("echo hi\n")
    code, out, _ = run("ipxelint", "--fix", "--diff", "nomagic.ipxe", cwd=files)
    assert code == 1 and "+#!ipxe" in out
    assert (files / "nomagic.ipxe").read_text() == "echo hi\n"


def on_a_terminal(argv: list[str], cwd: Path, env: dict[str, str]) -> bytes:
    primary, secondary = pty.openpty()
    environment = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    proc = subprocess.Popen(
        [str(BIN / argv[0]), *argv[1:]], stdin=secondary, stdout=secondary, stderr=secondary,
        cwd=cwd, env={**environment, **env}, close_fds=True,
    )  # fmt: skip
    os.close(secondary)
    output = b""
    try:
        while True:
            ready, _, _ = select.select([primary], [], [], 30)
            if not ready:
                break
            try:
                chunk = os.read(primary, 4096)
            except OSError:
                break
            if not chunk:
                break
            output += chunk
    finally:
        proc.wait(timeout=30)
        os.close(primary)
    return output


def test_colour_only_on_a_terminal_and_never_under_no_color(files: Path) -> None:
    assert b"\x1b[" in on_a_terminal(["ipxelint", "bad.ipxe"], files, {})
    assert b"\x1b[" not in on_a_terminal(["ipxelint", "bad.ipxe"], files, {"NO_COLOR": "1"})
    assert "\x1b[" not in run("ipxelint", "bad.ipxe", cwd=files)[1]


def test_bash_completion(files: Path) -> None:
    bash = shutil.which("bash")
    assert bash
    script = (
        f'export PATH="{BIN}:$PATH"; eval "$(_IPXELINT_COMPLETE=bash_source ipxelint)"; '
        'COMP_WORDS=(ipxelint --form); COMP_CWORD=1; _ipxelint_completion ipxelint; echo "${COMPREPLY[@]}"; '
        'eval "$(_IPXESCRIPT_COMPLETE=bash_source ipxescript)"; '
        'COMPREPLY=(); COMP_WORDS=(ipxescript se); COMP_CWORD=1; _ipxescript_completion ipxescript; echo "${COMPREPLY[@]}"'
    )
    done = subprocess.run([bash, "-c", script], capture_output=True, text=True, timeout=60, cwd=files)
    lines = done.stdout.splitlines()
    assert lines[0].split() == ["--format"], done.stdout + done.stderr
    assert lines[1].split() == ["serve"], done.stdout + done.stderr
