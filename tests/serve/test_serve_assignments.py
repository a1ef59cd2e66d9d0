"""Assignments through the CLI (`ipxescript assign/assignments/unassign`) and the JSON API."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from click.testing import CliRunner

from ipxescript.cli import main

from .conftest import LiveServer

MAC = "52:54:00:12:34:56"


def cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def test_cli_assign_list_unassign(tmp_path: Path, boot_root: Path) -> None:
    state = str(tmp_path / "state")
    code, out = cli("assign", "52-54-00-12-34-56", "a.ipxe", "--once", "--state-dir", state)
    assert code == 0 and out == f"{MAC} -> a.ipxe (once)\n"
    code, out = cli("assign", "10.0.0.7", "b.ipxe", "--state-dir", state)
    assert code == 0 and out == "10.0.0.7 -> b.ipxe (static)\n"
    code, out = cli("assignments", "--state-dir", state)
    assert code == 0
    rows = out.splitlines()
    assert rows[0].split() == ["CLIENT", "KIND", "TARGET", "SINCE"]
    assert rows[1].split()[:3] == ["10.0.0.7", "static", "b.ipxe"]
    assert rows[2].split()[:3] == [MAC, "once", "a.ipxe"]
    code, out = cli("assignments", "--json", "--state-dir", state)
    assert {(a["client"], a["kind"], a["target"]) for a in json.loads(out)} == {
        ("10.0.0.7", "static", "b.ipxe"),
        (MAC, "once", "a.ipxe"),
    }
    code, out = cli("unassign", MAC, "--state-dir", state)
    assert code == 0 and out == f"removed {MAC} -> a.ipxe (once)\n"
    code, out = cli("unassign", MAC, "--state-dir", state)
    assert code == 2 and "has no assignment" in out


def test_cli_errors_are_clear(tmp_path: Path, boot_root: Path) -> None:
    state = str(tmp_path / "state")
    code, out = cli("assign", "not-a-client", "a.ipxe", "--state-dir", state)
    assert code == 2 and "neither a MAC address nor an IPv4 address" in out and "Traceback" not in out
    code, out = cli("assign", MAC, "missing.ipxe", "--root", str(boot_root), "--state-dir", state)
    assert code == 2 and "is not a file under" in out
    code, out = cli("assign", MAC, "../x.ipxe", "--root", str(boot_root), "--state-dir", state)
    assert code == 2 and "'..'" in out


def test_cli_finds_state_dir_from_the_config(tmp_path: Path, boot_root: Path) -> None:
    (boot_root / "ipxescript.toml").write_text('state_dir = "../mystate"\n')
    code, _ = cli("assign", MAC, "a.ipxe", "--root", str(boot_root))
    assert code == 0
    assert (tmp_path / "mystate" / "assignments.sqlite3").is_file()


def test_cli_assignment_is_seen_by_a_running_server(boot_root: Path, make_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    server = make_server(boot_root)
    state = str(server.policy.config.state_dir)
    assert cli("assign", MAC, "b.ipxe", "--once", "--state-dir", state)[0] == 0
    reply = requests.get(f"{server.url}/boot.ipxe?mac=52-54-00-12-34-56", timeout=10)
    assert reply.text == "#!ipxe\necho target B\n"


def test_api_round_trip(server: LiveServer) -> None:
    api = f"{server.url}/api/assignments"
    assert requests.get(api, timeout=10, headers=server.auth).json() == []
    made = requests.post(
        api,
        json={"client": "52-54-00-12-34-56", "target": "a.ipxe", "once": True},
        timeout=10,
        headers=server.auth,
    )
    assert made.status_code == 201
    assert made.json()["client"] == MAC and made.json()["kind"] == "once"
    listed = requests.get(api, timeout=10, headers=server.auth).json()
    assert [(a["client"], a["kind"], a["target"]) for a in listed] == [(MAC, "once", "a.ipxe")]
    assert requests.get(f"{api}/{MAC}", timeout=10, headers=server.auth).status_code == 200
    gone = requests.delete(f"{api}/{MAC}", timeout=10, headers=server.auth)
    assert gone.status_code == 200 and gone.json()["removed"][0]["target"] == "a.ipxe"
    assert requests.delete(f"{api}/{MAC}", timeout=10, headers=server.auth).status_code == 404
    assert requests.get(api, timeout=10, headers=server.auth).json() == []


def test_api_rejects_bad_requests(server: LiveServer) -> None:
    api = f"{server.url}/api/assignments"
    assert requests.post(api, data=b"not json", timeout=10, headers=server.auth).status_code == 415
    as_json = {**server.auth, "Content-Type": "application/json"}
    assert requests.post(api, data=b"not json", timeout=10, headers=as_json).status_code == 400
    assert requests.post(api, json={"client": MAC}, timeout=10, headers=server.auth).status_code == 400
    bad_target = requests.post(
        api, json={"client": MAC, "target": "nope.ipxe"}, timeout=10, headers=server.auth
    )
    assert bad_target.status_code == 400 and "not a file under ROOT" in bad_target.json()["error"]
    escape = requests.post(
        api, json={"client": MAC, "target": "../etc/passwd"}, timeout=10, headers=server.auth
    )
    assert escape.status_code == 400
    bad_client = requests.post(
        api, json={"client": "bogus", "target": "a.ipxe"}, timeout=10, headers=server.auth
    )
    assert bad_client.status_code == 400
    assert requests.get(f"{server.url}/api/nothing", timeout=10, headers=server.auth).status_code == 404
    assert requests.put(api, json={}, timeout=10, headers=server.auth).status_code == 405


def test_api_clients_and_log(server: LiveServer) -> None:
    requests.get(f"{server.url}/boot.ipxe?mac=52-54-00-12-34-56", timeout=10, headers=server.auth)
    clients = requests.get(f"{server.url}/api/clients", timeout=10, headers=server.auth).json()
    assert clients[0]["client"] == MAC and clients[0]["stage"] == "script"
    assert requests.get(f"{server.url}/api/log", timeout=10, headers=server.auth).json()[-1]["client"] == MAC


def test_once_is_served_once_under_concurrency(server: LiveServer) -> None:
    server.policy.store.assign(MAC, "a.ipxe", once=True)

    def fetch(_: int) -> str:
        return requests.get(f"{server.url}/boot.ipxe?mac=52-54-00-12-34-56", timeout=30).text

    with ThreadPoolExecutor(max_workers=32) as pool:
        texts = list(pool.map(fetch, range(96)))
    assert sum("target A" in t for t in texts) == 1
    assert sum("default for" in t for t in texts) == 95


def test_once_is_taken_once_by_two_stores_on_one_file(tmp_path: Path) -> None:
    """Two server processes sharing a state dir: the single DELETE ... RETURNING decides."""
    from ipxescript.serve.assignments import AssignmentStore

    first = AssignmentStore(tmp_path / "a.sqlite3")
    second = AssignmentStore(tmp_path / "a.sqlite3")
    first.assign(MAC, "a.ipxe", once=True)
    taken = [first.lookup([MAC], consume=True), second.lookup([MAC], consume=True)]
    assert [t.target if t else None for t in taken] == ["a.ipxe", None]
