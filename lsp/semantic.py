"""Semantic tokens: what each piece of a script is, from the syntax tree (so editors without the
TextMate grammar get the same picture)."""

from __future__ import annotations

from lsprotocol import types

from ipxescript.catalog import get_catalog
from ipxescript.lsp.documents import OpenDocument
from ipxescript.lsp.index import URL_SCHEME_CHARS
from ipxescript.syntax.tree import Reference, Word

TOKEN_TYPES = ["function", "parameter", "variable", "type", "namespace", "label", "comment", "operator",
               "number", "string", "macro"]  # fmt: skip
TOKEN_MODIFIERS = ["defaultLibrary", "definition"]
LEGEND = types.SemanticTokensLegend(token_types=TOKEN_TYPES, token_modifiers=TOKEN_MODIFIERS)
_TYPE = {name: i for i, name in enumerate(TOKEN_TYPES)}
_LIBRARY = 1
_DEFINITION = 2


def semantic_tokens(doc: OpenDocument) -> types.SemanticTokens:
    catalog = get_catalog()
    raw: list[tuple[int, int, str, int]] = []  # start, end, type, modifiers
    index = doc.index
    label_words = {id(r.word) for r in index.label_refs()}
    magic_line = doc.script.magic is not None
    for line in doc.script.lines:
        # the line's own pieces (not line.tokens, which also builds all the whitespace between them)
        if line.comment is not None:
            token = line.comment
            kind = "macro" if line.index == 0 and magic_line and token.start == 0 else "comment"
            raw.append((token.start, token.end, kind, 0))
        if line.label is not None:
            raw.append((line.label.start, line.label.end, "label", _DEFINITION))
        for operator in line.operators:
            raw.append((operator.start, operator.end, "operator", 0))
        for command in line.commands:
            if not command.words:
                continue
            name_word = command.words[0]
            if name_word.is_literal:
                known = name_word.text in catalog.commands
                raw.append((name_word.start, name_word.end, "function", _LIBRARY if known else 0))
            else:
                _references(name_word, raw)
            bound = index.binding(command)
            option_words = {id(w) for w in bound.option_words}
            value_words = {id(o.value_word) for o in bound.options if o.value_word is not None}
            for word in command.args:
                if id(word) in label_words:
                    raw.append((word.start, word.end, "label", 0))
                elif id(word) in option_words and id(word) not in value_words and word.text.startswith("-"):
                    raw.append((word.start, word.end, "parameter", 0))
                elif word.is_literal and _is_number(word.text):
                    raw.append((word.start, word.end, "number", 0))
                elif word.is_literal and _is_url(word.text):
                    raw.append((word.start, word.end, "string", 0))
                else:
                    _references(word, raw)
    return types.SemanticTokens(data=_encode(doc, raw))


def _references(word: Word, raw: list[tuple[int, int, str, int]]) -> None:
    stack = list(word.parts)
    while stack:
        part = stack.pop()
        if not isinstance(part, Reference):
            continue
        if part.is_static:
            inner_start = part.start + 2
            inner = part.inner
            block, _, rest = inner.partition("/") if "/" in inner else ("", "", inner)
            name, colon, type_name = rest.partition(":")
            pos = inner_start
            if block:
                raw.append((pos, pos + len(block), "namespace", 0))
                pos += len(block) + 1
            raw.append((pos, pos + len(name), "variable", 0))
            if colon:
                pos += len(name) + 1
                raw.append((pos, pos + len(type_name), "type", 0))
        else:
            stack.extend(part.parts)


def _is_number(text: str) -> bool:
    return text.isdigit() or (
        text[:2].lower() == "0x" and len(text) > 2 and all(c in "0123456789abcdefABCDEF" for c in text[2:])
    )


def _is_url(text: str) -> bool:
    scheme, colon, _ = text.partition(":")
    return bool(colon) and bool(scheme) and scheme[0].isalpha() and all(c in URL_SCHEME_CHARS for c in scheme)


def _encode(doc: OpenDocument, raw: list[tuple[int, int, str, int]]) -> list[int]:
    positions = doc.positions
    data: list[int] = []
    last_line = last_char = 0
    for start, end, kind, modifiers in sorted(raw):
        if end <= start:
            continue
        line, column = positions.line_column(start)
        end_line, end_column = positions.line_column(end)
        if end_line != line:  # a token split by a continuation: mark only its first physical line
            starts = doc.script.line_starts
            line_end = starts[line + 1] - 1 if line + 1 < len(starts) else len(doc.text)
            end_column = positions.line_column(line_end)[1]
            if end_column <= column:
                continue
        delta_line = line - last_line
        delta_char = column - last_char if delta_line == 0 else column
        data.extend([delta_line, delta_char, end_column - column, _TYPE[kind], modifiers])
        last_line, last_char = line, column
    return data
