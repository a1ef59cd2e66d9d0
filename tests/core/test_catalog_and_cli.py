"""The catalog is complete and the core CLI behaves for users (parse, commands, bad input)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from ipxescript.catalog import get_catalog
from ipxescript.cli import main

ROOT = Path(__file__).resolve().parents[2]


def test_catalog_has_all_92_commands_and_profiles():
    cat = get_catalog()
    assert len(cat.commands) == 92
    assert {"efi", "pcbios", "debian-12-efi"} <= set(cat.profiles)
    assert len(cat.profile("debian-12-efi").commands) == 48
    assert "https" not in cat.profile("pcbios").schemes
    assert "console" not in cat.profile("pcbios").commands
    assert "guid" not in cat.profile("debian-12-efi").setting_types
    assert str(cat.setting("hostname").dhcp_option) == "12"


def test_commands_cli_lists_and_shows():
    runner = CliRunner()
    result = runner.invoke(main, ["commands"])
    assert result.exit_code == 0 and "choose" in result.output
    result = runner.invoke(main, ["commands", "choose"])
    assert "Usage: choose [-m|--menu <menu>]" in result.output
    result = runner.invoke(main, ["commands", "chooze"])
    assert result.exit_code == 2 and "did you mean choose" in result.output  # an input error


def test_parse_cli_json(tmp_path):
    f = tmp_path / "a.ipxe"
    f.write_bytes(b"#!ipxe\n:a echo ${x} || goto b\n")
    result = CliRunner().invoke(main, ["parse", str(f), "--json"])
    data = json.loads(result.output)
    line = data["lines"][1]
    assert line["label"]["name"] == "a"
    assert line["commands"][0]["words"][1]["parts"][0]["setting"] == "x"
    assert line["operators"][0]["range"] == {
        "line": 2, "column": 14, "end_line": 2, "end_column": 16, "offset": 20, "end_offset": 22,
    }  # fmt: skip


def test_parse_cli_missing_file_is_a_clear_error():
    result = CliRunner().invoke(main, ["parse", "/nonexistent/x.ipxe"])
    assert result.exit_code == 2  # an input error
    assert "/nonexistent/x.ipxe: no such file" in result.output
    assert "Traceback" not in result.output


def test_wheel_carries_grammar_and_catalog(tmp_path):
    """A wheel built from the checkout works when installed elsewhere (outside the checkout)."""
    wheel_dir = tmp_path / "wheel"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(wheel_dir), str(ROOT)],
        check=True,
    )  # fmt: skip
    (wheel,) = wheel_dir.glob("ipxescript-*.whl")
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(wheel)],
        check=True,
    )
    code = (
        "import ipxescript, sys; from ipxescript.catalog import get_catalog; "
        "from ipxescript.syntax.grammar import parse_with_lark; "
        "assert ipxescript.__file__.startswith(sys.argv[1]), ipxescript.__file__; "
        "s = ipxescript.parse('#!ipxe\\necho hi\\n'); parse_with_lark('echo hi\\n'); "
        "print(len(get_catalog().commands), s.lines[1].commands[0].name)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(target)],
        cwd=tmp_path,
        env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.split() == ["92", "echo"]


def test_parse_cli_survives_strict_utf8_stdout_on_undecodable_bytes(tmp_path):
    f = tmp_path / "gbk.ipxe"
    f.write_bytes(b"#!ipxe\necho \xc4\xe3\xba\xc3\n")
    env = {"PYTHONIOENCODING": "utf-8", "PATH": "/usr/bin:/bin"}
    for extra in ([], ["--json"]):
        run = subprocess.run(
            [sys.executable, "-m", "ipxescript", "parse", str(f), *extra], capture_output=True, env=env
        )
        assert run.returncode == 0, run.stderr
        assert b"Traceback" not in run.stderr
    text = subprocess.run([sys.executable, "-m", "ipxescript", "parse", str(f)], capture_output=True, env=env)
    assert b"\\udcc4" in text.stdout  # undecodable bytes are shown escaped, never a crash
    data = json.loads(
        subprocess.run(
            [sys.executable, "-m", "ipxescript", "parse", str(f), "--json"], capture_output=True, env=env
        ).stdout
    )
    assert data["encoding_errors"] is True
