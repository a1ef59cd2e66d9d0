"""An operator's server: the systemd unit (checked by systemd-analyze), SIGHUP reload without dropping
transfers, health and readiness, Prometheus metrics, JSON logs."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from .conftest import wait_ready
from .test_robustness import free_port

UNIT = Path(__file__).parents[2] / "contrib" / "systemd" / "ipxescript.service"
HARDENING = (
    "DynamicUser=yes", "NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes",
    "PrivateDevices=yes", "RestrictAddressFamilies=", "SystemCallFilter=@system-service",
    "CapabilityBoundingSet=CAP_NET_BIND_SERVICE CAP_NET_RAW", "MemoryDenyWriteExecute=yes", "LimitNOFILE=",
    "MemoryMax=", "ExecReload=/bin/kill -HUP $MAINPID",
)  # fmt: skip


def unit_here(tmp_path: Path) -> Path:
    """The unit with ExecStart pointing at this installation (verify checks that the program exists)."""
    program = shutil.which("ipxescript") or str(Path(sys.executable).parent / "ipxescript")
    text = UNIT.read_text().replace("/usr/local/bin/ipxescript", program)
    copy = tmp_path / "ipxescript.service"
    copy.write_text(text)
    return copy


def test_the_unit_file_verifies_and_is_hardened(tmp_path: Path) -> None:
    if not shutil.which("systemd-analyze"):
        pytest.fail("systemd-analyze is needed (apt-get install systemd)")
    text = UNIT.read_text()
    for option in HARDENING:
        assert option in text, option
    unit = unit_here(tmp_path)
    done = subprocess.run(
        ["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0 and done.stderr.strip() == "", done.stderr
    done = subprocess.run(
        ["systemd-analyze", "security", "--offline=yes", str(unit)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    score = re.search(r"Overall exposure level for \S+: ([0-9.]+)", done.stdout)
    assert score is not None, done.stdout[-500:] + done.stderr
    assert float(score.group(1)) <= 2.0, done.stdout


@pytest.fixture
def running(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[str], Path, Path]]:
    """The unit's command line, run in the foreground as systemd would run it (no systemd in CI)."""
    root = tmp_path / "srv"
    root.mkdir()
    (root / "boot.ipxe").write_text("#!ipxe\necho default\n")
    (root / "a.ipxe").write_text("#!ipxe\necho target A\n")
    (root / "b.ipxe").write_text("#!ipxe\necho target B\n")
    with open(root / "big.img", "wb") as handle:
        handle.truncate(256 * 1024**2)
    config = tmp_path / "etc" / "ipxescript.toml"
    config.parent.mkdir()
    config.write_text('[[group]]\nname = "lab"\ntarget = "a.ipxe"\nselector = { platform = "efi" }\n')
    port = free_port()
    log = tmp_path / "serve.log"
    with open(log, "w") as err, open(tmp_path / "banner.txt", "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "ipxescript", "serve", str(root), "--config", str(config), "--state-dir",
             str(tmp_path / "state"), "--log-format", "json", "--http-port", str(port), "--tftp-port", "0"],
            stdout=out, stderr=err, text=True,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url, proc, log)
        yield url, proc, config, log
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)


@pytest.mark.timeout(90)
def test_sighup_reloads_the_config_without_dropping_a_download(
    running: tuple[str, subprocess.Popen[str], Path, Path],
) -> None:
    url, proc, config, log = running
    efi = f"{url}/boot.ipxe?mac=52-54-00-00-00-07&platform=efi"
    assert requests.get(efi, timeout=5).text == "#!ipxe\necho target A\n"
    received: list[int] = []

    def download() -> None:  # a slow client in the middle of a large file while the server reloads
        with requests.get(f"{url}/big.img", stream=True, timeout=30) as reply:
            total = 0
            for chunk in reply.iter_content(1024 * 1024):
                total += len(chunk)
                time.sleep(0.01)
            received.append(total)

    reader = threading.Thread(target=download)
    reader.start()
    time.sleep(0.5)
    config.write_text('[[group]]\nname = "lab"\ntarget = "b.ipxe"\nselector = { platform = "efi" }\n')
    proc.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 10
    while requests.get(efi, timeout=5).text != "#!ipxe\necho target B\n":
        assert time.monotonic() < deadline, log.read_text()[-2000:]
        time.sleep(0.1)
    # a broken config is refused and the one in force kept
    config.write_text("interface = 5\n")
    proc.send_signal(signal.SIGHUP)
    time.sleep(1)
    assert requests.get(efi, timeout=5).text == "#!ipxe\necho target B\n"
    reader.join(60)
    assert received == [256 * 1024**2]
    metrics = requests.get(f"{url}/metrics", timeout=5).text
    assert 'ipxescript_config_reloads_total{outcome="ok"} 1' in metrics
    assert 'ipxescript_config_reloads_total{outcome="failed"} 1' in metrics
    # every log line is one JSON object; the failed reload says why, naming file and key
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    assert any(
        e["level"] == "error" and "interface" in e["message"] and "ipxescript.toml" in e["message"]
        for e in lines
    )
    assert proc.poll() is None


def test_health_readiness_and_metrics(running: tuple[str, subprocess.Popen[str], Path, Path]) -> None:
    url, _, _, _ = running
    assert requests.get(f"{url}/healthz", timeout=5).text == "ok\n"
    assert requests.get(f"{url}/readyz", timeout=5).status_code == 200
    requests.get(f"{url}/boot.ipxe?mac=52-54-00-00-00-08", timeout=5)
    requests.get(f"{url}/.env", timeout=5)
    text = requests.get(f"{url}/metrics", timeout=5).text
    assert re.search(
        r'ipxescript_boots_total\{outcome="served",protocol="http",stage="script"\} [1-9]', text
    ), text
    assert re.search(r'ipxescript_boots_total\{outcome="refused",protocol="http",stage="refused"\} 1', text)
    assert re.search(r'ipxescript_http_requests_total\{code="200"\} [1-9]', text)
    assert "# TYPE ipxescript_tftp_transfers_active gauge" in text
    assert re.search(r"ipxescript_http_connections [1-9]", text)
    for line in text.splitlines():  # the exposition format: comments or NAME{labels} VALUE
        assert line.startswith("# ") or re.fullmatch(r"[a-z_]+(\{[^}]*\})? [0-9.e+-]+", line), line
    assert os.environ.get("NOTHING") is None
