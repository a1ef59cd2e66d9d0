"""The language server on a boot tree when files other than the edited one change: a parent closed with
unsaved edits, a chain removed by an edit, a file created or deleted on disk."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from .conftest import SERVER, diagnostics_where, pos

pytestmark = pytest.mark.asyncio(loop_scope="module")

MENU = """#!ipxe
set base-url http://boot.example/ipxe
chain linux.ipxe || goto error
:error
shell
"""
LINUX = """#!ipxe
kernel ${base-url}/vmlinuz
boot || goto error
"""


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER), scope="module")
async def client(lsp_client: LanguageClient, tmp_path_factory: pytest.TempPathFactory):
    tmp_path = tmp_path_factory.mktemp("work")
    (tmp_path / "saved").mkdir()
    (tmp_path / "saved" / "menu.ipxe").write_text(MENU)
    for name in ("closed", "unchained"):  # each test its own tree (one server per module)
        (tmp_path / name).mkdir()
        (tmp_path / name / "menu.ipxe").write_text(MENU)
        (tmp_path / name / "linux.ipxe").write_text(LINUX)
    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=types.ClientCapabilities(),
            root_uri=tmp_path.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=tmp_path.as_uri(), name="netboot")],
        )
    )
    lsp_client.root = tmp_path  # type: ignore[attr-defined]
    outside = tmp_path_factory.mktemp("outside")  # in no workspace folder until a test adds it
    (outside / "sub").mkdir()
    (outside / "menu.ipxe").write_text(MENU.replace("chain linux.ipxe", "chain sub/linux.ipxe"))
    (outside / "sub" / "linux.ipxe").write_text(LINUX)
    lsp_client.outside = outside  # type: ignore[attr-defined]
    yield
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER), scope="module")
async def lsp_client_watching(lsp_client: LanguageClient, tmp_path_factory: pytest.TempPathFactory):
    """A client that lets servers register file watchers (VS Code, Neovim), in a folder with one script."""
    root = tmp_path_factory.mktemp("watched")
    (root / "linux.ipxe").write_text(LINUX)
    registrations: list[types.Registration] = []

    @lsp_client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register(client: LanguageClient, params: types.RegistrationParams) -> None:
        registrations.extend(params.registrations)

    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=types.ClientCapabilities(
                workspace=types.WorkspaceClientCapabilities(
                    did_change_watched_files=types.DidChangeWatchedFilesClientCapabilities(
                        dynamic_registration=True
                    )
                )
            ),
            root_uri=root.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name="watched")],
        )
    )
    lsp_client.root = root  # type: ignore[attr-defined]
    lsp_client.registrations = registrations  # type: ignore[attr-defined]
    yield
    await lsp_client.shutdown_session()


def folder(client: LanguageClient, name: str) -> Path:
    return client.root / name  # type: ignore[attr-defined,no-any-return]


def open_file(client: LanguageClient, path: Path) -> tuple[str, str]:
    text = path.read_text()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=path.as_uri(), language_id="ipxe", version=1, text=text)
        )
    )
    return path.as_uri(), text


def delete_line(client: LanguageClient, uri: str, text: str, needle: str, version: int = 2) -> None:
    start = pos(text, needle)
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[
                types.TextDocumentContentChangePartial(
                    range=types.Range(start=start, end=types.Position(line=start.line + 1, character=0)),
                    text="",
                )
            ],
        )
    )


def codes(ds: list[types.Diagnostic]) -> set[str]:
    return {str(d.code) for d in ds}


async def test_closing_a_parent_with_unsaved_edits_brings_back_its_saved_text(client: LanguageClient) -> None:
    tree = folder(client, "closed")
    child_uri, _ = open_file(client, tree / "linux.ipxe")
    await diagnostics_where(client, child_uri, lambda ds: "IPX201" in codes(ds) and "IPX403" not in codes(ds))
    parent_uri, parent = open_file(client, tree / "menu.ipxe")
    delete_line(client, parent_uri, parent, "set base-url")
    await diagnostics_where(client, child_uri, lambda ds: "IPX403" in codes(ds))
    # the user closes menu.ipxe without saving: the file on disk still sets base-url
    client.text_document_did_close(
        types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=parent_uri))
    )
    await diagnostics_where(client, child_uri, lambda ds: "IPX403" not in codes(ds), timeout=10)


async def test_a_chain_removed_by_an_edit_leaves_the_old_child_alone(client: LanguageClient) -> None:
    tree = folder(client, "unchained")
    child_uri, _ = open_file(client, tree / "linux.ipxe")
    await diagnostics_where(client, child_uri, lambda ds: any("via " in d.message for d in ds))
    parent_uri, parent = open_file(client, tree / "menu.ipxe")
    delete_line(client, parent_uri, parent, "chain linux.ipxe")
    # linux.ipxe is nobody's child now: no chain path, and its 'goto error' has no handler
    await diagnostics_where(
        client, child_uri, lambda ds: not any("via " in d.message for d in ds), timeout=10
    )


async def test_a_save_shows_what_changed_on_disk_meanwhile(client: LanguageClient) -> None:
    # a client that watches no files (Neovim 0.7, vim-lsp): a child script appears on disk (git pull,
    # another editor); saving the menu lists the folder again, and must show what that changed (the
    # menu kept "'base-url' is stored here but never read" although linux.ipxe now reads it)
    tree = folder(client, "saved")
    menu_uri, _ = open_file(client, tree / "menu.ipxe")
    await diagnostics_where(client, menu_uri, lambda ds: "IPX404" in codes(ds))
    (tree / "linux.ipxe").write_text(LINUX)
    client.text_document_did_save(
        types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=menu_uri))
    )
    await diagnostics_where(client, menu_uri, lambda ds: "IPX404" not in codes(ds), timeout=10)


async def test_a_workspace_folder_added_brings_the_parents_in_it(client: LanguageClient) -> None:
    outside = client.outside  # type: ignore[attr-defined]
    child_uri, _ = open_file(client, outside / "sub" / "linux.ipxe")
    # alone in its own folder: the menu that chains it is one folder up, in no workspace folder
    await diagnostics_where(client, child_uri, lambda ds: "IPX403" in codes(ds))
    client.workspace_did_change_workspace_folders(
        types.DidChangeWorkspaceFoldersParams(
            event=types.WorkspaceFoldersChangeEvent(
                added=[types.WorkspaceFolder(uri=outside.as_uri(), name="outside")], removed=[]
            )
        )
    )
    await diagnostics_where(
        client,
        child_uri,
        lambda ds: "IPX403" not in codes(ds) and any("via " in d.message for d in ds),
        timeout=10,
    )


async def test_a_parent_created_on_disk_joins_the_tree(lsp_client_watching: LanguageClient) -> None:
    client = lsp_client_watching
    for _ in range(200):  # the server asks once the client said 'initialized'
        if client.registrations:  # type: ignore[attr-defined]
            break
        await asyncio.sleep(0.05)
    globs = [w["globPattern"] for r in client.registrations for w in r.register_options["watchers"]]  # type: ignore[attr-defined]
    assert "**/*.ipxe" in globs and "**/.ipxelint.toml" in globs
    root = client.root  # type: ignore[attr-defined]
    child_uri, _ = open_file(client, root / "linux.ipxe")
    await diagnostics_where(
        client, child_uri, lambda ds: "IPX403" in codes(ds) and not any("via " in d.message for d in ds)
    )
    # `git checkout` brings the menu that chains it: the client watches what the server asked for
    (root / "menu.ipxe").write_text(MENU)
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=(root / "menu.ipxe").as_uri(), type=types.FileChangeType.Created)]
        )
    )
    await diagnostics_where(client, child_uri, lambda ds: "IPX403" not in codes(ds), timeout=10)
