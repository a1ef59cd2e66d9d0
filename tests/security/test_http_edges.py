"""Second-round attacks on HTTP: the lean path in front of aiohttp, request smuggling shapes, the Host
header and the API's credentials, from a hostile host on the boot network."""

from __future__ import annotations

import re
import socket

import pytest
import requests

from .conftest import Live

pytestmark = pytest.mark.timeout(120)


def exchange(live: Live, data: bytes, wait: float = 5) -> bytes:
    """Send raw bytes from the attacker's address; everything the server answers until it closes."""
    sock = socket.create_connection(
        (live.wire.server_ip, 80), timeout=wait, source_address=(live.wire.attacker_ip, 0)
    )
    try:
        sock.sendall(data)
        out = b""
        while chunk := sock.recv(65536):
            out += chunk
        return out
    except TimeoutError:
        return out
    finally:
        sock.close()


def statuses(response: bytes) -> list[int]:
    return [int(code) for code in re.findall(rb"HTTP/1\.[01] (\d{3}) ", response)]


SECRETS = (b"hunter2", b"PASSWORD", b"[remote]")
CLOSE = b"Connection: close\r\n\r\n"


def test_smuggling_shapes_and_malformed_requests_are_refused_without_a_traceback_each(live: Live) -> None:
    (live.root / ".env").write_text("PASSWORD=x\n")
    assert live.normal.get(f"{live.url}/menu.cfg", timeout=5).ok  # cached: the lean path answers it now
    fast = b"GET /menu.cfg HTTP/1.1\r\nHost: x\r\n"
    shapes = [
        fast
        + b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /.env HTTP/1.1\r\n"
        + CLOSE,
        fast + b"Content-Length: 0\r\nContent-Length: 44\r\n\r\nGET /ipxescript.toml HTTP/1.1\r\n" + CLOSE,
        fast + b"X-Fold: a\r\n b\r\n" + CLOSE,
        fast + b"Content-Length : 44\r\n\r\nGET /.env HTTP/1.1\r\nHost: x\r\n" + CLOSE,
        fast + b"Transfer-Encoding: xchunked\r\n" + CLOSE,
        b"GET /menu.cfg\x00 HTTP/1.1\r\nHost: x\r\n" + CLOSE,
        b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n" + CLOSE,  # under 16 KiB: aiohttp's 8 KiB line
        fast + b"Host: y\r\n" + CLOSE,
        fast + b"X: a\x0bb\r\n" + CLOSE,
        b"get /menu.cfg HTTP/1.1\r\nHost: x\r\n" + CLOSE,
        b"GET http://evil||shell/boot.ipxe HTTP/1.1\r\nHost: x\r\n" + CLOSE,
    ] * 20  # 220 packets: each used to log an ERROR with a traceback
    for shape in shapes:
        reply = exchange(live, shape)
        assert statuses(reply)[-1:] == [400], (shape[:80], reply[:200])
        assert not any(secret in reply for secret in SECRETS)
    log = live.server_log()
    assert "Traceback" not in log and log.count("\n") < 100, log[-3000:]
    metrics = requests.get(f"{live.url}/metrics", timeout=5).text
    assert re.search(r'http_refused_total\{reason="malformed"\} (\d+)', metrics)
    live.assert_serving()


def test_the_lean_path_refuses_what_aiohttp_and_tftp_refuse(live: Live) -> None:
    """Pipelined requests that mix cached files (the lean path) with private and traversal names
    (aiohttp's path): every private one refused, in order, whatever encoding or form names it."""
    (live.root / ".env").write_text("PASSWORD=x\n")
    (live.root / "sub" / "pw").symlink_to("/etc/passwd")
    for name in ("menu.cfg", "a.ipxe"):
        assert live.normal.get(f"{live.url}/{name}", timeout=5).ok  # cached from now on
    private = [
        b"/ipxescript.toml", b"/IpxeScript.TOML", b"/sub/%2e%2e/ipxescript.toml", b"/sub%2f..%2fipxescript.toml",
        b"/sub\\..\\ipxescript.toml", b"/sub%5c..%5cipxescript.toml", b"/%2eenv", b"/.env", b"//ipxescript.toml",
        b"http://x/ipxescript.toml", b"http://x/../state/api-token", b"/state/", b"/STATE/api-token",
        b"/state/assignments.sqlite3", b"/sub/pw", b"/./ipxescript.toml", b"/ipxescript.toml/.",
    ]  # fmt: skip
    pipelined = b"".join(
        b"GET /menu.cfg HTTP/1.1\r\nHost: x\r\n\r\nGET " + target + b" HTTP/1.1\r\nHost: x\r\n\r\n"
        for target in private
    )
    reply = exchange(live, pipelined + b"GET /a.ipxe HTTP/1.1\r\nHost: x\r\n" + CLOSE)
    assert statuses(reply) == [200, 403] * len(private) + [200], reply[-500:]
    assert reply.count(b"DEFAULT linux\n" * 100) == len(private) and reply.endswith(b"echo target A\n")
    assert not any(secret in reply for secret in (*SECRETS, b"root:"))
    live.assert_serving()


def test_a_host_header_never_puts_words_or_operators_into_a_script(live: Live) -> None:
    """The identity script chains to the URL the client reached us by; a Host with spaces, operators or
    expansions is the client's word and is replaced by the server's own address."""
    for host in (b"x || shell", b"x${net0/mac}", b"x;shell", b"x#c", b"x&&shell", b"x\tshell", b'x"y'):
        reply = exchange(live, b"GET /boot.ipxe HTTP/1.1\r\nHost: " + host + b"\r\n" + CLOSE)
        assert statuses(reply) == [200], reply[:300]
        script = reply.split(b"\r\n\r\n", 1)[1]
        chain = [line for line in script.splitlines() if line.startswith(b"chain ")]
        assert len(chain) == 1, script
        assert chain[0].startswith(f"chain http://{live.wire.server_ip}/boot.ipxe?".encode()), script
        assert host not in reply
    # a plain host[:port] is kept: the client may have reached us by a name or another address
    reply = exchange(live, b"GET /boot.ipxe HTTP/1.1\r\nHost: boot.lab:8080\r\n" + CLOSE)
    assert b"chain http://boot.lab:8080/boot.ipxe?" in reply


def test_an_authorization_header_that_is_not_utf8_is_refused_not_an_error(live: Live) -> None:
    token = live.token.encode()
    for value in (b"Bearer \xff\xfe", b"Bearer " + token + b"\xff", b"Bearer \xc0" + token):
        reply = exchange(
            live, b"GET /api/clients HTTP/1.1\r\nHost: x\r\nAuthorization: " + value + b"\r\n" + CLOSE
        )
        assert statuses(reply) == [401], reply[:300]
    assert "Traceback" not in live.server_log()
    live.assert_serving()
