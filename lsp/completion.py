"""Completion: commands, a command's options, labels, item ids, settings and types inside ``${``,
setting names already used with ``set`` (in this script or another of its boot tree), and URL schemes."""

from __future__ import annotations

from lsprotocol import types

from ipxescript.catalog import CommandSpec, get_catalog
from ipxescript.lsp.context import Cursor, cursor_at
from ipxescript.lsp.crossfile import TreeView
from ipxescript.lsp.documents import OpenDocument, displayable
from ipxescript.lsp.index import IMAGE_FAMILIES, URL_SCHEME_CHARS

K = types.CompletionItemKind
SETTING_COMMANDS = ("set", "clear", "read", "inc", "show", "isset")


def complete(
    doc: OpenDocument, position: types.Position, view: TreeView | None = None
) -> types.CompletionList:
    """``view``: the document's boot tree, whose other files' settings are offered too."""
    offset = doc.positions.offset(position)
    cursor = cursor_at(doc.script, offset)
    items = _items(doc, cursor, view)
    if cursor.word is not None:
        # replace the whole part of the word that is being completed
        start = offset - len(_completed_part(cursor))
        edit_range = doc.positions.range(start, offset)
        for item in items:
            item.text_edit = types.TextEdit(range=edit_range, new_text=item.insert_text or item.label)
            item.insert_text = None
    return types.CompletionList(is_incomplete=False, items=items)


def _completed_part(cursor: Cursor) -> str:
    if cursor.open_reference is not None:
        inner = cursor.open_reference
        for sep in (":", "/"):
            if sep in inner:
                inner = inner.rsplit(sep, 1)[1]
        return inner
    return cursor.prefix


def _items(doc: OpenDocument, cursor: Cursor, view: TreeView | None) -> list[types.CompletionItem]:
    if cursor.line is None:
        return _commands(doc)
    if cursor.in_comment or cursor.in_label:
        return []
    if cursor.open_reference is not None:
        return _reference_items(doc, cursor, view)
    if cursor.word_index == 0:
        return _commands(doc)
    name = cursor.command_name
    spec = get_catalog().commands.get(name or "")
    if spec is None:
        return []
    prefix = cursor.prefix
    in_options = _still_in_options(doc, cursor, spec)
    previous = cursor.before[-1].text if len(cursor.before) > 1 else ""
    value_of = _option_taking_value(spec, previous) if in_options else None
    if value_of is not None:
        if name == "choose" and value_of == "default":
            return _item_ids(doc, cursor)
        if value_of in ("menu", "form"):
            return [types.CompletionItem(label=m.name, kind=K.Module) for m in doc.index.menus if m.name]
        return []
    if in_options and prefix.startswith("-"):
        return _options(spec)
    extra: list[types.CompletionItem] = []
    position = _positional_index(doc, cursor, spec)
    if name == "goto" and position == 0:
        return extra + _labels(doc)
    if name == "item" and position == 0 and not _has_option(doc, cursor, "gap"):
        return extra + _labels(doc)  # an item id is usually the label its choice jumps to
    if name in SETTING_COMMANDS + ("choose",) and position == 0:
        return extra + _setting_names(doc, cursor, view)
    if (spec.family in IMAGE_FAMILIES or name in ("sanboot", "sanhook", "set")) and all(
        c in URL_SCHEME_CHARS for c in prefix
    ):
        return extra + _schemes(doc)
    return extra


def _still_in_options(doc: OpenDocument, cursor: Cursor, spec: CommandSpec) -> bool:
    """Options count only before the first positional word (and before ``--``)."""
    if cursor.command is None:
        return True
    bound = doc.binding(cursor.command)
    consumed = {id(w) for w in bound.option_words}
    for word in cursor.before[1:]:
        if id(word) not in consumed or word.text == "--":
            return False
    return True


def _has_option(doc: OpenDocument, cursor: Cursor, name: str) -> bool:
    return cursor.command is not None and doc.binding(cursor.command).has(name)


def _option_taking_value(spec: CommandSpec, previous: str) -> str | None:
    if not previous.startswith("-") or "=" in previous:
        return None
    if previous.startswith("--"):
        opt = spec.option(previous)
        return opt.name if opt and opt.takes_argument else None
    if len(previous) >= 2:
        opt = spec.option("-" + previous[-1])
        return opt.name if opt and opt.takes_argument else None
    return None


def _positional_index(doc: OpenDocument, cursor: Cursor, spec: CommandSpec) -> int:
    if cursor.command is None:
        return 0
    bound = doc.binding(cursor.command)
    consumed = {id(w) for w in bound.option_words}
    return sum(1 for w in cursor.before[1:] if id(w) not in consumed)


def _commands(doc: OpenDocument) -> list[types.CompletionItem]:
    catalog = get_catalog()
    try:
        profile = catalog.profile(doc.config.profile)
    except KeyError:
        profile = catalog.profile()
    items = []
    for spec in catalog.commands.values():
        available = spec.name in profile.commands
        items.append(
            types.CompletionItem(
                label=spec.name,
                kind=K.Function,
                detail=spec.usage_line() if available else f"not in the {profile.name} build",
                documentation=spec.summary,
                sort_text=("0" if available else "1") + spec.name,
                tags=None if available else [types.CompletionItemTag.Deprecated],
            )
        )
    return items


def _options(spec: CommandSpec) -> list[types.CompletionItem]:
    items = []
    for opt in spec.all_options:
        detail = f"{opt.short}|{opt.long}" + (f" <{opt.name}>" if opt.takes_argument else "")
        items.append(
            types.CompletionItem(label=opt.long, kind=K.Property, detail=detail, documentation=opt.notes)
        )
    return items


def _labels(doc: OpenDocument) -> list[types.CompletionItem]:
    seen: set[str] = set()
    items = []
    for label in doc.index.label_defs:
        if label.name in seen or not label.name:
            continue
        seen.add(label.name)
        line = doc.positions.position(label.label.start).line + 1
        items.append(types.CompletionItem(label=label.name, kind=K.Reference, detail=f"label, line {line}"))
    return items


def _item_ids(doc: OpenDocument, cursor: Cursor) -> list[types.CompletionItem]:
    index = doc.index
    choose = next((c for c in index.chooses if c.command is cursor.command), None)
    menu_items = choose.menu.items if choose and choose.menu else index.items
    return [
        types.CompletionItem(label=item.name, kind=K.EnumMember, detail=item.text or None)
        for item in menu_items
        if item.name
    ]


def _setting_names(doc: OpenDocument, cursor: Cursor, view: TreeView | None) -> list[types.CompletionItem]:
    catalog = get_catalog()
    # names written elsewhere in the script (not just the word being typed)
    used = sorted(
        name for name, words in doc.index.set_names.items() if any(w is not cursor.word for w in words)
    )
    items = [types.CompletionItem(label=name, kind=K.Variable, detail="set in this script") for name in used]
    known = set(used)
    if view is not None:  # and in the files that run before or after it (settings are global)
        for other in view.tree.connected(view.file):
            if other is view.file:
                continue
            where = displayable(f"set in {other.name}")  # a file name that is not UTF-8
            for name in sorted(other.model.settings.written_names - known):
                if displayable(name) == name:  # a name with bytes that are not UTF-8 cannot be typed
                    items.append(types.CompletionItem(label=name, kind=K.Variable, detail=where))
                known.add(name)
    for name, specs in sorted(catalog.settings.items()):
        if name not in known:
            items.append(
                types.CompletionItem(
                    label=name, kind=K.Variable, detail=specs[0].type, documentation=specs[0].description
                )
            )
    return items


def _reference_items(doc: OpenDocument, cursor: Cursor, view: TreeView | None) -> list[types.CompletionItem]:
    """Inside ``${``: block prefixes and setting names, or types after ``:``."""
    catalog = get_catalog()
    inner = cursor.open_reference or ""
    if ":" in inner.rsplit("/", 1)[-1]:
        return [
            types.CompletionItem(
                label=t.name, kind=K.TypeParameter, detail="setting type", documentation=t.format
            )
            for t in catalog.types.values()
        ]
    items = _setting_names(doc, cursor, view)
    names = {i.label for i in items}
    for name in catalog.builtin_settings:
        if name not in names:
            items.append(types.CompletionItem(label=name, kind=K.Constant, detail="built-in setting"))
    if "/" not in inner:
        for block in ("net0", "netX", "builtin", "smbios", "pci"):
            items.append(types.CompletionItem(label=block + "/", kind=K.Module, detail="settings block"))
    return items


def _schemes(doc: OpenDocument) -> list[types.CompletionItem]:
    catalog = get_catalog()
    try:
        profile = catalog.profile(doc.config.profile)
    except KeyError:
        profile = catalog.profile()
    return [
        types.CompletionItem(
            label=scheme + (":" if scheme == "data" else "://"),
            kind=K.Keyword,
            detail=f"URL scheme ({profile.name} build)",
        )
        for scheme in sorted(profile.schemes)
    ]
