"""Values as iPXE parses them (src/core/parseopt.c: parse_integer; src/core/string.c: strtoul)."""

from __future__ import annotations

import re

_DECIMAL = re.compile(r"[+]?[1-9][0-9]*|[+]?0")
_HEX = re.compile(r"[+]?0[xX][0-9a-fA-F]*")
_OCTAL = re.compile(r"[+]?0[0-7]+")


def parse_ipxe_integer(text: str) -> int | None:
    """strtoul base 0 consuming the whole text; None when iPXE would reject it (``08``, ``5s``)."""
    if _HEX.fullmatch(text):
        digits = text.lstrip("+")[2:]
        return int(digits, 16) if digits else 0
    if _OCTAL.fullmatch(text):
        return int(text.lstrip("+"), 8)
    if _DECIMAL.fullmatch(text):
        return int(text.lstrip("+"))
    return None
