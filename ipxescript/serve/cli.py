"""Commands `ipxescript serve`, `assign`, `assignments`, `unassign` (imported lazily by ipxescript/cli.py)."""

from __future__ import annotations

import json
import logging
import sys
import time
from pathlib import Path
from typing import NoReturn

import click

from ipxescript.clikit import format_option
from ipxescript.serve.config import (
    CONFIG_NAME,
    ConfigError,
    ServeConfig,
    default_state_dir,
    load_config,
    read_config_file,
)


def _fail(command: str, message: str) -> NoReturn:
    click.echo(f"ipxescript {command}: error: {message}", err=True)
    sys.exit(2)


def _setup_logging(verbose: int, quiet: bool, log_format: str = "text", syslog: bool = False) -> None:
    from ipxescript.serve.logs import setup

    level = logging.WARNING if quiet else logging.DEBUG if verbose else logging.INFO
    setup(level, log_format, syslog)
    logging.getLogger("aiohttp").setLevel(logging.WARNING if not verbose else logging.DEBUG)


@click.command(
    "serve",
    epilog="""\b
Examples:
  ipxescript serve                    the bundled example tree on 127.0.0.1 (HTTP 8080, TFTP 6969)
  ipxescript serve ./boot --http-port 8000 --tftp-port 0
  ipxescript serve ./boot --interface br0 --dhcp proxy
  ipxescript serve ./boot --explain 52:54:00:12:34:56 efi64   what a machine would get
  ipxesim http://127.0.0.1:8080/boot.ipxe   a dry run that changes nothing on the server""",
)
@click.argument("root", required=False, type=click.Path(file_okay=False, path_type=str))
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False),
    help=f"Config file (default: ROOT/{CONFIG_NAME}).",
)
@click.option(
    "--interface", metavar="NAME", help="Serve on this network interface (standard ports 67/69/80)."
)
@click.option(
    "--address", help="The IPv4 address clients are told (default: the interface's, else 127.0.0.1)."
)
@click.option("--dhcp", type=click.Choice(["off", "proxy", "full"]), help="DHCP mode (default off).")
@click.option("--dhcp-range", metavar="START-END", help="Address pool for --dhcp full.")
@click.option(
    "--http-port",
    type=click.IntRange(0, 65535),
    metavar="N",
    help="HTTP port (8080 on loopback, 80 with --interface; 0: any free port, named at start).",
)
@click.option(
    "--tftp-port",
    type=click.IntRange(0, 65535),
    metavar="N",
    help="TFTP port (6969 on loopback, 69 with --interface; 0: any free port, named at start).",
)
@click.option(
    "--boot-file", "boot_files", multiple=True, metavar="ARCH=FILE",
    help="First-stage file for PXE clients that are not iPXE; ARCH is bios, efi32, efi64, arm32 or arm64. Repeatable.",
)  # fmt: skip
@click.option(
    "--state-dir", type=click.Path(file_okay=False), help="Where assignments and the boot log live."
)
@click.option(
    "--state",
    "state_url",
    metavar="URL",
    help="Shared state for several instances: postgresql://USER@HOST/DB (default: SQLite in the state dir).",
)
@click.option(
    "--http-workers", type=click.IntRange(1, 64), help="HTTP processes sharing the port (default 1)."
)
@click.option(
    "--api-token-file",
    type=click.Path(dir_okay=False),
    help="File holding the API token (default: STATE_DIR/api-token, made at first start).",
)
@click.option(
    "--identity",
    type=click.Choice(["check", "strict", "trust"]),
    help="Check clients' claimed MAC/IP (check, the default), also refuse unverifiable ones (strict), "
    "or trust them (trust: simulated labs where many clients share one MAC).",
)
@click.option("--explain", nargs=2, metavar="MAC ARCH", help="Print what this client would get, then exit.")
@click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    default="text",
    help="Log lines on stderr as text or as one JSON object each.",
)
@click.option("--syslog", is_flag=True, help="Also log to the local syslog (/dev/log), facility daemon.")
@click.option("-v", "--verbose", count=True, help="More log output (protocol details).")
@click.option("-q", "--quiet", is_flag=True, help="Only warnings and errors in the log.")
def serve_command(
    root: str | None,
    config_file: str | None,
    interface: str | None,
    address: str | None,
    dhcp: str | None,
    dhcp_range: str | None,
    http_port: int | None,
    tftp_port: int | None,
    boot_files: tuple[str, ...],
    state_dir: str | None,
    state_url: str | None,
    http_workers: int | None,
    api_token_file: str | None,
    identity: str | None,
    explain: tuple[str, str] | None,
    log_format: str,
    syslog: bool,
    verbose: int,
    quiet: bool,
) -> None:
    """Serve ROOT to network-booting machines over HTTP, TFTP and (optionally) DHCP.

    With no ROOT, serves the bundled example boot tree on 127.0.0.1 (HTTP 8080, TFTP 6969).
    """
    _setup_logging(verbose, quiet, log_format, syslog)

    def settings() -> ServeConfig:
        return load_config(
            root,
            config_file=config_file,
            interface=interface,
            address=address,
            dhcp=dhcp,
            dhcp_range=dhcp_range,
            http_port=http_port,
            tftp_port=tftp_port,
            boot_files=boot_files,
            state_dir=state_dir,
            http_workers=http_workers,
            api_token_file=api_token_file,
            state=state_url,
            identity=identity,
        )

    try:
        config = settings()
    except ConfigError as exc:
        _fail("serve", str(exc))

    from ipxescript.serve.protocols import ServeError
    from ipxescript.serve.runner import open_state, run

    if explain:
        from ipxescript.serve.explain import explain as explain_client
        from ipxescript.serve.serve_policy import ServePolicy

        try:
            state = open_state(config)
        except ServeError as exc:
            _fail("serve", str(exc))
        try:
            click.echo(
                explain_client(ServePolicy(config, state.assignments, state.bootlog), *explain), nl=False
            )
        except ConfigError as exc:
            _fail("serve", str(exc))
        finally:
            state.close()
        return
    try:
        run(config, reload=settings)
    except ServeError as exc:
        _fail("serve", str(exc))
    except KeyboardInterrupt:  # a second Ctrl-C during shutdown
        pass


def _state_location(
    command: str, state_dir: str | None, state_url: str | None, config_file: str | None, root: str | None
) -> tuple[str | None, Path]:
    """The state the server uses: --state, else the config's `state`; --state-dir, else the config's
    `state_dir`, else the default."""
    from ipxescript.serve.config import state_url as check_url

    path = Path(config_file) if config_file else Path(root) / CONFIG_NAME if root else None
    data: dict[str, object] = {}
    if path and (config_file or path.is_file()):
        try:
            data = read_config_file(path)
        except ConfigError as exc:
            _fail(command, str(exc))
    try:
        url = check_url(
            state_url if state_url else data.get("state"), "--state" if state_url else f"{path}: state"
        )
    except ConfigError as exc:
        _fail(command, str(exc))
    if state_dir:
        return url, Path(state_dir)
    if path is not None and "state_dir" in data:
        return url, path.parent / str(data["state_dir"])
    return url, default_state_dir()


def _store(  # type: ignore[no-untyped-def]
    command: str, state_dir: str | None, state_url: str | None, config_file: str | None, root: str | None
):
    from ipxescript.serve.state import StateError, open_state

    url, directory = _state_location(command, state_dir, state_url, config_file, root)
    if url is None and command != "assign" and not (directory / "assignments.sqlite3").is_file():
        # reading a mistyped folder said "no assignments" (and left an empty database there)
        _fail(command, f"state directory {directory} holds no assignments database: is it the server's?")
    try:
        return open_state(url, directory, bootlog=False)
    except StateError as exc:
        _fail(command, str(exc))


_state_options = [
    click.option("--state-dir", type=click.Path(file_okay=False), help="The server's state directory."),
    click.option("--state", "state_url", metavar="URL", help="The servers' shared state: postgresql://..."),
    click.option(
        "--config", "config_file", type=click.Path(dir_okay=False), help="Read state_dir from this config."
    ),
    click.option(
        "--root",
        type=click.Path(file_okay=False),
        help="The served ROOT (reads state_dir from its ipxescript.toml).",
    ),
]


def _with_state_options(func):  # type: ignore[no-untyped-def]
    for option in reversed(_state_options):
        func = option(func)
    return func


def _with_state_options_and_target(func):  # type: ignore[no-untyped-def]
    """assign's --root also checks that TARGET is a file under it."""
    func = _with_state_options(func)
    for param in func.__click_params__:
        if param.name == "root":
            param.help = (
                "The served ROOT (checks TARGET is under it; reads state_dir from its ipxescript.toml)."
            )
    return func


@click.command("assign")
@click.argument("client")
@click.argument("target")
@click.option("--once", is_flag=True, help="Boot TARGET the next time only, then fall back.")
@_with_state_options_and_target
def assign_command(
    client: str,
    target: str,
    once: bool,
    state_dir: str | None,
    state_url: str | None,
    config_file: str | None,
    root: str | None,
) -> None:
    """Make CLIENT (a MAC or IPv4 address) boot TARGET, a script under the served ROOT."""
    from ipxescript.serve.assignments import ClientKeyError
    from ipxescript.serve.rootfs import PathRefused, Root
    from ipxescript.serve.state import StateUnavailable

    target = target.lstrip("/")
    if root:
        try:
            found = Root(Path(root)).resolve(target)
        except PathRefused as exc:
            _fail("assign", f"target {target!r}: {exc}")
        if found is None:
            _fail("assign", f"target {target!r} is not a file under {root}")
    state = _store("assign", state_dir, state_url, config_file, root)
    try:
        item = state.assignments.assign(client, target, once=once)
    except ClientKeyError as exc:
        _fail("assign", str(exc))
    except StateUnavailable as exc:
        _fail("assign", str(exc))
    finally:
        state.close()
    click.echo(f"{item.client} -> {item.target} ({item.kind})")


@click.command(
    "assignments",
    epilog="""\b
Examples:
  ipxescript assign 52:54:00:12:34:56 install.ipxe --once
  ipxescript assignments
  ipxescript assignments --format json""",
)
@format_option(("text", "json"))
@_with_state_options
def assignments_command(
    fmt: str, state_dir: str | None, state_url: str | None, config_file: str | None, root: str | None
) -> None:
    """List the once and static assignments."""
    as_json = fmt == "json"
    from ipxescript.serve.state import StateUnavailable

    state = _store("assignments", state_dir, state_url, config_file, root)
    try:
        items = state.assignments.all()
    except StateUnavailable as exc:
        _fail("assignments", str(exc))
    finally:
        state.close()
    if as_json:
        click.echo(json.dumps([a.as_json() for a in items], indent=2))
        return
    if not items:
        click.echo("no assignments")
        return
    click.echo(f"{'CLIENT':<18} {'KIND':<7} {'TARGET':<30} SINCE")
    for item in items:
        since = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(item.created))
        click.echo(f"{item.client:<18} {item.kind:<7} {item.target:<30} {since}")


@click.command("unassign")
@click.argument("client")
@click.option("--once", "kind", flag_value="once", help="Remove only the once assignment.")
@click.option("--static", "kind", flag_value="static", help="Remove only the static assignment.")
@_with_state_options
def unassign_command(
    client: str,
    kind: str | None,
    state_dir: str | None,
    state_url: str | None,
    config_file: str | None,
    root: str | None,
) -> None:
    """Remove CLIENT's assignments (both kinds unless --once or --static)."""
    from ipxescript.serve.assignments import ClientKeyError
    from ipxescript.serve.state import StateUnavailable

    state = _store("unassign", state_dir, state_url, config_file, root)
    try:
        removed = state.assignments.unassign(client, kind)
    except (ClientKeyError, StateUnavailable) as exc:
        _fail("unassign", str(exc))
    finally:
        state.close()
    if not removed:
        _fail("unassign", f"{client} has no {kind + ' ' if kind else ''}assignment")
    for item in removed:
        click.echo(f"removed {item.client} -> {item.target} ({item.kind})")
