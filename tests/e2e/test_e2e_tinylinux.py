"""The tiny Linux's initrd is a newc archive that cpio itself reads back, with a console and an /init."""

from __future__ import annotations

import subprocess
from pathlib import Path

from e2e_tinylinux import build_tiny_linux


def test_initrd_lists_with_cpio_and_holds_init_busybox_and_console(tmp_path: Path):
    linux = build_tiny_linux(tmp_path / "cache")
    listing = subprocess.run(
        ["cpio", "-itv", "--quiet"], input=linux.initrd.read_bytes(), capture_output=True, check=True
    ).stdout.decode()
    lines = {line.split()[-1]: line for line in listing.splitlines()}
    assert {"init", "bin/busybox", "dev/console", "proc"} <= set(lines)
    assert lines["dev/console"].startswith("crw"), lines["dev/console"]
    assert lines["init"].startswith("-rwx"), lines["init"]


def test_init_prints_this_builds_token_and_the_command_line(tmp_path: Path):
    linux = build_tiny_linux(tmp_path / "cache")
    extracted = tmp_path / "x"
    extracted.mkdir()
    subprocess.run(
        ["cpio", "-id", "--quiet", "init"], input=linux.initrd.read_bytes(), cwd=extracted, check=True
    )
    init = (extracted / "init").read_text()
    assert linux.up_line in init
    assert "/proc/cmdline" in init and "poweroff -f" in init


def test_cache_is_reused_and_a_new_cache_gets_a_new_token(tmp_path: Path):
    first = build_tiny_linux(tmp_path / "a")
    assert build_tiny_linux(tmp_path / "a") == first
    assert build_tiny_linux(tmp_path / "b").token != first.token
