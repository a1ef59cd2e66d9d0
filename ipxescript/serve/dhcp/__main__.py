"""A stand-alone runner for the DHCP server with the default boot policy:

    python -m ipxescript.serve.dhcp --mode full --interface br0 --address 10.0.0.1 --range 10.0.0.100-10.0.0.199

It prints "ready" on stdout once the ports are open and runs until SIGINT/SIGTERM. `ipxescript serve`
embeds the same server; this runner exists for tests, benchmarks and debugging.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from pathlib import Path

import click

from ipxescript.serve import eventloop
from ipxescript.serve.boot_files import BootFilesError, BootFilesPolicy, parse_file_settings

from .config import DhcpConfig, DhcpConfigError, parse_range, parse_reservation
from .logfile import LINE_FORMAT, LoopFlushedFileHandler, SecondCachingFormatter
from .server import start_dhcp


async def _serve(config: DhcpConfig, policy: BootFilesPolicy) -> None:
    server = await start_dhcp(config, policy)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    print("ready", flush=True)
    # While serving, records skip the caller's source line: a stack walk per record the format never shows.
    source_file, logging._srcfile = logging._srcfile, None
    try:
        await stop.wait()
    finally:
        logging._srcfile = source_file
        server.close()
        logging.getLogger("ipxescript.dhcp").info("dhcp stopped: %s", dict(server.stats))


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--mode", type=click.Choice(["full", "proxy"]), default="proxy", show_default=True)
@click.option("--interface", help="Serve on this interface only (default: 127.0.0.1 only).")
@click.option("--address", "server_address", required=True, help="This server's address on the client link.")
@click.option("--range", "pool", help="Full mode: START-END of the addresses handed out.")
@click.option("--netmask", default="255.255.255.0", show_default=True)
@click.option("--router")
@click.option("--dns", multiple=True, help="DNS server (repeatable).")
@click.option("--domain")
@click.option("--lease-time", type=int, default=3600, show_default=True)
@click.option("--lease-db", type=click.Path(dir_okay=False, path_type=Path), help="SQLite lease file.")
@click.option("--reserve", multiple=True, help="MAC=IP static reservation (repeatable).")
@click.option("--port", type=int, default=67, show_default=True)
@click.option("--proxy-port", type=int, default=4011, show_default=True, help="0 = do not open.")
@click.option("--client-port", type=int, default=68, show_default=True)
@click.option("--http-port", type=int, default=80, show_default=True, help="Where iPXE fetches boot.ipxe.")
@click.option(
    "--boot-file", "boot_files", multiple=True, help="ARCH=FILE, e.g. efi64=snponly.efi (repeatable)."
)
@click.option(
    "--log-file", type=click.Path(dir_okay=False, path_type=Path), help="Log here instead of stderr."
)
@click.option("-v", "--verbose", is_flag=True, help="Also log ignored and malformed packets.")
def main(
    mode: str,
    interface: str | None,
    server_address: str,
    pool: str | None,
    netmask: str,
    router: str | None,
    dns: tuple[str, ...],
    domain: str | None,
    lease_time: int,
    lease_db: Path | None,
    reserve: tuple[str, ...],
    port: int,
    proxy_port: int,
    client_port: int,
    http_port: int,
    boot_files: tuple[str, ...],
    log_file: Path | None,
    verbose: bool,
) -> None:
    """Run the ipxescript DHCP server (full or proxy mode) with the default boot-file policy."""
    # A log line per DHCP decision is the contract; thread/process names in records are not.
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    if not logging.getLogger().handlers:  # like basicConfig: an embedding program's logging stays
        handler = (
            LoopFlushedFileHandler(log_file, errors="backslashreplace")
            if log_file
            else logging.StreamHandler()
        )
        handler.setFormatter(SecondCachingFormatter(LINE_FORMAT))
        logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, handlers=[handler])
    try:
        start, end = parse_range(pool) if pool else (None, None)
        config = DhcpConfig(
            mode=mode,
            server_address=server_address,
            interface=interface,
            pool_start=start,
            pool_end=end,
            netmask=netmask,
            router=router,
            dns=dns,
            domain=domain,
            lease_time=lease_time,
            lease_db=lease_db,
            reservations=dict(parse_reservation(r) for r in reserve),
            port=port,
            proxy_port=proxy_port or None,
            client_port=client_port,
        )
        policy = BootFilesPolicy(
            http_address=server_address, http_port=http_port, files=parse_file_settings(boot_files)
        )
        eventloop.run(_serve(config, policy))
    except (DhcpConfigError, BootFilesError) as exc:
        raise click.UsageError(str(exc)) from None
    except OSError as exc:
        raise click.ClickException(str(exc)) from None


if __name__ == "__main__":
    sys.exit(main())
