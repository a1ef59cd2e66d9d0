"""Reading script files for the command-line tools: bytes in, clear errors out (never a traceback)."""

from __future__ import annotations

import sys

import click


def read_script_file(path: str) -> tuple[bytes, str]:
    """(bytes, display name) of a file or of stdin ('-'); a click error naming the file otherwise."""
    if path == "-":
        return sys.stdin.buffer.read(), "<stdin>"
    try:
        with open(path, "rb") as handle:
            return handle.read(), path
    except IsADirectoryError:
        raise click.ClickException(f"{path}: is a directory") from None
    except FileNotFoundError:
        raise click.ClickException(f"{path}: no such file") from None
    except PermissionError:
        raise click.ClickException(f"{path}: permission denied") from None
    except OSError as exc:
        raise click.ClickException(f"{path}: cannot read: {exc.strerror or exc}") from None
