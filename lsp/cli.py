"""``ipxescript lsp``: the language server over stdio (the default) or a TCP port.

Editors launch servers in a few conventional ways, all accepted: ``--stdio`` (what vscode-languageclient
appends for its stdio transport), ``--tcp PORT``, and ``--tcp --port PORT`` / ``--port PORT``.
"""

from __future__ import annotations

import logging
import sys
from typing import NoReturn

import click

DEFAULT_PORT = 2087  # the port pygls-based servers conventionally listen on


@click.command(
    "lsp",
    epilog="""\b
Examples:
  ipxescript lsp                    # stdio, as editors start it
  ipxescript lsp --stdio            # the same (vscode-languageclient adds --stdio)
  ipxescript lsp --tcp 2087         # listen on 127.0.0.1:2087
  ipxescript lsp --tcp --port 2087  # the same""",
)
@click.option("--stdio", is_flag=True, help="Talk over standard input and output (the default).")
@click.option(
    "--tcp",
    "tcp",
    is_flag=False,
    flag_value=str(DEFAULT_PORT),
    default=None,
    metavar="[PORT]",
    help=f"Listen on a TCP port (PORT, or --port, or {DEFAULT_PORT}).",
)
@click.option("--port", type=click.IntRange(1, 65535), default=None, help="The TCP port (implies --tcp).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address for --tcp.")
@click.option(
    "--log-file", type=click.Path(dir_okay=False), default=None, help="Write the server's log here."
)
def lsp_command(stdio: bool, tcp: str | None, port: int | None, host: str, log_file: str | None) -> None:
    """Run the iPXE language server (stdio unless --tcp or --port is given)."""
    if tcp is not None and port is None:
        try:
            port = int(tcp)
        except ValueError:
            raise click.BadParameter(f"'{tcp}' is not a port number", param_hint="--tcp") from None
        if not 1 <= port <= 65535:
            raise click.BadParameter(f"{port} is not in 1-65535", param_hint="--tcp")
    if stdio and port is not None:
        raise click.UsageError("--stdio and --tcp/--port exclude each other")
    if log_file:
        try:
            logging.basicConfig(filename=log_file, level=logging.INFO)
        except OSError as exc:
            _fail(f"--log-file {log_file}: {exc.strerror or exc}")
    from ipxescript.lsp.server import build_server

    server = build_server()
    if port is None:
        server.start_io()
    else:
        click.echo(f"ipxescript lsp listening on {host}:{port}", err=True)
        try:
            server.start_tcp(host, port)
        except OSError as exc:  # the port in use, a host that does not resolve or is not here
            from ipxescript.serve.protocols import port_message

            _fail(port_message(exc, "language server", host, port))


def _fail(message: str) -> NoReturn:
    """Exit 2 with one line naming the cause (docs/cli.md), never a traceback."""
    click.echo(f"ipxescript lsp: error: {message}", err=True)
    sys.exit(2)
