"""Reading a TOML config file (``.ipxelint.toml``, ``pyproject.toml``, ``ipxescript.toml``): each way
it can be unreadable is one message naming the cause, never a traceback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

BOM = b"\xef\xbb\xbf"


class TomlFileError(ValueError):
    """The file is not readable TOML; the message is the cause (callers put the path before it)."""


def load_toml(path: Path) -> dict[str, Any]:
    """The file's top table. Raises ``OSError`` when it cannot be read, ``TomlFileError`` when it is
    not UTF-8 TOML (a Windows editor's byte order mark, a Latin-1 accent, a syntax error)."""
    import tomllib  # here, not at the top: most lint runs find no config file

    data = path.read_bytes()
    if data.startswith(BOM):
        raise TomlFileError(
            "starts with a UTF-8 byte order mark, which TOML does not allow; save it as UTF-8 without a BOM"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise TomlFileError(f"not UTF-8 text (byte {exc.start}): TOML files are UTF-8") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise TomlFileError(f"not valid TOML: {exc}") from None
