"""The state backends (SQLite, PostgreSQL) keep the same promises: every test runs on both.

PostgreSQL is a real throwaway cluster (tests/pg_cluster.py) started once for the run."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from ipxescript.serve.state import State, StateError, open_state
from tests.pg_cluster import PgCluster

pytestmark = pytest.mark.timeout(120)
MAC = "52:54:00:aa:00:01"


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ipxescript", *args], capture_output=True, text=True, timeout=60
    )


def where(state_url: str | None, tmp_path: Path) -> list[str]:
    return ["--state", state_url] if state_url else ["--state-dir", str(tmp_path / "state")]


def test_the_assignment_commands_work_the_same_on_both(state_url: str | None, tmp_path: Path) -> None:
    flags = where(state_url, tmp_path)
    done = cli("assign", MAC.replace(":", "-"), "a.ipxe", "--once", *flags)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"{MAC} -> a.ipxe (once)\n"
    assert cli("assign", "10.0.0.7", "b.ipxe", *flags).returncode == 0
    listed = json.loads(cli("assignments", "--json", *flags).stdout)
    assert [(a["client"], a["kind"], a["target"]) for a in listed] == [
        ("10.0.0.7", "static", "b.ipxe"),
        (MAC, "once", "a.ipxe"),
    ]
    table = cli("assignments", *flags).stdout
    assert "CLIENT" in table and MAC in table and "b.ipxe" in table
    removed = cli("unassign", MAC, *flags)
    assert removed.returncode == 0 and removed.stdout == f"removed {MAC} -> a.ipxe (once)\n"
    again = cli("unassign", MAC, *flags)
    assert again.returncode == 2 and "has no assignment" in again.stderr


def _open(state_url: str | None, tmp_path: Path) -> State:
    return open_state(state_url, tmp_path / "state")


def test_a_once_assignment_is_consumed_exactly_once_by_concurrent_servers(
    state_url: str | None, tmp_path: Path
) -> None:
    """Sixteen servers (each its own connection), all asking for the same 40 machines at once."""
    servers = [_open(state_url, tmp_path) for _ in range(16)]
    macs = [f"52:54:00:bb:00:{i:02x}" for i in range(40)]
    for mac in macs:
        servers[0].assignments.assign(mac, f"once-{mac}.ipxe", once=True)
        servers[0].assignments.assign(mac, "static.ipxe")
    got: list[tuple[str, str]] = []
    lock = threading.Lock()
    start = threading.Barrier(16)

    def boot(state: State) -> None:
        start.wait()
        for mac in macs:
            found = state.assignments.lookup([mac, "10.0.0.1"], consume=True)
            assert found is not None
            with lock:
                got.append((mac, found.kind))

    threads = [threading.Thread(target=boot, args=(state,)) for state in servers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for mac in macs:
        kinds = [kind for who, kind in got if who == mac]
        assert kinds.count("once") == 1 and kinds.count("static") == 15
    assert all(a.kind == "static" for a in servers[1].assignments.all())
    for state in servers:
        state.close()


def test_a_lookup_prefers_once_then_the_earlier_key(state_url: str | None, tmp_path: Path) -> None:
    """Keys are [MAC, IP]: a once assignment of either comes before a static one of either; among the
    same kind the MAC's; consuming takes the once one and leaves the statics."""
    state = _open(state_url, tmp_path)
    ip = "10.0.0.7"
    state.assignments.assign(MAC, "mac-static.ipxe")
    state.assignments.assign(ip, "ip-static.ipxe")
    assert (found := state.assignments.lookup([MAC, ip], consume=True)) and found.target == "mac-static.ipxe"
    assert (found := state.assignments.lookup([ip, MAC], consume=False)) and found.target == "ip-static.ipxe"
    state.assignments.assign(ip, "ip-once.ipxe", once=True)
    state.assignments.assign(MAC, "mac-once.ipxe", once=True)
    assert (found := state.assignments.peek([MAC, ip])) and found.target == "mac-once.ipxe"
    taken = [state.assignments.lookup([MAC, ip], consume=True) for _ in range(4)]
    assert [a.target if a else None for a in taken] == [
        "mac-once.ipxe",
        "ip-once.ipxe",
        "mac-static.ipxe",
        "mac-static.ipxe",
    ]
    assert state.assignments.lookup(["52:54:00:ff:ff:ff"], consume=True) is None
    state.close()


def test_peek_consumes_nothing(state_url: str | None, tmp_path: Path) -> None:
    state = _open(state_url, tmp_path)
    state.assignments.assign(MAC, "a.ipxe", once=True)
    for _ in range(3):
        peeked = state.assignments.peek([MAC])
        assert peeked is not None and peeked.kind == "once"
    taken = state.assignments.lookup([MAC], consume=True)
    assert taken is not None and taken.target == "a.ipxe"
    assert state.assignments.peek([MAC]) is None
    state.close()


def test_boot_events_of_all_servers_reach_one_log(state_url: str | None, tmp_path: Path) -> None:
    first, second = _open(state_url, tmp_path), _open(state_url, tmp_path)
    first.bootlog.record(mac=MAC, ip="10.0.0.9", stage="dhcp", what="ipxe.efi", reason="r", protocol="dhcp")
    odd = 'it\'s 100% \\ "odd"; COMMIT; %s {x}'  # one batch carries any text as it is
    first.bootlog.record(mac=MAC, ip="10.0.0.9", stage="tftp", what=odd, reason=odd, protocol="tftp")
    first.bootlog.flush()
    second.bootlog.follow()
    seen = [(e.client, e.stage, e.what, e.reason) for e in second.bootlog.recent()]
    assert seen == [(MAC, "dhcp", "ipxe.efi", "r"), (MAC, "tftp", odd, odd)]
    # HTTP on the second server sees only the IP; what the first learned from DHCP names the machine
    event = second.bootlog.record(
        mac=None, ip="10.0.0.9", stage="kernel", what="vmlinuz", reason="r", protocol="http"
    )
    assert event is not None and event.client == MAC
    first.close()
    second.close()


def test_a_database_that_cannot_be_reached_is_a_clear_error(tmp_path: Path, pg_cluster: PgCluster) -> None:
    dead = f"postgresql://postgres:secret@127.0.0.1:{pg_cluster.port + 1}/nothing"
    done = cli("serve", "--state", dead, "--state-dir", str(tmp_path), "--http-port", "0", "--tftp-port", "0")
    assert done.returncode == 2
    assert "ipxescript serve: error: state database postgresql://postgres:***@127.0.0.1" in done.stderr
    assert "cannot connect" in done.stderr and "secret" not in done.stderr
    assert "Traceback" not in done.stderr
    listed = cli("assignments", "--state", dead)
    assert listed.returncode == 2 and "cannot connect" in listed.stderr
    wrong = cli("assignments", "--state", "mysql://x")
    assert wrong.returncode == 2 and "is not a postgresql://" in wrong.stderr


def test_a_schema_newer_than_the_code_is_refused(tmp_path: Path, pg_cluster: PgCluster) -> None:
    url = pg_cluster.new_database()
    open_state(url, tmp_path).close()  # created by the server: version 1
    name = url.rsplit("/", 1)[1]
    assert pg_cluster.psql("SELECT max(version) FROM ipxescript_schema", name).strip() == "1"
    pg_cluster.psql("INSERT INTO ipxescript_schema VALUES (99, 0)", name)
    with pytest.raises(StateError, match="schema version 99 is newer than this ipxescript knows"):
        open_state(url, tmp_path)
    done = cli("assignments", "--state", url)
    assert done.returncode == 2 and "upgrade ipxescript" in done.stderr


def test_the_sqlite_boot_log_rotates_within_its_bound(tmp_path: Path) -> None:
    """Issue 13: bootlog.jsonl grew forever. It rotates at a size, keeping a fixed number of files."""
    from ipxescript.serve.bootlog import BootLog, JsonlSink

    state = tmp_path / "state"
    log = BootLog(None, sink=JsonlSink(state, rotate_bytes=64 * 1024, keep_files=2))
    for index in range(5000):  # ~1 MB of events from made-up clients
        log.record(
            mac=f"02:00:00:00:{index >> 8:02x}:{index & 255:02x}", ip=None, stage="dhcp",
            what="ipxe.efi", reason="x" * 40, protocol="dhcp",
        )  # fmt: skip
        if index % 100 == 0:
            log.flush()
    log.close()
    files = sorted(p.name for p in state.iterdir())
    assert files == ["bootlog.jsonl", "bootlog.jsonl.1", "bootlog.jsonl.2"]
    total = sum(p.stat().st_size for p in state.iterdir())
    assert total <= 3 * (64 * 1024 + 100 * 300)
    newest = (state / "bootlog.jsonl").read_text().splitlines()
    assert json.loads(newest[-1])["client"] == "02:00:00:00:13:87"  # the last event is kept


def test_the_default_boot_log_bound_is_documented() -> None:
    from ipxescript.serve import bootlog

    assert bootlog.ROTATE_BYTES * (bootlog.KEEP_FILES + 1) == 64 << 20
    assert "64 MiB" in (bootlog.__doc__ or "")


def test_the_database_boot_log_is_bounded(
    pg_cluster: PgCluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 13's unbounded log, on PostgreSQL: the oldest events go once KEEP_EVENTS are stored."""
    from ipxescript.serve.state import postgres

    monkeypatch.setattr(postgres, "KEEP_EVENTS", 300)
    monkeypatch.setattr(postgres, "PRUNE_EVERY", 100)
    url = pg_cluster.new_database()
    state = open_state(url, tmp_path)
    for index in range(1000):
        state.bootlog.record(
            mac=f"02:00:00:00:{index >> 8:02x}:{index & 255:02x}", ip=None, stage="dhcp",
            what="ipxe.efi", reason="r", protocol="dhcp",
        )  # fmt: skip
        if index % 50 == 49:
            state.bootlog.flush()
    state.close()
    name = url.rsplit("/", 1)[1]
    kept = int(pg_cluster.psql("SELECT count(*) FROM boot_events", name))
    assert 300 <= kept <= 400
    newest = pg_cluster.psql("SELECT client FROM boot_events ORDER BY id DESC LIMIT 1", name).strip()
    assert newest == "02:00:00:00:03:e7"


def test_pools_of_different_relays_share_one_database(pg_cluster: PgCluster, tmp_path: Path) -> None:
    """Two instances behind different relays (two subnets), one database: each leases only its own range,
    and one machine may hold an address in each pool."""
    from ipxescript.serve.dhcp.config import DhcpConfig
    from ipxescript.serve.dhcp.leases import Lease

    url = pg_cluster.new_database()
    states = [open_state(url, tmp_path / str(i)) for i in range(2)]
    pools = []
    for index, state in enumerate(states):
        config = DhcpConfig(
            mode="full", server_address=f"10.{index}.0.1", pool_start=f"10.{index}.0.10",
            pool_end=f"10.{index}.0.12", interface=None,
        )  # fmt: skip
        assert state.leases is not None
        pools.append(state.leases(config))
    got: list[list[str]] = [[], []]
    for index, pool in enumerate(pools):
        for n in range(4):
            offer = pool.offer(f"52:54:00:dd:00:0{n}", None)
            if offer is not None:
                bound = pool.bind(offer.ip, f"52:54:00:dd:00:0{n}", 600, None, renewing=False)
                assert isinstance(bound, Lease)
                got[index].append(bound.ip)
    assert got == [["10.0.0.10", "10.0.0.11", "10.0.0.12"], ["10.1.0.10", "10.1.0.11", "10.1.0.12"]]
    assert pools[0].bind("10.1.0.10", "52:54:00:dd:00:09", 600, None, renewing=False) == (
        "10.1.0.10 is not in the range"
    )
    for state in states:
        state.close()
