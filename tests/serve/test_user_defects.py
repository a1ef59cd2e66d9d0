"""Mistakes users make in `ipxescript serve`'s config, as they meet them: the command's message and status."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
MAC = "52:54:00:12:34:56"


def explain(root: Path, state: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ipxescript", "serve", str(root), "--state-dir", str(state), *args,
         "--explain", MAC, "efi64"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_the_config_example_in_the_docs_loads(tmp_path):
    # a user copies docs/serve.md's example (on this machine's loopback: it has no br0)
    example = re.search(r"```toml\n(.*?)```", (ROOT / "docs" / "serve.md").read_text(), re.S)
    assert example
    root = tmp_path / "root"
    root.mkdir()
    (root / "ipxescript.toml").write_text(example.group(1).replace('interface = "br0"', 'interface = "lo"'))
    (root / "install.ipxe").write_text("#!ipxe\necho {{ disk }} at {{ site }}\n")
    result = explain(root, tmp_path / "state")
    assert "error" not in result.stderr, result.stderr
    assert result.returncode == 0
    assert "install.ipxe" in result.stdout


def test_a_config_saved_with_a_byte_order_mark_says_so(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    (root / "boot.ipxe").write_text("#!ipxe\nshell\n")
    (root / "ipxescript.toml").write_bytes(b'\xef\xbb\xbfdefault = "boot.ipxe"\n')
    result = explain(root, tmp_path / "state")
    assert result.returncode == 2
    assert result.stderr == (
        f"ipxescript serve: error: {root / 'ipxescript.toml'}: starts with a UTF-8 byte order mark, "
        "which TOML does not allow; save it as UTF-8 without a BOM\n"
    )


def test_a_state_dir_that_cannot_be_made_is_an_error_not_a_traceback(tmp_path):
    # --state-dir under a file (as root this stands for any folder the server may not write)
    (tmp_path / "taken").write_text("a file\n")
    result = subprocess.run(
        [sys.executable, "-m", "ipxescript", "serve", "--state-dir", str(tmp_path / "taken" / "state"),
         "--http-port", "0", "--tftp-port", "0"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.endswith(
        f"ipxescript serve: error: state directory {tmp_path / 'taken' / 'state'}: cannot make the API token "
        f"file in it: Not a directory\n"
    )


def test_port_0_takes_a_free_port_and_the_banner_names_it(tmp_path):
    # '--http-port 0 --tftp-port 0': the URLs printed (and told to clients) must be the ports bound
    proc = subprocess.Popen(
        [sys.executable, "-m", "ipxescript", "serve", "--state-dir", str(tmp_path), "--http-port", "0",
         "--tftp-port", "0", "--http-workers", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None and proc.stderr is not None
        lines: list[str] = []
        while not lines or not lines[-1].startswith("Dry-run it: ipxesim "):  # the banner, however long
            line = proc.stdout.readline()
            if not line:  # the server ended before it named its ports: say why
                proc.wait(timeout=60)
                raise AssertionError(f"serve exited {proc.returncode}: {lines} {proc.stderr.read()}")
            lines.append(line)
        dry_run = lines[-1]
        url = dry_run.split()[-1]
        assert not url.startswith("http://127.0.0.1:0/"), lines
        tftp = next(line for line in lines if line.startswith("  TFTP"))
        assert not tftp.rstrip().endswith(":0"), lines
        for _ in range(4):  # either worker answers on the port named
            assert requests.get(url, timeout=30).text.startswith("#!ipxe")
    finally:
        proc.terminate()
        proc.wait(timeout=60)
