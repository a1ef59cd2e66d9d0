"""A database host that vanishes without a word (power lost, cable pulled: no TCP reset) must not hold
an instance's queries for minutes: the instance goes to its logged outage mode within seconds.

The database runs in a network namespace behind a veth pair; taking the namespace's end down drops
every packet silently, as a dead host does."""

from __future__ import annotations

import os
import subprocess
import time

import pytest

from ipxescript.serve.state import StateUnavailable
from ipxescript.serve.state.postgres import Database
from tests.pg_cluster import PgCluster

pytestmark = [
    pytest.mark.timeout(120),
    pytest.mark.skipif(os.geteuid() != 0 and not os.environ.get("CI"), reason="needs root (namespaces)"),
]


def ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, text=True)


def test_a_database_host_that_vanishes_silently_is_noticed_within_seconds() -> None:
    ns, here, there = f"ipxs-dead{os.getpid() % 10000}", f"dpr{os.getpid() % 10000}", "dpn"
    ip("netns", "add", ns)
    cluster = None
    database = None
    try:
        ip("link", "add", here, "type", "veth", "peer", "name", there, "netns", ns)
        ip("addr", "add", "10.213.77.2/30", "dev", here)
        ip("-n", ns, "addr", "add", "10.213.77.1/30", "dev", there)
        for args in (["link", "set", here, "up"], ["-n", ns, "link", "set", there, "up"]):
            ip(*args)
        ip("-n", ns, "link", "set", "lo", "up")
        cluster = PgCluster(listen=("10.213.77.1",), netns=ns).start()
        database = Database(cluster.url())
        with database.connection() as conn:
            conn.execute("SELECT 1")
        ip("-n", ns, "link", "set", there, "down")  # from now on, silence
        started = time.monotonic()
        with pytest.raises(StateUnavailable, match="unreachable"):
            with database.connection() as conn:
                conn.execute("SELECT 1")
        assert time.monotonic() - started < 30  # TCP retransmits alone would wait for many minutes
        assert not database.up
    finally:
        if database is not None:
            ip("-n", ns, "link", "set", there, "up")
            database.close()
        if cluster is not None:
            cluster.cleanup()
        subprocess.run(["ip", "link", "del", here], capture_output=True)
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)
