from __future__ import annotations

from pathlib import Path

from lsprotocol import types
from pytest_lsp import LanguageClient

from .conftest import diagnostics_where, open_script, pos

BROKEN = "#!ipxe\n:start\necho hi\ngoto strat\n"


async def test_broken_goto_is_reported(client: LanguageClient, tmp_path: Path) -> None:
    uri = open_script(client, tmp_path / "boot.ipxe", BROKEN)
    found = await diagnostics_where(client, uri, lambda ds: any("strat" in d.message for d in ds))
    print(found)
    hover = await client.text_document_hover_async(
        types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uri), position=pos(BROKEN, "echo"))
    )
    print(hover)
