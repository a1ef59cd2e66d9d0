"""Interactive mode: on a terminal with no --keys, menus are drawn and keys come from the keyboard."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time

import pytest


@pytest.mark.timeout(60)
def test_menu_on_a_terminal(tmp_path):
    script = tmp_path / "m.ipxe"
    script.write_text("#!ipxe\nmenu Pick one\nitem a Alpha\nitem b Beta\nchoose x\necho chose ${x}\n")
    primary, secondary = os.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "ipxescript.sim.cli", str(script)],
        stdin=secondary,
        stdout=secondary,
        stderr=secondary,
        close_fds=True,
    )
    os.close(secondary)
    output = b""

    def read_until(text: bytes, timeout: float = 20) -> None:
        nonlocal output
        deadline = time.monotonic() + timeout
        while text not in output and time.monotonic() < deadline:
            ready, _, _ = select.select([primary], [], [], 0.1)
            if ready:
                try:
                    output += os.read(primary, 4096)
                except OSError:
                    break
        assert text in output, output

    try:
        read_until(b"Pick one")
        assert b"Alpha" in output and b"Beta" in output
        os.write(primary, b"\x1b[B")  # Down, as a terminal sends it
        time.sleep(0.2)
        os.write(primary, b"\r")
        read_until(b"chose b")
        read_until(b"== exit 0")
    finally:
        proc.kill()
        proc.wait()
        os.close(primary)
