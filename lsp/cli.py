"""``ipxescript lsp``: the language server over stdio (the default) or a TCP port."""

from __future__ import annotations

import logging

import click


@click.command("lsp")
@click.option("--tcp", "port", type=click.IntRange(1, 65535), default=None, help="Listen on this TCP port.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address for --tcp.")
@click.option(
    "--log-file", type=click.Path(dir_okay=False), default=None, help="Write the server's log here."
)
def lsp_command(port: int | None, host: str, log_file: str | None) -> None:
    """Run the iPXE language server (stdio unless --tcp is given)."""
    if log_file:
        logging.basicConfig(filename=log_file, level=logging.INFO)
    from ipxescript.lsp.server import build_server

    server = build_server()
    if port is None:
        server.start_io()
    else:
        click.echo(f"ipxescript lsp listening on {host}:{port}", err=True)
        server.start_tcp(host, port)
