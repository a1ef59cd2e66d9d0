"""Formatting through the project's formatter (``ipxescript.fmt``), as the smallest edit that turns
the text into the formatted text."""

from __future__ import annotations

from lsprotocol import types

from ipxescript.fmt import format_text
from ipxescript.lsp.documents import OpenDocument
from ipxescript.lsp.index import line_at

# The formatter treats the first line of its input specially (a non-magic first line is left alone),
# so a range taken from the middle of a file is formatted behind a magic line that is then dropped.
MAGIC = "#!ipxe\n"


def _edit(doc: OpenDocument, start: int, end: int, new: str) -> list[types.TextEdit]:
    old = doc.text[start:end]
    if new == old:
        return []
    head = 0
    limit = min(len(old), len(new))
    while head < limit and old[head] == new[head]:
        head += 1
    tail = 0
    while tail < limit - head and old[len(old) - 1 - tail] == new[len(new) - 1 - tail]:
        tail += 1
    return [
        types.TextEdit(
            range=doc.positions.range(start + head, end - tail), new_text=new[head : len(new) - tail]
        )
    ]


def format_document(doc: OpenDocument) -> list[types.TextEdit]:
    return _edit(doc, 0, len(doc.text), format_text(doc.text))


def format_range(doc: OpenDocument, selection: types.Range) -> list[types.TextEdit]:
    """Format the logical lines the selection touches; the rest of the file stays as it is."""
    positions = doc.positions
    first = line_at(doc.script, positions.offset(selection.start))
    last_offset = positions.offset(selection.end)
    if selection.end.character == 0 and selection.end.line > selection.start.line:
        last_offset -= 1  # a selection ending at a line start does not include that line
    last = line_at(doc.script, max(last_offset, 0))
    if first is None or last is None:
        return []
    start, end = first.start, max(last.end, first.end)
    if start == 0:
        return (
            format_document(doc) if end >= len(doc.text) else _edit(doc, 0, end, _format_head(doc.text[:end]))
        )
    piece = doc.text[start:end]
    formatted = format_text(MAGIC + piece)[len(MAGIC) :]
    return _edit(doc, start, end, _keep_tail(piece, formatted))


def _format_head(piece: str) -> str:
    return _keep_tail(piece, format_text(piece))


def _keep_tail(piece: str, formatted: str) -> str:
    """The formatter ends a file with exactly one newline; inside a file the piece keeps its line
    breaks (blank lines after it included)."""
    body = formatted.rstrip("\r\n")
    stripped = piece.rstrip(" \t\r\n")
    tail = piece[len(stripped) :]
    newline = "\r\n" if "\r\n" in tail else "\n"
    breaks = tail.count("\n")
    return body + newline * breaks if breaks else body
