"""Whether a client is who it says it is: the `mac=` and `ip=` of a boot URL against what the server saw.

Anything on the boot network can ask for `/boot.ipxe?mac=<another machine's MAC>`: without a check it
would take that machine's once-assignment or its group's script. The server knows a client's MAC from
two sources it did not get from the client's word:

- its own DHCP (the MAC it gave that address to, or answered from that address), and
- the kernel's neighbour (ARP) table: a machine on the same link that opened a TCP connection has its
  MAC there, which is the MAC the packets really came from.

The address is always the one the request came from (a claimed `ip=` that differs is ignored). A claimed
MAC that contradicts what the server saw is refused. A claim the server cannot check (a client behind a
router: no DHCP from us, no neighbour entry) is accepted and logged as unverified, or refused with
`identity = "strict"`. Requests from the server host itself (loopback, or its own address) are trusted.
`identity = "trust"` checks nothing (simulated labs where many clients share one MAC).

The neighbour table is read whole and kept for NEIGHBOUR_TTL seconds (`Neighbours`): a boot storm asks
for every request, and one read of /proc/net/arp costs more than the rest of a cached boot.ipxe. Only an
answer that confirms a claim is taken from the kept copy; an address missing from it (a machine that
just connected) or showing another MAC makes a fresh read, so a kept copy can never refuse a client or
miss a new one, and a changed entry is seen within NEIGHBOUR_TTL.
"""

from __future__ import annotations

import functools
import ipaddress
import time
from collections import OrderedDict
from dataclasses import dataclass

from ipxescript.serve.assignments import normalise_mac

ARP_TABLE = "/proc/net/arp"
ARP_COMPLETE = 0x2
REMEMBERED = 4096  # addresses whose DHCP-seen MAC is kept (the latest)
NEIGHBOUR_TTL = 1.0  # seconds a read of the neighbour table is used to confirm a claim


@dataclass(frozen=True)
class Verdict:
    mac: str  # the MAC to use ("" when none)
    ip: str | None  # the address to use
    note: str  # how it was checked, for the boot log
    refused: str | None = None  # why the claim is refused, if it is


def neighbour_table(table: str = ARP_TABLE) -> dict[str, str]:
    """address -> MAC of the complete entries in the kernel's neighbour table (empty if unreadable)."""
    found: dict[str, str] = {}
    try:
        with open(table, encoding="ascii", errors="replace") as handle:
            next(handle, None)  # the header line
            for line in handle:
                fields = line.split()
                if len(fields) < 4 or fields[0] in found:
                    continue
                try:
                    flags = int(fields[2], 16)
                except ValueError:
                    continue
                mac = normalise_mac(fields[3]) if flags & ARP_COMPLETE else None
                if mac:
                    found[fields[0]] = mac
    except OSError:
        pass
    return found


def neighbour_mac(ip: str, table: str = ARP_TABLE) -> str | None:
    """The MAC of `ip` in the kernel's neighbour table, when the entry is complete."""
    return neighbour_table(table).get(ip)


class Neighbours:
    """The neighbour table as last read, for NEIGHBOUR_TTL seconds (see the module docstring)."""

    def __init__(self, table: str = ARP_TABLE, ttl: float = NEIGHBOUR_TTL) -> None:
        self.table = table
        self.ttl = ttl
        self.read_at = -ttl
        self.entries: dict[str, str] = {}

    def mac(self, ip: str, claimed: str | None = None) -> str | None:
        """The MAC of `ip`; from the kept copy only when it is there and equals `claimed`."""
        if time.monotonic() - self.read_at < self.ttl:
            kept = self.entries.get(ip)
            if kept is not None and kept == claimed:
                return kept
        self.entries, self.read_at = neighbour_table(self.table), time.monotonic()
        return self.entries.get(ip)


class IdentityCheck:
    def __init__(self, strict: bool = False, arp_table: str = ARP_TABLE, trust: bool = False) -> None:
        self.strict = strict
        self.trust = trust
        self.neighbours = Neighbours(arp_table)
        self._dhcp: OrderedDict[str, str] = OrderedDict()  # ip -> MAC, from our own DHCP

    def saw_dhcp(self, mac: str, ip: str | None) -> None:
        """Our DHCP gave `ip` to `mac` (or heard `mac` from `ip`)."""
        if mac and ip:
            self._dhcp[ip] = mac
            self._dhcp.move_to_end(ip)
            if len(self._dhcp) > REMEMBERED:
                self._dhcp.popitem(last=False)

    def observed_mac(self, ip: str, claimed: str | None = None) -> tuple[str | None, str]:
        """The MAC the server itself saw for `ip`, and where it saw it (`claimed`: the MAC the client
        says it has, which a recent read of the neighbour table may confirm)."""
        # the neighbour table first: it is the link-layer source of the very packets of this request; a
        # DHCP chaddr is only what a packet said
        mac = self.neighbours.mac(ip, claimed)
        if mac:
            return mac, "the neighbour (ARP) table"
        mac = self._dhcp.get(ip)
        return (mac, "our DHCP") if mac else (None, "")

    def check(self, claimed_mac: str, claimed_ip: str | None, peer: str | None, local: str | None) -> Verdict:
        """The identity to use for a request from `peer` (to our address `local`) claiming mac/ip."""
        if peer is None or self.trust:
            return Verdict(claimed_mac, claimed_ip or peer, "not checked (identity = 'trust')")
        if _is_local(peer, local):
            return Verdict(claimed_mac, claimed_ip or peer, "from the server host itself: trusted")
        notes = []
        if claimed_ip and claimed_ip != peer:
            notes.append(f"claimed ip {claimed_ip} ignored (the request came from {peer})")
        if not claimed_mac:
            return Verdict("", peer, "; ".join(notes) or "no MAC claimed")
        seen, source = self.observed_mac(peer, claimed_mac)
        if seen is None:
            note = "; ".join(
                [*notes, f"mac {claimed_mac} unverified (no DHCP or neighbour entry for {peer})"]
            )
            if self.strict:
                return Verdict(
                    "", peer, note, refused=f"{note}; identity = 'strict' refuses unverified claims"
                )
            return Verdict(claimed_mac, peer, note)
        if seen != claimed_mac:
            why = f"claimed mac {claimed_mac} but {source} shows {seen} for {peer}"
            return Verdict("", peer, why, refused=why)
        return Verdict(claimed_mac, peer, "; ".join([*notes, f"mac verified by {source}"]))


def _is_local(peer: str, local: str | None) -> bool:
    return peer == local or _is_loopback(peer)


@functools.lru_cache(maxsize=4096)  # asked on every boot request; parsing the address is the costly part
def _is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False
