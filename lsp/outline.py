"""Document symbols (labels as the outline, menus with their items inside) and folding ranges (label
sections)."""

from __future__ import annotations

import bisect

from lsprotocol import types

from ipxescript.lsp.documents import OpenDocument
from ipxescript.lsp.index import LabelDef, MenuDef

S = types.SymbolKind


def _section_ends(doc: OpenDocument) -> list[tuple[LabelDef, int]]:
    """Each label with the offset where its section ends (before the next label or at the end),
    trailing blank lines left out."""
    labels = doc.index.label_defs
    text = doc.text
    out = []
    for i, label in enumerate(labels):
        end = labels[i + 1].line.start if i + 1 < len(labels) else len(text)
        while end > label.line.end and text[end - 1] in " \t\r\n":
            end -= 1
        out.append((label, max(end, label.name_end)))
    return out


def document_symbols(doc: OpenDocument) -> list[types.DocumentSymbol]:
    positions = doc.positions
    sections = _section_ends(doc)
    top: list[types.DocumentSymbol] = []
    section_symbols: list[tuple[int, int, list[types.DocumentSymbol]]] = []
    for label, end in sections:
        children: list[types.DocumentSymbol] = []
        symbol = types.DocumentSymbol(
            name=":" + label.name,
            kind=S.Function,
            range=positions.range(label.line.start, end),
            selection_range=positions.range(label.label.start, label.name_end),
            children=children,
        )
        top.append(symbol)
        section_symbols.append((label.line.start, end, children))
    starts = [a for a, _, _ in section_symbols]
    for menu in doc.index.menus:
        symbol = _menu_symbol(doc, menu)
        i = bisect.bisect_right(starts, menu.command.start) - 1
        if i >= 0 and menu.command.start <= section_symbols[i][1]:
            section_symbols[i][2].append(symbol)
        else:
            top.append(symbol)
    top.sort(key=lambda s: (s.range.start.line, s.range.start.character))
    return top


def _menu_symbol(doc: OpenDocument, menu: MenuDef) -> types.DocumentSymbol:
    positions = doc.positions
    children = []
    for item in menu.items:
        if item.word is None:
            continue
        children.append(
            types.DocumentSymbol(
                name=item.word.text,
                detail=item.text or None,
                kind=S.EnumMember,
                range=positions.range(item.command.start, item.command.end),
                selection_range=positions.range(item.word.start, item.word.end),
            )
        )
    end = max([menu.command.end] + [i.command.end for i in menu.items])
    name = menu.name or "(menu)"
    return types.DocumentSymbol(
        name=name,
        detail=menu.title or None,
        kind=S.Enum,
        range=positions.range(menu.command.start, end),
        selection_range=positions.range(menu.command.words[0].start, menu.command.words[0].end),
        children=children,
    )


def folding_ranges(doc: OpenDocument) -> list[types.FoldingRange]:
    positions = doc.positions
    out = []
    for label, end in _section_ends(doc):
        first = positions.position(label.line.start).line
        last = positions.position(end).line
        if last > first:
            out.append(
                types.FoldingRange(start_line=first, end_line=last, kind=types.FoldingRangeKind.Region)
            )
    return out
