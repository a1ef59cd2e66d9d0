"""An instance on PostgreSQL that loses its database: it keeps answering what it safely can, says so
loudly, and catches up when the database returns (a cluster of its own, stopped and started by the test)."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest
import requests

from ipxescript.serve.config import load_config
from ipxescript.serve.serve_policy import ServePolicy
from ipxescript.serve.state import open_state
from tests.pg_cluster import PgCluster

from .conftest import LiveServer

pytestmark = pytest.mark.timeout(120)
STATIC, ONCE, OTHER = "52:54:00:cc:00:01", "52:54:00:cc:00:02", "52:54:00:cc:00:03"


def test_losing_the_database_keeps_safe_answers_and_loses_nothing(
    boot_root: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cluster = PgCluster().start()
    try:
        url = cluster.new_database()
        config = load_config(str(boot_root), state_dir=str(tmp_path / "state"), state=url)
        state = open_state(config.state, config.state_dir)
        server = LiveServer(ServePolicy(config, state.assignments, state.bootlog))
        server.start()
        state.assignments.assign(STATIC, "a.ipxe")
        state.assignments.assign(ONCE, "b.ipxe", once=True)
        made = requests.post(  # the API and the status page work the same as on SQLite
            f"{server.url}/api/assignments",
            json={"client": OTHER, "target": "a.ipxe"},
            timeout=10,
            headers=server.auth,
        )
        assert made.status_code == 201 and made.json()["kind"] == "static"
        assert (
            requests.delete(
                f"{server.url}/api/assignments/{OTHER}", timeout=10, headers=server.auth
            ).status_code
            == 200
        )
        listed = requests.get(f"{server.url}/api/assignments", timeout=10, headers=server.auth).json()
        assert {(a["client"], a["target"]) for a in listed} == {(STATIC, "a.ipxe"), (ONCE, "b.ipxe")}

        def boot(mac: str) -> str:
            return requests.get(f"{server.url}/boot.ipxe", params={"mac": mac}, timeout=10).text

        cluster.stop("immediate")
        with caplog.at_level(logging.ERROR):
            assert "target A" in boot(STATIC)  # static targets are safe: from the last snapshot
            waiting = boot(ONCE)  # a once assignment cannot be taken: wait and ask again, never skip it
            assert "target B" not in waiting and "default" not in waiting
            assert "sleep 5" in waiting and f"chain {server.url}/boot.ipxe?" in waiting
            assert "default for" in boot(OTHER)
            refused = requests.post(
                f"{server.url}/api/assignments",
                json={"client": OTHER, "target": "b.ipxe"},
                timeout=10,
                headers=server.auth,
            )
            assert refused.status_code == 503 and "unreachable" in refused.json()["error"]
        assert "state database" in caplog.text and "unreachable" in caplog.text
        spool = config.state_dir / "bootlog-spool.jsonl"
        assert STATIC in spool.read_text()  # the boots of the outage, kept on local disk

        cluster.start_again()
        deadline = time.monotonic() + 20
        while spool.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not spool.exists()
        assert "target B" in boot(ONCE)  # consumed now, once
        assert "target B" not in boot(ONCE)
        name = url.rsplit("/", 1)[1]
        logged = cluster.psql("SELECT client || ' ' || what FROM boot_events ORDER BY id", name)
        assert f"{STATIC} boot.ipxe -> a.ipxe" in logged  # logged during the outage, caught up after
        assert f"{OTHER} boot.ipxe -> boot.ipxe" in logged
        assert logged.count(f"{ONCE} boot.ipxe -> b.ipxe") == 1
        server.stop()
        state.close()
    finally:
        cluster.cleanup()
