"""Option and argument values, parsed as iPXE's parseopt.c does (src/core/parseopt.c: parse_integer,
parse_timeout, parse_key; src/core/string.c: strtoul).

Each parser returns the value, or raises ``ValueProblem`` carrying the exact message iPXE prints.
"""

from __future__ import annotations

from ipxescript.catalog import Profile

UINT_MASK = 0xFFFFFFFF  # iPXE stores these in an unsigned int
KEY_ASCII_LIMIT = 0x80


class ValueProblem(ValueError):
    def __init__(self, message: str, errno: str = "EINVAL") -> None:
        super().__init__(message)
        self.message = message
        self.errno = errno


def strtoul(text: str) -> tuple[int, int]:
    """iPXE's strtoul(text, &end, 0): (value, index where parsing stopped)."""
    i = 0
    n = len(text)
    while i < n and text[i] in " \t\n\v\f\r":
        i += 1
    negate = False
    if i < n and text[i] in "+-":
        negate = text[i] == "-"
        i += 1
    base = 10
    if i < n and text[i] == "0":  # base detection: "0" octal, "0x"/"0X" hex (strtoul_pre)
        i += 1
        base = 8
        if i < n and text[i] in "xX":
            i += 1
            base = 16
    value = 0
    while i < n:
        c = text[i].lower()
        if "0" <= c <= "9":
            digit = ord(c) - ord("0")
        elif "a" <= c <= "z":
            digit = ord(c) - ord("a") + 10
        else:
            break
        if digit >= base:
            break
        value = value * base + digit
        i += 1
    if negate:
        value = -value
    return value & 0xFFFFFFFFFFFFFFFF, i


def parse_integer(text: str, profile: Profile | None = None) -> int:
    """A whole-word unsigned integer: decimal, 0x hex, leading-0 octal (``08`` is invalid)."""
    if text == "" and not (profile and profile.empty_integer_is_zero):
        raise ValueProblem(f'"{text}": invalid integer value')
    value, end = strtoul(text)
    if end != len(text):
        raise ValueProblem(f'"{text}": invalid integer value')
    return value & UINT_MASK


def parse_timeout(text: str, profile: Profile | None = None) -> int:
    """Milliseconds (0 = no timeout)."""
    return parse_integer(text, profile)


def parse_key(text: str, profile: Profile | None = None) -> int:
    """One character is that key; otherwise an integer, where 0x80..0x10ffff select special keys."""
    if len(text) == 1:
        return ord(text)
    key = parse_integer(text, profile)
    offset = profile.key_offset if profile else 0x110000
    if offset and KEY_ASCII_LIMIT <= key < offset:
        key += offset
    return key


# argument kinds (catalog conventions) -> parser; kinds not listed are taken as text here and checked
# where they are used (settings, interfaces, UUIDs need runtime state or their own grammar).
VALUE_PARSERS = {"integer": parse_integer, "timeout_ms": parse_timeout, "key": parse_key}


def parse_value(kind: str, text: str, profile: Profile | None = None) -> object:
    parser = VALUE_PARSERS.get(kind)
    if parser is None:
        return text
    return parser(text, profile)
