"""Static files over HTTP as a client sees them: HEAD, ranges, types, 404, no listing, `//`, traversal."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
import requests

from .conftest import LiveServer

SECRET = b"TOP-SECRET-OUTSIDE-ROOT"


def test_get_small_file_has_length_type_and_body(server: LiveServer) -> None:
    reply = requests.get(f"{server.url}/small.txt", timeout=10)
    assert reply.status_code == 200
    assert reply.content == b"0123456789abcdefghij"
    assert reply.headers["Content-Length"] == "20"
    assert reply.headers["Content-Type"].startswith("text/plain")
    assert reply.headers["Accept-Ranges"] == "bytes"


def test_script_and_binary_types(server: LiveServer) -> None:
    assert requests.get(f"{server.url}/b.ipxe", timeout=10).headers["Content-Type"].startswith("text/plain")
    assert (
        requests.head(f"{server.url}/sub/vmlinuz", timeout=10).headers["Content-Type"]
        == "application/octet-stream"
    )


def test_head_gives_headers_without_body(server: LiveServer, boot_root: Path) -> None:
    reply = server.raw("/sub/vmlinuz", method="HEAD")
    assert reply.status == 200
    assert reply.body == b""
    assert reply.headers["content-length"] == str((boot_root / "sub" / "vmlinuz").stat().st_size)
    small = server.raw("/small.txt", method="HEAD")
    assert small.headers["content-length"] == "20" and small.body == b""


def test_large_file_is_byte_identical(server: LiveServer, boot_root: Path) -> None:
    big = boot_root / "big.img"
    big.write_bytes(os.urandom(3 * 1024 * 1024 + 17))
    reply = requests.get(f"{server.url}/big.img", timeout=30)
    assert reply.status_code == 200
    assert int(reply.headers["Content-Length"]) == big.stat().st_size
    assert hashlib.sha256(reply.content).digest() == hashlib.sha256(big.read_bytes()).digest()


def test_empty_file(server: LiveServer) -> None:
    reply = requests.get(f"{server.url}/empty.bin", timeout=10)
    assert reply.status_code == 200 and reply.content == b"" and reply.headers["Content-Length"] == "0"


@pytest.mark.parametrize(
    ("header", "expected", "content_range"),
    [
        ("bytes=0-9", b"0123456789", "bytes 0-9/20"),
        ("bytes=10-", b"abcdefghij", "bytes 10-19/20"),
        ("bytes=-5", b"fghij", "bytes 15-19/20"),
        ("bytes=18-100", b"ij", "bytes 18-19/20"),
    ],
)
def test_single_range(server: LiveServer, header: str, expected: bytes, content_range: str) -> None:
    reply = requests.get(f"{server.url}/small.txt", headers={"Range": header}, timeout=10)
    assert reply.status_code == 206
    assert reply.content == expected
    assert reply.headers["Content-Range"] == content_range
    assert reply.headers["Content-Length"] == str(len(expected))


def test_range_in_large_file_uses_offsets(server: LiveServer, boot_root: Path) -> None:
    data = (boot_root / "sub" / "vmlinuz").read_bytes()
    reply = requests.get(f"{server.url}/sub/vmlinuz", headers={"Range": "bytes=1000-90999"}, timeout=10)
    assert reply.status_code == 206
    assert reply.content == data[1000:91000]


def test_unsatisfiable_range_is_416(server: LiveServer) -> None:
    reply = requests.get(f"{server.url}/small.txt", headers={"Range": "bytes=20-30"}, timeout=10)
    assert reply.status_code == 416
    assert reply.headers["Content-Range"] == "bytes */20"


def test_malformed_range_is_ignored(server: LiveServer) -> None:
    reply = requests.get(f"{server.url}/small.txt", headers={"Range": "bytes=x-y"}, timeout=10)
    assert reply.status_code == 200 and reply.content == b"0123456789abcdefghij"


def test_multi_range_is_multipart_byteranges(server: LiveServer, boot_root: Path) -> None:
    data = (boot_root / "sub" / "vmlinuz").read_bytes()
    reply = server.raw("/sub/vmlinuz", headers={"Range": "bytes=0-3,100-199,-10"})
    assert reply.status == 206
    ctype = reply.headers["content-type"]
    assert ctype.startswith("multipart/byteranges; boundary=")
    assert int(reply.headers["content-length"]) == len(reply.body)
    boundary = ctype.split("boundary=", 1)[1].encode()
    assert reply.body.endswith(b"--" + boundary + b"--\r\n")
    chunks = reply.body.split(b"--" + boundary)[1:-1]  # before the first is empty, after the last is "--"
    size = len(data)
    expected = [(0, 3), (100, 199), (size - 10, size - 1)]
    assert len(chunks) == len(expected)
    for chunk, (start, end) in zip(chunks, expected, strict=True):
        head, _, payload = chunk.partition(b"\r\n\r\n")
        assert f"Content-Range: bytes {start}-{end}/{size}".encode() in head
        assert payload == data[start : end + 1] + b"\r\n"


def test_missing_file_is_404_and_a_step_of_the_boot_log(server: LiveServer, caplog) -> None:  # type: ignore[no-untyped-def]
    # a kernel missing over HTTP was in no log at all (TFTP logs it): the operator saw nothing
    caplog.set_level("INFO", logger="ipxescript.serve.http")
    assert requests.get(f"{server.url}/sub/vmlinuz-nope", timeout=10).status_code == 404
    events = [(e.stage, e.what, e.reason) for e in server.policy.bootlog.recent()]
    assert ("file", "sub/vmlinuz-nope", "not found") in events
    assert "HTTP GET sub/vmlinuz-nope for 127.0.0.1 (file): not found" in caplog.text


def test_directories_are_never_listed(server: LiveServer) -> None:
    for path in ("/sub", "/sub/", "//sub//"):
        reply = server.raw(path)
        assert reply.status == 404, path
        assert b"vmlinuz" not in reply.body


def test_status_page_at_root_is_not_a_listing(server: LiveServer) -> None:
    reply = requests.get(f"{server.url}/", timeout=10)
    assert reply.status_code == 200
    assert "ipxescript serve" in reply.text
    assert "small.txt" not in reply.text and "vmlinuz" not in reply.text


@pytest.mark.parametrize("path", ["//small.txt", "/sub//vmlinuz", "///sub///vmlinuz", "/./small.txt"])
def test_double_slashes_are_served_without_redirect(server: LiveServer, path: str) -> None:
    reply = server.raw(path)
    assert reply.status == 200, (path, reply.status)
    assert "location" not in reply.headers


def test_conditional_get_returns_304(server: LiveServer) -> None:
    first = requests.get(f"{server.url}/small.txt", timeout=10)
    again = requests.get(
        f"{server.url}/small.txt", headers={"If-None-Match": first.headers["ETag"]}, timeout=10
    )
    assert again.status_code == 304 and again.content == b""


def test_other_methods_are_refused(server: LiveServer) -> None:
    reply = requests.post(f"{server.url}/small.txt", data=b"x", timeout=10)
    assert reply.status_code == 405


TRAVERSALS = [
    "/../secret.txt",
    "/../../../../etc/passwd",
    "/sub/../../secret.txt",
    "/%2e%2e/secret.txt",
    "/%2E%2E/secret.txt",
    "/%2e%2e%2fsecret.txt",
    "/sub/%2e%2e/%2e%2e/secret.txt",
    "/..%2fsecret.txt",
    "/..%5csecret.txt",
    "/..\\secret.txt",
    "/sub\\..\\..\\secret.txt",
    "/%5c..%5csecret.txt",
    "/.%2e/secret.txt",
    "/%2e./secret.txt",
    "/....//secret.txt",
    "/escape/secret.txt",
    "/escape_file",
    "/sub/..",
    "/%00/secret.txt",
    "/secret.txt%00.ipxe",
    "/C:/secret.txt",
    "/c:%5csecret.txt",
    "/.hidden",
    "/%2ehidden",
]


@pytest.fixture
def escape_root(boot_root: Path) -> Path:
    outside = boot_root.parent
    (outside / "secret.txt").write_bytes(SECRET)
    (boot_root / ".hidden").write_bytes(SECRET)
    (boot_root / "escape").symlink_to(outside)  # a directory symlink out of ROOT
    (boot_root / "escape_file").symlink_to(outside / "secret.txt")
    return boot_root


@pytest.mark.parametrize("path", TRAVERSALS)
def test_traversal_is_refused(escape_root: Path, make_server, path: str) -> None:  # type: ignore[no-untyped-def]
    server = make_server(escape_root)
    reply = server.raw(path)
    assert reply.status in (400, 403, 404), (path, reply.status)
    assert SECRET not in reply.body


def test_absolute_url_form_is_refused(escape_root: Path, make_server) -> None:  # type: ignore[no-untyped-def]
    server = make_server(escape_root)
    reply = server.raw(f"http://127.0.0.1:{server.port}/../secret.txt")
    assert SECRET not in reply.body


def test_symlink_inside_root_is_served(boot_root: Path, make_server) -> None:  # type: ignore[no-untyped-def]
    (boot_root / "latest").symlink_to(boot_root / "sub" / "vmlinuz")
    server = make_server(boot_root)
    reply = requests.get(f"{server.url}/latest", timeout=10)
    assert reply.status_code == 200 and reply.content == (boot_root / "sub" / "vmlinuz").read_bytes()


def test_refusals_are_logged_with_reason(escape_root: Path, make_server) -> None:  # type: ignore[no-untyped-def]
    server = make_server(escape_root)
    server.raw("/escape_file")
    events = [e for e in server.policy.bootlog.recent() if e.stage == "refused"]
    assert events and "outside ROOT" in events[-1].reason


def test_client_leaving_mid_download_is_not_an_error(
    server: LiveServer, boot_root: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import logging
    import socket
    import time

    (boot_root / "huge.img").write_bytes(b"\x00" * (64 * 1024 * 1024))
    with caplog.at_level(logging.DEBUG):
        for _ in range(3):
            sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
            sock.sendall(b"GET /huge.img HTTP/1.1\r\nHost: x\r\n\r\n")
            assert sock.recv(65536).startswith(b"HTTP/1.1 200")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            sock.close()  # reset mid-body
        time.sleep(0.5)
    assert "Error handling request" not in caplog.text
    assert requests.get(f"{server.url}/small.txt", timeout=10).text == "0123456789abcdefghij"
