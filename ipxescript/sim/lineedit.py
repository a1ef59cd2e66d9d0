"""One key of line editing (src/hci/editstring.c: edit_string), shared by ``read``, the shell and
the edit boxes of forms."""

from __future__ import annotations

from ipxescript.sim import keys


def edit_key(text: list[str], cursor: int, key: int, special: str | None, limit: int = 1 << 16) -> int | None:
    """Apply KEY to TEXT (edited in place) at CURSOR: the new cursor, or None for a key editing does
    not handle (Enter, Esc, arrows up/down, ...). SPECIAL is the key's name (``"LEFT"``) if it has one."""
    if key == keys.BACKSPACE or key == 0x7F:
        if cursor:
            del text[cursor - 1]
            cursor -= 1
    elif special == "DELETE" or key == 0x04:
        if cursor < len(text):
            del text[cursor]
    elif key == 0x17:  # Ctrl-W: delete the word before the cursor
        start = cursor
        while start and text[start - 1] == " ":
            start -= 1
        while start and text[start - 1] != " ":
            start -= 1
        del text[start:cursor]
        cursor = start
    elif key == 0x15:  # Ctrl-U
        del text[:cursor]
        cursor = 0
    elif key == 0x0B:  # Ctrl-K
        del text[cursor:]
    elif special == "HOME" or key == 0x01:
        cursor = 0
    elif special == "END" or key == 0x05:
        cursor = len(text)
    elif special == "LEFT" or key == 0x02:
        cursor = max(0, cursor - 1)
    elif special == "RIGHT" or key == 0x06:
        cursor = min(len(text), cursor + 1)
    elif 0x20 <= key < 0x100 and key != 0x7F:
        if len(text) < limit:
            text.insert(cursor, chr(key))
            cursor += 1
    else:
        return None
    return cursor
