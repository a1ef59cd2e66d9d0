"""Hover: a command's usage, options and summary; a setting's type and DHCP option; a label's first
lines; an item's target."""

from __future__ import annotations

from lsprotocol import types

from ipxescript.analysis.menus import setting_base
from ipxescript.catalog import CommandSpec, get_catalog
from ipxescript.lsp import crossfile
from ipxescript.lsp.context import cursor_at, option_named
from ipxescript.lsp.documents import OpenDocument
from ipxescript.lsp.index import LabelDef

PREVIEW_LINES = 5


# commands whose words can name labels or items: only for these is the whole-script index needed
INDEXED = ("goto", "item", "choose")


def hover(
    doc: OpenDocument, position: types.Position, view: crossfile.TreeView | None = None
) -> types.Hover | None:
    """``view``: the document's place in its boot tree (None: the document alone), for where a setting
    gets its values."""
    offset = doc.positions.offset(position)
    cursor = cursor_at(doc.script, offset)
    own = cursor.line.label if cursor.line is not None else None
    if own is not None and own.start <= offset <= own.end:
        label = doc.index.label_at(offset)
        return _markdown(doc, label_preview(doc, label), label.label.start, label.name_end) if label else None
    word = cursor.word
    if word is None:
        return None
    needs_index = cursor.word_index > 0 and cursor.command_name in INDEXED
    if cursor.reference is not None:
        ref = cursor.reference
        text = setting_text(ref.inner) or ""
        if ref.is_static and (stored := crossfile.stores_text(doc, view, ref.setting)):
            text += "\n\n" + stored
        index = doc.index if needs_index else None
        if index is not None and index.dynamic_goto_at(offset) is word:
            targets = index.targets_of_dynamic_goto(word)
            if targets:
                names = ", ".join(f"`:{item.name}`" for item in targets)
                text += f"\n\nThis goto reaches the label named by the chosen item: {names}"
        return _markdown(doc, text, ref.start, ref.end) if text else None
    if needs_index:
        index = doc.index
        item = index.item_at(offset)
        if item is not None and item.word is word:
            target = index.label(item.name or "")
            lines = [f"**item** `{item.name}`" + (f": {item.text}" if item.text else "")]
            if item.menu is not None and item.menu.feeds_goto:
                lines.append(
                    label_preview(doc, target) if target else f"no label `:{item.name}` for its goto"
                )
            return _markdown(doc, "\n\n".join(lines), word.start, word.end)
        ref = index.ref_at(offset)
        if ref is not None and ref.word is word:
            target = index.label(word.text)
            text = label_preview(doc, target) if target else f"no label `:{word.text}` in this script"
            return _markdown(doc, text, word.start, word.end)
    spec = get_catalog().commands.get(cursor.command_name or "")
    if cursor.word_index == 0 and word.is_literal:
        spec = get_catalog().commands.get(word.text)
        if spec is None:
            return None
        return _markdown(doc, command_text(spec, doc), word.start, word.end)
    if spec is not None and (opt := option_named(spec, word.text)) is not None:
        value = f" <{opt.name}>" if opt.takes_argument else ""
        body = f"`{opt.short}|{opt.long}{value}` ({opt.argument_kind})\n\n{opt.notes}".rstrip()
        return _markdown(doc, f"**{spec.name}** option {body}", word.start, word.end)
    if (name := crossfile.setting_at(doc, offset)) is not None:
        # the name a set/read/choose/clear... stores
        text = (setting_text(name) or "") + "\n\n" + crossfile.stores_text(doc, view, name)
        return _markdown(doc, text.strip(), word.start, word.end)
    return None


def command_text(spec: CommandSpec, doc: OpenDocument | None = None) -> str:
    parts = [f"```\n{spec.usage_line()}\n```", spec.summary]
    if spec.all_options:
        rows = []
        for opt in spec.all_options:
            value = f" <{opt.name}>" if opt.takes_argument else ""
            rows.append(f"- `{opt.short}|{opt.long}{value}`" + (f": {opt.notes}" if opt.notes else ""))
        parts.append("\n".join(rows))
    if spec.exit_status:
        parts.append(f"Exit status: {spec.exit_status}")
    if doc is not None:
        catalog = get_catalog()
        try:
            profile = catalog.profile(doc.config.profile)
        except KeyError:
            profile = catalog.profile()
        if spec.name not in profile.commands:
            parts.append(f"**Not in the `{profile.name}` build** ({profile.description}).")
    return "\n\n".join(parts)


def setting_text(inner: str) -> str | None:
    catalog = get_catalog()
    name = setting_base(inner)
    explicit_type = inner.split("/", 1)[-1].split(":", 1)[1] if ":" in inner.split("/", 1)[-1] else None
    spec = catalog.setting(name)
    lines = [f"**setting** `{name}`"]
    if spec is not None:
        lines[0] += f" ({spec.type})"
        if spec.dhcp_option is not None:
            lines.append(f"DHCP option {spec.dhcp_option}")
        if spec.description:
            lines.append(spec.description)
        if spec.scope:
            lines.append(f"Scope: {spec.scope}")
    elif name in catalog.builtin_settings:
        lines.append("built-in setting")
    if explicit_type:
        type_spec = catalog.types.get(explicit_type)
        lines.append(
            f"shown as `{explicit_type}`: {type_spec.format}"
            if type_spec
            else f"unknown type `{explicit_type}`"
        )
    return "\n\n".join(lines)


def label_preview(doc: OpenDocument, label: LabelDef) -> str:
    script = doc.script
    line_no = doc.positions.position(label.label.start).line
    starts = script.line_starts
    end_line = min(len(starts), line_no + PREVIEW_LINES)
    end = starts[end_line] if end_line < len(starts) else len(script.text)
    text = script.text[starts[line_no] : end].rstrip("\n")
    return f"label `:{label.name}`, line {line_no + 1}\n\n```ipxe\n{text}\n```"


def _markdown(doc: OpenDocument, text: str, start: int, end: int) -> types.Hover:
    return types.Hover(
        contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=text),
        range=doc.positions.range(start, end),
    )
