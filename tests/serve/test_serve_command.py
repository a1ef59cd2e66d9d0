"""`ipxescript serve` as a user runs it: a subprocess, its output, its exit status."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

MAC = "52:54:00:12:34:56"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(args: list[str], state: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "IPXESCRIPT_STATE_DIR": str(state), "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "ipxescript", "serve", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def wait_http(url: str, proc: subprocess.Popen[str], seconds: float = 45) -> requests.Response:
    deadline = time.monotonic() + seconds
    while True:
        try:
            return requests.get(url, timeout=2)
        except requests.ConnectionError:
            if proc.poll() is not None or time.monotonic() > deadline:
                out, err = proc.communicate(timeout=5)
                raise AssertionError(
                    f"server did not answer (exit {proc.returncode}):\n{out}\n{err}"
                ) from None
            time.sleep(0.05)


def stop(proc: subprocess.Popen[str], signum: int = signal.SIGTERM, timeout: float = 20) -> str:
    """Stop the server with `signum`; it must exit 0 without a traceback. Its stderr."""
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0 and "Traceback" not in err, err
    return err


def run(args: list[str], state: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "IPXESCRIPT_STATE_DIR": str(state)}
    return subprocess.run(
        [sys.executable, "-m", "ipxescript", "serve", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


@pytest.mark.timeout(60)
def test_no_arguments_serves_the_example_tree_and_stops_on_sigterm(tmp_path: Path) -> None:
    proc = start([], tmp_path / "state")
    try:
        started = time.monotonic()
        reply = wait_http("http://127.0.0.1:8080/boot.ipxe", proc)
        assert time.monotonic() - started < 10
        assert (
            reply.status_code == 200
            and "chain http://127.0.0.1:8080/boot.ipxe?mac=${mac:hexhyp}" in reply.text
        )
        target = requests.get("http://127.0.0.1:8080/boot.ipxe?mac=52-54-00-12-34-56", timeout=5).text
        assert target.startswith("#!ipxe") and "menu " in target and MAC in target
        tftp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        tftp.settimeout(5)
        tftp.sendto(b"\x00\x01hello.ipxe\x00octet\x00", ("127.0.0.1", 6969))
        data, _ = tftp.recvfrom(1024)
        tftp.close()
        assert data[:4] == b"\x00\x03\x00\x01" and data[4:].startswith(b"#!ipxe")
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "http://127.0.0.1:8080/" in out
    assert "127.0.0.1:6969" in out
    assert "ipxesim http://127.0.0.1:8080/boot.ipxe" in out
    assert "DHCP   off" in out
    assert "Traceback" not in err


@pytest.mark.timeout(60)
def test_sigint_stops_cleanly_too(tmp_path: Path, boot_root: Path) -> None:
    port = free_port()
    proc = start([str(boot_root), "--http-port", str(port), "--tftp-port", str(free_port())], tmp_path / "s")
    try:
        assert wait_http(f"http://127.0.0.1:{port}/small.txt", proc).text == "0123456789abcdefghij"
        stop(proc, signal.SIGINT, 15)
    finally:
        if proc.poll() is None:
            proc.kill()


@pytest.mark.parametrize(
    ("setup", "args", "message"),
    [
        (None, ["/nonexistent/root"], "no such directory"),
        ("dhcp = 'sometimes'\n", [], "is not one of off, proxy, full"),
        ("http_port = 'x'\n", [], "not a port number"),
        ("[[group]]\nname = 'g'\n", [], "'target' (a script under ROOT) is required"),
        ("this is = not toml [\n", [], "not valid TOML"),
        ("colour = 'blue'\n", [], "unknown key 'colour'"),
        (None, ["--boot-file", "ppc=x.efi"], "unknown arch 'ppc'"),
        (None, ["--boot-file", "bios"], "expected ARCH=FILE"),
        (None, ["--dhcp", "full"], "needs an address pool"),
        (None, ["--dhcp", "proxy"], "needs --interface"),
        (None, ["--interface", "nosuchif0"], "no such network interface"),
        (None, ["--dhcp-range", "10.0.0.9-10.0.0.1"], "is after end"),
    ],
)
def test_bad_settings_exit_2_with_a_clear_message(
    tmp_path: Path, boot_root: Path, setup: str | None, args: list[str], message: str
) -> None:
    if setup is not None:
        (boot_root / "ipxescript.toml").write_text(setup)
    root = [] if args and args[0].startswith("/") else [str(boot_root)]
    result = run(root + args, tmp_path / "state")
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert "ipxescript serve: error:" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.timeout(60)
def test_port_in_use_exits_2(tmp_path: Path, boot_root: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run(
            [str(boot_root), "--http-port", str(port), "--tftp-port", str(free_port())], tmp_path / "s"
        )
    assert result.returncode == 2
    assert f"HTTP port {port} on 127.0.0.1 is already in use" in result.stderr
    assert "Traceback" not in result.stderr


def test_explain_prints_the_whole_path_without_consuming(tmp_path: Path, boot_root: Path) -> None:
    state = tmp_path / "state"
    env = {**os.environ, "IPXESCRIPT_STATE_DIR": str(state)}
    subprocess.run(
        [sys.executable, "-m", "ipxescript", "assign", MAC, "a.ipxe", "--once"],
        env=env,
        check=True,
        capture_output=True,
    )
    for _ in range(2):  # twice: explaining never consumes the once assignment
        result = run([str(boot_root), "--explain", "52-54-00-12-34-56", "efi64"], state)
        assert result.returncode == 0, result.stderr
        out = result.stdout
        assert "arch efi64 (DHCP option 93 = 7)" in out
        assert "boot file ipxe.efi" in out
        assert "boot file http://127.0.0.1:8080/boot.ipxe" in out
        assert "target a.ipxe: once assignment" in out
        assert f"echo target A for {MAC}" in out


def test_explain_bad_arch_exits_2(tmp_path: Path, boot_root: Path) -> None:
    result = run([str(boot_root), "--explain", MAC, "sparc"], tmp_path / "state")
    assert result.returncode == 2 and "unknown arch 'sparc'" in result.stderr


@pytest.mark.timeout(150)
def test_http_workers_share_assignments_and_the_boot_log(tmp_path: Path, boot_root: Path) -> None:
    port = free_port()
    state = tmp_path / "state"
    proc = start(
        [str(boot_root), "--http-port", str(port), "--tftp-port", str(free_port()), "--http-workers", "3"],
        state,
    )
    try:
        wait_http(f"http://127.0.0.1:{port}/", proc)
        env = {**os.environ, "IPXESCRIPT_STATE_DIR": str(state)}
        macs = [f"52-54-00-00-00-{i:02x}" for i in range(12)]
        for mac in macs:
            subprocess.run(
                [sys.executable, "-m", "ipxescript", "assign", mac, "a.ipxe", "--once"], env=env, check=True
            )
        texts = []
        for mac in macs * 2:  # a new connection each time: the kernel spreads them over the processes
            texts.append(requests.get(f"http://127.0.0.1:{port}/boot.ipxe?mac={mac}", timeout=10).text)
        assert sum("target A" in t for t in texts) == len(macs)  # each once assignment taken exactly once
        auth = {"Authorization": "Bearer " + (state / "api-token").read_text().strip()}
        wanted = {m.replace("-", ":") for m in macs}

        def clients() -> set[str]:
            answer = requests.get(f"http://127.0.0.1:{port}/api/clients", timeout=10, headers=auth)
            return {e["client"] for e in answer.json()}

        # the processes take in each other's boot-log lines twice a second: soon every one of them (eight
        # new connections, spread by the kernel) knows every client, however loaded the machine is
        deadline = time.monotonic() + 30
        views = [clients() for _ in range(8)]
        while not all(wanted <= v for v in views) and time.monotonic() < deadline:
            time.sleep(0.5)
            views = [clients() for _ in range(8)]
        assert all(wanted <= v for v in views), [sorted(wanted - v) for v in views]
        pids = {
            e["pid"]
            for e in requests.get(f"http://127.0.0.1:{port}/api/log", timeout=10, headers=auth).json()
        }
        assert len(pids) > 1, "all requests went to one process"
        stop(proc)
    finally:
        if proc.poll() is None:
            proc.kill()


@pytest.mark.timeout(90)
def test_an_edited_script_is_linted_by_the_poll_without_a_request(tmp_path: Path, boot_root: Path) -> None:
    """The server looks for changed scripts every two seconds (on its event loop, the lint itself in a
    thread): an edit that breaks a script shows in the console's list before anyone asks for it, and a
    deleted script leaves the list."""
    port = free_port()
    state = tmp_path / "state"
    proc = start([str(boot_root), "--http-port", str(port), "--tftp-port", str(free_port())], state)
    try:
        wait_http(f"http://127.0.0.1:{port}/", proc)
        auth = {"Authorization": "Bearer " + (state / "api-token").read_text().strip()}

        def errors() -> list[str]:
            answer = requests.get(f"http://127.0.0.1:{port}/api/server", timeout=10, headers=auth)
            return list(answer.json()["lint_errors"])

        def wait_for(check: object) -> list[str]:
            deadline = time.monotonic() + 30
            shown = errors()
            while not check(shown) and time.monotonic() < deadline:  # type: ignore[operator]
                time.sleep(0.2)
                shown = errors()
            return shown

        assert wait_for(lambda shown: shown == []) == []
        edited = boot_root / "sub" / "later.ipxe"
        edited.write_text("#!ipxe\necho fine\nchian http://example/next.ipxe\n")
        shown = wait_for(lambda shown: shown != [])
        assert [line.split(": ", 1)[0] for line in shown] == ["sub/later.ipxe:3:1"], shown
        edited.unlink()
        assert wait_for(lambda shown: shown == []) == []
        err = stop(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert "sub/later.ipxe:3:1: error IPX101" in err
