"""Defects a user met running ipxelint by hand (config files, options, odd inputs), as the user saw them."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        (
            ".ipxelint.toml",
            "# ours\n\nselect = [1]\n",
            ".ipxelint.toml:3: select: expected a list of strings\n",
        ),
        (
            "pyproject.toml",
            '[project]\nname = "x"\n\n[tool.ipxelint]\nprofile = "pcbios"\nignore = ["IPX2O1"]\n',
            "pyproject.toml:6: ignore: no rule or code prefix 'IPX2O1' (did you mean IPX201, IPX211?)",
        ),
        (
            "pyproject.toml",
            '[tool.ipxelint]\nfail-on = "error"\n[tool.ipxelint.severity]\nIPX201 = "fatal"\n',
            "pyproject.toml:3: severity.IPX201: severity must be error, warning or info, not 'fatal'",
        ),
        (
            ".ipxelint.toml",
            'select = ["IPX2"]\n[build]\nimgtrust = "yes"\n',
            ".ipxelint.toml:2: build.imgtrust: unknown key",
        ),
        (  # a misspelt code in the severity table was an override that silently never applied
            ".ipxelint.toml",
            '[severity]\nIPX2O1 = "info"\n',
            ".ipxelint.toml:1: severity.IPX2O1: no rule or code prefix 'IPX2O1' (did you mean IPX201, IPX211?)",
        ),
    ],
)
def test_a_config_mistake_names_its_file_and_line_once(tmp_path: Path, run_cli, name, text, expected) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / name).write_text(text)
    (tmp_path / "boot.ipxe").write_text("#!ipxe\nshell\n")
    result = run_cli("boot.ipxe", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith(f"ipxelint: {tmp_path / name}:"), result.stderr
    assert expected in result.stderr
    assert result.stderr.count(str(tmp_path)) == 1  # the file named once, not 'FILE: select: FILE: select:'


def test_a_suppression_takes_rule_names_and_a_reason_after_its_codes(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "boot.ipxe").write_text(
        "#!ipxe\n"
        "goto a # ipxelint: disable=goto-missing-label\n"
        "goto b # ipxelint: disable=IPX201 the label comes from the build\n"
        "goto c # ipxelint: disable=IPX404, IPX201\n"
        "goto d # ipxelint: disable=IPX404 all of it is set by DHCP\n"  # 'all' here is prose
    )
    result = run_cli("--format", "concise", "boot.ipxe", cwd=tmp_path)
    assert result.stdout.splitlines() == [
        "boot.ipxe:5:6: error IPX201 no label ':d' in this script: goto fails with 'no such label'"
    ]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_a_script_saved_as_utf16_is_named_so_not_binary_data(tmp_path: Path, run_cli, encoding) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "boot.ipxe").write_bytes("#!ipxe\necho hi\n".encode(encoding))  # Notepad's "Unicode"
    result = run_cli("boot.ipxe", cwd=tmp_path)
    assert result.stderr.startswith(
        "ipxelint: boot.ipxe: skipped, UTF-16 text, which iPXE cannot read: save it as UTF-8 (or ASCII)\n"
    )
    assert result.returncode == 2


def test_fix_on_a_file_that_cannot_be_written_reports_its_findings_not_fixed(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    import subprocess

    path = tmp_path / "boot.ipxe"
    path.write_text("#!ipxe\ngoto :x\n:x\n")
    # immutable: even root cannot write it (CI runs as root, where chmod 444 stops nothing)
    subprocess.run(["chattr", "+i", str(path)], check=True, capture_output=True)
    try:
        result = run_cli("--fix", "boot.ipxe", cwd=tmp_path)
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True, capture_output=True)
    assert result.returncode == 2
    assert result.stderr.startswith("ipxelint: boot.ipxe: cannot write: Operation not permitted\n")
    assert "Fixed" not in result.stderr  # it said 'Fixed 1 problem.' and showed nothing of the file
    assert result.stdout.startswith("boot.ipxe:2:6: error IPX210 ")


def test_a_folder_that_cannot_be_listed_is_reported_not_skipped(tmp_path: Path) -> None:
    import subprocess
    import sys

    (tmp_path / "boot.ipxe").write_text("#!ipxe\nchain menus/main.ipxe\n")
    (tmp_path / "menus").mkdir()
    (tmp_path / "menus" / "main.ipxe").write_text("#!ipxe\ngoto nowhere\n")
    (tmp_path / "menus").chmod(0)
    # as a user without root's override of file permissions (CI runs as root)
    without_override = [
        "setpriv",
        "--bounding-set",
        "-dac_override,-dac_read_search",
        "--inh-caps",
        "-all",
        "--",
    ]
    try:
        result = subprocess.run(
            [*without_override, sys.executable, "-m", "ipxescript.lint.cli", "."],
            cwd=tmp_path, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    finally:
        (tmp_path / "menus").chmod(0o755)
    assert result.stderr == "ipxelint: menus: cannot read folder: Permission denied\n"  # was silence, exit 0
    assert result.returncode == 2
