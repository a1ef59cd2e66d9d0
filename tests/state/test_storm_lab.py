"""The lab's server segment keeps its address when hosts join it.

A Linux bridge without an address of its own takes its lowest port's MAC, so a namespace added later
(an instance started after another one connected to PostgreSQL on the bridge) could change it. The
first instance's ARP entry then points at the old MAC, its TCP to the database stalls in retransmits
for minutes while it waits for a query in the DHCP path, and in bench_storm's `three/pg-relays` the
rack behind it got no lease at all."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "dhcp"))

from dhcp_testlib import Lab  # noqa: E402

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("ip"), reason="needs root for namespaces"
)


def bridge_mac(lab: Lab) -> str:
    return lab.ns_exec(lab.server_ns, "cat", f"/sys/class/net/{lab.bridge}/address").stdout.strip()


def test_the_server_bridge_keeps_its_mac_when_a_port_with_a_lower_one_joins() -> None:
    lab = Lab("10.214.0", prefix=16)
    try:
        lab.add_host("i1", address="10.214.0.11")
        before = bridge_mac(lab)
        # the lowest unicast MAC there is: a bridge that follows its ports would take it
        port, peer = f"v{lab.tag}lo", f"v{lab.tag}lp"
        lab.ns_exec(lab.server_ns, "ip", "link", "add", port, "address", "00:00:00:00:00:01",
                    "type", "veth", "peer", "name", peer)  # fmt: skip
        lab.ns_exec(lab.server_ns, "ip", "link", "set", port, "master", lab.bridge, "up")
        lab.add_host("i2", address="10.214.0.12")
        assert bridge_mac(lab) == before
    finally:
        lab.close()
