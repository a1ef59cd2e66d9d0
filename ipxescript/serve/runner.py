"""Run `ipxescript serve` in the foreground: HTTP, TFTP, DHCP, lint polling; stop cleanly on SIGTERM/SIGINT."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import gc
import logging
import os
import signal
import socket
import sys
import threading
from collections.abc import Callable
from typing import TextIO

from aiohttp import web

from ipxescript.serve import eventloop, metrics
from ipxescript.serve.apiauth import api_token
from ipxescript.serve.bootlog import BootLog, JsonlSink
from ipxescript.serve.config import ConfigError, ServeConfig
from ipxescript.serve.http_app import LINT_POOL, make_app
from ipxescript.serve.http_guard import (
    Guard,
    GuardedSockSite,
    HttpLimits,
    quiet_malformed_requests,
    raise_descriptor_limit,
)
from ipxescript.serve.http_limits import MAX_FIELD_BYTES, MAX_HEADER_FIELDS
from ipxescript.serve.protocols import Closable, ServeError, port_message, start_dhcp, start_tftp
from ipxescript.serve.serve_policy import ServePolicy
from ipxescript.serve.state import State, StateError
from ipxescript.serve.state import open_state as open_backend

log = logging.getLogger("ipxescript.serve")

LINT_POLL_SECONDS = 2.0


def load_token(config: ServeConfig) -> str:
    try:
        return api_token(config)
    except ConfigError as exc:
        raise ServeError(str(exc)) from None


def open_state(config: ServeConfig) -> State:
    """The configured state backend (SQLite in state_dir, or PostgreSQL), or ServeError saying why not."""
    try:
        return open_backend(config.state, config.state_dir)
    except StateError as exc:
        raise ServeError(str(exc)) from None


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
        f"  HTTP   {config.http_url}/  (listening on {config.bind_address}:{config.http_port}"
        + (f", {config.http_workers} processes)" if config.http_workers > 1 else ")"),
        f"         boot script {config.boot_url}, status page {config.http_url}/, API {config.http_url}/api/assignments",
        f"  TFTP   {config.bind_address}:{config.tftp_port}",
        f"  DHCP   {dhcp}",
        f"  state  {_state_where(config)}",
        f"Dry-run it: ipxesim {config.boot_url}",
        "Stop with Ctrl-C (or SIGTERM).",
    ]
    out.write("\n".join(lines) + "\n")
    out.flush()


def _state_where(config: ServeConfig) -> str:
    if config.state:
        from ipxescript.serve.state.postgres import safe_url

        return f"{safe_url(config.state)} (PostgreSQL: assignments, leases, boot log)"
    return f"{config.state_dir} (assignments, bootlog.jsonl)"


async def _poll_scripts(policy: ServePolicy) -> None:
    """Every LINT_POLL_SECONDS, look for changed scripts (on the event loop, in slices) and lint those in
    the lint thread."""
    loop = asyncio.get_running_loop()

    async def lint(rel: str, real: str, st: os.stat_result) -> None:
        await loop.run_in_executor(LINT_POOL, policy.checker.report, rel, real, st)

    while True:
        await asyncio.sleep(LINT_POLL_SECONDS)
        try:
            await policy.checker.poll(lint)
        except OSError as exc:
            log.warning("lint: scanning %s failed: %s", policy.root.path, exc)


async def _sync_log(bootlog: BootLog, interval: float) -> None:
    """Write buffered boot-log lines and take in those of the other HTTP worker processes (and instances).

    A local bootlog.jsonl is written and read on the event loop: one write and one read of a few lines
    cost microseconds, while a hand-off to a thread costs the loop Python's lock twice, and on a busy
    machine each hand-off can stall every connection for milliseconds. A database sink may wait on the
    network: that one is flushed and read in a thread."""
    loop = asyncio.get_running_loop()
    local = isinstance(bootlog.sink, JsonlSink)
    while True:
        await asyncio.sleep(interval)
        if local:
            bootlog.flush()
            bootlog.follow()
        else:
            await loop.run_in_executor(None, bootlog.flush)
            await loop.run_in_executor(None, bootlog.follow)


def bind_http(config: ServeConfig) -> socket.socket:
    """An HTTP listening socket. The main process opens its own before any worker starts (so errors are
    reported once); each worker opens another on the same port, and SO_REUSEPORT lets the kernel spread
    new connections evenly (one shared socket would let the first process to wake accept them all).
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if config.http_workers > 1:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((config.bind_address, config.http_port))
        sock.listen(1024)
        sock.setblocking(False)
    except OSError as exc:
        sock.close()
        raise ServeError(port_message(exc, "HTTP", config.bind_address, config.http_port)) from None
    if config.http_port == 0:  # a free port: the one taken is what clients are told and workers share
        config.http_port = sock.getsockname()[1]
    return sock


def _settle_gc() -> None:
    """Move everything built at start into the permanent generation and collect less often: the
    collector then walks only request garbage, so its pauses (which stall every connection of the process)
    stay short and rare."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 20, 100)


def _stop_event() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    return stop


def in_daemon_thread(func: Callable[[], None]) -> asyncio.Future[None]:
    """Run func in a daemon thread: unlike the default executor, nothing waits for it at exit, so a
    stuck file system call can never keep the server from stopping on SIGTERM."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[None] = loop.create_future()

    def settle(error: BaseException | None) -> None:
        if done.done():
            return
        if error is None:
            done.set_result(None)
        else:
            done.set_exception(error)

    def run() -> None:
        error: BaseException | None = None
        try:
            func()
        except BaseException as exc:  # noqa: BLE001 - handed to the awaiting task
            error = exc
        with contextlib.suppress(RuntimeError):  # the loop is already closed
            loop.call_soon_threadsafe(settle, error)

    threading.Thread(target=run, name="lint-scan", daemon=True).start()
    return done


async def _lint_tree(policy: ServePolicy) -> None:
    """Lint every script at start, then poll for changes (in a daemon thread, never blocking a stop)."""
    try:
        await in_daemon_thread(policy.start_check)
    except OSError as exc:
        log.warning("lint: scanning %s failed: %s", policy.root.path, exc)
    policy.ready = True
    await _poll_scripts(policy)


# Settings a SIGHUP takes in; the others (ports, addresses, DHCP, state) need a restart.
RELOADABLE = (
    "groups", "metadata", "default_target", "lint", "api", "api_reads", "api_token_file", "identity", "boot_files",
)  # fmt: skip
RESTART_ONLY = (
    "root", "address", "bind_address", "interface", "dhcp", "dhcp_range", "dhcp_settings", "http_port",
    "tftp_port", "dhcp_port", "proxy_port", "http_workers", "state_dir", "state", "tftp_max_seconds",
)  # fmt: skip

Reloader = Callable[[], ServeConfig]


def reload_config(policy: ServePolicy, reload: Reloader) -> bool:
    """SIGHUP: read the config again and take in what can change while serving (transfers and
    connections in progress go on). A broken config is logged and the old one kept."""
    try:
        new = reload()
        token = api_token(new)
    except ConfigError as exc:
        metrics.inc("config_reloads_total", outcome="failed")
        log.error("reload: %s; keeping the settings in force", exc)
        return False
    config = policy.config
    for name in ("http_port", "tftp_port"):
        if getattr(new, name) == 0:  # port 0 took a free port at start: that one is still in force
            setattr(new, name, getattr(config, name))
    for name in RELOADABLE:
        setattr(config, name, getattr(new, name))
    policy.reconfigure()
    policy.api_token = token
    later = [name for name in RESTART_ONLY if getattr(config, name) != getattr(new, name)]
    if later:
        log.warning("reload: %s changed; restart the server to apply", ", ".join(later))
    metrics.inc("config_reloads_total", outcome="ok")
    log.info("reload: %s read again", config.config_file or "settings")
    return True


def _on_reload(
    policy: ServePolicy, reload: Reloader | None, announce: bool, also: Callable[[], None] | None = None
) -> None:
    loop = asyncio.get_running_loop()

    def reload_now() -> None:
        if also is not None:
            also()  # the HTTP worker processes reload too
        if reload is not None and reload_config(policy, reload) and announce and policy.config.lint != "off":
            in_daemon_thread(policy.start_check)  # lint everything again under the new settings

    loop.add_signal_handler(signal.SIGHUP, reload_now)


def make_runner(policy: ServePolicy, guard: Guard, token: str) -> web.AppRunner:
    limits = guard.limits
    quiet_malformed_requests()
    return web.AppRunner(
        make_app(policy, guard, token),
        access_log=None,
        handle_signals=False,
        keepalive_timeout=limits.keepalive_timeout,
        max_field_size=MAX_FIELD_BYTES,
        max_headers=MAX_HEADER_FIELDS,
    )


async def serve(
    config: ServeConfig,
    out: TextIO = sys.stdout,
    sock: socket.socket | None = None,
    on_stop: Callable[[], None] | None = None,
    token: str | None = None,
    reload: Reloader | None = None,
    on_reload: Callable[[], None] | None = None,
) -> None:
    """Serve until SIGTERM or SIGINT. Raises ServeError when something cannot start."""
    sock = sock or bind_http(config)
    state = open_state(config)
    policy = ServePolicy(config, state.assignments, state.bootlog)
    guard = Guard(HttpLimits.configured(config.http_limits).fitted())
    runner = make_runner(policy, guard, token or load_token(config))
    servers: list[Closable] = []
    tasks: list[asyncio.Task[None]] = []
    try:
        await runner.setup()
        await GuardedSockSite(runner, sock, guard).start()
        servers.append(await start_tftp(config, policy))
        dhcp = await start_dhcp(config, policy, state.leases)
        if dhcp is not None:
            servers.append(dhcp)
        stop = _stop_event()
        _on_reload(policy, reload, announce=True, also=on_reload)
        banner(config, out)
        # lint after the ports are open so the server answers at once; the verdicts are ready before the
        # first script is sent because each request checks its script if no verdict is cached
        if config.lint != "off":
            tasks.append(asyncio.create_task(_lint_tree(policy)))
        else:
            policy.ready = True
        _settle_gc()
        tasks.append(asyncio.create_task(_sync_log(state.bootlog, state.flush_interval)))
        await stop.wait()
        log.info("stopping")
        if on_stop is not None:
            on_stop()  # the HTTP workers stop in parallel with this process
    finally:
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for server in reversed(servers):
            server.close()
        await runner.cleanup()
        state.close()


async def http_worker(config: ServeConfig, token: str, reload: Reloader | None = None) -> None:
    """An extra HTTP process on the same port: same policy (SQLite and the boot log are shared)."""
    sock = bind_http(config)
    state = open_state(config)
    policy = ServePolicy(config, state.assignments, state.bootlog, announce=False)
    guard = Guard(HttpLimits.configured(config.http_limits).fitted())
    runner = make_runner(policy, guard, token)
    try:
        await runner.setup()
        await GuardedSockSite(runner, sock, guard).start()
        stop = _stop_event()
        _on_reload(policy, reload, announce=False)
        _settle_gc()
        syncer = asyncio.create_task(_sync_log(state.bootlog, state.flush_interval))
        await stop.wait()
        syncer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await syncer
    finally:
        await runner.cleanup()
        state.close()


def _die_with_parent() -> None:
    """Linux: get SIGTERM if the main process dies (even by kill -9), so no worker outlives it."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def run(config: ServeConfig, out: TextIO = sys.stdout, reload: Reloader | None = None) -> None:
    """The whole server in the foreground: `http_workers - 1` forked HTTP processes beside the main one."""
    raise_descriptor_limit()
    token = load_token(config)  # before the workers start, so one process makes it and all read it
    sock = bind_http(config)
    workers: list[int] = []

    signalled: set[int] = set()

    def stop_workers() -> None:
        # Once per worker: a second SIGTERM could land while the worker's event loop is closing (its
        # wakeup pipe already closed), which Python reports as an ignored exception on stderr.
        for pid in workers:
            if pid in signalled:
                continue
            signalled.add(pid)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    try:
        for _ in range(config.http_workers - 1):
            pid = os.fork()
            if pid == 0:  # the worker: serve HTTP until told to stop, never return into the CLI
                status = 0
                try:
                    _die_with_parent()
                    sock.close()  # the main process's socket; this worker listens on its own
                    eventloop.run(http_worker(config, token, reload))
                except BaseException:  # noqa: BLE001 - report and leave; the main process goes on
                    log.exception("HTTP worker %d failed", os.getpid())
                    status = 1
                finally:
                    logging.shutdown()
                    os._exit(status)
            workers.append(pid)

        def reload_workers() -> None:
            for pid in workers:
                if pid not in signalled:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGHUP)

        eventloop.run(serve(config, out, sock, stop_workers, token, reload, reload_workers))
    finally:
        stop_workers()
        for pid in workers:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
        sock.close()
