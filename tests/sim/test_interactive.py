"""Interactive mode: on a terminal with no --keys, menus are drawn and keys come from the keyboard."""

from __future__ import annotations

import http.server
import os
import re
import select
import socketserver
import subprocess
import sys
import threading
import time

import pytest


class Pty:
    """ipxesim on a pseudo-terminal of its own: what it wrote so far, keys typed into it."""

    def __init__(self, script: object) -> None:
        self.primary, secondary = os.openpty()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "ipxescript.sim.cli", str(script)],
            stdin=secondary, stdout=secondary, stderr=secondary, close_fds=True,
        )  # fmt: skip
        os.close(secondary)
        self.output = b""

    def read_until(self, text: bytes, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.output and time.monotonic() < deadline:
            ready, _, _ = select.select([self.primary], [], [], 0.1)
            if ready:
                try:
                    self.output += os.read(self.primary, 4096)
                except OSError:
                    break
        assert text in self.output, self.output

    def type(self, data: bytes) -> None:
        os.write(self.primary, data)

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait()
        os.close(self.primary)


@pytest.mark.timeout(60)
def test_menu_on_a_terminal(tmp_path):
    script = tmp_path / "m.ipxe"
    script.write_text("#!ipxe\nmenu Pick one\nitem a Alpha\nitem b Beta\nchoose x\necho chose ${x}\n")
    term = Pty(script)
    try:
        term.read_until(b"Pick one")
        assert b"Alpha" in term.output and b"Beta" in term.output
        term.type(b"\x1b[B")  # Down, as a terminal sends it
        time.sleep(0.2)
        term.type(b"\r")
        term.read_until(b"chose b")
        term.read_until(b"== exit 0")
    finally:
        term.close()


class _Slow(http.server.BaseHTTPRequestHandler):
    """A body of 1,280 bytes, 128 at a time, one part every 0.3 s: a download of about three seconds."""

    def do_GET(self) -> None:  # noqa: N802
        body = b"#!ipxe\necho fetched\n".ljust(1280, b"#")
        self.send_response(200)
        if self.path != "/unsized":
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        for at in range(0, len(body), 128):
            self.wfile.write(body[at : at + 128])
            self.wfile.flush()
            time.sleep(0.3)
        self.close_connection = True

    def log_message(self, *args: object) -> None:
        pass


@pytest.mark.timeout(90)
def test_a_slow_download_shows_progress_and_ctrl_c_cancels_it(tmp_path):
    """monojob_wait: once a second ` NN%` (erased again) or `.` when the size is unknown; Ctrl-C cancels
    the download with ECANCELED (it quit the simulator; nothing moved while it waited)."""
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Slow)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    script = tmp_path / "f.ipxe"
    script.write_text(f"#!ipxe\nchain {base}/sized || echo cancelled ${{errno}}\nchain {base}/unsized\n")
    term = Pty(script)
    try:
        term.read_until(b"/sized...")
        term.read_until(b"%")  # a percentage after a second
        # a `.` first when the headers (the size) were not there yet after a second, as on the firmware
        assert re.search(rb"sized\.\.\.\.*[ \d]{3}%", term.output), term.output
        term.type(b"\x03")
        term.read_until(b"cancelled 0xb072095")
        assert b"Operation canceled (https://ipxe.org/0b072095)" in term.output
        term.read_until(b"== exit 0")
        unsized = term.output[term.output.index(b"/unsized...") :]
        assert re.search(rb"unsized\.\.\.\.+ ok", unsized), unsized  # dots that stay, then ok
        assert b"fetched" in unsized
    finally:
        term.close()
        server.shutdown()
        server.server_close()
