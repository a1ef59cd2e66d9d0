"""Per-client assignments (PXESrv's model): a `once` target consumed by the next boot, a `static` one kept.

`Assignments` is the interface every backend gives (ipxescript.serve.state); `AssignmentStore` is the
SQLite one. The PostgreSQL one (state/postgres.py) keeps the same promises across instances.

Stored in SQLite in WAL mode with synchronous=FULL: every change is one committed transaction, so a
kill -9 at any moment loses no acknowledged change. A once assignment is taken with a single
DELETE ... RETURNING statement, committed before the script is sent: two servers or two requests can
never both get it (at most once; if the process dies between commit and send, that boot is lost, not
repeated).
"""

from __future__ import annotations

import ipaddress
import logging
import re
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from pathlib import Path
from typing import Any, Protocol, TypeVar

from ipxescript.serve.dhcp.leases import StateUnavailable

KINDS = ("once", "static")
log = logging.getLogger("ipxescript.serve")
_MAC_HEX = re.compile(r"^[0-9a-f]{12}$")


class ClientKeyError(ValueError):
    pass


def normalise_mac(value: str) -> str | None:
    """`52-54-00-12-34-56`, `525400123456`, `52:54:00:12:34:56` -> `52:54:00:12:34:56`; None if not a MAC."""
    digits = value.strip().lower().replace(":", "").replace("-", "").replace(".", "")
    if not _MAC_HEX.match(digits):
        return None
    return f"{digits[0:2]}:{digits[2:4]}:{digits[4:6]}:{digits[6:8]}:{digits[8:10]}:{digits[10:12]}"


def client_key(value: str) -> str:
    """The stored key of a client given as a MAC (any common spelling) or an IPv4 address."""
    mac = normalise_mac(value)
    if mac:
        return mac
    try:
        return str(ipaddress.IPv4Address(value.strip()))
    except ValueError:
        raise ClientKeyError(f"{value!r} is neither a MAC address nor an IPv4 address") from None


@dataclass(frozen=True)
class Assignment:
    client: str
    kind: str  # "once" or "static"
    target: str
    created: float

    def as_json(self) -> dict[str, object]:
        return {"client": self.client, "kind": self.kind, "target": self.target, "created": self.created}


class Assignments(Protocol):
    def assign(self, client: str, target: str, *, once: bool = False) -> Assignment:
        """Set CLIENT's once or static target (replacing one of the same kind)."""
        ...

    def unassign(self, client: str, kind: str | None = None) -> list[Assignment]:
        """Remove the client's assignments (of one kind, or all); returns what was removed."""
        ...

    def all(self) -> list[Assignment]: ...

    def lookup(self, keys: list[str], *, consume: bool) -> Assignment | None:
        """The assignment for the first matching key: once before static; with consume a once one is
        taken atomically (of concurrent callers, across instances, exactly one gets it)."""
        ...

    def peek(self, keys: list[str]) -> Assignment | None:
        """What `lookup` would return, consuming nothing (dry runs, --explain)."""
        ...

    def close(self) -> None: ...


SCHEMA_VERSION = 1  # PRAGMA user_version of assignments.sqlite3
MAX_REMEMBERED = 10_000  # lookups remembered between changes of the database


Method = TypeVar("Method", bound=Callable[..., Any])


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        info = path.stat()
    except OSError:
        return None
    return info.st_dev, info.st_ino


def _unavailable_on_error(method: Method) -> Method:
    """A database locked past busy_timeout, read-only, full or not ours: StateUnavailable naming the file,
    which the CLI says in one line, the API answers 503 and a boot answers with a retry script."""

    @wraps(method)
    def call(self: AssignmentStore, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except sqlite3.Error as exc:
            raise StateUnavailable(f"{self.path}: {exc}") from None

    return call  # type: ignore[return-value]


class AssignmentStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._open()
        # What `peek` found, per keys, while the database is unchanged: every boot asks, and a read
        # transaction in WAL mode costs far more than `PRAGMA data_version`, which tells whether another
        # connection (another process) committed since. Our own changes bump `_generation`.
        self._seen: dict[tuple[str, ...], Assignment | None] = {}
        self._seen_version: object = None
        self._generation = 0
        self._seen_lock = threading.Lock()

    def _open(self) -> None:
        path = self.path
        path.parent.mkdir(parents=True, exist_ok=True)
        # autocommit mode: each statement is its own transaction unless we BEGIN one.
        self._db = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA busy_timeout=30000")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS assignments ("
            " client TEXT NOT NULL, kind TEXT NOT NULL CHECK (kind IN ('once', 'static')),"
            " target TEXT NOT NULL, created REAL NOT NULL, PRIMARY KEY (client, kind))"
        )
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            self._db.close()
            raise sqlite3.DatabaseError(
                f"{path}: schema version {version} is newer than this ipxescript knows ({SCHEMA_VERSION}):"
                " upgrade ipxescript"
            )
        if version < SCHEMA_VERSION:  # files from before versioning hold exactly schema 1
            self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        self._file = _identity(path)

    def _same_file(self) -> None:
        """Open the database again when its file was removed or replaced while we ran (an operator
        starting over, a copy put in its place): SQLite keeps reading the old file, so `ipxescript
        assign` into the new one was acknowledged and never seen by the server."""
        if _identity(self.path) == self._file:
            return
        log.warning("%s was removed or replaced while serving: opening it again", self.path)
        old = self._db
        try:
            self._open()  # a missing file is made again, empty, as at the first start
        except OSError as exc:  # the state directory gone too and not to be made: unavailable until it is
            raise sqlite3.OperationalError(f"cannot open it again: {exc.strerror or exc}") from None
        self._changed()
        old.close()

    def _changed(self) -> None:
        with self._seen_lock:
            self._generation += 1
            self._seen.clear()

    def close(self) -> None:
        self._db.close()

    @_unavailable_on_error
    def assign(self, client: str, target: str, *, once: bool = False) -> Assignment:
        self._same_file()
        key = client_key(client)
        kind = "once" if once else "static"
        item = Assignment(key, kind, target, time.time())
        self._db.execute(
            "INSERT INTO assignments (client, kind, target, created) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (client, kind) DO UPDATE SET target = excluded.target, created = excluded.created",
            (item.client, item.kind, item.target, item.created),
        )
        self._changed()
        return item

    @_unavailable_on_error
    def unassign(self, client: str, kind: str | None = None) -> list[Assignment]:
        """Remove the client's assignments (of one kind, or all); returns what was removed."""
        self._same_file()
        key = client_key(client)
        query = "DELETE FROM assignments WHERE client = ?"
        params: tuple[str, ...] = (key,)
        if kind:
            query += " AND kind = ?"
            params += (kind,)
        rows = self._db.execute(query + " RETURNING client, kind, target, created", params).fetchall()
        self._changed()
        return [Assignment(*row) for row in rows]

    @_unavailable_on_error
    def all(self) -> list[Assignment]:
        self._same_file()
        rows = self._db.execute("SELECT client, kind, target, created FROM assignments ORDER BY client, kind")
        return [Assignment(*row) for row in rows.fetchall()]

    def version(self) -> tuple[int, int]:
        """A value that changes whenever an answer of `peek` or `lookup` may have: a commit by another
        connection (PRAGMA data_version) or a change of ours. Lets the HTTP side remember a rendered
        boot.ipxe for as long as the assignments stay as they were."""
        self._same_file()
        return self._db.execute("PRAGMA data_version").fetchone()[0], self._generation

    @_unavailable_on_error
    def peek(self, keys: list[str]) -> Assignment | None:
        self._same_file()
        key = tuple(k for k in keys if k)
        version = self._db.execute("PRAGMA data_version").fetchone()[0]
        with self._seen_lock:
            if version != self._seen_version:
                self._seen_version = version
                self._generation += 1
                self._seen.clear()
            elif key in self._seen:
                return self._seen[key]
            generation = self._generation
        found = self.lookup(list(key), consume=False)
        with self._seen_lock:
            if generation == self._generation:  # nothing changed meanwhile: the answer is still true
                if len(self._seen) >= MAX_REMEMBERED:
                    self._seen.clear()
                self._seen[key] = found
        return found

    @_unavailable_on_error
    def lookup(self, keys: list[str], *, consume: bool) -> Assignment | None:
        """The assignment for the first matching key: once before static; a once one is deleted if consume."""
        if consume:
            self._same_file()  # peek asked already otherwise
        keys = [k for k in keys if k]
        if not keys:
            return None
        marks = ",".join("?" * len(keys))
        # prefer the earlier key (the MAC before the IP)
        order = " ".join(f"WHEN ? THEN {i}" for i in range(len(keys)))
        pick = (
            f"SELECT rowid FROM assignments WHERE kind = 'once' AND client IN ({marks})"
            f" ORDER BY CASE client {order} END LIMIT 1"
        )
        params = (*keys, *keys)
        if consume:
            row = self._db.execute(
                f"DELETE FROM assignments WHERE rowid = ({pick}) RETURNING client, kind, target, created",
                params,
            ).fetchone()
            if row:
                self._changed()
        else:
            row = self._db.execute(
                f"SELECT client, kind, target, created FROM assignments WHERE rowid = ({pick})", params
            ).fetchone()
        if row:
            return Assignment(*row)
        row = self._db.execute(
            f"SELECT client, kind, target, created FROM assignments WHERE kind = 'static' AND client IN ({marks})"
            f" ORDER BY CASE client {order} END LIMIT 1",
            params,
        ).fetchone()
        return Assignment(*row) if row else None
