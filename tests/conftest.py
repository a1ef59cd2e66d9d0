"""Fixtures shared by every test folder: a throwaway PostgreSQL cluster for the state backends."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.pg_cluster import PgCluster


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    """One cluster for the whole run (each test takes a fresh database with `new_database()`)."""
    cluster = PgCluster().start()
    try:
        yield cluster
    finally:
        cluster.cleanup()


@pytest.fixture(params=["sqlite", "postgresql"])
def state_url(request: pytest.FixtureRequest) -> str | None:
    """Run a test on each state backend: None (SQLite in the state directory) or a fresh PostgreSQL DB."""
    if request.param == "sqlite":
        return None
    cluster: PgCluster = request.getfixturevalue("pg_cluster")
    return cluster.new_database()
