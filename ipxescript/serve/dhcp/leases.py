"""Address leases for full mode: the allocation interface, and its one-machine implementation.

`Leases` is what the DHCP server calls (and all it may call): `offer` picks and holds an address for a
client, `bind` makes it a lease (or says why not), `release`, `decline`, `withdraw_offer`. Each is one
decision, so a shared backend (PostgreSQL, `ipxescript.serve.state.postgres`) can make it one transaction
and no two instances can give one address to two clients. A backend that lost its database raises
`StateUnavailable`; the server then stays silent and the client retries.

`LeaseStore` is the SQLite backend: an in-memory view written through to SQLite. Every change is one
SQLite transaction (the server makes the changes of one wake-up of its socket one transaction, and sends
no ACK before it is committed: `hold_writes`), so a crash or restart leaves either the old or the new row,
never half of one, and the `ip` primary key makes it impossible to store one address for two clients. Offers are kept in memory
only: a client that was offered an address and whose REQUEST arrives after a restart gets it if it is
still free, which is what the client wants anyway.

Choosing a free address never scans the pool: every address that is not leased sits in a heap keyed by
the time it became free (never-used addresses first, then the one whose lease ended longest ago), and
entries made stale by later changes are dropped when they surface. An exhausted pool costs one look at
the heap's top.
"""

from __future__ import annotations

import heapq
import socket
import sqlite3
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple, Protocol

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
# A bind drops the client's other rows by MAC: without this index every ACK scans the whole table.
MAC_INDEX = "CREATE INDEX IF NOT EXISTS leases_mac ON leases (mac)"
OFFER_HOLD = 60.0  # seconds an offered address stays set aside for the client it was offered to
NEVER_USED = float("-inf")  # heap key of an address never leased: before any that was


class StateUnavailable(Exception):
    """The shared state cannot be reached now: answer what is safe without it, or nothing."""


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


class Offer(NamedTuple):  # a tuple: built once per DISCOVER, at a fifth of a frozen dataclass's cost
    ip: str
    why: str  # "reserved for this MAC", "the client's existing lease", "free address from the range"


class Leases(Protocol):
    """What the DHCP server asks of lease storage; every method is one atomic decision."""

    reservations: dict[str, str]  # MAC -> address, from the configuration

    def offer(self, mac: str, requested: str | None) -> Offer | None:
        """Pick an address for `mac` (RFC 2131 4.3.1 order) and hold it for OFFER_HOLD; None if none."""
        ...

    def withdraw_offer(self, mac: str, requested: str | None = None) -> None:
        """The client chose another server (asking it for `requested`): what we held for it is free
        again, unless it is `requested` (another instance sharing this pool is giving it that one)."""
        ...

    def bind(
        self, ip: str, mac: str, lease_time: int, hostname: str | None, *, renewing: bool
    ) -> Lease | str:
        """Lease `ip` to `mac`, or the reason it may not have it (for the NAK)."""
        ...

    def release(self, ip: str, mac: str) -> bool:
        """The client gives `ip` back (kept for it if it returns); False if it did not hold it."""
        ...

    def decline(self, ip: str, mac: str, hold: float) -> bool:
        """`ip` is in use on the wire: keep it from everyone for `hold` s; False if `mac` never had it."""
        ...

    def close(self) -> None: ...


class LeaseStore:
    """Leases of one server on one machine (SQLite file, or memory only when `path` is None)."""

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
        self._held: list[tuple[str, tuple[object, ...]]] | None = None  # statements of held changes
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")  # durable across process crashes, fast commits
        self.db.execute(SCHEMA)
        self.db.execute(MAC_INDEX)
        self.by_ip: dict[str, Lease] = {}
        self.by_mac: dict[str, Lease] = {}
        for ip, mac, state, expires, hostname in self.db.execute(
            "SELECT ip, mac, state, expires, hostname FROM leases"
        ):
            self._remember(Lease(ip, mac, state, expires, hostname))
        self.offers: dict[str, tuple[str, float]] = {}  # ip -> (mac, until)
        self._offers_limit = 4 * len(self.pool) + 64
        self.offered_to: dict[str, str] = {}  # mac -> ip of its latest offer
        # Free addresses: (free from, ip as int). `_free_at` holds each address's current key; a heap entry
        # whose key differs is stale and dropped when it reaches the top. Addresses never used since the
        # start wait in `_fresh`, in pool order, taken from `_fresh_at` on: a lab powering on takes them one
        # after the other, and the heap only holds addresses that were used.
        self._free_at: dict[int, float] = {}
        for value in self.pool:
            ip = int_to_ip(value)
            if ip in self.excluded or ip in self.reserved_ips:
                continue
            lease = self.by_ip.get(ip)
            self._free_at[value] = NEVER_USED if lease is None else self._busy_until(lease)
        self._fresh = [value for value, key in self._free_at.items() if key == NEVER_USED]
        self._fresh_at = 0
        self._heap = [(key, value) for value, key in self._free_at.items() if key != NEVER_USED]
        heapq.heapify(self._heap)

    def close(self) -> None:
        self.db.close()

    # --- writing ---------------------------------------------------------------------------------------

    def hold_writes(self) -> None:
        """Until `write_held()`, keep each change's statements instead of committing it alone: a burst of
        decisions becomes one transaction (a commit costs far more than a decision). The in-memory view
        changes at once; the caller must not answer on a held change before `write_held()` returns."""
        self._held = []

    @property
    def writes_held(self) -> bool:
        """Are changes waiting for `write_held()`?"""
        return bool(self._held)

    def write_held(self) -> None:
        """Commit the held changes in one transaction and stop holding; raises sqlite3.Error if it fails."""
        held, self._held = self._held, None
        if held:
            self._commit(held)

    def _write(self, *statements: tuple[str, tuple[object, ...]]) -> None:
        if self._held is not None:
            self._held.extend(statements)
        else:
            self._commit(statements)

    def _commit(self, statements: Iterable[tuple[str, tuple[object, ...]]]) -> None:
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            for sql, parameters in statements:
                self.db.execute(sql, parameters)

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
        return offer.ip if (offer := self._choose(mac, requested)) else None

    def _choose(self, mac: str, requested: str | None) -> Offer | None:
        if mac in self.reservations:
            ip = self.reservations[mac]
            return Offer(ip, "reserved for this MAC") if self.available_to(ip, mac) else None
        lease = self.by_mac.get(mac)
        if lease is not None and self.available_to(lease.ip, mac):
            return Offer(lease.ip, "the client's existing lease")
        offered = self.offered_to.get(mac)
        if offered is not None and self.available_to(offered, mac):
            return Offer(offered, "free address from the range")
        if requested and self._valid(requested) and self.available_to(requested, mac):
            return Offer(requested, "free address from the range")
        free = self._first_free()
        return Offer(int_to_ip(free), "free address from the range") if free is not None else None

    def _first_free(self) -> int | None:
        """The address free longest (never-used first, lowest first), without scanning: the fresh addresses
        that were used since and stale heap tops are skipped."""
        free_at, fresh, at = self._free_at, self._fresh, self._fresh_at
        while at < len(fresh) and free_at[fresh[at]] != NEVER_USED:
            at += 1
        self._fresh_at = at
        heap = self._heap
        while heap and free_at.get(heap[0][1]) != heap[0][0]:
            heapq.heappop(heap)  # stale: the address changed since this entry was pushed
        # A used address can be never-used again (its offer withdrawn): then it competes from the heap.
        if at < len(fresh) and (not heap or (NEVER_USED, fresh[at]) < heap[0]):
            return fresh[at]
        if not heap or heap[0][0] > self.clock():  # the address free soonest is still busy: so is every other
            return None
        return heap[0][1]

    def _busy_until(self, lease: Lease | None) -> float:
        """When an address stops being held by its lease (its heap key once it is free)."""
        if lease is None:
            return NEVER_USED
        return lease.expires if lease.state != "released" else min(lease.expires, self.clock())

    def _requeue(self, ip: str, value: int | None = None) -> None:
        """Record when `ip` is next free (its lease and its offer both over) and push it to the heap."""
        if value is None:
            value = ip_to_int(ip)
        if value not in self._free_at:  # outside the pool, reserved or excluded: never handed out freely
            return
        lease = self.by_ip.get(ip)
        key = self._busy_until(lease) if lease is not None else NEVER_USED
        offer = self.offers.get(ip)
        if offer is not None:
            key = max(key, offer[1])
        if key == self._free_at[value]:
            return
        self._free_at[value] = key
        heapq.heappush(self._heap, (key, value))
        if len(self._heap) > 4 * len(self._free_at) + 64:  # too many stale entries: rebuild once
            self._heap = [(k, v) for v, k in self._free_at.items()]
            heapq.heapify(self._heap)

    @staticmethod
    def _valid(ip: str) -> bool:
        try:
            ip_to_int(ip)
        except ValueError:
            return False
        return True

    # --- the Leases interface ---------------------------------------------------------------------------

    def offer(self, mac: str, requested: str | None) -> Offer | None:
        if (
            not requested
            and mac not in self.offered_to
            and mac not in self.by_mac
            and mac not in self.reservations
        ):
            # What _choose decides for a client seen for the first time that asks for nothing (a lab powering
            # on), keeping the address as a number on the way to hold().
            free = self._first_free()
            if free is None:
                return None
            fresh = Offer(int_to_ip(free), "free address from the range")
            self.hold(fresh.ip, mac, free)
            return fresh
        chosen = self._choose(mac, requested)
        if chosen is not None:
            self.hold(chosen.ip, mac)
        return chosen

    def hold(self, ip: str, mac: str, value: int | None = None) -> None:
        """Set `ip` (`value` as a number, when known) aside for `mac` for OFFER_HOLD seconds."""
        now = self.clock()
        offers = self.offers
        if len(offers) > self._offers_limit:  # forget stale offers now and then
            offers = self.offers = {k: v for k, v in offers.items() if v[1] > now}
            self.offered_to = {mac: ip for ip, (mac, _) in offers.items()}
        offers[ip] = (mac, now + OFFER_HOLD)
        self.offered_to[mac] = ip
        self._requeue(ip, value)

    def withdraw_offer(self, mac: str, requested: str | None = None) -> None:
        ip = self.offered_to.pop(mac, None)
        if ip is not None and self.offers.get(ip, ("", 0.0))[0] == mac:
            del self.offers[ip]
            self._requeue(ip)

    def bind(
        self, ip: str, mac: str, lease_time: int, hostname: str | None, *, renewing: bool
    ) -> Lease | str:
        reserved = self.reservations.get(mac)
        if reserved is not None and reserved != ip:
            return f"{mac} is reserved {reserved}, not {ip}"
        lease = self.by_mac.get(mac)
        if renewing and (lease is None or lease.ip != ip):
            return f"no lease of {ip} for {mac}"
        if not self.available_to(ip, mac):
            holder = self.by_ip.get(ip)
            why = (
                "not in the range"
                if not self.in_pool(ip) and reserved is None
                else "in use by another client"
            )
            if holder is not None and holder.state == "declined":
                why = "declined by a client (in use on the wire)"
            return f"{ip} is {why}"
        return self._bind(ip, mac, lease_time, hostname)

    def _bind(self, ip: str, mac: str, lease_time: int, hostname: str | None = None) -> Lease:
        lease = Lease(ip, mac, "bound", self.clock() + lease_time, hostname)
        self._write(  # one transaction: drop the client's other rows and the address's old row
            ("DELETE FROM leases WHERE mac = ? OR ip = ?", (mac, ip)),
            (
                "INSERT INTO leases (ip, mac, state, expires, hostname) VALUES (?, ?, ?, ?, ?)",
                (lease.ip, lease.mac, lease.state, lease.expires, lease.hostname),
            ),
        )
        freed = self._forget_mac(mac)
        self._forget_ip(ip)
        self._remember(lease)
        self.offers.pop(ip, None)
        self.offered_to.pop(mac, None)
        self._requeue(ip)
        if freed is not None and freed != ip:
            self._requeue(freed)
        return lease

    def release(self, ip: str, mac: str) -> bool:
        lease = self.by_ip.get(ip)
        if lease is None or lease.mac != mac or lease.state != "bound":
            return False
        now = self.clock()
        self._write(("UPDATE leases SET state = 'released', expires = ? WHERE ip = ?", (now, ip)))
        lease.state, lease.expires = "released", now  # kept so the same client gets it back first
        self._requeue(ip)
        return True

    def decline(self, ip: str, mac: str, hold: float) -> bool:
        lease = self.by_mac.get(mac)
        offered = self.offers.get(ip, ("", 0.0))[0] == mac
        if not offered and (lease is None or lease.ip != ip):
            return False
        declined = Lease(ip, "", "declined", self.clock() + hold)
        self._write(
            ("DELETE FROM leases WHERE ip = ? OR mac = ?", (ip, mac)),
            (
                "INSERT INTO leases (ip, mac, state, expires, hostname) VALUES (?, ?, ?, ?, NULL)",
                (ip, "", "declined", declined.expires),
            ),
        )
        freed = self._forget_mac(mac)
        self._forget_ip(ip)
        self._remember(declined)
        self.offers.pop(ip, None)
        self._requeue(ip)
        if freed is not None and freed != ip:
            self._requeue(freed)
        return True

    # --- the in-memory view -------------------------------------------------------------------------------

    def _remember(self, lease: Lease) -> None:
        self.by_ip[lease.ip] = lease
        if lease.mac:
            self.by_mac[lease.mac] = lease

    def _forget_mac(self, mac: str) -> str | None:
        old = self.by_mac.pop(mac, None)
        if old is not None and self.by_ip.get(old.ip) is old:
            del self.by_ip[old.ip]
        return old.ip if old is not None else None

    def _forget_ip(self, ip: str) -> None:
        old = self.by_ip.pop(ip, None)
        if old is not None and old.mac and self.by_mac.get(old.mac) is old:
            del self.by_mac[old.mac]
