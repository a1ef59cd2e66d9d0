"""Features across the files of a boot tree (lsp/workspace.py): go to a chained file, go to where a
setting is set (in this file or one that runs before or after it), references and rename of a setting
in every connected file, document links for every chain the tree resolves, and workspace symbols.

Settings are global in iPXE, so a setting's uses are those in every file connected to this one by
chains (``BootTree.connected``), as the linter sees them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams, JsonRpcInvalidRequest

from ipxescript.analysis.boottree import BootTree, Edge, TreeFile
from ipxescript.analysis.model import ScriptModel
from ipxescript.analysis.settings import Access, is_predefined, split_name
from ipxescript.lsp.context import cursor_at
from ipxescript.lsp.documents import OpenDocument, displayable
from ipxescript.lsp.positions import Positions

TOP = types.Range(start=types.Position(0, 0), end=types.Position(0, 0))
MAX_SYMBOLS = 1000


@dataclass
class TreeView:
    """One open document's place in its tree, and positions for any file of the tree."""

    tree: BootTree
    file: TreeFile
    doc: OpenDocument
    open_docs: dict[Path, OpenDocument]

    def text(self, tree_file: TreeFile) -> str:
        """The file's text as the user sees it: the open document's, else the file's on disk."""
        doc = self.open_docs.get(tree_file.path)
        return doc.text if doc is not None else tree_file.script.text

    def uri(self, tree_file: TreeFile) -> str:
        doc = self.open_docs.get(tree_file.path)
        return doc.uri if doc is not None else tree_file.path.as_uri()

    def positions(self, tree_file: TreeFile) -> Positions:
        doc = self.open_docs.get(tree_file.path)
        if doc is not None and doc.script is tree_file.script:
            return doc.positions
        return Positions(tree_file.script, self.doc.encoding)

    def location(self, tree_file: TreeFile, start: int, end: int) -> types.Location:
        return types.Location(uri=self.uri(tree_file), range=self.positions(tree_file).range(start, end))


# -- chains ------------------------------------------------------------------------------------


def edge_at(view: TreeView, offset: int) -> Edge | None:
    for edge in view.tree.edges_from(view.file):
        if edge.word.start <= offset <= edge.word.end:
            return edge
    return None


def chain_definition(view: TreeView, offset: int) -> list[types.Location] | None:
    edge = edge_at(view, offset)
    if edge is None or not edge.targets:
        return None
    return [types.Location(uri=view.uri(t), range=TOP) for t in edge.targets]


def chain_links(view: TreeView) -> list[types.DocumentLink]:
    """A link on each chain target the tree resolves to one file."""
    text = view.doc.text
    out = []
    for edge in view.tree.edges_from(view.file):
        word = edge.word
        if len(edge.targets) == 1 and text[word.start : word.end] == word.text:
            out.append(
                types.DocumentLink(
                    range=view.doc.positions.range(word.start, word.end),
                    target=view.uri(edge.targets[0]),
                )
            )
    return out


# -- settings ----------------------------------------------------------------------------------


@dataclass
class Use:
    """One place a setting is named: the name's own characters, without ``${``, block or type."""

    file: TreeFile
    start: int
    end: int
    write: bool


def _name_range(script_text: str, access: Access, is_reference: bool) -> tuple[int, int] | None:
    start = access.start + (2 if is_reference else 0)
    if access.block is not None:
        start += len(access.block) + 1
    end = start + len(access.name)
    return (start, end) if script_text[start:end] == access.name else None


def _cleared(model: ScriptModel) -> list[tuple[str, int, int]]:
    """The settings ``clear`` deletes, as (name, start, end) of the name's characters: a store of
    nothing that the settings model does not list, but that a rename must follow."""
    out = []
    for _line, bound in model.commands_named("clear"):
        if bound.positionals and bound.positionals[0].is_literal:
            word = bound.positionals[0]
            block, name = split_name(word.text)
            start = word.start + (len(block) + 1 if block is not None else 0)
            out.append((name, start, start + len(name)))
    return out


def _spans(model: ScriptModel, name: str) -> list[tuple[int, int, bool]]:
    """(start, end, stores) of each place ``name`` is named, once (``inc x`` both reads and stores x:
    one place, a store)."""
    text = model.script.text
    settings = model.settings
    found: dict[tuple[int, int], bool] = {}
    for access, write in [*((a, True) for a in settings.writes), *((a, False) for a in settings.reads)]:
        if access.name != name:
            continue
        span = _name_range(text, access, text.startswith("${", access.start))
        if span is not None:
            found[span] = found.get(span, False) or write
    for cleared, start, end in _cleared(model):
        if cleared == name:
            found.setdefault((start, end), False)  # a use, not where the setting gets its value
    return [(start, end, write) for (start, end), write in sorted(found.items())]


def uses(tree_file: TreeFile, name: str) -> list[Use]:
    return [Use(tree_file, start, end, write) for start, end, write in _spans(tree_file.model, name)]


def setting_at(doc: OpenDocument, offset: int) -> str | None:
    """The setting named at the cursor: inside ``${...}`` or the name ``set``/``read``/``clear``/...
    stores."""
    cursor = cursor_at(doc.script, offset)
    if cursor.reference is not None and cursor.reference.is_static:
        return cursor.reference.setting
    settings = doc.model.settings
    text = doc.text
    for access in [*settings.writes, *settings.reads]:
        if access.start <= offset <= access.end and not text.startswith("${", access.start):
            return access.name
    for name, start, end in _cleared(doc.model):
        if start <= offset <= end:
            return name
    return None


def all_uses(view: TreeView, name: str) -> list[Use]:
    files = view.tree.connected(view.file)
    ordered = [view.file, *(f for f in files if f is not view.file)]
    return [use for f in ordered for use in uses(f, name)]


def setting_definition(view: TreeView, offset: int) -> list[types.Location] | None:
    name = setting_at(view.doc, offset)
    if name is None:
        return None
    found = [view.location(u.file, u.start, u.end) for u in all_uses(view, name) if u.write]
    return found or None


def setting_references(view: TreeView, offset: int, include_declaration: bool) -> list[types.Location] | None:
    name = setting_at(view.doc, offset)
    if name is None:
        return None
    return [
        view.location(u.file, u.start, u.end)
        for u in all_uses(view, name)
        if include_declaration or not u.write
    ]


MAX_STORES = 8


def stores_text(doc: OpenDocument, view: TreeView | None, name: str) -> str:
    """Markdown: each place of the document's tree (``view``; None: the document alone) that stores
    ``name``, with its line (the value it sets)."""
    if view is not None:
        found = [(u.file.name, u.file.script.text, u.start) for u in all_uses(view, name) if u.write]
    else:
        own = Path(doc.path).name if doc.path else "this script"
        found = [(own, doc.text, start) for start, _end, write in _spans(doc.model, name) if write]
    if not found:
        return ""
    rows = []
    for file_name, text, offset in found[:MAX_STORES]:
        start = text.rfind("\n", 0, offset) + 1
        end = text.find("\n", offset)
        line = displayable(text[start : end if end >= 0 else len(text)].strip().replace("`", "'"))
        shown = line if len(line) <= 100 else line[:99] + "…"
        number = text.count("\n", 0, offset) + 1
        rows.append(f"- `{file_name}:{number}` `{shown}`")
    if len(found) > MAX_STORES:
        rows.append(f"- and {len(found) - MAX_STORES} more")
    return "Stored in this boot tree:\n" + "\n".join(rows)


def prepare_setting_rename(view: TreeView, offset: int) -> types.PrepareRenameResult | None:
    name = setting_at(view.doc, offset)
    if name is None:
        return None
    _check_setting(view, name)
    here = next((u for u in uses(view.file, name) if u.start <= offset <= u.end), None)
    if here is None:
        raise JsonRpcInvalidRequest(f"the setting {name} cannot be renamed here")
    return types.PrepareRenamePlaceholder(
        range=view.doc.positions.range(here.start, here.end), placeholder=name
    )


def _check_setting(view: TreeView, name: str) -> None:
    if is_predefined(view.file.model, name):
        raise JsonRpcInvalidRequest(f"{name} is one of iPXE's own settings: it cannot be renamed")


def rename_setting(view: TreeView, offset: int, new_name: str) -> types.WorkspaceEdit | None:
    name = setting_at(view.doc, offset)
    if name is None:
        return None
    _check_setting(view, name)
    block, plain = split_name(new_name)
    if not new_name or block is not None or plain != new_name or any(c in new_name for c in " \t\n${}#"):
        raise JsonRpcInvalidParams(f"{new_name!r} is not a setting name (one word, without / : $ {{ }})")
    changes: dict[str, list[types.TextEdit]] = {}
    for use in all_uses(view, name):
        edit = types.TextEdit(range=view.positions(use.file).range(use.start, use.end), new_text=new_name)
        changes.setdefault(view.uri(use.file), []).append(edit)
    return types.WorkspaceEdit(changes=changes)


# -- symbols -----------------------------------------------------------------------------------


def workspace_symbols(
    views: list[tuple[TreeFile, str, Positions]], query: str
) -> list[types.WorkspaceSymbol]:
    """Labels and menus of every file, those whose name holds the query's characters in order."""
    wanted = query.lower()
    out: list[types.WorkspaceSymbol] = []
    for tree_file, uri, positions in views:
        model = tree_file.model
        named: list[tuple[str, types.SymbolKind, int, int]] = [
            (":" + label.name, types.SymbolKind.Function, label.start, label.end)
            for label, _line in model.label_list
        ]
        for menu in model.menus.menus:
            title = " ".join(w.text for w in menu.bound.positionals)
            shown = menu.name or title or "(menu)"
            command = menu.bound.command
            named.append((shown, types.SymbolKind.Enum, command.start, command.end))
        for text, kind, start, end in named:
            if _matches(text.lower(), wanted):
                location = types.Location(uri=uri, range=positions.range(start, end))
                out.append(
                    types.WorkspaceSymbol(
                        name=displayable(text),
                        kind=kind,
                        location=location,
                        container_name=displayable(tree_file.name),
                    )
                )
                if len(out) >= MAX_SYMBOLS:
                    return out
    return out


def _matches(text: str, query: str) -> bool:
    """The query's characters appear in order (as editors' fuzzy symbol search expects)."""
    position = 0
    for char in query:
        position = text.find(char, position) + 1
        if position == 0:
            return False
    return True
