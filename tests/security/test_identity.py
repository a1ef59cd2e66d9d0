"""A client's claimed identity is checked against what the server saw; template values are escaped."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ipxescript.serve.identity import IdentityCheck, neighbour_mac
from ipxescript.serve.render import escape_value, render

from .conftest import Live

VICTIM = "52:54:00:aa:aa:01"

pytestmark = pytest.mark.timeout(120)


def assign(live: Live, client: str, target: str) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "ipxescript",
            "assign",
            client,
            target,
            "--once",
            "--state-dir",
            str(live.state),
        ],
        check=True,
        capture_output=True,
    )


def once_left(live: Live) -> list[str]:
    listed = live.normal.get(f"{live.url}/api/assignments", headers=live.auth, timeout=5).json()
    return [a["client"] for a in listed if a["kind"] == "once"]


def test_a_claimed_mac_that_the_network_contradicts_is_refused(live: Live) -> None:
    assign(live, VICTIM, "a.ipxe")
    reply = live.attacker.get(f"{live.url}/boot.ipxe?mac={VICTIM.replace(':', '-')}", timeout=5)
    assert reply.status_code == 403 and "identity was refused" in reply.text
    assert "target A" not in reply.text
    assert once_left(live) == [VICTIM]  # the victim's boot-once is still waiting for it
    # the attacker's own MAC (what the server's neighbour table shows) is accepted, its claimed ip ignored
    own = live.mac
    assign(live, own, "a.ipxe")
    reply = live.attacker.get(f"{live.url}/boot.ipxe?mac={own}&ip=10.99.99.99", timeout=5)
    assert reply.status_code == 200 and reply.text == "#!ipxe\necho target A\n"
    assert once_left(live) == [VICTIM]
    log = live.normal.get(f"{live.url}/api/log", headers=live.auth, timeout=5).json()
    assert any(e["stage"] == "refused" and "claimed mac" in e["reason"] for e in log)
    live.assert_serving()


def test_unverifiable_claims_are_accepted_or_refused_in_strict_mode(tmp_path: Path) -> None:
    table = tmp_path / "arp"
    table.write_text(
        "IP address       HW type     Flags       HW address            Mask     Device\n"
        "10.0.0.5         0x1         0x2         52:54:00:00:00:05     *        br0\n"
        "10.0.0.6         0x1         0x0         00:00:00:00:00:00     *        br0\n"
    )
    assert neighbour_mac("10.0.0.5", str(table)) == "52:54:00:00:00:05"
    assert neighbour_mac("10.0.0.6", str(table)) is None  # incomplete entry
    lenient, strict = IdentityCheck(arp_table=str(table)), IdentityCheck(strict=True, arp_table=str(table))
    # a routed client (no neighbour entry, not from our DHCP)
    assert lenient.check(VICTIM, None, "10.7.0.9", "10.0.0.1").refused is None
    assert "unverified" in lenient.check(VICTIM, None, "10.7.0.9", "10.0.0.1").note
    assert strict.check(VICTIM, None, "10.7.0.9", "10.0.0.1").refused is not None
    # our DHCP gave the address: checked against that
    strict.saw_dhcp(VICTIM, "10.7.0.9")
    assert strict.check(VICTIM, None, "10.7.0.9", "10.0.0.1").refused is None
    assert strict.check("52:54:00:aa:aa:02", None, "10.7.0.9", "10.0.0.1").refused is not None
    # the link layer beats a DHCP claim, and loopback is the server host itself
    assert lenient.check("52:54:00:00:00:05", "10.0.0.99", "10.0.0.5", "10.0.0.1").ip == "10.0.0.5"
    assert strict.check(VICTIM, "10.0.0.99", "127.0.0.1", "127.0.0.1").mac == VICTIM


@pytest.mark.parametrize(
    "value",
    ["x || shell", "a && reboot", "a ; b", "${net0/mac}", "#comment", "a\nchain evil", "50%", "a b\tc", "é"],
)
def test_template_values_cannot_add_commands_operators_or_expansions(value: str) -> None:
    line = render("kernel vmlinuz hostname={{ hostname }} quiet", {"hostname": escape_value(value)}, name="t")
    words = line.split()
    assert len(words) == 4 and words[0] == "kernel" and words[-1] == "quiet"
    assert "${" not in line and "\n" not in line
    assert not any(w in ("||", "&&", ";") or w.startswith("#") for w in words)


def test_client_values_are_escaped_in_a_served_script(live: Live) -> None:
    (live.root / "boot.ipxe").write_text("#!ipxe\necho host {{ hostname }} role {{ role }}\n")
    own = live.mac
    reply = live.attacker.get(
        f"{live.url}/boot.ipxe", params={"mac": own, "hostname": "x || shell", "role": "${root}"}, timeout=5
    )
    assert reply.text == "#!ipxe\necho host x%20%7C%7C%20shell role %24%7Broot%7D\n"


def test_a_kept_neighbour_table_only_ever_confirms_a_claim(tmp_path: Path) -> None:
    """The table is read at most once a NEIGHBOUR_TTL to confirm claims it already showed; a claim it
    contradicts, or an address it lacks, is looked up in a fresh read at once."""
    table = tmp_path / "arp"
    header = "IP address       HW type     Flags       HW address            Mask     Device\n"
    table.write_text(header + "10.0.0.5         0x1         0x2         52:54:00:00:00:05     *        br0\n")
    check = IdentityCheck(strict=True, arp_table=str(table))
    assert check.check("52:54:00:00:00:05", None, "10.0.0.5", "10.0.0.1").refused is None
    table.write_text(
        header + "10.0.0.5         0x1         0x2         52:54:00:00:00:55     *        br0\n"
        "10.0.0.7         0x1         0x2         52:54:00:00:00:07     *        br0\n"
    )
    assert check.check("52:54:00:00:00:55", None, "10.0.0.5", "10.0.0.1").refused is None  # re-read
    assert check.check("52:54:00:00:00:05", None, "10.0.0.5", "10.0.0.1").refused is not None
    assert check.check("52:54:00:00:00:07", None, "10.0.0.7", "10.0.0.1").refused is None  # new: re-read
    table.write_text(header)  # the entries expire in the kernel
    assert check.check("52:54:00:00:00:07", None, "10.0.0.7", "10.0.0.1").refused is None  # kept copy
    check.neighbours.ttl = 0  # once the kept copy is old, the table is read again
    assert check.check("52:54:00:00:00:07", None, "10.0.0.7", "10.0.0.1").refused is not None
