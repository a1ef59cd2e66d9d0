"""Keys: the names ``--keys`` accepts and the key codes iPXE's getkey() returns.

Special keys are ``0x100 * (n + 1) + terminator`` (src/include/ipxe/keys.h, KEY_ANSI); upstream adds
KEY_MIN = 0x110000 to them, which the profile's ``key_offset`` supplies. Enter is LF (getchar maps CR).
"""

from __future__ import annotations

from dataclasses import dataclass

LF = 0x0A
ESC = 0x1B
BACKSPACE = 0x08
TAB = 0x09
CTRL_C = 0x03

SPECIAL = {
    "UP": 0x141,
    "DOWN": 0x142,
    "RIGHT": 0x143,
    "LEFT": 0x144,
    "END": 0x146,
    "HOME": 0x148,
    "INSERT": 0x37E,
    "DELETE": 0x47E,
    "PGUP": 0x67E,
    "PGDN": 0x77E,
    "F1": 0xC7E,
    "F2": 0xD7E,
    "F3": 0xE7E,
    "F4": 0xF7E,
    "F5": 0x107E,
    "F6": 0x127E,
    "F7": 0x137E,
    "F8": 0x147E,
    "F9": 0x157E,
    "F10": 0x167E,
    "F11": 0x187E,
    "F12": 0x197E,
}
PLAIN = {"ENTER": LF, "ESC": ESC, "BACKSPACE": BACKSPACE, "TAB": TAB, "SPACE": 0x20}


class KeyError_(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Key:
    code: int
    label: str  # as the user wrote it (for traces and explore tables)
    ends_group: bool = True  # False inside a text:... word: the keys of one word arrive together


def key_code(name: str, key_offset: int) -> int:
    upper = name.upper()
    if upper in SPECIAL:
        return SPECIAL[upper] + key_offset
    if upper in PLAIN:
        return PLAIN[upper]
    if upper.startswith("CTRL-") and len(upper) == 6 and "A" <= upper[5] <= "Z":
        return ord(upper[5]) - ord("A") + 1
    if len(name) == 1:
        return ord(name)
    raise KeyError_(
        f"unknown key name {name!r} (use UP DOWN LEFT RIGHT HOME END PGUP PGDN ENTER ESC "
        "BACKSPACE TAB F1..F12 CTRL-A..CTRL-Z, one character, or text:...)"
    )


def parse_keys(spec: str, key_offset: int) -> list[Key]:
    """``"DOWN DOWN ENTER text:hello ENTER"`` -> keys. ``text:`` takes the rest of that word."""
    keys: list[Key] = []
    for word in spec.split():
        if word.startswith("text:"):
            text = word[5:]
            keys.extend(Key(ord(ch), ch, i == len(text) - 1) for i, ch in enumerate(text))
            continue
        keys.append(Key(key_code(word, key_offset), word))
    return keys


def key_label(code: int, key_offset: int) -> str:
    for name, value in SPECIAL.items():
        if value + key_offset == code:
            return name
    for name, value in PLAIN.items():
        if value == code:
            return name
    if 1 <= code <= 26:
        return f"CTRL-{chr(code + 64)}"
    return chr(code) if 0x20 < code < 0x7F else f"0x{code:x}"
