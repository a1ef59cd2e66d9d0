"""A throwaway PostgreSQL cluster from Debian's `postgresql` package: initdb + pg_ctl in a temp dir.

PostgreSQL refuses to run as root, and CI runs as root: the cluster then belongs to the `postgres` user
(created by the package) and its programs run through `runuser`. Nothing is installed as a service; the
cluster listens on a Unix socket in its directory and on the TCP addresses asked for, with trust
authentication (it lives only for the test run).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path


def pg_bin() -> Path | None:
    """The newest installed PostgreSQL's bin directory, or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    return Path(found[-1]).parent if found else None


def free_tcp_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


class PgCluster:
    def __init__(
        self, listen: tuple[str, ...] = ("127.0.0.1",), port: int | None = None, netns: str | None = None
    ) -> None:
        """`netns`: run the server inside this network namespace (listening on its addresses)."""
        bindir = pg_bin()
        if bindir is None:
            raise RuntimeError("PostgreSQL is not installed (Debian package `postgresql`)")
        self.bindir = bindir
        self.listen = listen
        self.port = port or free_tcp_port()
        self.dir = Path(tempfile.mkdtemp(prefix="ipxescript-pg-"))
        self.data = self.dir / "data"
        self.netns = netns
        self.user = "postgres" if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name
        self._counter = 0

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = list(args)
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        if self.netns:
            command = ["ip", "netns", "exec", self.netns, *command]
        return subprocess.run(command, check=check, capture_output=True, text=True, timeout=120)

    def start(self) -> PgCluster:
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres")
        self._run(
            str(self.bindir / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust",
            "--no-sync", "-E", "UTF8", "--locale=C",
        )  # fmt: skip
        with open(self.data / "pg_hba.conf", "a", encoding="utf-8") as hba:  # the lab's namespaces too
            hba.write("host all all 0.0.0.0/0 trust\n")
        self.start_again()
        return self

    def url(self, database: str = "postgres", host: str | None = None) -> str:
        return f"postgresql://postgres@{host or self.listen[0]}:{self.port}/{database}"

    def socket_url(self, url: str) -> str:
        """The same database reached through the cluster's Unix socket (from any network namespace)."""
        return f"postgresql://postgres@/{url.rsplit('/', 1)[1]}?host={self.dir}&port={self.port}"

    def psql(self, sql: str, database: str = "postgres") -> str:
        done = self._run(
            str(self.bindir / "psql"), "-h", str(self.dir), "-p", str(self.port), "-U", "postgres",
            "-d", database, "-v", "ON_ERROR_STOP=1", "-Atc", sql,
        )  # fmt: skip
        return done.stdout

    def new_database(self) -> str:
        """A fresh, empty database; its URL."""
        self._counter += 1
        name = f"t{os.getpid()}_{self._counter}"
        self.psql(f"CREATE DATABASE {name}")
        return self.url(name)

    def stop(self, mode: str = "fast") -> None:
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop", check=False)

    def restart(self) -> None:
        self.stop("immediate")
        time.sleep(0.2)
        self.start_again()

    def start_again(self) -> None:
        options = (
            f"-c listen_addresses='{','.join(self.listen)}' -c port={self.port}"
            f" -c unix_socket_directories='{self.dir}' -c fsync=off -c full_page_writes=off"
            " -c max_connections=300 -c shared_buffers=64MB"
        )
        self._run(
            str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.dir / "log"), "-w", "-t", "60",
            "-o", options, "start",
        )  # fmt: skip

    def cleanup(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)
