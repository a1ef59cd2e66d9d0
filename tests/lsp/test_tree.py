"""The language server on a boot tree (a netboot.xyz-like dispatcher with sub-menus): go to a chained
file and to a setting set in another file, references and rename of a setting across files, document
links for every chain the tree resolves, workspace symbols over every file, found by scanning the
workspace folder when one file of the tree is opened."""

from __future__ import annotations

from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from .conftest import SERVER, diagnostics_where, pos

pytestmark = pytest.mark.asyncio(loop_scope="module")

MENU = """#!ipxe
set base-url http://boot.example/ipxe
set tools-dir tools
:start
menu Boot menu
item linux Linux installers
item tools Tools
choose target && goto ${target}
:linux
chain linux.ipxe || goto error
:tools
chain ${tools-dir}/index.ipxe || goto error
:error
echo Boot failed
shell
"""
LINUX = """#!ipxe
kernel ${base-url}/vmlinuz initrd=initrd
initrd ${base-url}/initrd
boot || goto error
echo no boot on ${platform}
"""
TOOLS = """#!ipxe
:tools-menu
menu Tools
item memtest Memtest
choose tool && goto ${tool}
:memtest
chain ${base-url}/memtest.ipxe
"""


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER), scope="module")
async def client(lsp_client: LanguageClient, tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("netboot")
    (root / "menu.ipxe").write_text(MENU)
    (root / "linux.ipxe").write_text(LINUX)
    (root / "tools").mkdir()
    (root / "tools" / "index.ipxe").write_text(TOOLS)
    (root / "memtest.ipxe").write_text("#!ipxe\nkernel memtest.efi\nboot\n")
    (root / ".ipxelint.toml").write_text('map = ["http://boot.example/ipxe=."]\n')
    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=types.ClientCapabilities(),
            root_uri=root.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name="netboot")],
        )
    )
    lsp_client.root = root  # type: ignore[attr-defined]
    yield
    await lsp_client.shutdown_session()


def root(client: LanguageClient) -> Path:
    return client.root  # type: ignore[attr-defined,no-any-return]


def open_file(client: LanguageClient, name: str) -> tuple[str, str]:
    path = root(client) / name
    text = path.read_text()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=path.as_uri(), language_id="ipxe", version=1, text=text)
        )
    )
    return path.as_uri(), text


def at(uri: str, text: str, needle: str, delta: int = 0, nth: int = 0) -> dict:
    return {
        "text_document": types.TextDocumentIdentifier(uri=uri),
        "position": pos(text, needle, nth=nth, delta=delta),
    }


def span(text: str, needle: str, nth: int = 0, delta: int = 0, length: int | None = None) -> types.Range:
    start = pos(text, needle, nth=nth, delta=delta)
    size = len(needle) - delta if length is None else length
    return types.Range(start=start, end=types.Position(line=start.line, character=start.character + size))


async def test_definition_of_a_setting_set_by_the_parent(client: LanguageClient) -> None:
    uri, text = open_file(client, "linux.ipxe")  # only the child is open: the parent is found on disk
    found = await client.text_document_definition_async(
        types.DefinitionParams(**at(uri, text, "${base-url}", delta=4))
    )
    assert found == [types.Location(uri=(root(client) / "menu.ipxe").as_uri(), range=span(MENU, "base-url"))]


async def test_definition_of_a_chained_file(client: LanguageClient) -> None:
    uri, text = open_file(client, "menu.ipxe")
    top = types.Range(start=types.Position(0, 0), end=types.Position(0, 0))
    found = await client.text_document_definition_async(
        types.DefinitionParams(**at(uri, text, "linux.ipxe", 2))
    )
    assert found == [types.Location(uri=(root(client) / "linux.ipxe").as_uri(), range=top)]
    # a target computed from a setting the tree knows
    found = await client.text_document_definition_async(
        types.DefinitionParams(**at(uri, text, "${tools-dir}/index.ipxe", 14))
    )
    assert found == [types.Location(uri=(root(client) / "tools" / "index.ipxe").as_uri(), range=top)]


async def test_document_links_for_every_resolved_chain(client: LanguageClient) -> None:
    uri, text = open_file(client, "menu.ipxe")
    links = await client.text_document_document_link_async(
        types.DocumentLinkParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    assert links is not None
    files = [link for link in links if (link.target or "").startswith("file:")]
    assert sorted((link.target or "", link.range.start.line) for link in files) == [
        ((root(client) / "linux.ipxe").as_uri(), 9),
        ((root(client) / "tools" / "index.ipxe").as_uri(), 11),
    ]


async def test_chains_to_mapped_urls_resolve_with_the_configs_map(client: LanguageClient) -> None:
    uri, text = open_file(client, "tools/index.ipxe")
    links = await client.text_document_document_link_async(
        types.DocumentLinkParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    assert links is not None
    assert [link.target for link in links] == [(root(client) / "memtest.ipxe").as_uri()]
    assert links[0].range == span(TOOLS, "${base-url}/memtest.ipxe")


async def test_references_of_a_setting_across_files(client: LanguageClient) -> None:
    uri, text = open_file(client, "linux.ipxe")
    found = await client.text_document_references_async(
        types.ReferenceParams(
            **at(uri, text, "${base-url}", delta=3), context=types.ReferenceContext(include_declaration=True)
        )
    )
    assert found is not None
    menu, tools = (root(client) / "menu.ipxe").as_uri(), (root(client) / "tools" / "index.ipxe").as_uri()
    assert sorted((loc.uri, loc.range.start.line, loc.range.start.character) for loc in found) == sorted(
        [
            (menu, 1, 4),  # set base-url
            (uri, 1, 9),
            (uri, 2, 9),
            (tools, 6, 8),
        ]
    )
    without = await client.text_document_references_async(
        types.ReferenceParams(
            **at(uri, text, "${base-url}", delta=3), context=types.ReferenceContext(include_declaration=False)
        )
    )
    assert without is not None and len(without) == 3 and all(loc.uri != menu for loc in without)


async def test_rename_a_setting_across_files(client: LanguageClient) -> None:
    uri, text = open_file(client, "menu.ipxe")
    prepared = await client.text_document_prepare_rename_async(
        types.PrepareRenameParams(**at(uri, text, "base-url", 2))
    )
    assert isinstance(prepared, types.PrepareRenamePlaceholder)
    assert prepared.placeholder == "base-url" and prepared.range == span(MENU, "base-url")
    edit = await client.text_document_rename_async(
        types.RenameParams(**at(uri, text, "base-url", 2), new_name="boot-url")
    )
    assert edit is not None and edit.changes is not None
    changes = {
        Path(u).name if not u.endswith("index.ipxe") else "tools/index.ipxe": e
        for u, e in edit.changes.items()
    }
    assert set(changes) == {"menu.ipxe", "linux.ipxe", "tools/index.ipxe"}
    assert [(e.range, e.new_text) for e in changes["linux.ipxe"]] == [
        (span(LINUX, "base-url"), "boot-url"),
        (span(LINUX, "base-url", nth=1), "boot-url"),
    ]
    assert [e.range for e in changes["tools/index.ipxe"]] == [span(TOOLS, "base-url")]
    # iPXE's own settings are not the script's to rename
    linux_uri, linux = open_file(client, "linux.ipxe")
    with pytest.raises(Exception, match="iPXE's own settings"):
        await client.text_document_prepare_rename_async(
            types.PrepareRenameParams(**at(linux_uri, linux, "${platform}", 3))
        )


async def test_workspace_symbols_over_every_file(client: LanguageClient) -> None:
    open_file(client, "linux.ipxe")
    found = await client.workspace_symbol_async(types.WorkspaceSymbolParams(query=""))
    assert found is not None
    names = {(s.name, Path(s.location.uri).name) for s in found if isinstance(s.location, types.Location)}
    assert names >= {
        (":start", "menu.ipxe"),
        (":error", "menu.ipxe"),
        ("Boot menu", "menu.ipxe"),
        (":tools-menu", "index.ipxe"),
        (":memtest", "index.ipxe"),
        ("Tools", "index.ipxe"),
    }
    found = await client.workspace_symbol_async(types.WorkspaceSymbolParams(query="memt"))
    assert found is not None and [s.name for s in found] == [":memtest"]


async def test_diagnostics_use_the_parents(client: LanguageClient) -> None:
    # linux.ipxe alone: `goto error` has no label and ${base-url} is never set; in the tree the parent
    # sets base-url and handles the failure with its own :error
    uri, _text = open_file(client, "linux.ipxe")
    found = await diagnostics_where(
        client, uri, lambda ds: any(d.code == "IPX201" and "menu.ipxe:10" in d.message for d in ds)
    )
    (goto,) = [d for d in found if d.code == "IPX201"]
    assert goto.severity == types.DiagnosticSeverity.Information
    assert "via menu.ipxe:10 → linux.ipxe" in goto.message
    assert goto.related_information and goto.related_information[0].location.uri == (
        (root(client) / "menu.ipxe").as_uri()
    )
    assert not [d for d in found if d.code == "IPX403"]  # base-url is set by the parent


async def test_an_edit_in_the_parent_reaches_the_child(client: LanguageClient) -> None:
    child_uri, _ = open_file(client, "linux.ipxe")
    await diagnostics_where(client, child_uri, lambda ds: any(d.code == "IPX201" for d in ds))
    parent_uri, parent = open_file(client, "menu.ipxe")
    # the parent stops setting base-url: the child's reads are now of a setting nobody sets
    start = pos(parent, "set base-url")
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=parent_uri, version=2),
            content_changes=[
                types.TextDocumentContentChangePartial(
                    range=types.Range(start=start, end=types.Position(line=start.line + 1, character=0)),
                    text="",
                )
            ],
        )
    )
    await diagnostics_where(client, child_uri, lambda ds: any(d.code == "IPX403" for d in ds))


async def test_completion_offers_settings_set_in_other_files_of_the_tree(client: LanguageClient) -> None:
    uri, text = open_file(client, "linux.ipxe")
    found = await client.text_document_completion_async(
        types.CompletionParams(**at(uri, text, "${base-url}", delta=2))
    )
    assert found is not None
    items = found.items if isinstance(found, types.CompletionList) else found
    details = {item.label: item.detail for item in items}
    assert details.get("tools-dir") == "set in menu.ipxe"  # (an earlier test took base-url out of it)
    assert "hostname" in details  # and iPXE's own, as before
