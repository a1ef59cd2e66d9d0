"""Diagnostics over stdio: on open, after incremental changes, with the project's ipxelint config."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from .conftest import diagnostics_where, open_script, pos

pytestmark = pytest.mark.asyncio(loop_scope="module")

BROKEN = "#!ipxe\n:start\necho hi\ngoto strat\n"


def change(
    client: LanguageClient, uri: str, version: int, start: types.Position, end: types.Position, text: str
) -> None:
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[
                types.TextDocumentContentChangePartial(range=types.Range(start=start, end=end), text=text)
            ],
        )
    )


def codes(found: list[types.Diagnostic]) -> set[str]:
    return {str(d.code) for d in found}


async def test_broken_goto_is_reported_on_open(client: LanguageClient, tmp_path: Path) -> None:
    uri = open_script(client, tmp_path / "boot.ipxe", BROKEN)
    found = await diagnostics_where(client, uri, lambda ds: "IPX201" in codes(ds))
    (goto,) = [d for d in found if d.code == "IPX201"]
    assert goto.range == types.Range(start=pos(BROKEN, "strat"), end=pos(BROKEN, "strat", delta=5))
    assert goto.severity == types.DiagnosticSeverity.Error
    assert "did you mean 'start'" in goto.message
    assert goto.source == "ipxelint"


async def test_incremental_changes_update_diagnostics(client: LanguageClient, tmp_path: Path) -> None:
    uri = open_script(client, tmp_path / "boot.ipxe", BROKEN)
    await diagnostics_where(client, uri, lambda ds: "IPX201" in codes(ds))
    # "strat" -> "start": the goto now finds its label
    change(client, uri, 2, pos(BROKEN, "strat", delta=2), pos(BROKEN, "strat", delta=4), "ar")
    await diagnostics_where(client, uri, lambda ds: "IPX201" not in codes(ds))
    # a typo in a command name on another line, typed as one character
    change(client, uri, 3, pos(BROKEN, "echo", delta=4), pos(BROKEN, "echo", delta=4), "o")
    found = await diagnostics_where(client, uri, lambda ds: "IPX101" in codes(ds))
    (unknown,) = [d for d in found if d.code == "IPX101"]
    assert unknown.range.start == pos(BROKEN, "echo")
    assert unknown.range.end == pos(BROKEN, "echo", delta=5)


async def test_line_joining_edit_is_reparsed(client: LanguageClient, tmp_path: Path) -> None:
    text = "#!ipxe\n:start\necho one\ngoto start\n"
    uri = open_script(client, tmp_path / "boot.ipxe", text)
    await diagnostics_where(client, uri, lambda ds: "IPX201" not in codes(ds))
    # a trailing backslash joins "goto start" to the echo line: the goto disappears, the label is unused
    change(client, uri, 2, pos(text, "echo one", delta=8), pos(text, "echo one", delta=8), " \\")
    found = await diagnostics_where(client, uri, lambda ds: "IPX203" in codes(ds))
    assert not [d for d in found if d.code == "IPX201"]


async def test_whole_document_change(client: LanguageClient, tmp_path: Path) -> None:
    uri = open_script(client, tmp_path / "boot.ipxe", "#!ipxe\necho hi\n")
    await diagnostics_where(client, uri, lambda ds: not ds)
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text="#!ipxe\ngoto nowhere\n")],
        )
    )
    await diagnostics_where(client, uri, lambda ds: "IPX201" in codes(ds))


async def test_project_config_is_honoured(client: LanguageClient, tmp_path: Path) -> None:
    (tmp_path / ".ipxelint.toml").write_text('profile = "pcbios"\nignore = ["IPX201"]\n')
    text = "#!ipxe\nntp pool.ntp.org\ngoto nowhere\n"
    uri = open_script(client, tmp_path / "boot.ipxe", text)
    found = await diagnostics_where(client, uri, lambda ds: "IPX109" in codes(ds))
    assert "IPX201" not in codes(found)
    assert "'pcbios' build" in next(d.message for d in found if d.code == "IPX109")


async def test_pyproject_config_and_reload(client: LanguageClient, tmp_path: Path) -> None:
    text = "#!ipxe\ngoto nowhere\n"
    uri = open_script(client, tmp_path / "boot.ipxe", text)
    await diagnostics_where(client, uri, lambda ds: "IPX201" in codes(ds))
    (tmp_path / "pyproject.toml").write_text('[tool.ipxelint]\nignore = ["IPX201"]\n')
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[
                types.FileEvent(uri=(tmp_path / "pyproject.toml").as_uri(), type=types.FileChangeType.Created)
            ]
        )
    )
    await diagnostics_where(client, uri, lambda ds: "IPX201" not in codes(ds))


async def test_bad_config_is_shown_not_fatal(client: LanguageClient, tmp_path: Path) -> None:
    (tmp_path / ".ipxelint.toml").write_text("select = 3\n")
    uri = open_script(client, tmp_path / "boot.ipxe", "#!ipxe\ngoto nowhere\n")
    found = await diagnostics_where(client, uri, lambda ds: "IPX201" in codes(ds) and "config" in codes(ds))
    message = next(d.message for d in found if d.code == "config")
    assert ".ipxelint.toml" in message and "select" in message


async def test_close_clears_diagnostics(client: LanguageClient, tmp_path: Path) -> None:
    uri = open_script(client, tmp_path / "boot.ipxe", BROKEN)
    await diagnostics_where(client, uri, lambda ds: "IPX201" in codes(ds))
    client.text_document_did_close(
        types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    await diagnostics_where(client, uri, lambda ds: not ds)


async def test_a_failing_linter_is_reported_and_the_server_stays_up(
    client: LanguageClient, tmp_path: Path
) -> None:
    # an unknown build profile (checked when the config is read, as on the command line): the user
    # sees why, on line 1, and the rest works
    (tmp_path / ".ipxelint.toml").write_text('profile = "nosuch"\n')
    text = "#!ipxe\necho hi\n"
    uri = open_script(client, tmp_path / "boot.ipxe", text)
    found = await diagnostics_where(client, uri, lambda ds: "config" in codes(ds))
    message = next(d.message for d in found if d.code == "config")
    assert "ipxelint configuration" in message and "unknown build profile 'nosuch'" in message
    completion = await client.text_document_completion_async(
        types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri), position=pos(text, "echo", delta=2)
        )
    )
    assert completion is not None and "echo" in [i.label for i in completion.items]  # type: ignore[union-attr]
