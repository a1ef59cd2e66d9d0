"""Run `ipxescript serve` in the foreground: HTTP, TFTP, DHCP, lint polling; stop cleanly on SIGTERM/SIGINT."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from typing import TextIO

from aiohttp import web

from ipxescript.serve.assignments import AssignmentStore
from ipxescript.serve.bootlog import BootLog
from ipxescript.serve.config import ServeConfig
from ipxescript.serve.http_app import make_app
from ipxescript.serve.protocols import Closable, ServeError, port_message, start_dhcp, start_tftp
from ipxescript.serve.serve_policy import ServePolicy

log = logging.getLogger("ipxescript.serve")

LINT_POLL_SECONDS = 2.0


def open_state(config: ServeConfig) -> tuple[AssignmentStore, BootLog]:
    try:
        store = AssignmentStore(config.state_dir / "assignments.sqlite3")
        return store, BootLog(config.state_dir)
    except OSError as exc:
        raise ServeError(f"state directory {config.state_dir}: {exc.strerror or exc}") from None
    except Exception as exc:  # sqlite3.DatabaseError and friends: a damaged or foreign file
        raise ServeError(f"state directory {config.state_dir}: {exc}") from None


def banner(config: ServeConfig, out: TextIO) -> None:
    where = "the bundled example boot tree" if config.bundled else "ROOT"
    dhcp = config.dhcp if config.dhcp == "off" else f"{config.dhcp} on {config.interface}"
    if config.dhcp == "proxy":
        dhcp += f" (ports {config.dhcp_port} and {config.proxy_port})"
    elif config.dhcp == "full":
        dhcp += (
            f" (port {config.dhcp_port}, pool {config.dhcp_range[0]}-{config.dhcp_range[1]})"
            if config.dhcp_range
            else ""
        )
    lines = [
        f"ipxescript serve: serving {where} {config.root}",
        f"  HTTP   {config.http_url}/  (listening on {config.bind_address}:{config.http_port})",
        f"         boot script {config.boot_url}, status page {config.http_url}/, API {config.http_url}/api/assignments",
        f"  TFTP   {config.bind_address}:{config.tftp_port}",
        f"  DHCP   {dhcp}",
        f"  state  {config.state_dir} (assignments, bootlog.jsonl)",
        f"Dry-run it: ipxesim {config.boot_url}",
        "Stop with Ctrl-C (or SIGTERM).",
    ]
    out.write("\n".join(lines) + "\n")
    out.flush()


async def _poll_scripts(policy: ServePolicy) -> None:
    loop = asyncio.get_running_loop()
    while True:
        await asyncio.sleep(LINT_POLL_SECONDS)
        try:
            await loop.run_in_executor(None, policy.checker.scan)
        except OSError as exc:
            log.warning("lint: scanning %s failed: %s", policy.root.path, exc)


async def _flush_log(bootlog: BootLog) -> None:
    while True:
        await asyncio.sleep(0.5)
        bootlog.flush()


async def serve(config: ServeConfig, out: TextIO = sys.stdout) -> None:
    """Serve until SIGTERM or SIGINT. Raises ServeError when something cannot start."""
    store, bootlog = open_state(config)
    policy = ServePolicy(config, store, bootlog)
    runner = web.AppRunner(make_app(policy), access_log=None, handle_signals=False)
    servers: list[Closable] = []
    tasks: list[asyncio.Task[None]] = []
    try:
        await runner.setup()
        site = web.TCPSite(runner, config.bind_address, config.http_port, backlog=1024)
        try:
            await site.start()
        except OSError as exc:
            raise ServeError(port_message(exc, "HTTP", config.bind_address, config.http_port)) from None
        servers.append(await start_tftp(config, policy))
        dhcp = await start_dhcp(config, policy)
        if dhcp is not None:
            servers.append(dhcp)

        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        banner(config, out)
        # lint after the ports are open so the server answers at once; the verdicts are ready before the
        # first script is sent because each request checks its script if no verdict is cached
        await loop.run_in_executor(None, policy.start_check)
        tasks += [asyncio.create_task(_poll_scripts(policy)), asyncio.create_task(_flush_log(bootlog))]
        await stop.wait()
        log.info("stopping")
    finally:
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for server in reversed(servers):
            server.close()
        await runner.cleanup()
        store.close()
        bootlog.close()
