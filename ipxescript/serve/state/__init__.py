"""Where `ipxescript serve` keeps what must outlive a request: assignments, DHCP leases, the boot log.

One small interface, two backends:

- SQLite (the default): `assignments.sqlite3`, `leases.sqlite3` and `bootlog.jsonl` in the state
  directory, for one machine (its HTTP worker processes included).
- PostgreSQL (`--state postgresql://...`, or `state = "postgresql://..."` in ipxescript.toml): one shared
  truth for several instances behind relays. Needs `pip install 'ipxescript[postgresql]'`.

`State` bundles the three parts:

- `assignments` (`ipxescript.serve.assignments.Assignments`): `assign`, `unassign`, `all`,
  `lookup(keys, consume=...)` (a once assignment is taken atomically: exactly one caller gets it) and
  `peek(keys)` (what a client would get, consuming nothing: for dry runs and --explain);
- `bootlog` (`ipxescript.serve.bootlog.BootLog`), writing to the backend's sink;
- `leases(dhcp_config)` (`ipxescript.serve.dhcp.leases.Leases`): `offer(mac, requested)`, `bind`,
  `release`, `decline`, `withdraw_offer`, each one atomic decision, none scanning the pool.

A backend that loses its database mid-run raises `StateUnavailable` from the calls it cannot answer
safely; callers answer what they can without it (see docs/scale.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ipxescript.serve.dhcp.leases import StateUnavailable

if TYPE_CHECKING:
    from ipxescript.serve.assignments import Assignments
    from ipxescript.serve.bootlog import BootLog
    from ipxescript.serve.dhcp.config import DhcpConfig
    from ipxescript.serve.dhcp.leases import Leases

__all__ = ["State", "StateError", "StateUnavailable", "is_database_url", "open_state"]

URL_SCHEMES = ("postgresql://", "postgres://")


class StateError(Exception):
    """The state cannot be opened (unreachable database, schema too new, missing driver); says why."""


def is_database_url(value: str) -> bool:
    return value.startswith(URL_SCHEMES)


@dataclass
class State:
    assignments: Assignments
    bootlog: BootLog
    where: str  # for the banner: a directory, or the database URL without its password
    # The lease store for a full-mode DHCP server; None = SQLite in DhcpConfig.lease_db (the server's own).
    leases: Callable[[DhcpConfig], Leases] | None = None
    flush_interval: float = 0.5  # seconds between boot-log flushes
    _closers: list[Callable[[], None]] = field(default_factory=list)

    def close(self) -> None:
        self.bootlog.close()
        self.assignments.close()
        for closer in self._closers:
            closer()
        self._closers = []


def open_state(url: str | None, state_dir: Path, *, bootlog: bool = True) -> State:
    """The state at `url` (a postgresql:// URL), else the SQLite files in `state_dir`.

    Raises StateError with a message for the user. `bootlog=False` (the CLI) opens no boot log sink."""
    from ipxescript.serve.bootlog import BootLog

    if url:
        if not is_database_url(url):
            raise StateError(
                f"state {url!r}: expected a postgresql://USER@HOST/DB URL (SQLite needs no URL: use state_dir)"
            )
        from ipxescript.serve.state.postgres import open_postgres

        return open_postgres(url, state_dir, with_bootlog=bootlog)
    from ipxescript.serve.assignments import AssignmentStore

    try:
        store = AssignmentStore(state_dir / "assignments.sqlite3")
        log = BootLog(state_dir if bootlog else None)
    except OSError as exc:
        raise StateError(f"state directory {state_dir}: {exc.strerror or exc}") from None
    except Exception as exc:  # sqlite3.DatabaseError and friends: a damaged or foreign file
        raise StateError(f"state directory {state_dir}: {exc}") from None
    return State(store, log, str(state_dir))
