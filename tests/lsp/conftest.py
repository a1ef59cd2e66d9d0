"""A real `ipxescript lsp` process per test, driven over stdio by pytest-lsp's client."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

SERVER = [sys.executable, "-m", "ipxescript", "lsp"]


# one server per test module (starting one costs about a second); each test opens its own files
@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER), scope="module")
async def client(lsp_client: LanguageClient, tmp_path_factory: pytest.TempPathFactory):
    tmp_path = tmp_path_factory.mktemp("workspace")
    result = await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=types.ClientCapabilities(
                text_document=types.TextDocumentClientCapabilities(
                    rename=types.RenameClientCapabilities(prepare_support=True),
                    document_symbol=types.DocumentSymbolClientCapabilities(
                        hierarchical_document_symbol_support=True
                    ),
                )
            ),
            root_uri=tmp_path.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=tmp_path.as_uri(), name="work")],
        )
    )
    lsp_client.initialize_result = result  # type: ignore[attr-defined]  # tests read the capabilities
    yield
    await lsp_client.shutdown_session()


def open_script(client: LanguageClient, path: Path, text: str) -> str:
    path.write_text(text)
    uri = path.as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="ipxe", version=1, text=text)
        )
    )
    return uri


async def diagnostics_where(
    client: LanguageClient, uri: str, check: Callable[[list[types.Diagnostic]], bool], timeout: float = 60
) -> list[types.Diagnostic]:
    """Wait until the published diagnostics for ``uri`` pass ``check`` (the full lint comes shortly
    after the parser's findings)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        found = client.diagnostics.get(uri)
        if found is not None and check(found):
            return found
        if loop.time() > deadline:
            raise AssertionError(f"diagnostics never matched; last: {found}")
        await asyncio.sleep(0.05)


def pos(text: str, needle: str, nth: int = 0, delta: int = 0) -> types.Position:
    """The position of the nth occurrence of ``needle`` in ``text`` (plus ``delta`` characters)."""
    index = -1
    for _ in range(nth + 1):
        index = text.index(needle, index + 1)
    index += delta
    line = text.count("\n", 0, index)
    column = index - (text.rfind("\n", 0, index) + 1)
    return types.Position(line=line, character=column)
