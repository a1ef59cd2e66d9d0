"""Address leases for full mode: an in-memory view written through to SQLite.

Every change is one SQLite transaction, so a crash or restart leaves either the old or the new row, never
half of one, and the `ip` primary key makes it impossible to store one address for two clients. Offers are
kept in memory only: a client that was offered an address and whose REQUEST arrives after a restart gets
it if it is still free, which is what the client wants anyway.
"""

from __future__ import annotations

import socket
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .codec import ip_bytes

SCHEMA = """
CREATE TABLE IF NOT EXISTS leases (
    ip TEXT PRIMARY KEY,
    mac TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('bound', 'released', 'declined')),
    expires REAL NOT NULL,
    hostname TEXT
)
"""
OFFER_HOLD = 60.0  # seconds an offered address stays set aside for the client it was offered to


def ip_to_int(ip: str) -> int:
    return int.from_bytes(ip_bytes(ip), "big")


def int_to_ip(value: int) -> str:
    return socket.inet_ntoa(value.to_bytes(4, "big"))


@dataclass
class Lease:
    ip: str
    mac: str  # "" for a declined address
    state: str  # bound | released | declined
    expires: float
    hostname: str | None = None

    def active(self, now: float) -> bool:
        return self.state in ("bound", "declined") and self.expires > now


class LeaseStore:
    def __init__(
        self,
        path: str | Path | None,
        pool_start: str,
        pool_end: str,
        reservations: dict[str, str],
        excluded: set[str],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.clock = clock
        first, last = ip_to_int(pool_start), ip_to_int(pool_end)
        self.pool = range(first, last + 1)
        self.reservations = {mac.lower(): ip for mac, ip in reservations.items()}
        self.reserved_ips = {ip: mac for mac, ip in self.reservations.items()}
        self.excluded = excluded
        self.db = sqlite3.connect(str(path) if path else ":memory:", isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")  # durable across process crashes, fast commits
        self.db.execute(SCHEMA)
        self.by_ip: dict[str, Lease] = {}
        self.by_mac: dict[str, Lease] = {}
        for ip, mac, state, expires, hostname in self.db.execute(
            "SELECT ip, mac, state, expires, hostname FROM leases"
        ):
            self._remember(Lease(ip, mac, state, expires, hostname))
        self.offers: dict[str, tuple[str, float]] = {}  # ip -> (mac, until)
        self.offered_to: dict[str, str] = {}  # mac -> ip of its latest offer
        self._cursor = 0  # where the search for a never-used address resumes

    def close(self) -> None:
        self.db.close()

    # --- queries -------------------------------------------------------------------------------------

    def lease_of(self, mac: str) -> Lease | None:
        return self.by_mac.get(mac)

    def in_pool(self, ip: str) -> bool:
        return ip_to_int(ip) in self.pool

    def available_to(self, ip: str, mac: str) -> bool:
        """May `ip` be given to `mac` now? Reserved, leased, declined and offered addresses are not free."""
        if ip in self.excluded:
            return False
        owner = self.reserved_ips.get(ip)
        if owner is not None and owner != mac:
            return False
        if owner is None and not self.in_pool(ip):
            return False
        # Even a reservation waits while someone else still holds the address (the configuration changed).
        now = self.clock()
        lease = self.by_ip.get(ip)
        if lease is not None and lease.active(now) and lease.mac != mac:
            return False
        offer = self.offers.get(ip)
        return not (offer is not None and offer[0] != mac and offer[1] > now)

    def choose(self, mac: str, requested: str | None) -> str | None:
        """The address to offer (RFC 2131 4.3.1 order): reservation, current or previous lease, the
        requested address, a never-used address, then the address whose lease expired longest ago."""
        if mac in self.reservations:
            ip = self.reservations[mac]
            return ip if self.available_to(ip, mac) else None
        lease = self.by_mac.get(mac)
        if lease is not None and self.available_to(lease.ip, mac):
            return lease.ip
        offered = self.offered_to.get(mac)
        if offered is not None and self.available_to(offered, mac):
            return offered
        if requested and self._valid(requested) and self.available_to(requested, mac):
            return requested
        for step in range(len(self.pool)):
            index = (self._cursor + step) % len(self.pool)
            ip = int_to_ip(self.pool[index])
            if ip not in self.by_ip and ip not in self.reserved_ips and self.available_to(ip, mac):
                self._cursor = index + 1
                return ip
        expired = sorted(
            (lease for lease in self.by_ip.values() if self.available_to(lease.ip, mac)),
            key=lambda lease: lease.expires,
        )
        return expired[0].ip if expired else None

    @staticmethod
    def _valid(ip: str) -> bool:
        try:
            ip_to_int(ip)
        except ValueError:
            return False
        return True

    # --- changes ----------------------------------------------------------------------------------------

    def offer(self, ip: str, mac: str) -> None:
        now = self.clock()
        if len(self.offers) > 4 * len(self.pool) + 64:  # forget stale offers now and then
            self.offers = {k: v for k, v in self.offers.items() if v[1] > now}
            self.offered_to = {mac: ip for ip, (mac, _) in self.offers.items()}
        self.offers[ip] = (mac, now + OFFER_HOLD)
        self.offered_to[mac] = ip

    def withdraw_offer(self, mac: str) -> None:
        ip = self.offered_to.pop(mac, None)
        if ip is not None and self.offers.get(ip, ("", 0.0))[0] == mac:
            del self.offers[ip]

    def bind(self, ip: str, mac: str, lease_time: int, hostname: str | None = None) -> Lease:
        lease = Lease(ip, mac, "bound", self.clock() + lease_time, hostname)
        with self.db:  # one transaction: drop the client's other rows and the address's old row
            self.db.execute("BEGIN IMMEDIATE")
            self.db.execute("DELETE FROM leases WHERE mac = ? OR ip = ?", (mac, ip))
            self.db.execute(
                "INSERT INTO leases (ip, mac, state, expires, hostname) VALUES (?, ?, ?, ?, ?)",
                (lease.ip, lease.mac, lease.state, lease.expires, lease.hostname),
            )
        self._forget_mac(mac)
        self._forget_ip(ip)
        self._remember(lease)
        self.offers.pop(ip, None)
        self.offered_to.pop(mac, None)
        return lease

    def release(self, ip: str, mac: str) -> bool:
        lease = self.by_ip.get(ip)
        if lease is None or lease.mac != mac or lease.state != "bound":
            return False
        now = self.clock()
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.execute("UPDATE leases SET state = 'released', expires = ? WHERE ip = ?", (now, ip))
        lease.state, lease.expires = "released", now  # kept so the same client gets it back first
        return True

    def decline(self, ip: str, mac: str, hold: float) -> None:
        """The client found `ip` in use on the wire: keep it from everyone for `hold` seconds."""
        lease = Lease(ip, "", "declined", self.clock() + hold)
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.execute("DELETE FROM leases WHERE ip = ? OR mac = ?", (ip, mac))
            self.db.execute(
                "INSERT INTO leases (ip, mac, state, expires, hostname) VALUES (?, ?, ?, ?, NULL)",
                (ip, "", "declined", lease.expires),
            )
        self._forget_mac(mac)
        self._forget_ip(ip)
        self._remember(lease)
        self.offers.pop(ip, None)

    def _remember(self, lease: Lease) -> None:
        self.by_ip[lease.ip] = lease
        if lease.mac:
            self.by_mac[lease.mac] = lease

    def _forget_mac(self, mac: str) -> None:
        old = self.by_mac.pop(mac, None)
        if old is not None and self.by_ip.get(old.ip) is old:
            del self.by_ip[old.ip]

    def _forget_ip(self, ip: str) -> None:
        old = self.by_ip.pop(ip, None)
        if old is not None and old.mac and self.by_mac.get(old.mac) is old:
            del self.by_mac[old.mac]
