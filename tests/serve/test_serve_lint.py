"""Lint on serve: a script with lint errors is reported with file:line and replaced by an error script."""

from __future__ import annotations

import logging
import os
import re
import time
from pathlib import Path

import pytest
import requests

from ipxescript.serve.policy import Client
from ipxescript.serve.scriptcheck import ScriptChecker

BROKEN = "#!ipxe\necho about to boot\nchian http://example/next.ipxe\n"


def test_broken_target_is_replaced_by_an_error_script(boot_root: Path, make_server) -> None:  # type: ignore[no-untyped-def]
    (boot_root / "boot.ipxe").write_text(BROKEN)
    server = make_server(boot_root)
    text = requests.get(f"{server.url}/boot.ipxe?mac=52-54-00-12-34-56", timeout=10).text
    assert text.startswith("#!ipxe\n")
    assert re.search(r"boot\.ipxe:3:\d+: error IPX101", text)  # file:line:column, the code and the message
    assert "chian" in text
    assert text.rstrip().endswith("shell")
    assert "http://example/next.ipxe" not in text.split("IPX101", 1)[0]
    # the error script itself is clean for the linter (it must run on a real iPXE)
    from ipxescript.serve.scriptcheck import check_text

    assert [f for f in check_text(text, "error.ipxe") if f.severity == "error"] == []


def test_broken_static_script_is_replaced_too(boot_root: Path, make_server) -> None:  # type: ignore[no-untyped-def]
    (boot_root / "sub" / "next.ipxe").write_text(BROKEN)
    server = make_server(boot_root)
    reply = requests.get(f"{server.url}/sub/next.ipxe", timeout=10)
    assert reply.status_code == 200
    assert re.search(r"sub/next\.ipxe:3:\d+: error IPX101", reply.text) and reply.text.rstrip().endswith(
        "shell"
    )
    virtual = server.policy.tftp_file("sub/next.ipxe", Client(mac="", ip="127.0.0.1"))
    assert virtual is not None and b"sub/next.ipxe:3:" in virtual.data


def test_lint_serve_mode_sends_the_script_as_it_is(boot_root: Path, make_server) -> None:  # type: ignore[no-untyped-def]
    (boot_root / "ipxescript.toml").write_text('lint = "serve"\n')
    (boot_root / "sub" / "next.ipxe").write_text(BROKEN)
    server = make_server(boot_root)
    assert requests.get(f"{server.url}/sub/next.ipxe", timeout=10).text == BROKEN


def test_warnings_do_not_block_serving(boot_root: Path, make_server) -> None:  # type: ignore[no-untyped-def]
    script = "#!ipxe\necho ${unclosed\n"
    (boot_root / "warn.ipxe").write_text(script)
    server = make_server(boot_root)
    assert requests.get(f"{server.url}/warn.ipxe", timeout=10).text == script


def test_a_fixed_script_is_served_at_once(boot_root: Path, make_server) -> None:  # type: ignore[no-untyped-def]
    path = boot_root / "sub" / "next.ipxe"
    path.write_text(BROKEN)
    server = make_server(boot_root)
    assert "IPX101" in requests.get(f"{server.url}/sub/next.ipxe", timeout=10).text
    fixed = BROKEN.replace("chian", "chain")
    path.write_text(fixed)
    os.utime(path, ns=(time.time_ns() + 10**9, time.time_ns() + 10**9))  # a new mtime even on coarse clocks
    assert requests.get(f"{server.url}/sub/next.ipxe", timeout=10).text == fixed


def test_scan_reports_errors_with_file_and_line(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "good.ipxe").write_text("#!ipxe\necho ok\n")
    (tmp_path / "deep").mkdir()
    (tmp_path / "deep" / "bad").write_text(BROKEN)  # no suffix: recognised by its #!ipxe line
    (tmp_path / "image.bin").write_bytes(b"\x00" * 100)
    checker = ScriptChecker(str(tmp_path))
    with caplog.at_level(logging.ERROR, logger="ipxescript.serve.lint"):
        checker.scan()
    reports = checker.all_reports()
    assert set(reports) == {"good.ipxe", "deep/bad"}
    assert reports["good.ipxe"].errors == []
    assert [(f.line, f.code) for f in reports["deep/bad"].errors] == [(3, "IPX101")]
    assert re.search(r"deep/bad:3:\d+: error IPX101", caplog.text)
    # on change: deleting a script forgets it, a new broken one is reported
    (tmp_path / "deep" / "bad").unlink()
    (tmp_path / "new.ipxe").write_text("#!ipxe\ngoto nowhere\n")
    caplog.clear()
    with caplog.at_level(logging.ERROR, logger="ipxescript.serve.lint"):
        checker.scan()
    assert set(checker.all_reports()) == {"good.ipxe", "new.ipxe"}
    assert re.search(r"new\.ipxe:2:\d+: error IPX201", caplog.text)


def test_console_lists_broken_scripts(boot_root: Path, make_server) -> None:  # type: ignore[no-untyped-def]
    (boot_root / "sub" / "next.ipxe").write_text(BROKEN)
    server = make_server(boot_root)
    server.policy.checker.scan()
    shown = requests.get(f"{server.url}/api/server", timeout=10, headers=server.auth).json()
    assert any(line.startswith("sub/next.ipxe:3:") for line in shown["lint_errors"]), shown


def test_serve_lints_with_the_trees_ipxelint_config(tmp_path: Path) -> None:
    """The boot tree's .ipxelint.toml applies on serve as it does for ipxelint: a code it ignores or
    downgrades does not block serving."""
    (tmp_path / "boot.ipxe").write_text(BROKEN)
    assert [
        f.code for f in ScriptChecker(str(tmp_path)).report("boot.ipxe", str(tmp_path / "boot.ipxe")).errors
    ] == [  # type: ignore[union-attr]
        "IPX101"
    ]
    (tmp_path / ".ipxelint.toml").write_text('[severity]\nIPX101 = "warning"\n')
    report = ScriptChecker(str(tmp_path)).report("boot.ipxe", str(tmp_path / "boot.ipxe"))
    assert report is not None and report.errors == []
    assert [(f.code, f.severity) for f in report.findings if f.code == "IPX101"] == [("IPX101", "warning")]
    (tmp_path / ".ipxelint.toml").write_text("severity = 3\n")  # unusable: the defaults, serving goes on
    report = ScriptChecker(str(tmp_path)).report("boot.ipxe", str(tmp_path / "boot.ipxe"))
    assert report is not None and [f.code for f in report.errors] == ["IPX101"]
