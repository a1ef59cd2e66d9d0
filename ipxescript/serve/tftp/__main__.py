"""`python -m ipxescript.serve.tftp ROOT --port N --address A`: the TFTP server alone, for tests and benchmarks."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys

from .. import eventloop
from .server import TftpServer, TftpSettings, start_tftp


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m ipxescript.serve.tftp", description=__doc__)
    parser.add_argument("root", metavar="ROOT", help="directory to serve (read-only)")
    parser.add_argument(
        "--port", type=int, default=69, help="UDP port to listen on (0 picks one; default 69)"
    )
    parser.add_argument("--address", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--timeout", type=float, default=1.0, help="first retransmission timeout, seconds")
    parser.add_argument("--retries", type=int, default=5, help="retransmissions before giving up")
    parser.add_argument("-v", "--verbose", action="store_true", help="log every request's options")
    parser.add_argument("-q", "--quiet", action="store_true", help="log only problems")
    return parser.parse_args(argv)


async def _serve(args: argparse.Namespace) -> None:
    settings = TftpSettings(timeout=args.timeout, retries=args.retries)
    server: TftpServer = await start_tftp(args.root, args.address, args.port, settings=settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    print(f"listening on {server.address[0]}:{server.address[1]}", flush=True)
    try:
        await stop.wait()
    finally:
        server.close()


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    level = logging.DEBUG if args.verbose else logging.WARNING if args.quiet else logging.INFO
    logging.basicConfig(
        level=level, format="%(asctime)s %(name)s %(levelname)s %(message)s", stream=sys.stderr
    )
    try:
        eventloop.run(_serve(args))
    except NotADirectoryError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(
            f"error: cannot serve TFTP on {args.address}:{args.port}: {exc.strerror or exc}", file=sys.stderr
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
