"""Go to definition, references, rename and document links: labels (with ``goto ${var}`` fed by
``choose`` through item ids), URLs, and with the document's boot tree (``view``, lsp/crossfile.py)
chained files and settings across files. Without a tree (an unsaved document) relative ``chain``
targets are looked up next to nothing."""

from __future__ import annotations

import re
from pathlib import Path

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams, JsonRpcInvalidRequest

from ipxescript.catalog import get_catalog
from ipxescript.lsp import crossfile
from ipxescript.lsp.context import cursor_at
from ipxescript.lsp.documents import OpenDocument
from ipxescript.lsp.index import URL_SCHEME_CHARS, LabelDef
from ipxescript.syntax.tree import Reference, Word

URL_RE = re.compile(r"^[A-Za-z][A-Za-z_-]*:")


def _location(doc: OpenDocument, start: int, end: int) -> types.Location:
    return types.Location(uri=doc.uri, range=doc.positions.range(start, end))


def _label_location(doc: OpenDocument, label: LabelDef) -> types.Location:
    return _location(doc, label.name_start, label.name_end)


def definition(
    doc: OpenDocument, position: types.Position, view: crossfile.TreeView | None = None
) -> list[types.Location] | None:
    offset = doc.positions.offset(position)
    index = doc.index
    own = index.label_at(offset)
    if own is not None:
        first = index.label(own.name)
        return [_label_location(doc, first or own)]
    ref = index.ref_at(offset)
    if ref is not None:
        target = index.label(ref.word.text)
        return [_label_location(doc, target)] if target else None
    dynamic = index.dynamic_goto_at(offset)
    if dynamic is not None:
        found: list[types.Location] = []
        for item in index.targets_of_dynamic_goto(dynamic):
            target = index.label(item.name or "")
            if target is not None and all(loc.range.start.line != target.line.first_line for loc in found):
                found.append(_label_location(doc, target))
        return found or None
    if view is not None:
        return crossfile.chain_definition(view, offset) or crossfile.setting_definition(view, offset)
    chain = _chain_target(doc, offset)
    if chain is not None:
        return [types.Location(uri=chain.as_uri(), range=crossfile.TOP)]
    return None


def references(
    doc: OpenDocument,
    position: types.Position,
    include_declaration: bool,
    view: crossfile.TreeView | None = None,
) -> list[types.Location]:
    offset = doc.positions.offset(position)
    name = _label_name_at(doc, offset)
    if name is None:
        found = crossfile.setting_references(view, offset, include_declaration) if view else None
        return found or []
    index = doc.index
    out: list[types.Location] = []
    if include_declaration:
        out.extend(_label_location(doc, d) for d in index.label_defs if d.name == name)
    out.extend(_location(doc, r.word.start, r.word.end) for r in index.refs_to(name))
    # `goto ${var}` fed by a choice that can yield this name
    for word in index.dynamic_gotos:
        if any(item.name == name for item in index.targets_of_dynamic_goto(word)):
            out.append(_location(doc, word.start, word.end))
    return sorted(out, key=lambda loc: (loc.range.start.line, loc.range.start.character))


def _label_name_at(doc: OpenDocument, offset: int) -> str | None:
    index = doc.index
    own = index.label_at(offset)
    if own is not None:
        return own.name
    ref = index.ref_at(offset)
    return ref.word.text if ref is not None else None


def prepare_rename(
    doc: OpenDocument, position: types.Position, view: crossfile.TreeView | None = None
) -> types.PrepareRenameResult | None:
    offset = doc.positions.offset(position)
    index = doc.index
    own = index.label_at(offset)
    if own is not None:
        _check_renamable(doc, own.name)
        return types.PrepareRenamePlaceholder(
            range=doc.positions.range(own.name_start, own.name_end), placeholder=own.name
        )
    ref = index.ref_at(offset)
    if ref is not None:
        _check_renamable(doc, ref.word.text)
        return types.PrepareRenamePlaceholder(
            range=doc.positions.range(ref.word.start, ref.word.end), placeholder=ref.word.text
        )
    if index.dynamic_goto_at(offset) is not None:
        raise JsonRpcInvalidRequest("a goto target computed at run time cannot be renamed; rename the label")
    if view is not None and (setting := crossfile.prepare_setting_rename(view, offset)) is not None:
        return setting
    raise JsonRpcInvalidRequest(CANNOT_RENAME)


CANNOT_RENAME = "only labels (their definitions, gotos and menu item ids) and settings can be renamed"


def _check_renamable(doc: OpenDocument, name: str) -> None:
    if not name:
        raise JsonRpcInvalidRequest("the empty label cannot be renamed")
    if not any(d.name == name for d in doc.index.label_defs):
        raise JsonRpcInvalidRequest(f"no label :{name} in this script to rename")
    for ref in doc.index.refs_to(name):
        if not _plain(doc, ref.word):
            raise JsonRpcInvalidRequest(f"a use of :{name} is split by a line continuation; join it first")
    for jump in doc.model.flow.jumps:
        # 'goto chained_${ver}': the new name would not be reached (a bare 'goto ${ver}' fed by a menu
        # is renamed with the menu's item ids)
        parts = jump.word.parts
        bare = len(parts) == 1 and isinstance(parts[0], Reference)
        if jump.target is None and not bare and jump.matches(name):
            line = doc.model.line_number(jump.word.start)
            raise JsonRpcInvalidRequest(
                f"'goto {jump.word.text}' (line {line}) also reaches :{name}, by a name computed at run time: "
                "renamed, the label would no longer match it; rename both by hand"
            )


def _plain(doc: OpenDocument, word: Word) -> bool:
    return doc.text[word.start : word.end] == word.text


def rename(
    doc: OpenDocument, position: types.Position, new_name: str, view: crossfile.TreeView | None = None
) -> types.WorkspaceEdit:
    offset = doc.positions.offset(position)
    name = _label_name_at(doc, offset)
    if name is None:
        edit = crossfile.rename_setting(view, offset, new_name) if view is not None else None
        if edit is None:
            raise JsonRpcInvalidRequest(CANNOT_RENAME)
        return edit
    _check_renamable(doc, name)
    if not new_name or any(c in new_name for c in " \t\n\v\f\r"):
        raise JsonRpcInvalidParams(f"{new_name!r} is not a label name: labels are one word without spaces")
    if new_name.startswith("#") or new_name in ("||", "&&", ";") or "${" in new_name:
        raise JsonRpcInvalidParams(f"{new_name!r} cannot be written as a goto target")
    index = doc.index
    edits = [
        types.TextEdit(range=doc.positions.range(d.name_start, d.name_end), new_text=new_name)
        for d in index.label_defs
        if d.name == name
    ]
    edits.extend(
        types.TextEdit(range=doc.positions.range(r.word.start, r.word.end), new_text=new_name)
        for r in index.refs_to(name)
    )
    return types.WorkspaceEdit(changes={doc.uri: edits})


def _chain_target(doc: OpenDocument, offset: int) -> Path | None:
    """A relative ``chain``/``imgexec``-family target that exists next to the script."""
    cursor = cursor_at(doc.script, offset)
    word = cursor.word
    if word is None or cursor.word_index == 0 or cursor.command is None or not word.is_literal:
        return None
    spec = get_catalog().commands.get(cursor.command_name or "")
    if spec is None or spec.family not in ("imgexec", "imgselect", "imgfetch"):
        return None
    bound = doc.index.binding(cursor.command)
    if not bound.positionals or bound.positionals[0] is not word:
        return None
    return _local_file(doc, word.text)


def _local_file(doc: OpenDocument, text: str) -> Path | None:
    if URL_RE.match(text) or doc.path is None:
        return None
    target = (Path(doc.path).parent / text.split("#", 1)[0].split("?", 1)[0]).resolve()
    return target if target.is_file() else None


def document_links(doc: OpenDocument, view: crossfile.TreeView | None = None) -> list[types.DocumentLink]:
    """URLs, and chain targets: every one the tree resolves to a file (else those next to the script)."""
    links = crossfile.chain_links(view) if view is not None else []
    catalog = get_catalog()
    for _line, command in doc.script.commands():
        spec = catalog.commands.get(command.name or "")
        bound = doc.index.binding(command)
        for word in command.args:
            if not word.is_literal or not _plain(doc, word):
                continue
            text = word.text
            scheme = text.split(":", 1)[0]
            if URL_RE.match(text) and all(c in URL_SCHEME_CHARS for c in scheme):
                if text.startswith(("http://", "https://", "ftp://", "tftp://", "file://")):
                    links.append(
                        types.DocumentLink(range=doc.positions.range(word.start, word.end), target=text)
                    )
            elif view is None and spec is not None and spec.family in ("imgexec", "imgselect", "imgfetch"):
                if bound.positionals and bound.positionals[0] is word:
                    local = _local_file(doc, text)
                    if local is not None:
                        links.append(
                            types.DocumentLink(
                                range=doc.positions.range(word.start, word.end), target=local.as_uri()
                            )
                        )
    return links
