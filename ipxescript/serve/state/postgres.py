"""The PostgreSQL state backend: one truth for several `ipxescript serve` instances.

Every promise is a transaction, never check-then-act: a once assignment is taken by one DELETE ...
RETURNING (concurrent takers wait on the row lock and find it gone); a lease is a row per pool address,
taken by an UPDATE of the row that has been free longest (`FOR UPDATE SKIP LOCKED` on an index, so an
exhausted pool costs one index probe); a unique index on (pool, mac) keeps one address per client.

The schema is created and migrated by the server (`MIGRATIONS`, applied under an advisory lock so
instances starting together migrate once). A database that cannot be reached at start, or whose schema is
newer than this code, is a StateError with the reason.

When the database goes away mid-run, `Database` stops calling it (a request must never wait on a dead
connection), logs loudly, and probes it every second in a thread; meanwhile assignments are answered from
the last snapshot (a once assignment cannot be consumed: StateUnavailable), leases are not given (the
client retries), and boot events are spooled to `bootlog-spool.jsonl` in the state directory and sent when
the database returns (also at the next start).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ipxescript.serve.assignments import Assignment, client_key
from ipxescript.serve.bootlog import BootLog
from ipxescript.serve.dhcp.leases import OFFER_HOLD, Lease, Offer, int_to_ip, ip_to_int
from ipxescript.serve.state import State, StateError, StateUnavailable

if TYPE_CHECKING:
    from ipxescript.serve.dhcp.config import DhcpConfig

log = logging.getLogger("ipxescript.state")

MIN_SERVER_VERSION = 120000  # PostgreSQL 12
LOCK_KEY = 0x69707865  # pg_advisory_xact_lock key for migrations ("ipxe")
KEEP_EVENTS = 1_000_000  # boot events kept in the database (older ones are deleted)
PRUNE_EVERY = 10_000  # events appended by one instance between two deletions of the oldest
PROBE_SECONDS = 1.0
CONNECT_ATTEMPTS = 3  # at start, when connecting times out (10 s each)
CHECK_IDLE = 1.0  # a pooled connection idle this long is tested before it is used again
POOL_SIZE = 4  # connections per server process (and per HTTP worker process)
SNAPSHOT_SECONDS = 5.0  # how often assignments are re-read for the outage snapshot

# Versioned migrations: (version, SQL). Append; never edit one that has shipped.
MIGRATIONS: list[tuple[int, str]] = [
    (
        1,
        """
        CREATE TABLE assignments (
            client TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('once', 'static')),
            target TEXT NOT NULL,
            created DOUBLE PRECISION NOT NULL,
            PRIMARY KEY (client, kind)
        );
        CREATE TABLE leases (
            ip BIGINT PRIMARY KEY,
            pool TEXT NOT NULL,
            mac TEXT NOT NULL DEFAULT '',
            state TEXT NOT NULL DEFAULT 'free'
                CHECK (state IN ('free', 'offered', 'bound', 'released', 'declined', 'excluded')),
            expires DOUBLE PRECISION NOT NULL DEFAULT '-infinity',
            hostname TEXT
        );
        CREATE INDEX leases_free ON leases (pool, expires, ip);
        CREATE UNIQUE INDEX leases_one_per_mac ON leases (pool, mac) WHERE mac <> '';
        CREATE TABLE boot_events (
            id BIGSERIAL PRIMARY KEY,
            time DOUBLE PRECISION NOT NULL,
            client TEXT NOT NULL,
            ip TEXT,
            stage TEXT NOT NULL,
            what TEXT NOT NULL,
            reason TEXT NOT NULL,
            protocol TEXT NOT NULL,
            pid INTEGER NOT NULL,
            origin TEXT NOT NULL
        );
        CREATE INDEX boot_events_client ON boot_events (client, id);
        """,
    ),
]
SCHEMA_VERSION = MIGRATIONS[-1][0]


def safe_url(url: str) -> str:
    """The URL without its password, for messages and the banner."""
    return re.sub(r"(://[^:/@]*):[^@/]*@", r"\1:***@", url)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


def _driver() -> Any:
    try:
        import psycopg
        import psycopg_pool
    except ImportError:
        raise StateError(
            "the PostgreSQL state needs its driver: pip install 'ipxescript[postgresql]'"
        ) from None
    return psycopg, psycopg_pool


def migrate(conn: Any, where: str) -> int:
    """Bring the schema to SCHEMA_VERSION (each migration in the same transaction as its version row)."""
    version = conn.info.server_version
    if version < MIN_SERVER_VERSION:
        raise StateError(
            f"state database {where}: PostgreSQL {version // 10000} is too old (ipxescript needs 12 or later)"
        )
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY,))
        conn.execute(
            "CREATE TABLE IF NOT EXISTS ipxescript_schema (version INTEGER PRIMARY KEY, applied DOUBLE PRECISION)"
        )
        current = conn.execute("SELECT coalesce(max(version), 0) FROM ipxescript_schema").fetchone()[0]
        if current > SCHEMA_VERSION:
            raise StateError(
                f"state database {where}: schema version {current} is newer than this ipxescript knows"
                f" ({SCHEMA_VERSION}): upgrade ipxescript on this machine"
            )
        for number, sql in MIGRATIONS:
            if number > current:
                conn.execute(sql)
                conn.execute("INSERT INTO ipxescript_schema VALUES (%s, %s)", (number, time.time()))
                log.info("state database %s: applied migration %d", where, number)
    return SCHEMA_VERSION


# A database host that vanishes without a reset (power lost, its address moved) would leave a query
# waiting on TCP retransmits for minutes with no answer to anyone: these libpq settings end such a
# connection within seconds, so the instance goes to its logged outage mode instead.
DEAD_PEER = {
    "tcp_user_timeout": 5000,
    "keepalives": 1,
    "keepalives_idle": 5,
    "keepalives_interval": 2,
    "keepalives_count": 2,
}


class Database:
    """A connection pool that fails fast while the database is away, and a thread that notices its return."""

    def __init__(self, url: str, *, min_size: int = 1, max_size: int = 4) -> None:
        psycopg, psycopg_pool = _driver()
        self._psycopg = psycopg
        self._check_connection = psycopg_pool.ConnectionPool.check_connection
        self.url = url
        self.where = safe_url(url)
        for attempt in range(CONNECT_ATTEMPTS):
            try:
                with psycopg.connect(url, connect_timeout=10, autocommit=True) as conn:
                    migrate(conn, self.where)
                break
            except psycopg.OperationalError as exc:
                # A refused or unknown host is final; a timeout may be a database too busy to answer.
                if "timeout" not in str(exc) or attempt == CONNECT_ATTEMPTS - 1:
                    raise StateError(
                        f"state database {self.where}: cannot connect: {_first_line(exc)}"
                    ) from None
                log.warning("state database %s: %s; trying again", self.where, _first_line(exc))
            except psycopg.Error as exc:
                raise StateError(f"state database {self.where}: cannot connect: {_first_line(exc)}") from None
        self._lost_errors: tuple[type[BaseException], ...] = (psycopg.OperationalError,)
        self._busy_errors: tuple[type[BaseException], ...] = (psycopg_pool.PoolTimeout,)
        self.pool = psycopg_pool.ConnectionPool(
            url,
            min_size=1,
            max_size=max_size,
            kwargs={
                "autocommit": True,
                "connect_timeout": 10,
                "options": "-c statement_timeout=5000",
                **DEAD_PEER,
            },
            check=self._check_if_idle,
            reconnect_timeout=0,  # never give up: the database comes back
            open=False,
        )
        self.pool.open(wait=True, timeout=10)
        if min_size > 1:  # the others in the background: a start on a busy machine waits for one only
            self.pool.resize(min_size, max_size)
        self.up = True
        self.down_reason = ""
        self.on_return: list[Callable[[], None]] = []
        self.on_tick: list[Callable[[], None]] = []
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="ipxescript-state", daemon=True)
        self._thread.start()

    @contextlib.contextmanager
    def connection(self) -> Iterator[Any]:
        """A pooled connection, or StateUnavailable at once while the database is away."""
        if not self.up:
            raise StateUnavailable(self.down_reason)
        try:
            with self.pool.connection(timeout=2) as conn:
                yield conn
                conn.ipxescript_used = time.monotonic()  # it worked just now: see _check_if_idle
        except self._busy_errors as exc:
            if self.pool.get_stats().get("pool_size", 0) > 0:  # all connections busy: the database is fine
                raise StateUnavailable(f"state database {self.where} busy: no free connection") from None
            self.lost(exc)  # no connection left and none can be made: it is gone
            raise StateUnavailable(self.down_reason) from None
        except self._lost_errors as exc:
            self.lost(exc)
            raise StateUnavailable(self.down_reason) from None

    def _check_if_idle(self, conn: Any) -> None:
        """The pool's test of a connection it is about to hand out. One that worked less than CHECK_IDLE
        seconds ago is handed out as it is: under load that saves a round trip per query (an empty query
        before each). One idle longer is tested, since the database may have restarted meanwhile; a
        connection that dies anyway fails its query, and the instance goes to its outage mode until the
        watcher finds the database again (at most PROBE_SECONDS later)."""
        if time.monotonic() - getattr(conn, "ipxescript_used", 0.0) >= CHECK_IDLE:
            self._check_connection(conn)

    def lost(self, exc: BaseException) -> None:
        with self._lock:
            if not self.up:
                return
            self.up = False
            self.down_reason = f"state database {self.where} unreachable: {_first_line(exc)}"
        log.error(
            "%s; answering from the last snapshot (static targets, groups, the default), no new leases,"
            " boot log spooled locally; retrying every %.0fs",
            self.down_reason,
            PROBE_SECONDS,
        )

    def _watch(self) -> None:
        last_tick = 0.0
        while not self._closed.wait(PROBE_SECONDS):
            if not self.up:
                try:
                    with self._psycopg.connect(self.url, connect_timeout=3, autocommit=True) as conn:
                        conn.execute("SELECT 1")
                except self._psycopg.Error:
                    continue
                self.pool.check()  # drop the pooled connections that died with the server
                self.up = True
                log.warning("state database %s is back: catching up", self.where)
                self._run(self.on_return)
            if time.monotonic() - last_tick >= SNAPSHOT_SECONDS and self.up:
                last_tick = time.monotonic()
                self._run(self.on_tick)

    def _run(self, callbacks: list[Callable[[], None]]) -> None:
        for callback in callbacks:
            try:
                callback()
            except StateUnavailable:
                return
            except Exception:  # a bug in one catch-up step must not stop the watcher
                log.exception("state database catch-up step failed")

    def close(self) -> None:
        self._closed.set()
        self._thread.join(5)
        self.pool.close()


# --- assignments -------------------------------------------------------------------------------------------

_COLUMNS = "client, kind, target, created"


class PgAssignments:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._snapshot: dict[tuple[str, str], Assignment] = {}
        self.refresh()
        db.on_tick.append(self.refresh)
        db.on_return.append(self.refresh)

    def refresh(self) -> None:
        items = self.all()
        self._snapshot = {(a.client, a.kind): a for a in items}

    def close(self) -> None:
        pass  # the Database is closed by the State

    def assign(self, client: str, target: str, *, once: bool = False) -> Assignment:
        key = client_key(client)
        item = Assignment(key, "once" if once else "static", target, time.time())
        with self.db.connection() as conn:
            conn.execute(
                f"INSERT INTO assignments ({_COLUMNS}) VALUES (%s, %s, %s, %s)"
                " ON CONFLICT (client, kind) DO UPDATE SET target = excluded.target, created = excluded.created",
                (item.client, item.kind, item.target, item.created),
            )
        self._snapshot[(item.client, item.kind)] = item
        return item

    def unassign(self, client: str, kind: str | None = None) -> list[Assignment]:
        key = client_key(client)
        with self.db.connection() as conn:
            rows = conn.execute(
                f"DELETE FROM assignments WHERE client = %s AND (%s::text IS NULL OR kind = %s) RETURNING {_COLUMNS}",
                (key, kind, kind),
            ).fetchall()
        removed = [Assignment(*row) for row in rows]
        for item in removed:
            self._snapshot.pop((item.client, item.kind), None)
        return removed

    def all(self) -> list[Assignment]:
        try:
            with self.db.connection() as conn:
                rows = conn.execute(f"SELECT {_COLUMNS} FROM assignments ORDER BY client, kind").fetchall()
        except StateUnavailable:
            return sorted(self._snapshot.values(), key=lambda a: (a.client, a.kind))
        return [Assignment(*row) for row in rows]

    def peek(self, keys: list[str]) -> Assignment | None:
        return self.lookup(keys, consume=False)

    def lookup(self, keys: list[str], *, consume: bool) -> Assignment | None:
        keys = [k for k in keys if k]
        if not keys:
            return None
        # One round trip per lookup (every boot makes one, most find nothing): once before static, the
        # earlier key first. Consuming deletes the once row it locked (of concurrent callers, the others
        # wait for the lock, then find it gone) and gives the static one only when it took none.
        first = "ORDER BY array_position(%(keys)s, client) LIMIT 1"
        if consume:
            query = (
                "WITH taken AS (DELETE FROM assignments WHERE kind = 'once' AND client = ("
                f"   SELECT client FROM assignments WHERE kind = 'once' AND client = ANY(%(keys)s) {first}"
                f"   FOR UPDATE) RETURNING {_COLUMNS})"
                f" SELECT {_COLUMNS} FROM taken UNION ALL"
                f" (SELECT {_COLUMNS} FROM assignments WHERE kind = 'static' AND client = ANY(%(keys)s)"
                f"   AND NOT EXISTS (SELECT FROM taken) {first})"
            )
        else:
            query = (
                f"SELECT {_COLUMNS} FROM assignments WHERE client = ANY(%(keys)s)"
                " ORDER BY kind = 'static', array_position(%(keys)s, client) LIMIT 1"
            )
        try:
            with self.db.connection() as conn:
                row = conn.execute(query, {"keys": keys}).fetchone()
        except StateUnavailable:
            return self._from_snapshot(keys, consume)
        if row is None:
            return None
        found = Assignment(*row)
        if consume and found.kind == "once":
            self._snapshot.pop((found.client, "once"), None)
        return found

    def _from_snapshot(self, keys: list[str], consume: bool) -> Assignment | None:
        """While the database is away: static targets are safe to give; a once one cannot be taken."""
        for key in keys:
            if (key, "once") in self._snapshot:
                if consume:
                    raise StateUnavailable(f"{self.db.down_reason}; {key} has a once assignment waiting")
                return self._snapshot[(key, "once")]
        for key in keys:
            if (key, "static") in self._snapshot:
                return self._snapshot[(key, "static")]
        return None


# --- boot log ------------------------------------------------------------------------------------------------

_EVENT_FIELDS = ("time", "client", "ip", "stage", "what", "reason", "protocol", "pid", "origin")


class PgBootSink:
    """Boot events as rows of `boot_events`; spooled to a local file while the database is away."""

    def __init__(self, db: Database, state_dir: Path) -> None:
        self.db = db
        self.spool = state_dir / "bootlog-spool.jsonl"
        state_dir.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()  # one writer at a time (the flush timer and durable records)
        self._appended = 0
        with db.connection() as conn:
            self._cursor = conn.execute("SELECT coalesce(max(id), 0) FROM boot_events").fetchone()[0]
        db.on_return.append(self.catch_up)
        self.catch_up()  # what an earlier run spooled

    def append(self, lines: list[str]) -> None:
        with self._lock:
            try:
                self._insert([json.loads(line) for line in lines])
            except StateUnavailable:
                with open(self.spool, "a", encoding="utf-8") as handle:
                    handle.write("".join(lines))
                    handle.flush()
                    os.fsync(handle.fileno())

    def _insert(self, items: list[dict[str, Any]]) -> None:
        if not items:
            return
        row = f"({', '.join(['%s'] * len(_EVENT_FIELDS))})"
        # One round trip for the whole batch (a boot's `script` event is one batch, written before the
        # script is sent): the statements go together, with the values bound by the client. Without
        # waiting for the disk flush: it survives our crash; a database crash may lose the last ms.
        query = (
            "BEGIN; SET LOCAL synchronous_commit = off;"
            f" INSERT INTO boot_events ({', '.join(_EVENT_FIELDS)}) VALUES {', '.join([row] * len(items))};"
            " COMMIT"
        )
        values = [item.get(name) for item in items for name in _EVENT_FIELDS]
        with self.db.connection() as conn, self.db._psycopg.ClientCursor(conn) as cur:
            cur.execute(query, values)  # a failure leaves the transaction aborted: the pool rolls it back
        self._appended += len(items)
        if self._appended >= PRUNE_EVERY:  # now and then: keep the table bounded
            self._appended = 0
            with self.db.connection() as conn:
                conn.execute(
                    "DELETE FROM boot_events WHERE id < (SELECT max(id) FROM boot_events) - %s",
                    (KEEP_EVENTS,),
                )

    def catch_up(self) -> None:
        """Send what was spooled while the database was away, then forget the spool."""
        with self._lock:
            try:
                with open(self.spool, encoding="utf-8") as handle:
                    lines = handle.read().splitlines()
            except FileNotFoundError:
                return
            items = []
            for line in lines:
                with contextlib.suppress(ValueError):
                    items.append(json.loads(line))
            for start in range(0, len(items), 1000):
                self._insert(items[start : start + 1000])
            os.unlink(self.spool)
            log.warning("state database: %d spooled boot event(s) sent", len(items))

    def read_new(self) -> list[dict[str, object]]:
        try:
            with self.db.connection() as conn:
                rows = conn.execute(
                    f"SELECT id, {', '.join(_EVENT_FIELDS)} FROM boot_events WHERE id > %s ORDER BY id LIMIT 5000",
                    (self._cursor,),
                ).fetchall()
        except StateUnavailable:
            return []
        if rows:
            self._cursor = rows[-1][0]
        return [dict(zip(_EVENT_FIELDS, row[1:], strict=True)) for row in rows]

    def close(self) -> None:
        pass


# --- leases --------------------------------------------------------------------------------------------------


class PgLeases:
    """Leases of one pool (a subnet) shared by every instance serving it."""

    def __init__(self, db: Database, config: DhcpConfig, clock: Callable[[], float] = time.time) -> None:
        assert config.pool_start and config.pool_end
        self.db = db
        self.clock = clock
        self.pool = str(config.pool_network)
        self.first, self.last = ip_to_int(config.pool_start), ip_to_int(config.pool_end)
        self.reservations = dict(config.reservations)
        self._reserved_ips = {ip_to_int(ip) for ip in self.reservations.values()}
        excluded = {config.server_address, *([config.router] if config.router else [])}
        with db.connection() as conn, conn.transaction():
            # Every address of the range is a row (inserted once, by whichever instance comes first); our
            # own address and the router are never handed out, by any instance.
            conn.execute(
                "INSERT INTO leases (ip, pool) SELECT g, %s FROM generate_series(%s::bigint, %s::bigint) g"
                " ON CONFLICT (ip) DO NOTHING",
                (self.pool, self.first, self.last),
            )
            for ip in excluded:
                conn.execute(
                    "INSERT INTO leases (ip, pool, state, expires) VALUES (%s, %s, 'excluded', 'infinity')"
                    " ON CONFLICT (ip) DO UPDATE SET mac = '', state = 'excluded', expires = 'infinity'",
                    (ip_to_int(ip), self.pool),
                )

    def close(self) -> None:
        pass

    def _in_range(self, value: int) -> bool:
        return self.first <= value <= self.last

    @contextlib.contextmanager
    def _transaction(self, *, durable: bool) -> Iterator[Any]:
        if durable:
            with self.db.connection() as conn, conn.transaction():
                yield conn
            return
        # An offer is a hold: losing it in a database crash only costs a retry, so its commit does not
        # wait for the disk. BEGIN and the setting go in one round trip; on an error the connection goes
        # back to the pool inside the failed transaction, and the pool rolls it back.
        with self.db.connection() as conn:
            conn.execute("BEGIN; SET LOCAL synchronous_commit = off")
            yield conn
            conn.execute("COMMIT")

    def _retrying(self, decide: Callable[[], Any]) -> Any:
        """Run a decision again when a concurrent instance made the same client's row first."""
        errors = self.db._psycopg.errors
        for attempt in range(5):
            try:
                return decide()
            except (errors.UniqueViolation, errors.SerializationFailure, errors.DeadlockDetected):
                if attempt == 4:
                    raise
        return None

    def offer(self, mac: str, requested: str | None) -> Offer | None:
        return self._retrying(lambda: self._offer(mac, requested))  # type: ignore[no-any-return]

    def _offer(self, mac: str, requested: str | None) -> Offer | None:
        now = self.clock()
        until = now + OFFER_HOLD
        take = (
            "UPDATE leases SET mac = %(mac)s, state = 'offered', expires = %(until)s, hostname = NULL"
            " WHERE ip = %(ip)s AND (expires <= %(now)s OR mac = %(mac)s) RETURNING ip"
        )
        params: dict[str, Any] = {"mac": mac, "now": now, "until": until, "pool": self.pool}
        with self._transaction(durable=False) as conn:
            reserved = self.reservations.get(mac)
            if reserved is not None:
                value = ip_to_int(reserved)
                conn.execute(
                    "UPDATE leases SET mac = '', state = 'free', expires = %s WHERE pool = %s AND mac = %s AND ip <> %s",
                    (now, self.pool, mac, value),
                )
                conn.execute(
                    "INSERT INTO leases (ip, pool) VALUES (%s, %s) ON CONFLICT (ip) DO NOTHING",
                    (value, self.pool),
                )
                got = conn.execute(take, {**params, "ip": value}).fetchone()
                return Offer(reserved, "reserved for this MAC") if got else None
            own = conn.execute(
                "SELECT ip, state, expires FROM leases WHERE pool = %s AND mac = %s FOR UPDATE",
                (self.pool, mac),
            ).fetchone()
            if own is not None:
                value, state, expires = own
                if self._in_range(value) and value not in self._reserved_ips:
                    conn.execute(  # hold it; a lease stays a lease
                        "UPDATE leases SET state = CASE WHEN state = 'bound' THEN 'bound' ELSE 'offered' END,"
                        " expires = GREATEST(expires, %s) WHERE ip = %s",
                        (until, value),
                    )
                    why = (
                        "the client's existing lease"
                        if state in ("bound", "released")
                        else "free address from the range"
                    )
                    return Offer(int_to_ip(value), why)
                conn.execute(
                    "UPDATE leases SET mac = '', state = 'free', expires = %s WHERE ip = %s", (now, value)
                )
            if requested:
                try:
                    wanted: int | None = ip_to_int(requested)
                except ValueError:
                    wanted = None
                if wanted is not None and self._in_range(wanted) and wanted not in self._reserved_ips:
                    if conn.execute(take, {**params, "ip": wanted}).fetchone():
                        return Offer(requested, "free address from the range")
            got = conn.execute(
                "UPDATE leases SET mac = %(mac)s, state = 'offered', expires = %(until)s, hostname = NULL"
                " WHERE ip = (SELECT ip FROM leases WHERE pool = %(pool)s AND expires <= %(now)s"
                "   AND ip BETWEEN %(first)s AND %(last)s AND NOT ip = ANY(%(reserved)s)"
                "   ORDER BY expires, ip LIMIT 1 FOR UPDATE SKIP LOCKED)"
                " AND expires <= %(now)s RETURNING ip",
                {**params, "first": self.first, "last": self.last, "reserved": sorted(self._reserved_ips)},
            ).fetchone()
            return Offer(int_to_ip(got[0]), "free address from the range") if got else None

    def withdraw_offer(self, mac: str, requested: str | None = None) -> None:
        keep = ip_to_int(requested) if requested else -1  # another instance of this pool may be giving it
        with self._transaction(durable=False) as conn:
            conn.execute(
                "UPDATE leases SET state = 'free', expires = %s"
                " WHERE pool = %s AND mac = %s AND state = 'offered' AND ip <> %s",
                (self.clock(), self.pool, mac, keep),
            )

    def bind(
        self, ip: str, mac: str, lease_time: int, hostname: str | None, *, renewing: bool
    ) -> Lease | str:
        return self._retrying(lambda: self._bind(ip, mac, lease_time, hostname, renewing))  # type: ignore[no-any-return]

    def _bind(self, ip: str, mac: str, lease_time: int, hostname: str | None, renewing: bool) -> Lease | str:
        reserved = self.reservations.get(mac)
        if reserved is not None and reserved != ip:
            return f"{mac} is reserved {reserved}, not {ip}"
        value = ip_to_int(ip)
        now = self.clock()
        with self._transaction(durable=True) as conn:
            row = conn.execute(
                "SELECT mac, state, expires FROM leases WHERE ip = %s FOR UPDATE", (value,)
            ).fetchone()
            if renewing and (row is None or row[0] != mac or row[1] not in ("bound", "released")):
                return f"no lease of {ip} for {mac}"
            owner_reserved = value in self._reserved_ips and reserved != ip
            if row is not None and row[1] == "declined" and row[2] > now:
                return f"{ip} is declined by a client (in use on the wire)"
            if (not self._in_range(value) and reserved != ip) or (row is not None and row[1] == "excluded"):
                return f"{ip} is not in the range"
            if owner_reserved or (row is not None and row[0] != mac and row[2] > now):
                return f"{ip} is in use by another client"
            conn.execute(
                "UPDATE leases SET mac = '', state = 'free', expires = %s WHERE pool = %s AND mac = %s AND ip <> %s",
                (now, self.pool, mac, value),
            )
            lease = Lease(ip, mac, "bound", now + lease_time, hostname)
            conn.execute(
                "INSERT INTO leases (ip, pool, mac, state, expires, hostname) VALUES (%s, %s, %s, 'bound', %s, %s)"
                " ON CONFLICT (ip) DO UPDATE SET pool = excluded.pool, mac = excluded.mac, state = 'bound',"
                " expires = excluded.expires, hostname = excluded.hostname",
                (value, self.pool, mac, lease.expires, hostname),
            )
        return lease

    def release(self, ip: str, mac: str) -> bool:
        with self._transaction(durable=True) as conn:
            row = conn.execute(
                "UPDATE leases SET state = 'released', expires = %s WHERE ip = %s AND mac = %s AND state = 'bound'"
                " RETURNING ip",
                (self.clock(), ip_to_int(ip), mac),
            ).fetchone()
        return row is not None

    def decline(self, ip: str, mac: str, hold: float) -> bool:
        with self._transaction(durable=True) as conn:
            row = conn.execute(
                "UPDATE leases SET mac = '', state = 'declined', expires = %s, hostname = NULL"
                " WHERE ip = %s AND mac = %s AND state IN ('offered', 'bound') RETURNING ip",
                (self.clock() + hold, ip_to_int(ip), mac),
            ).fetchone()
        return row is not None

    def lease_of(self, mac: str) -> Lease | None:
        with self.db.connection() as conn:
            row = conn.execute(
                "SELECT ip, mac, state, expires, hostname FROM leases WHERE pool = %s AND mac = %s"
                " AND state IN ('bound', 'released')",
                (self.pool, mac),
            ).fetchone()
        return Lease(int_to_ip(row[0]), *row[1:]) if row else None


def open_postgres(url: str, state_dir: Path, *, with_bootlog: bool = True) -> State:
    # A server opens all its connections as it starts and keeps them: growing the pool in the middle of
    # a boot storm made requests wait behind slow connects (seen: "busy: no free connection" and a
    # connect timing out, 100 DISCOVERs unanswered for seconds). A command needs one.
    db = Database(url, min_size=POOL_SIZE if with_bootlog else 1, max_size=POOL_SIZE)
    try:
        assignments = PgAssignments(db)
        sink = PgBootSink(db, state_dir) if with_bootlog else None
    except (StateUnavailable, OSError) as exc:
        db.close()
        raise StateError(f"state database {db.where}: {exc}") from None
    bootlog = BootLog(None, sink=sink)
    state = State(
        assignments,
        bootlog,
        db.where,
        leases=lambda config: PgLeases(db, config),
    )
    state._closers.append(db.close)
    return state
