"""`ipxescript lsp --tcp PORT` (or `--tcp --port PORT`): the same server on a loopback TCP port."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.parametrize("form", [["--tcp", "{port}"], ["--tcp", "--port", "{port}"], ["--port", "{port}"]])
def test_tcp_option_serves_lsp(tmp_path: Path, form: list[str]) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "ipxescript", "lsp", *(a.format(port=port) for a in form)],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stderr is not None
        assert f"listening on 127.0.0.1:{port}" in server.stderr.readline()
        asyncio.run(_initialize_over_tcp(port))
    finally:
        server.kill()
        server.wait(timeout=10)


async def _initialize_over_tcp(port: int) -> None:
    for _ in range(100):
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            break
        except OSError:
            await asyncio.sleep(0.1)
    body = json.dumps(
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "processId": None,
                "rootUri": None,
                "capabilities": {"textDocument": {"rename": {"prepareSupport": True}}},
            },
        }
    ).encode()
    writer.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
    await writer.drain()
    header = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 20)
    length = int(header.split(b"Content-Length:")[1].split(b"\r\n")[0])
    reply = json.loads(await reader.readexactly(length))
    writer.close()
    capabilities = reply["result"]["capabilities"]
    assert capabilities["renameProvider"] == {"prepareProvider": True}
    assert capabilities["textDocumentSync"]["change"] == 2  # incremental
    assert reply["result"]["serverInfo"]["name"] == "ipxescript"


def test_stdio_flag_is_accepted_and_conflicts_are_usage_errors() -> None:
    # vscode-languageclient appends --stdio to the command for its stdio transport
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "shutdown"}).encode()
    exit_body = json.dumps({"jsonrpc": "2.0", "method": "exit"}).encode()
    message = b"".join(b"Content-Length: %d\r\n\r\n" % len(b) + b for b in (body, exit_body))
    done = subprocess.run(
        [sys.executable, "-m", "ipxescript", "lsp", "--stdio"], input=message, capture_output=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert b'"id": 1' in done.stdout or b'"id":1' in done.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "ipxescript", "lsp", "--stdio", "--port", "2087"],
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2 and "exclude each other" in bad.stderr


def test_a_port_in_use_or_a_bad_log_file_is_a_clear_error(tmp_path: Path) -> None:
    # each was a traceback (OSError from asyncio's bind, gaierror, FileNotFoundError from logging)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        cases = [
            (["--tcp", str(port)], f"port {port} on 127.0.0.1 is already in use"),
            (["--tcp", "--host", "no-such-host.invalid"], "no-such-host.invalid"),
            (["--log-file", str(tmp_path / "missing" / "lsp.log")], "missing/lsp.log"),
        ]
        for args, message in cases:
            done = subprocess.run(
                [sys.executable, "-m", "ipxescript", "lsp", *args],
                capture_output=True,
                text=True,
                timeout=60,
                stdin=subprocess.DEVNULL,
            )
            assert done.returncode == 2, (args, done.stderr)
            assert "Traceback" not in done.stderr and message in done.stderr, (args, done.stderr)
            assert done.stderr.strip().splitlines()[-1].startswith("ipxescript lsp: error: "), done.stderr
