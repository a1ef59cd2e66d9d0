"""Reading script files for the command-line tools: bytes in, clear errors out (never a traceback)."""

from __future__ import annotations

from ipxescript.clikit import read_input


def read_script_file(path: str) -> tuple[bytes, str]:
    """(bytes, display name) of a file or of stdin ('-'); an input error (exit 2) naming the file."""
    return read_input(path), "<stdin>" if path == "-" else path
