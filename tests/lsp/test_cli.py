"""`ipxescript lsp --tcp PORT`: the same server on a loopback TCP port."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
from pathlib import Path


def test_tcp_option_serves_lsp(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "ipxescript", "lsp", "--tcp", str(port)],
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
