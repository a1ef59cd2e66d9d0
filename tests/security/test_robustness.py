"""Mistakes and oddities that used to hang the server or print tracebacks: a FIFO in ROOT, config
values of the wrong type, a config file that is not UTF-8."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from ipxescript.serve.config import KNOWN_KEYS, ConfigError, load_config

from .conftest import wait_ready


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.timeout(60)
def test_a_fifo_in_root_neither_hangs_the_lint_nor_keeps_sigterm_from_working(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (root / "boot.ipxe").write_text("#!ipxe\necho hi\n")
    os.mkfifo(root / "pipe.ipxe")
    os.mkfifo(root / "menu")
    port = free_port()
    log = tmp_path / "serve.log"
    with open(log, "w") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "ipxescript", "serve", str(root), "--http-port", str(port),
             "--tftp-port", str(free_port(socket.SOCK_DGRAM)), "--state-dir", str(tmp_path / "state")],
            stdout=subprocess.DEVNULL, stderr=err, text=True,
        )  # fmt: skip
    try:
        wait_ready(f"http://127.0.0.1:{port}", proc, log, 20)  # the startup lint did not hang on the FIFOs
        for name in ("pipe.ipxe", "menu"):
            assert requests.get(f"http://127.0.0.1:{port}/{name}", timeout=2).status_code == 404
        assert requests.get(f"http://127.0.0.1:{port}/boot.ipxe?mac=52-54-00-00-00-01", timeout=2).ok
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)
    assert proc.returncode == 0 and "Traceback" not in log.read_text()


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("interface = 5\n", "interface"),
        ("[dhcp_settings]\ndns = 5\n", "dns"),
        ("[dhcp_settings]\nrouter = [1]\n", "router"),
        ("http_port = '80'\n", "http_port"),
        ("[api]\ntoken_file = 5\n", "token_file"),
        ("api = 5\n", "api"),
        ("identity = 'trust-me'\n", "identity"),
        ("[http]\nsend_stall_timeout = 0\n", "send_stall_timeout"),
        ("[http]\nmax_conections = 5\n", "max_conections"),
    ],
)
def test_config_mistakes_are_errors_naming_file_and_key(tmp_path: Path, text: str, named: str) -> None:
    (tmp_path / "ipxescript.toml").write_text(text)
    done = subprocess.run(
        [sys.executable, "-m", "ipxescript", "serve", str(tmp_path), "--state-dir", str(tmp_path / "s")],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert done.returncode == 2 and "Traceback" not in done.stderr
    line = done.stderr.strip()
    assert line.startswith("ipxescript serve: error:") and "ipxescript.toml" in line and named in line, line


def test_a_config_file_that_is_not_utf8_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "ipxescript.toml").write_bytes(b"default = '\xff\xfe.ipxe'\n")
    done = subprocess.run(
        [sys.executable, "-m", "ipxescript", "serve", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "ipxescript.toml" in done.stderr and "UTF-8" in done.stderr


@pytest.mark.parametrize("key", sorted(KNOWN_KEYS))
def test_every_key_with_a_wrong_type_is_a_config_error(tmp_path: Path, key: str) -> None:
    import tomllib

    for value in ("5", "true", "[1, 2]", "{ a = { b = 1 } }", "'x'", "-1"):
        (tmp_path / "ipxescript.toml").write_text(f"{key} = {value}\n")
        tomllib.loads(f"{key} = {value}\n")
        try:
            load_config(str(tmp_path), state_dir=str(tmp_path / "s"))
        except ConfigError:
            pass
