"""The conventions every command line of ipxescript shares (documented in docs/cli.md).

- exit status 0: done, nothing found; 1: findings, a failed run or a change needed; 2: usage or input
  error (a bad option, an unreadable file). Never a traceback.
- ``--format NAME`` picks the output (``--json`` is kept as ``--format json`` where it existed).
- ``-`` reads standard input wherever a script is taken.
- ``-q/--quiet`` drops summaries and progress, ``--version`` names the package, ``-h/--help``.
- colour only on a terminal, and never when ``NO_COLOR`` is set (https://no-color.org).
- bytes from a script are never written raw to a terminal in a message (escaped as ``\\xNN``).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import IO, Any, TypeVar

import click

from ipxescript import __version__

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2
CONTEXT = {"help_option_names": ["-h", "--help"]}
VERSION_MESSAGE = "%(prog)s (ipxescript) %(version)s"
MAGICS = (b"#!ipxe", b"#!gpxe")

F = TypeVar("F", bound=Callable[..., Any])


class InputError(click.ClickException):
    """Input that cannot be used (a missing, unreadable or binary file): reported, exit status 2."""

    exit_code = EXIT_USAGE


def version_option(prog: str) -> Callable[[F], F]:
    message = "%(prog)s %(version)s" if prog == "ipxescript" else VERSION_MESSAGE
    return click.version_option(__version__, "--version", prog_name=prog, message=message)


def quiet_option(help: str = "Print no summary or progress, only results and errors.") -> Callable[[F], F]:
    return click.option("-q", "--quiet", is_flag=True, help=help)


def format_option(
    choices: tuple[str, ...], default: str = "text", json_alias: bool = True
) -> Callable[[F], F]:
    """``--format`` (and ``--json`` as a short way to say ``--format json``); the command gets ``fmt``."""

    def use_json(ctx: click.Context, param: click.Parameter, value: bool) -> None:
        if value:
            ctx.meta["ipxescript.json"] = True

    def decorate(function: F) -> F:
        function = click.option(
            "--format",
            "fmt",
            type=click.Choice(choices),
            default=default,
            show_default=True,
            callback=lambda ctx, param, value: "json" if ctx.meta.get("ipxescript.json") else value,
            help="Output format.",
        )(function)
        if json_alias:
            function = click.option(
                "--json",
                is_flag=True,
                expose_value=False,
                is_eager=True,
                callback=use_json,
                help="The same as --format json.",
            )(function)
        return function

    return decorate


def colour_wanted(choice: str = "auto", stream: IO[str] | None = None) -> bool:
    """--color always/never/auto: auto is a terminal without NO_COLOR set (to anything but empty)."""
    if choice == "always":
        return True
    if choice == "never" or os.environ.get("NO_COLOR", ""):
        return False
    stream = stream or sys.stdout
    return bool(getattr(stream, "isatty", lambda: False)())


def read_input(path: str) -> bytes:
    """The bytes of a file or of standard input ('-'); an InputError naming the file and the cause."""
    if path == "-":
        return sys.stdin.buffer.read()
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except IsADirectoryError:
        raise InputError(f"{printable(path)}: is a directory") from None
    except FileNotFoundError:
        raise InputError(f"{printable(path)}: no such file") from None
    except PermissionError:
        raise InputError(f"{printable(path)}: permission denied") from None
    except OSError as exc:
        raise InputError(f"{printable(path)}: cannot read: {exc.strerror or exc}") from None


def binary_reason(data: bytes) -> str | None:
    """Why data is not a script but binary (an image, an executable), or None. A script may hold a
    stray NUL (a lint finding), so only data without the ``#!ipxe`` line counts."""
    head = data[:8192]
    if head[:6].lower() in MAGICS:
        return None
    if b"\0" in head:
        kind = "an ELF executable" if head.startswith(b"\x7fELF") else "binary data"
        kind = "a PE/EFI executable" if head.startswith(b"MZ") else kind
        if head.startswith((b"\xff\xfe", b"\xfe\xff")) or _utf16_ascii(head[:8]) or _utf16_ascii(head[1:9]):
            # Windows editors' "Unicode": iPXE reads bytes, so it never sees '#!ipxe' (nor any command)
            return "UTF-16 text, which iPXE cannot read: save it as UTF-8 (or ASCII)"
        return f"{kind}, not an iPXE script"
    return None


def _utf16_ascii(head: bytes) -> bool:
    """Four ASCII characters as UTF-16 (little-endian from byte 0, big-endian from byte 1)."""
    return (
        len(head) == 8
        and head[1::2] == b"\0\0\0\0"
        and all(32 <= b < 127 or b in b"\t\r\n" for b in head[::2])
    )


def printable(text: str) -> str:
    """Text safe for a terminal: control characters and undecodable bytes as \\xNN escapes."""
    out = []
    for ch in text:
        code = ord(ch)
        if 0xDC80 <= code <= 0xDCFF:  # an undecodable byte (surrogateescape)
            out.append(f"\\x{code - 0xDC00:02x}")
        elif (code < 32 and ch != "\t") or 0x7F <= code < 0xA0 or 0xD800 <= code <= 0xDFFF:
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(ch)
    return "".join(out)


def print_diff(path: str, before: str, after: str) -> bool:
    """A unified diff of a script's change on standard output (the script's bytes as they are);
    whether there was a change. ``-`` is shown as ``stdin``."""
    import difflib

    if before == after:
        return False
    name = "stdin" if path == "-" else path
    lines = difflib.unified_diff(
        before.splitlines(keepends=True), after.splitlines(keepends=True), f"a/{name}", f"b/{name}"
    )
    text = "".join(line if line.endswith("\n") else line + "\n" for line in lines)
    sys.stdout.flush()
    sys.stdout.buffer.write(text.encode("utf-8", "surrogateescape"))
    sys.stdout.flush()
    return True
