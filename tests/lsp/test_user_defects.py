"""Defects a user met in the editor, through the real client over stdio."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

from .conftest import diagnostics_where, open_script, pos
from .test_navigation import apply_edits

pytestmark = pytest.mark.asyncio(loop_scope="module")

# boot.salstar.sk style: the menu's item ids are the labels' suffixes
CHAINED = """#!ipxe
menu Please select
item cloudboot cloudboot.example
item netbootme netboot.example
choose ver || exit 0
goto chained_${ver}
:chained_cloudboot
chain http://cloudboot.example/boot.ipxe
:chained_netbootme
chain http://netboot.example/boot.ipxe
"""


async def test_rename_refuses_a_label_that_a_computed_goto_reaches(
    client: LanguageClient, tmp_path: Path
) -> None:
    # renaming ':chained_cloudboot' alone would leave the menu's 'cloudboot' going to no label
    uri = open_script(client, tmp_path / "chained.ipxe", CHAINED)
    where = {
        "text_document": types.TextDocumentIdentifier(uri=uri),
        "position": pos(CHAINED, ":chained_cloud", delta=2),
    }
    with pytest.raises(
        JsonRpcException, match=r"'goto chained_\$\{ver\}' \(line 6\) also reaches :chained_cloudboot"
    ):
        await client.text_document_prepare_rename_async(types.PrepareRenameParams(**where))
    with pytest.raises(JsonRpcException, match="computed at run time"):
        await client.text_document_rename_async(types.RenameParams(**where, new_name="cloud"))


async def test_a_chained_file_whose_name_is_not_utf8_is_in_its_tree(
    client: LanguageClient, tmp_path: Path
) -> None:
    # a Latin-1 file name ('café.ipxe' saved on an old share): its URI carries %E9, the byte on disk
    (tmp_path / "menu.ipxe").write_bytes(b"#!ipxe\nset base-url http://boot.example\nchain caf\xe9.ipxe\n")
    child = tmp_path / "caf\udce9.ipxe"
    text = "#!ipxe\nkernel ${base-url}/vmlinuz\nsleep 3000\nboot\n"
    child.write_text(text)
    uri = child.as_uri()
    assert "caf%E9.ipxe" in uri
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="ipxe", version=1, text=text)
        )
    )
    # the lint's own finding (IPX110) says the lint is there, not only the parser's
    found = await diagnostics_where(client, uri, lambda ds: any(d.code == "IPX110" for d in ds))
    assert not [d for d in found if d.code == "IPX403"], found  # base-url is set by menu.ipxe
    # its chain path names it: with U+FFFD for the byte, never a lone surrogate (which the server sent
    # as the escape '\udce9', refused by strict JSON parsers such as Emacs's)
    via = [d.message for d in found if "via " in d.message]
    assert via and all("caf\ufffd.ipxe" in m and "\udce9" not in m for m in via), [ascii(m) for m in via]


async def test_settings_in_an_unsaved_buffer_rename_and_go_to_their_set(client: LanguageClient) -> None:
    # a new script typed into an untitled buffer: its settings were refused ("only labels ... and
    # settings can be renamed") and had no definition, although the same text saved worked
    text = "#!ipxe\nset base-url http://boot.example\nkernel ${base-url}/vmlinuz\nboot\n"
    uri = "untitled:Untitled-1"
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="ipxe", version=1, text=text)
        )
    )
    document = types.TextDocumentIdentifier(uri=uri)
    use = pos(text, "${base-url}", delta=3)
    found = await client.text_document_definition_async(
        types.DefinitionParams(text_document=document, position=use)
    )
    assert found and [(d.uri, d.range.start.line) for d in found] == [(uri, 1)], found
    edit = await client.text_document_rename_async(
        types.RenameParams(text_document=document, position=use, new_name="root-url")
    )
    assert edit is not None and edit.changes is not None, edit
    assert sorted((e.range.start.line, e.new_text) for e in edit.changes[uri]) == [
        (1, "root-url"),
        (2, "root-url"),
    ]


COUNTER = """#!ipxe
set tries 0
:retry
inc tries
inc tries 2
iseq ${tries} 6 && goto give_up ||
dhcp || goto retry
clear tries
chain http://boot.example/menu.ipxe
:give_up
show tries
"""


async def test_renaming_a_setting_edits_inc_once_and_clear_too(
    client: LanguageClient, tmp_path: Path
) -> None:
    # 'inc tries' both reads and stores: its name came twice in the edit, and editors refuse a rename
    # whose edits overlap (VS Code: "overlapping ranges"); 'clear tries' was left clearing the old name
    uri = open_script(client, tmp_path / "counter.ipxe", COUNTER)
    document = types.TextDocumentIdentifier(uri=uri)
    at = pos(COUNTER, "set tries", delta=5)
    edit = await client.text_document_rename_async(
        types.RenameParams(text_document=document, position=at, new_name="attempts")
    )
    assert edit is not None and edit.changes is not None, edit
    spans = sorted(
        (e.range.start.line, e.range.start.character, e.range.end.character) for e in edit.changes[uri]
    )
    assert len(spans) == len(set(spans)), spans
    assert apply_edits(COUNTER, edit.changes[uri]) == COUNTER.replace("tries", "attempts")
    found = await client.text_document_references_async(
        types.ReferenceParams(
            text_document=document,
            position=pos(COUNTER, "clear tries", delta=7),
            context=types.ReferenceContext(include_declaration=True),
        )
    )
    assert sorted(r.range.start.line for r in found or []) == [1, 3, 4, 5, 7, 10], found


async def test_hover_on_a_setting_shows_its_values_along_the_tree(
    client: LanguageClient, tmp_path: Path
) -> None:
    # hovering '${base-url}' in a chained script said only "setting base-url": not that menu.ipxe sets
    # it, nor to what; hovering the name a 'set' stores said nothing at all
    (tmp_path / "menu.ipxe").write_bytes(
        b"#!ipxe\nset base-url http://boot.example/ipxe\nchain linux.ipxe || goto retry\n"
        b":retry\nset base-url http://mirror.example/ipxe\nchain linux.ipxe\n"
        b"set title caf\xe9\n"  # a Latin-1 byte: the file is not UTF-8
    )
    text = "#!ipxe\nkernel ${base-url}/vmlinuz\necho ${title}\nboot\n"
    uri = open_script(client, tmp_path / "linux.ipxe", text)
    document = types.TextDocumentIdentifier(uri=uri)
    found = await client.text_document_hover_async(
        types.HoverParams(text_document=document, position=pos(text, "${base-url}", delta=4))
    )
    assert found is not None and isinstance(found.contents, types.MarkupContent), found
    shown = found.contents.value
    assert "**setting** `base-url`" in shown
    assert "`menu.ipxe:2` `set base-url http://boot.example/ipxe`" in shown, shown
    assert "`menu.ipxe:5` `set base-url http://mirror.example/ipxe`" in shown, shown
    # the store's line is shown as text: the byte that is not UTF-8 as U+FFFD, never a raw byte in the
    # reply (which is not valid UTF-8 JSON then)
    found = await client.text_document_hover_async(
        types.HoverParams(text_document=document, position=pos(text, "${title}", delta=3))
    )
    assert found is not None and isinstance(found.contents, types.MarkupContent), found
    assert "`set title caf\ufffd`" in found.contents.value, ascii(found.contents.value)
    menu_text = (tmp_path / "menu.ipxe").read_text(errors="replace")
    menu_uri = open_script(client, tmp_path / "menu.ipxe", menu_text)
    found = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=menu_uri),
            position=pos(menu_text, "base-url", delta=2),
        )
    )
    assert found is not None and isinstance(found.contents, types.MarkupContent), found
    assert "**setting** `base-url`" in found.contents.value
    assert "`menu.ipxe:5`" in found.contents.value


async def test_completion_and_symbols_name_a_parent_that_is_not_utf8_displayably(
    client: LanguageClient, tmp_path: Path
) -> None:
    # a parent whose name and label hold a Latin-1 byte: 'set in men\udcfa.ipxe' and ':caf\udce9' went
    # out as lone surrogate escapes, which strict JSON parsers refuse
    (tmp_path / "men\udcfa.ipxe").write_bytes(b"#!ipxe\n:caf\xe9\nset title boot\nchain child.ipxe\n")
    text = "#!ipxe\necho ${\n"
    uri = open_script(client, tmp_path / "child.ipxe", text)
    found = await client.text_document_completion_async(
        types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri), position=pos(text, "${", delta=2)
        )
    )
    assert found is not None
    items = found.items if isinstance(found, types.CompletionList) else found
    title = next(i for i in items if i.label == "title")
    assert title.detail == "set in men\ufffd.ipxe", ascii(title.detail)
    symbols = await client.workspace_symbol_async(types.WorkspaceSymbolParams(query="caf"))
    names = [(s.name, s.container_name) for s in symbols or [] if s.name.startswith(":caf")]
    assert names == [(":caf\ufffd", "men\ufffd.ipxe")], ascii(names)
