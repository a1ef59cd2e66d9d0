"""Definition, references, rename, links, symbols, folding, semantic tokens over stdio."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

from .conftest import open_script, pos
from .test_editing import MENU, doc

pytestmark = pytest.mark.asyncio(loop_scope="module")


def at(uri: str, text: str, needle: str, delta: int = 0, nth: int = 0) -> dict:
    return {"text_document": doc(uri), "position": pos(text, needle, nth=nth, delta=delta)}


def label_range(text: str, name: str) -> types.Range:
    start = pos(text, ":" + name + "\n", delta=1)
    return types.Range(
        start=start, end=types.Position(line=start.line, character=start.character + len(name))
    )


async def test_goto_jumps_to_the_first_label(client: LanguageClient, tmp_path: Path) -> None:
    uri = open_script(client, tmp_path / "menu.ipxe", MENU)
    found = await client.text_document_definition_async(
        types.DefinitionParams(**at(uri, MENU, "goto start", 6))
    )
    assert isinstance(found, list)
    assert [(loc.uri, loc.range) for loc in found] == [(uri, label_range(MENU, "start"))]


async def test_goto_of_a_choice_reaches_the_items_labels(client: LanguageClient, tmp_path: Path) -> None:
    uri = open_script(client, tmp_path / "menu.ipxe", MENU)
    found = await client.text_document_definition_async(
        types.DefinitionParams(**at(uri, MENU, "goto ${target}", 8))
    )
    assert isinstance(found, list)
    assert [loc.range for loc in found] == [label_range(MENU, "linux"), label_range(MENU, "shell")]
    # an item id leads to its label too
    found = await client.text_document_definition_async(
        types.DefinitionParams(**at(uri, MENU, "item shell", 6))
    )
    assert isinstance(found, list)
    assert [loc.range for loc in found] == [label_range(MENU, "shell")]


async def test_relative_chain_target_on_disk(client: LanguageClient, tmp_path: Path) -> None:
    (tmp_path / "next.ipxe").write_text("#!ipxe\necho next\n")
    text = "#!ipxe\nchain --autofree next.ipxe\nchain missing.ipxe\nchain http://boot.example/x.ipxe\n"
    uri = open_script(client, tmp_path / "boot.ipxe", text)
    found = await client.text_document_definition_async(
        types.DefinitionParams(**at(uri, text, "next.ipxe", 2))
    )
    assert isinstance(found, list)
    assert found[0].uri == (tmp_path / "next.ipxe").as_uri()
    missing = await client.text_document_definition_async(
        types.DefinitionParams(**at(uri, text, "missing.ipxe", 2))
    )
    assert not missing
    links = await client.text_document_document_link_async(types.DocumentLinkParams(text_document=doc(uri)))
    assert links is not None
    assert sorted(link.target or "" for link in links) == sorted(
        [(tmp_path / "next.ipxe").as_uri(), "http://boot.example/x.ipxe"]
    )
    url_link = next(link for link in links if (link.target or "").startswith("http"))
    assert url_link.range.start == pos(text, "http://")


async def test_references_of_a_label(client: LanguageClient, tmp_path: Path) -> None:
    uri = open_script(client, tmp_path / "menu.ipxe", MENU)
    found = await client.text_document_references_async(
        types.ReferenceParams(
            **at(uri, MENU, ":linux", 1), context=types.ReferenceContext(include_declaration=True)
        )
    )
    assert found is not None
    starts = [loc.range.start for loc in found]
    assert starts == [
        pos(MENU, "item linux", delta=5),
        pos(MENU, "--default linux", delta=10),
        pos(MENU, "${target}"),
        pos(MENU, ":linux", delta=1),
    ]


async def test_rename_label_with_gotos_and_item_ids(client: LanguageClient, tmp_path: Path) -> None:
    uri = open_script(client, tmp_path / "menu.ipxe", MENU)
    prepared = await client.text_document_prepare_rename_async(
        types.PrepareRenameParams(**at(uri, MENU, "item linux", 7))
    )
    assert isinstance(prepared, types.PrepareRenamePlaceholder)
    assert prepared.placeholder == "linux"
    edit = await client.text_document_rename_async(
        types.RenameParams(**at(uri, MENU, ":linux", 2), new_name="debian")
    )
    assert edit is not None and edit.changes is not None
    renamed = apply_edits(MENU, edit.changes[uri])
    assert ":debian\n" in renamed
    assert "item debian Boot Linux" in renamed
    assert "choose --default debian --timeout" in renamed
    assert "goto ${target}" in renamed and ":shell" in renamed and "item shell" in renamed


async def test_rename_refuses_what_cannot_be_renamed(client: LanguageClient, tmp_path: Path) -> None:
    text = MENU + "goto host_${hostname}\necho start\n"
    uri = open_script(client, tmp_path / "menu.ipxe", text)
    with pytest.raises(JsonRpcException, match="computed at run time"):
        await client.text_document_prepare_rename_async(
            types.PrepareRenameParams(**at(uri, text, "host_", 2))
        )
    with pytest.raises(JsonRpcException, match="only labels"):
        await client.text_document_prepare_rename_async(
            types.PrepareRenameParams(**at(uri, text, "echo start", 7))
        )
    with pytest.raises(JsonRpcException, match="not a label name"):
        await client.text_document_rename_async(
            types.RenameParams(**at(uri, text, ":start", 2), new_name="two words")
        )


async def test_outline_has_labels_and_menus_with_items(client: LanguageClient, tmp_path: Path) -> None:
    uri = open_script(client, tmp_path / "menu.ipxe", MENU)
    symbols = await client.text_document_document_symbol_async(
        types.DocumentSymbolParams(text_document=doc(uri))
    )
    assert symbols is not None
    outline = [
        (s.name, [(c.name, [g.name for g in c.children or []]) for c in s.children or []]) for s in symbols
    ]  # type: ignore[union-attr]
    assert outline == [(":start", [("(menu)", ["linux", "shell"])]), (":linux", []), (":shell", [])]


async def test_folding_ranges_are_label_sections(client: LanguageClient, tmp_path: Path) -> None:
    uri = open_script(client, tmp_path / "menu.ipxe", MENU)
    ranges = await client.text_document_folding_range_async(types.FoldingRangeParams(text_document=doc(uri)))
    assert ranges is not None
    assert [(r.start_line, r.end_line) for r in ranges] == [(1, 8), (9, 11), (12, 13)]


async def test_semantic_tokens(client: LanguageClient, tmp_path: Path) -> None:
    text = "#!ipxe\n:go echo ${net0/mac:hex} # note\nchain --autofree http://x/y || goto go\n"
    uri = open_script(client, tmp_path / "t.ipxe", text)
    result = await client.text_document_semantic_tokens_full_async(
        types.SemanticTokensParams(text_document=doc(uri))
    )
    assert result is not None
    legend = client.initialize_result.capabilities.semantic_tokens_provider.legend  # type: ignore[attr-defined]
    tokens = decode(text, result.data, legend.token_types)
    assert tokens == [
        ("#!ipxe", "macro"),
        (":go", "label"),
        ("echo", "function"),
        ("net0", "namespace"),
        ("mac", "variable"),
        ("hex", "type"),
        ("# note", "comment"),
        ("chain", "function"),
        ("--autofree", "parameter"),
        ("http://x/y", "string"),
        ("||", "operator"),
        ("goto", "function"),
        ("go", "label"),
    ]


def decode(text: str, data: list[int], names: list[str]) -> list[tuple[str, str]]:
    lines = text.split("\n")
    out = []
    line = column = 0
    for i in range(0, len(data), 5):
        delta_line, delta_column, length, kind, _mods = data[i : i + 5]
        line += delta_line
        column = delta_column if delta_line else column + delta_column
        out.append((lines[line][column : column + length], names[kind]))
    return out


def apply_edits(text: str, edits: list[types.TextEdit]) -> str:
    lines = text.split("\n")
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line) + 1)

    def offset(p: types.Position) -> int:
        return offsets[p.line] + p.character

    for edit in sorted(edits, key=lambda e: offset(e.range.start), reverse=True):
        text = text[: offset(edit.range.start)] + edit.new_text + text[offset(edit.range.end) :]
    return text
