"""The JSON the console reads: /api/explain (the policy's own decision, nothing consumed), /api/events
(server-sent events), /api/server; and the page's files. The page itself is tested in tests/console/."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import requests

from tests.serve.conftest import LiveServer

MAC = "52:54:00:12:34:56"


def explain(server: LiveServer, **query: str) -> requests.Response:
    return requests.get(f"{server.url}/api/explain", params=query, headers=server.auth, timeout=10)


def test_explain_peeks_at_a_once_assignment_without_taking_it(server: LiveServer) -> None:
    server.policy.store.assign(MAC, "a.ipxe", once=True)
    for _ in range(2):
        found = explain(server, client=MAC.replace(":", "-"), arch="bios").json()
        assert (found["client"], found["arch"], found["target"], found["rule"]) == (
            MAC,
            "bios",
            "a.ipxe",
            "once",
        )
        assert found["script"] == f"#!ipxe\necho target A for {MAC}\n"
        assert found["offer"]["boot_file"] == "undionly.kpxe"
    assert [a.kind for a in server.policy.store.all()] == ["once"]
    booted = requests.get(f"{server.url}/boot.ipxe", params={"mac": MAC}, timeout=10).text
    assert booted == found["script"]  # what the explanation said is what the machine got
    assert explain(server, client=MAC).json()["rule"] == "default"


def test_explain_uses_the_address_the_client_was_last_seen_at(server: LiveServer) -> None:
    requests.get(f"{server.url}/boot.ipxe", params={"mac": MAC}, timeout=10)
    server.policy.store.assign("127.0.0.1", "b.ipxe")  # by IP: found for the MAC seen at that IP
    found = explain(server, client=MAC).json()
    assert (found["ip"], found["target"], found["rule"]) == ("127.0.0.1", "b.ipxe", "static")
    assert explain(server, client=MAC, ip="10.9.9.9").json()["rule"] == "default"


def test_explain_names_the_group_and_its_selectors(boot_root: Path, make_server) -> None:  # type: ignore[no-untyped-def]
    (boot_root / "ipxescript.toml").write_text(
        '[[group]]\nname = "uefi"\ntarget = "b.ipxe"\nselector = { platform = "efi", buildarch = "x86_64" }\n'
    )
    server = make_server(boot_root)
    found = explain(server, client=MAC, arch="efi64").json()
    assert (found["rule"], found["group"], found["selector"]) == (
        "group",
        "uefi",
        {"platform": "efi", "buildarch": "x86_64"},
    )
    shown = requests.get(f"{server.url}/api/server", headers=server.auth, timeout=10).json()
    assert shown["groups"] == [
        {"name": "uefi", "target": "b.ipxe", "selector": {"platform": "efi", "buildarch": "x86_64"}}
    ]


def test_explain_refuses_bad_input_clearly(server: LiveServer) -> None:
    for query, message in [
        ({"client": "nope"}, "'nope' is not a MAC address"),
        ({"client": MAC, "arch": "sparc"}, "unknown arch 'sparc'"),
        ({"client": MAC, "ip": "10.0.0.300"}, "is not an IPv4 address"),
    ]:
        reply = explain(server, **query)
        assert reply.status_code == 400 and message in reply.json()["error"], reply.text


def read_events(lines: Iterator[str], count: int, seconds: float = 5.0) -> list[dict[str, object]]:
    """The next `count` events of a server-sent event stream (its lines)."""
    events: list[dict[str, object]] = []
    deadline = time.monotonic() + seconds
    for line in lines:
        if line.startswith("data: "):
            events.append(json.loads(line[6:]))
            if len(events) == count:
                return events
        assert time.monotonic() < deadline, events
    raise AssertionError(f"the stream ended after {events}")


def test_events_stream_the_backlog_then_each_new_boot(server: LiveServer) -> None:
    requests.get(f"{server.url}/boot.ipxe", params={"mac": MAC}, timeout=10)
    assert requests.get(f"{server.url}/api/events", timeout=10).status_code == 401
    with requests.get(f"{server.url}/api/events", headers=server.auth, stream=True, timeout=10) as reply:
        assert reply.headers["Content-Type"].startswith("text/event-stream")
        lines = reply.iter_lines(chunk_size=1, decode_unicode=True)
        (old,) = read_events(lines, 1)
        assert (old["client"], old["stage"], old["outcome"]) == (MAC, "script", "served")
        requests.get(f"{server.url}/sub/vmlinuz", timeout=10)
        (new,) = read_events(lines, 1)
        assert (new["client"], new["stage"], new["what"]) == (MAC, "kernel", "sub/vmlinuz")
    after = {"after": str(new["time"])}  # a page that reconnects asks only for what it has not seen
    with requests.get(
        f"{server.url}/api/events", params=after, headers=server.auth, stream=True, timeout=10
    ) as reply:
        requests.get(f"{server.url}/boot.ipxe", params={"mac": "52:54:00:00:00:02"}, timeout=10)
        (only,) = read_events(reply.iter_lines(chunk_size=1, decode_unicode=True), 1)
        assert only["client"] == "52:54:00:00:00:02"


def test_an_open_stream_does_not_hold_up_the_stop(boot_root: Path, tmp_path: Path) -> None:
    from tests.serve.conftest import make_policy

    server = LiveServer(make_policy(boot_root, tmp_path / "state"))
    server.start()
    reply = requests.get(f"{server.url}/api/events", headers=server.auth, stream=True, timeout=10)
    assert reply.status_code == 200
    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 5
    reply.close()
    server.policy.store.close()
    server.policy.bootlog.close()


def test_the_page_carries_no_data_and_a_strict_policy(server: LiveServer) -> None:
    requests.get(f"{server.url}/boot.ipxe", params={"mac": MAC}, timeout=10)
    server.policy.store.assign(MAC, "a.ipxe")
    page = requests.get(f"{server.url}/", headers=server.auth, timeout=10)
    anonymous = requests.get(f"{server.url}/", timeout=10)
    assert page.content == anonymous.content and MAC not in page.text and "a.ipxe" not in page.text
    assert "<script>" not in page.text and not re.search(r"\son[a-z]+=", page.text)  # no inline script
    assert "'unsafe-inline'" not in page.headers["Content-Security-Policy"]
    for name, kind in [("console.js", "text/javascript"), ("console.css", "text/css")]:
        asset = requests.get(f"{server.url}/_console/{name}", timeout=10)
        assert asset.status_code == 200 and asset.headers["Content-Type"].startswith(kind)
        assert asset.headers["X-Content-Type-Options"] == "nosniff"
    assert requests.get(f"{server.url}/_console/index.html", timeout=10).status_code == 404


def test_with_reads_open_the_console_reads_without_the_token(boot_root: Path, make_server) -> None:  # type: ignore[no-untyped-def]
    (boot_root / "ipxescript.toml").write_text('[api]\nreads = "open"\n')
    server = make_server(boot_root)
    assert requests.get(f"{server.url}/api/server", timeout=10).json()["default_target"] == "boot.ipxe"
    assert (
        requests.get(f"{server.url}/api/explain", params={"client": MAC}, timeout=10).json()["rule"]
        == "default"
    )
    made = requests.post(
        f"{server.url}/api/assignments", json={"client": MAC, "target": "a.ipxe"}, timeout=10
    )
    assert made.status_code == 401  # changes still need it


def test_explain_checks_a_target_that_changed_as_a_boot_would(server: LiveServer, boot_root: Path) -> None:
    server.policy.store.assign(MAC, "a.ipxe")
    assert explain(server, client=MAC).json()["script"].startswith("#!ipxe\necho target A")
    (boot_root / "a.ipxe").write_text("#!ipxe\nchian http://x/y\n")  # broken since its last verdict
    found = explain(server, client=MAC).json()
    assert "lint error" in found["served"] and "a.ipxe has errors and was not served" in found["script"]
    booted = requests.get(f"{server.url}/boot.ipxe", params={"mac": MAC}, timeout=10).text
    assert booted == found["script"]
