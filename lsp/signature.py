"""Signature help: the command's usage line with its options as parameters."""

from __future__ import annotations

from lsprotocol import types

from ipxescript.catalog import get_catalog
from ipxescript.lsp.context import cursor_at, option_named
from ipxescript.lsp.documents import OpenDocument


def signature_help(doc: OpenDocument, position: types.Position) -> types.SignatureHelp | None:
    offset = doc.positions.offset(position)
    cursor = cursor_at(doc.script, offset)
    if cursor.word_index == 0 or cursor.in_comment:
        return None
    spec = get_catalog().commands.get(cursor.command_name or "")
    if spec is None:
        return None
    label = spec.usage_line()
    parameters: list[types.ParameterInformation] = []
    names: list[str] = []
    pos = len(spec.name) + 1
    for opt in spec.options:
        text = f"[{opt.short}|{opt.long} <{opt.name}>]" if opt.takes_argument else f"[{opt.short}|{opt.long}]"
        parameters.append(types.ParameterInformation(label=(pos, pos + len(text)), documentation=opt.notes))
        names.append(opt.name)
        pos += len(text) + 1
    if spec.usage:
        parameters.append(types.ParameterInformation(label=(pos, pos + len(spec.usage))))
    active = len(parameters) - 1 if spec.usage else None
    # the option being typed, or the one whose value is being typed
    typed = option_named(spec, cursor.prefix)
    previous = option_named(spec, cursor.before[-1].text) if len(cursor.before) > 1 else None
    if typed is not None and typed.name in names:
        active = names.index(typed.name)
    elif previous is not None and previous.takes_argument and previous.name in names:
        if "=" not in cursor.before[-1].text and not cursor.prefix.startswith("-"):
            active = names.index(previous.name)
    return types.SignatureHelp(
        signatures=[
            types.SignatureInformation(label=label, documentation=spec.summary, parameters=parameters)
        ],
        active_signature=0,
        active_parameter=active,
    )
