"""Attacks a hostile host on the boot network can make, each bounded in time and size, against a live
server in a namespace: nothing private is served, and a normal client's boot script still arrives in
under 100 ms with the server's RSS under the documented bound.
"""

from __future__ import annotations

import contextlib
import socket
import time

import pytest
import requests

from .conftest import STALL_LIMIT, Live

pytestmark = pytest.mark.timeout(120)


def test_config_state_and_hidden_files_are_never_served(live: Live) -> None:
    (live.root / ".git").mkdir()
    (live.root / ".git" / "config").write_text("[remote]\nurl = secret\n")
    (live.root / ".env").write_text("PASSWORD=x\n")
    live.normal_boot()  # the state directory now has its files
    private = [
        "ipxescript.toml", "state/assignments.sqlite3", "state/bootlog.jsonl", "state/api-token",
        ".git/config", ".env", "sub/../ipxescript.toml", "IPXESCRIPT.TOML",
    ]  # fmt: skip
    for name in private:
        reply = live.attacker.get(f"{live.url}/{name}", timeout=5)
        assert reply.status_code in (403, 404), name
        assert b"hunter2" not in reply.content and b"PASSWORD" not in reply.content
        with pytest.raises(FileNotFoundError):
            live.tftp_get(name, live.wire.attacker_ip)
    # a symlink to the config under another name is refused by where it really is
    (live.root / "innocent.txt").symlink_to(live.root / "ipxescript.toml")
    assert live.attacker.get(f"{live.url}/innocent.txt", timeout=5).status_code == 403
    with pytest.raises(FileNotFoundError):
        live.tftp_get("innocent.txt", live.wire.attacker_ip)
    assert live.tftp_get("menu.cfg") == (live.root / "menu.cfg").read_bytes()


def test_netascii_of_a_huge_file_does_not_stall_the_server(live: Live) -> None:
    with open(live.root / "huge.img", "wb") as handle:
        handle.truncate(2 * 1024**3)  # sparse: reading it whole takes seconds
    socks = [live.udp() for _ in range(4)]
    for sock in socks:
        sock.sendto(b"\0\1huge.img\0netascii\0tsize\x000\0", (live.wire.server_ip, 69))
    try:
        live.assert_serving()
        first, _ = socks[0].recvfrom(70000)
        assert first[:2] in (b"\0\3", b"\0\6")  # the transfer began at once (DATA or OACK without tsize)
    finally:
        for sock in socks:
            sock.close()


def test_huge_blksize_and_window_never_acked_stay_bounded(live: Live) -> None:
    with open(live.root / "big.img", "wb") as handle:
        handle.truncate(512 * 1024**2)
    socks = []
    try:
        for _ in range(300):
            sock = live.udp()
            sock.sendto(
                b"\0\1big.img\0octet\0blksize\x0065464\0windowsize\x0065535\0", (live.wire.server_ip, 69)
            )
            socks.append(sock)
        time.sleep(1.0)
        live.assert_serving()
        oack = socks[0].recvfrom(70000)[0]
        options = oack[2:].split(b"\0")
        window = int(options[options.index(b"windowsize") + 1])
        blksize = int(options[options.index(b"blksize") + 1])
        assert blksize * window <= 256 * 1024  # the per-transfer bound
        assert live.tftp_get("menu.cfg") == (live.root / "menu.cfg").read_bytes()  # TFTP still serves
    finally:
        for sock in socks:
            sock.close()


def test_a_huge_file_assigned_as_a_target_is_refused_without_reading_it(live: Live) -> None:
    with open(live.root / "disk.img", "wb") as handle:
        handle.truncate(1024**3)
    mac = live.mac  # the MAC the server sees for the attacker: its claim is verified
    made = requests.post(
        f"{live.url}/api/assignments",
        json={"client": mac, "target": "disk.img"},
        headers=live.auth,
        timeout=5,
    )
    assert made.status_code == 403  # changes only from loopback by default
    subprocess_assign(live, mac, "disk.img")
    started = time.monotonic()
    reply = live.attacker.get(f"{live.url}/boot.ipxe?mac={mac}", timeout=10)
    assert time.monotonic() - started < 1.0
    assert "not a script" in reply.text and reply.text.startswith("#!ipxe")
    live.assert_serving()


def subprocess_assign(live: Live, mac: str, target: str) -> None:
    import subprocess
    import sys

    subprocess.run(
        [sys.executable, "-m", "ipxescript", "assign", mac, target, "--state-dir", str(live.state)],
        check=True,
    )


def test_a_script_over_1_mib_is_refused_not_served_unlinted(live: Live) -> None:
    (live.root / "big.ipxe").write_text("#!ipxe\n" + "echo padding line\n" * 70000)
    reply = live.attacker.get(f"{live.url}/big.ipxe", timeout=10)
    assert reply.status_code == 200 and "was not served" in reply.text and "padding" not in reply.text
    assert len(reply.content) < 2000


def test_made_up_macs_are_not_kept_forever(live: Live) -> None:
    session = live.attacker
    for i in range(5000):
        session.get(
            f"{live.url}/boot.ipxe?mac=02-00-00-{i >> 16:02x}-{(i >> 8) & 255:02x}-{i & 255:02x}", timeout=5
        )
    clients = requests.get(f"{live.url}/api/clients?limit=100000", headers=live.auth, timeout=5)
    assert len(clients.json()) <= 1000 and len(clients.content) < 1024**2
    live.assert_serving()


def test_slow_and_unfinished_connections_are_limited_and_timed_out(live: Live) -> None:
    held: list[socket.socket] = []
    try:
        for _ in range(400):  # more than the per-client limit, with the descriptor limit at 1,024
            sock = socket.socket()
            sock.bind((live.wire.attacker_ip, 0))
            sock.settimeout(5)
            try:
                sock.connect((live.wire.server_ip, 80))
                sock.sendall(b"GET /vmlinuz HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"a" * 8000 + b"\r\n")
            except OSError:
                sock.close()
                continue
            held.append(sock)
        live.assert_serving()
        assert live.tftp_get("menu.cfg") == (live.root / "menu.cfg").read_bytes()
        busy = [drain(sock, 0.05) for sock in held]
        assert sum(b"503 Server busy" in data and eof for data, eof in busy) >= 400 - 64
        time.sleep(12)  # past the header deadline: every unfinished request is closed
        assert all(drain(sock, 2)[1] for sock in held)
        live.assert_serving()
    finally:
        for sock in held:
            sock.close()


def test_a_reader_who_stops_reading_is_dropped(live: Live) -> None:
    """Clients that ask for much and read nothing (pipelined scripts on the lean path, a config through
    aiohttp, a kernel through sendfile) hold nothing for ever: after the stall limit they are dropped,
    and a normal client is served meanwhile."""
    assert live.normal.get(f"{live.url}/a.ipxe", timeout=5).ok  # cached: the lean path answers it from now on
    asks = {
        b"GET /a.ipxe HTTP/1.1\r\nHost: x\r\n\r\n": 100_000,  # lean path: 2 MB of requests, ~4 MB of answers
        b"GET /menu.cfg HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n": 3000,  # aiohttp (uncached at first)
        b"GET /vmlinuz HTTP/1.1\r\nHost: x\r\n\r\n": 30,  # sendfile: 30 MiB
    }
    stalled = []
    for request, times in asks.items():
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.bind((live.wire.attacker_ip, 0))
        sock.connect((live.wire.server_ip, 80))
        sock.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            sock.send(request * times)
        stalled.append(sock)
    try:
        live.assert_serving()
        time.sleep(STALL_LIMIT + 2.5)  # the limit, and the guard's once-a-second sweep
        for sock in stalled:
            data, closed = drain(sock, 2)
            assert closed and len(data) < 8 * 1024**2, f"{len(data)} bytes, closed: {closed}"
        live.assert_serving()
    finally:
        for sock in stalled:
            sock.close()


def drain(sock: socket.socket, wait: float) -> tuple[bytes, bool]:
    """What the server sent on this connection and whether it closed it."""
    data = b""
    sock.settimeout(wait)
    try:
        while chunk := sock.recv(4096):
            data += chunk
    except (TimeoutError, BlockingIOError):
        return data, False
    except OSError:
        pass
    return data, True


def test_endless_headers_are_cut_off(live: Live) -> None:
    socks: list[socket.socket] = []
    try:
        for _ in range(60):
            sock = socket.create_connection(
                (live.wire.server_ip, 80), timeout=5, source_address=(live.wire.attacker_ip, 0)
            )
            sock.sendall(b"GET /vmlinuz HTTP/1.1\r\nHost: x\r\n")
            socks.append(sock)
        for _ in range(4):  # 4 x 8 KB lines each: past the 16 KiB bound of one request's headers
            for sock in socks:
                try:
                    sock.sendall(b"X-A: " + b"b" * 8000 + b"\r\n")
                except OSError:
                    pass
        for sock in socks[:5]:
            assert sock.recv(100).startswith(b"HTTP/1.1 431")
        live.assert_serving()
    finally:
        for sock in socks:
            sock.close()


def test_overlapping_ranges_are_coalesced_and_suffix_past_the_end_is_416(live: Live) -> None:
    size = (live.root / "vmlinuz").stat().st_size
    header = "bytes=" + ",".join(["0-"] * 16)
    reply = live.attacker.get(f"{live.url}/vmlinuz", headers={"Range": header}, timeout=30)
    assert reply.status_code == 206 and len(reply.content) == size
    many = "bytes=" + ",".join(f"{i}-{size}" for i in range(100))
    reply = live.attacker.get(f"{live.url}/vmlinuz", headers={"Range": many}, timeout=30)
    assert len(reply.content) <= size + 1000
    assert (
        live.attacker.get(f"{live.url}/vmlinuz", headers={"Range": f"bytes={size}-"}, timeout=5).status_code
        == 416
    )
    live.assert_serving()


def test_api_bodies_and_credentials(live: Live) -> None:
    api = f"{live.url}/api/assignments"
    # reads of clients, the log and assignments need the token
    for path in ("assignments", "clients", "log"):
        assert live.attacker.get(f"{live.url}/api/{path}", timeout=5).status_code == 401
    assert live.attacker.get(f"{live.url}/api/openapi.json", timeout=5).json()["openapi"].startswith("3.")
    deep = "[" * 30000 + "]" * 30000
    as_json = {**live.auth, "Content-Type": "application/json"}
    # from loopback inside the namespace (where changes are allowed), with the token
    import subprocess

    def post(body: str, headers: dict[str, str]) -> tuple[int, str]:
        args = ["ip", "netns", "exec", live.wire.namespace, "curl", "-s", "-o", "-", "-w", "\n%{http_code}",
                "-X", "POST", f"http://{live.wire.server_ip}/api/assignments", "--data-binary", "@-"]  # fmt: skip
        for key, value in headers.items():
            args += ["-H", f"{key}: {value}"]
        done = subprocess.run(args, input=body, capture_output=True, text=True, timeout=20)
        text, _, code = done.stdout.rpartition("\n")
        return int(code), text

    assert post(deep, as_json)[0] == 400
    assert post('{"client": "52:54:00:00:00:09", "target": "a.ipxe", "once": "false"}', as_json)[0] == 400
    assert (
        post(
            '{"client": "52:54:00:00:00:09", "target": "a.ipxe"}', {**live.auth, "Content-Type": "text/plain"}
        )[0]
        == 415
    )
    assert (
        post('{"client": "52:54:00:00:00:09", "target": "a.ipxe"}', {"Content-Type": "application/json"})[0]
        == 401
    )
    cross = {**as_json, "Origin": "http://evil.example"}
    assert post('{"client": "52:54:00:00:00:09", "target": "a.ipxe"}', cross)[0] == 403
    assert post('{"client": "52:54:00:00:00:09", "target": "a.ipxe", "once": true}', as_json)[0] == 201
    listed = requests.get(api, headers=live.auth, timeout=5).json()
    assert [(a["client"], a["kind"]) for a in listed] == [("52:54:00:00:00:09", "once")]
    live.assert_serving()
    assert "Traceback" not in live.server_log()


def test_a_never_acknowledged_transfer_cannot_ask_to_be_kept_for_minutes(live: Live) -> None:
    """RRQs asking `timeout 255` and never acknowledging would hold every transfer slot for 25 minutes
    with one packet each; the server does not accept a timeout longer than its own back-off (8 s), so
    it sends again within seconds and ends such a transfer within about 30 s."""
    sock = live.udp()
    try:
        sock.settimeout(5)
        sock.sendto(b"\0\1vmlinuz\0octet\0timeout\x00255\0blksize\x001024\0", (live.wire.server_ip, 69))
        first, _ = sock.recvfrom(70000)
        assert first.startswith(b"\0\6") and b"timeout" not in first, first  # OACK, blksize only
        again, _ = sock.recvfrom(70000)  # not acknowledged: sent again after the server's own timeout
        assert again == first
    finally:
        sock.close()
    assert live.tftp_get("menu.cfg") == (live.root / "menu.cfg").read_bytes()
