"""Key names (the `ipxesim --keys` vocabulary) as the bytes OVMF's serial terminal turns into keys."""

from __future__ import annotations

CSI = "\x1b["

NAMED = {
    "UP": CSI + "A",
    "DOWN": CSI + "B",
    "RIGHT": CSI + "C",
    "LEFT": CSI + "D",
    "HOME": CSI + "H",
    "END": CSI + "F",
    "INSERT": CSI + "2~",
    "DELETE": CSI + "3~",
    "PGUP": CSI + "5~",
    "PGDN": CSI + "6~",
    "ENTER": "\r",  # iPXE's getchar() turns CR into LF
    "ESC": "\x1b",
    "BACKSPACE": "\x08",
    "TAB": "\t",
    "SPACE": " ",
    "F1": "\x1bOP",
    "F2": "\x1bOQ",
    "F3": "\x1bOR",
    "F4": "\x1bOS",
    "F5": CSI + "15~",
    "F6": CSI + "17~",
    "F7": CSI + "18~",
    "F8": CSI + "19~",
    "F9": CSI + "20~",
    "F10": CSI + "21~",
    "F11": CSI + "23~",
    "F12": CSI + "24~",
}


def key_bytes(token: str) -> bytes:
    """The bytes for one `--keys` token: a key name, CTRL-X, one character, or `text:...`."""
    if token in NAMED:
        return NAMED[token].encode()
    if token.startswith("CTRL-") and len(token) == 6 and token[5].isalpha():
        return bytes([ord(token[5].upper()) - 0x40])
    if token.startswith("text:"):
        return token[5:].encode()
    if len(token) == 1:
        return token.encode()
    raise ValueError(f"unknown key name {token!r}")


def split_keys(spec: str) -> list[str]:
    return spec.split()
