"""Defects a user met running ipxelint on real scripts and odd files, each as the user saw it."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

# a menu's exit entry whose last line was meant as a command: iPXE has 'poweroff', not 'shutdown'
SHUTDOWN_UNDER_ITS_LABEL = (
    "#!ipxe\nmenu\nitem shutdown Power off\nchoose target || exit\ngoto ${target}\n:shutdown\nshutdown\n"
)


def test_fix_never_turns_a_command_under_its_own_label_into_an_endless_loop(tmp_path, run_cli):
    path = tmp_path / "menu.ipxe"
    path.write_text(SHUTDOWN_UNDER_ITS_LABEL)
    result = run_cli("--fix", str(path))
    assert path.read_text() == SHUTDOWN_UNDER_ITS_LABEL  # 'goto shutdown' would jump to the line above
    assert result.returncode == 1
    assert result.stdout.startswith(
        f"{path}:7:1: error IPX101 'shutdown' is not an iPXE command: the line fails with 'command not found'"
    )
    assert "goto shutdown" not in result.stdout


@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_machine_output_is_valid_utf8_for_a_latin1_script(tmp_path, fmt):
    # a script saved in Latin-1 (an accented setting name): JSON/SARIF must stay UTF-8, the byte kept
    path = tmp_path / "boot.ipxe"
    path.write_bytes(b"#!ipxe\nset caf\xe9 1\n")
    result = subprocess.run(
        [sys.executable, "-m", "ipxescript.lint.cli", "--format", fmt, str(path)],
        capture_output=True,
        timeout=120,
    )
    assert result.returncode == 0
    document = json.loads(result.stdout.decode("utf-8"))  # strict: what jq, Go, serde and browsers expect
    text = json.dumps(document)
    assert "'caf\\udce9' is stored here" in text  # the undecodable byte, escaped, not lost
