"""--check-urls against a real HTTP server on loopback."""

from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ipxescript import parse
from ipxescript.lint.urlcheck import check_script_urls

SEEN: list[tuple[str, str, str | None]] = []


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):  # keep test output quiet
        pass

    def _answer(self, body: bool) -> None:
        SEEN.append((self.command, self.path, self.headers.get("Range")))
        if self.path == "/ok.ipxe":
            self.send_response(200)
        elif self.path == "/nohead.ipxe":
            if self.command == "HEAD":
                self.send_response(405)
            else:
                self.send_response(206)
        elif self.path == "/old.ipxe":
            self.send_response(302)
            self.send_header("Location", "/ok.ipxe")
        elif self.path == "/slow.ipxe":
            time.sleep(2)
            self.send_response(200)
        else:
            self.send_response(404)
        self.send_header("Content-Length", "1" if body else "0")
        self.end_headers()
        if body:
            self.wfile.write(b"#")

    def do_HEAD(self):  # noqa: N802
        self._answer(False)

    def do_GET(self):  # noqa: N802
        self._answer(True)


@pytest.fixture
def server(monkeypatch):
    # a proxy configured in the environment must not capture loopback requests
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.timeout(60)
def test_check_urls_reports_failures_and_redirects(server):
    SEEN.clear()
    dead = _closed_port()
    script = parse(
        "#!ipxe\n"
        "chain ${base}/ok.ipxe\n"
        "chain ${base}/nohead.ipxe\n"
        "chain ${base}/missing.ipxe\n"
        "chain ${base}/old.ipxe\n"
        f"chain http://127.0.0.1:{dead}/x.ipxe\n"
        "chain ${unknown}/skipped.ipxe\n"
        "chain tftp://127.0.0.1/skipped\n"
        "chain ${base}/slow.ipxe\n"
    )
    found = list(check_script_urls(script, {"base": server}, timeout=0.5, concurrency=4))
    by_line = sorted((script.position(d.start)[0] + 1, d.code) for d in found)
    assert by_line == [(4, "IPX604"), (5, "IPX605"), (6, "IPX604"), (9, "IPX604")]
    messages = {script.position(d.start)[0] + 1: d.message for d in found}
    assert "HTTP 404" in messages[4]
    assert messages[5].endswith(f"-> {server}/ok.ipxe")
    assert "connection failed" in messages[6]
    assert "no answer within 0.5 s" in messages[9]
    # HEAD first; a ranged GET only where HEAD was refused
    assert ("HEAD", "/ok.ipxe", None) in SEEN
    assert ("GET", "/nohead.ipxe", "bytes=0-0") in SEEN
    assert not any(method == "GET" and path == "/ok.ipxe" for method, path, _ in SEEN)


@pytest.mark.timeout(60)
def test_check_urls_from_the_command_line_uses_set_and_script_values(server, tmp_path, run_cli):
    path = tmp_path / "boot.ipxe"
    path.write_text("#!ipxe\nset dir missing\nchain ${base}/${dir}.ipxe\nchain ${base}/ok.ipxe\n")
    result = run_cli("--check-urls", "--set", f"base={server}", "--format", "json", str(path))
    data = json.loads(result.stdout)
    assert [(d["line"], d["code"]) for d in data if d["code"] != "IPX403"] == [(3, "IPX604")]
    assert result.returncode == 1
    assert run_cli("--format", "json", str(path)).returncode == 0  # nothing requested without the flag
    assert run_cli("--check-urls", "--set", "novalue", str(path)).returncode == 2
