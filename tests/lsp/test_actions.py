"""Formatting, code actions, and a server that survives bad requests."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

from .conftest import diagnostics_where, open_script, pos
from .test_editing import doc
from .test_navigation import apply_edits

pytestmark = pytest.mark.asyncio(loop_scope="module")

UNFORMATTED = "#!ipxe\n  echo   hi\n:x\n    goto    x\n"


async def test_formats_the_document(client: LanguageClient, tmp_path: Path) -> None:
    uri = open_script(client, tmp_path / "f.ipxe", UNFORMATTED)
    edits = await client.text_document_formatting_async(
        types.DocumentFormattingParams(
            text_document=doc(uri), options=types.FormattingOptions(tab_size=4, insert_spaces=True)
        )
    )
    assert edits is not None
    assert apply_edits(UNFORMATTED, edits) == "#!ipxe\necho hi\n:x\ngoto x\n"


async def test_formats_a_range_only(client: LanguageClient, tmp_path: Path) -> None:
    uri = open_script(client, tmp_path / "f.ipxe", UNFORMATTED)
    edits = await client.text_document_range_formatting_async(
        types.DocumentRangeFormattingParams(
            text_document=doc(uri),
            range=types.Range(start=pos(UNFORMATTED, "goto"), end=pos(UNFORMATTED, "goto", delta=2)),
            options=types.FormattingOptions(tab_size=4, insert_spaces=True),
        )
    )
    assert edits is not None
    assert apply_edits(UNFORMATTED, edits) == "#!ipxe\n  echo   hi\n:x\ngoto x\n"


async def actions_at(client: LanguageClient, uri: str, text: str, needle: str) -> list[types.CodeAction]:
    found = await diagnostics_where(client, uri, lambda ds: any(d.source == "ipxelint" for d in ds))
    result = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=doc(uri),
            range=types.Range(start=pos(text, needle), end=pos(text, needle)),
            context=types.CodeActionContext(diagnostics=list(found)),
        )
    )
    assert result is not None
    return [a for a in result if isinstance(a, types.CodeAction)]


async def test_linter_fix_and_did_you_mean_actions(client: LanguageClient, tmp_path: Path) -> None:
    text = "#!ipxe\n:start\nechoo hi\ngoto strat\n"
    uri = open_script(client, tmp_path / "a.ipxe", text)
    await diagnostics_where(client, uri, lambda ds: {"IPX101", "IPX201"} <= {str(d.code) for d in ds})
    actions = await actions_at(client, uri, text, "echoo")
    titles = [a.title for a in actions]
    assert "replace 'echoo' with 'echo' (IPX101)" in titles
    fix = next(a for a in actions if a.title.startswith("replace 'echoo'"))
    assert fix.edit is not None and fix.edit.changes is not None
    assert apply_edits(text, fix.edit.changes[uri]) == "#!ipxe\n:start\necho hi\ngoto strat\n"
    assert fix.diagnostics and fix.diagnostics[0].code == "IPX101"
    actions = await actions_at(client, uri, text, "strat")
    goto_fix = next(a for a in actions if "(IPX201)" in a.title and a.kind == types.CodeActionKind.QuickFix)
    assert goto_fix.edit is not None and goto_fix.edit.changes is not None
    assert apply_edits(text, goto_fix.edit.changes[uri]).endswith("goto start\n")


async def test_errors_answer_the_request_and_the_server_stays_up(
    client: LanguageClient, tmp_path: Path
) -> None:
    missing = (tmp_path / "never-opened.ipxe").as_uri()
    with pytest.raises(JsonRpcException, match="document not open"):
        await client.text_document_hover_async(
            types.HoverParams(text_document=doc(missing), position=types.Position(line=0, character=0))
        )
    text = "#!ipxe\necho hi\n"
    uri = open_script(client, tmp_path / "ok.ipxe", text)
    # a position far outside the text is clamped, not a crash
    far = await client.text_document_hover_async(
        types.HoverParams(text_document=doc(uri), position=types.Position(line=999, character=999))
    )
    assert far is None
    # a broken file: NUL bytes, an unterminated continuation, odd labels
    broken = "#!ipxe\n:\x00odd\necho ${a${b}\n:dup\n:dup\nchain \\"
    uri2 = open_script(client, tmp_path / "broken.ipxe", broken)
    for line in range(6):
        for character in range(0, 14, 3):
            position = types.Position(line=line, character=character)
            await client.text_document_hover_async(
                types.HoverParams(text_document=doc(uri2), position=position)
            )
            await client.text_document_completion_async(
                types.CompletionParams(text_document=doc(uri2), position=position)
            )
            await client.text_document_definition_async(
                types.DefinitionParams(text_document=doc(uri2), position=position)
            )
    symbols = await client.text_document_document_symbol_async(
        types.DocumentSymbolParams(text_document=doc(uri2))
    )
    assert symbols is not None
    hover = await client.text_document_hover_async(
        types.HoverParams(text_document=doc(uri), position=pos(text, "echo"))
    )
    assert hover is not None
