"""Formatting through the project's formatter (``ipxescript.fmt``), as one edit over what changed."""

from __future__ import annotations

from lsprotocol import types

from ipxescript.lsp.documents import OpenDocument


def _formatted(doc: OpenDocument) -> str:
    from ipxescript.fmt import format_source  # type: ignore[attr-defined]

    return str(format_source(doc.text))


def _edits(doc: OpenDocument, new: str, lo: int = 0, hi: int | None = None) -> list[types.TextEdit]:
    old = doc.text
    if new == old:
        return []
    # the smallest replacement: cut the common head and tail
    head = 0
    limit = min(len(old), len(new))
    while head < limit and old[head] == new[head]:
        head += 1
    tail = 0
    while tail < limit - head and old[len(old) - 1 - tail] == new[len(new) - 1 - tail]:
        tail += 1
    return [
        types.TextEdit(range=doc.positions.range(head, len(old) - tail), new_text=new[head : len(new) - tail])
    ]


def format_document(doc: OpenDocument) -> list[types.TextEdit]:
    return _edits(doc, _formatted(doc))


def format_range(doc: OpenDocument, selection: types.Range) -> list[types.TextEdit]:
    raise NotImplementedError
