"""Completion, hover and signature help over stdio."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from .conftest import open_script, pos

pytestmark = pytest.mark.asyncio(loop_scope="module")

MENU = """#!ipxe
:start
set server http://boot.example
menu Boot menu
item linux Boot Linux
item --gap Tools
item shell iPXE shell
choose --default linux --timeout 5000 target && goto ${target}
goto start
:linux
kernel ${server}/vmlinuz
boot
:shell
shell
"""


def doc(uri: str) -> types.TextDocumentIdentifier:
    return types.TextDocumentIdentifier(uri=uri)


async def complete_at(
    client: LanguageClient, tmp_path: Path, text: str, needle: str, delta: int
) -> list[str]:
    uri = open_script(client, tmp_path / "menu.ipxe", text)
    result = await client.text_document_completion_async(
        types.CompletionParams(text_document=doc(uri), position=pos(text, needle, delta=delta))
    )
    assert isinstance(result, types.CompletionList)
    return [item.label for item in result.items]


async def test_completes_commands_at_line_start(client: LanguageClient, tmp_path: Path) -> None:
    text = MENU + "ch\n"
    labels = await complete_at(client, tmp_path, text, "ch\n", 2)
    assert {"chain", "choose", "echo", "goto", "imgfetch"} <= set(labels)


async def test_completes_the_command_after_an_operator(client: LanguageClient, tmp_path: Path) -> None:
    text = MENU + "dhcp || sh\n"
    labels = await complete_at(client, tmp_path, text, "|| sh", 5)
    assert "shell" in labels and "show" in labels


async def test_completes_options_of_the_command(client: LanguageClient, tmp_path: Path) -> None:
    text = MENU + "chain --\n"
    labels = await complete_at(client, tmp_path, text, "chain --", 8)
    assert set(labels) == {"--name", "--timeout", "--quiet", "--autofree", "--replace", "--help"}


async def test_completes_labels_after_goto(client: LanguageClient, tmp_path: Path) -> None:
    text = MENU + "goto \n"
    labels = await complete_at(client, tmp_path, text, "goto \n", 5)
    assert labels == ["start", "linux", "shell"]


async def test_completes_item_ids_after_choose_default(client: LanguageClient, tmp_path: Path) -> None:
    text = MENU.replace("--default linux", "--default li")
    labels = await complete_at(client, tmp_path, text, "--default li", 12)
    assert labels == ["linux", "shell"]


async def test_completes_settings_and_types_inside_a_reference(
    client: LanguageClient, tmp_path: Path
) -> None:
    text = MENU + "echo ${ser\n"
    labels = await complete_at(client, tmp_path, text, "${ser", 5)
    assert "server" in labels  # set in this script
    assert {"mac", "ip", "filename", "net0/"} <= set(labels)  # from the catalog
    text = MENU + "echo ${mac:hex\n"
    labels = await complete_at(client, tmp_path, text, "${mac:hex", 9)
    assert {"hex", "hexhyp", "ipv4", "uint32", "string"} <= set(labels)


async def test_completes_set_names_already_used(client: LanguageClient, tmp_path: Path) -> None:
    text = MENU + "set se\n"
    uri = open_script(client, tmp_path / "menu.ipxe", text)
    result = await client.text_document_completion_async(
        types.CompletionParams(text_document=doc(uri), position=pos(text, "set se\n", delta=6))
    )
    assert isinstance(result, types.CompletionList)
    labels = [item.label for item in result.items]
    assert labels[:2] == ["server", "target"]
    assert "se" not in labels and "filename" in labels


async def test_completes_url_schemes(client: LanguageClient, tmp_path: Path) -> None:
    text = MENU + "chain ht\n"
    labels = await complete_at(client, tmp_path, text, "chain ht", 8)
    assert {"http://", "https://", "tftp://"} <= set(labels)


async def test_completion_replaces_the_typed_prefix(client: LanguageClient, tmp_path: Path) -> None:
    text = MENU + "chain --ti\n"
    uri = open_script(client, tmp_path / "menu.ipxe", text)
    result = await client.text_document_completion_async(
        types.CompletionParams(text_document=doc(uri), position=pos(text, "--ti", delta=4))
    )
    assert isinstance(result, types.CompletionList)
    item = next(i for i in result.items if i.label == "--timeout")
    assert isinstance(item.text_edit, types.TextEdit)
    assert item.text_edit.range.start == pos(text, "--ti")
    assert item.text_edit.new_text == "--timeout"


async def hover_at(
    client: LanguageClient, uri: str, text: str, needle: str, delta: int = 0, nth: int = 0
) -> str:
    result = await client.text_document_hover_async(
        types.HoverParams(text_document=doc(uri), position=pos(text, needle, nth=nth, delta=delta))
    )
    assert result is not None
    assert isinstance(result.contents, types.MarkupContent)
    return result.contents.value


async def test_hover_shows_command_usage_options_and_summary(client: LanguageClient, tmp_path: Path) -> None:
    uri = open_script(client, tmp_path / "menu.ipxe", MENU)
    text = await hover_at(client, uri, MENU, "choose", 2)
    assert "choose [-m|--menu <menu>] [-d|--default <default>]" in text
    assert "Show a UI as a menu" in text
    assert "--retimeout" in text


async def test_hover_shows_setting_type_and_dhcp_option(client: LanguageClient, tmp_path: Path) -> None:
    text = MENU + "echo ${net0/filename}\n"
    uri = open_script(client, tmp_path / "menu.ipxe", text)
    value = await hover_at(client, uri, text, "filename}", 2)
    assert "**setting** `filename` (string)" in value
    assert "DHCP option 67" in value


async def test_hover_shows_a_label_and_an_items_target(client: LanguageClient, tmp_path: Path) -> None:
    uri = open_script(client, tmp_path / "menu.ipxe", MENU)
    label = await hover_at(client, uri, MENU, "goto start", 6)
    assert "label `:start`, line 2" in label
    assert "set server http://boot.example" in label
    own = await hover_at(client, uri, MENU, ":linux")  # on the definition's colon
    assert "label `:linux`, line 10" in own
    item = await hover_at(client, uri, MENU, "item linux", 6)
    assert "**item** `linux`: Boot Linux" in item
    assert "label `:linux`, line 10" in item
    assert "kernel ${server}/vmlinuz" in item


async def test_hover_shows_an_option(client: LanguageClient, tmp_path: Path) -> None:
    uri = open_script(client, tmp_path / "menu.ipxe", MENU)
    value = await hover_at(client, uri, MENU, "--timeout", 3)
    assert "`-t|--timeout <timeout>` (timeout_ms)" in value


async def test_signature_help_marks_the_option_being_used(client: LanguageClient, tmp_path: Path) -> None:
    text = MENU + "chain --timeout \n"
    uri = open_script(client, tmp_path / "menu.ipxe", text)
    result = await client.text_document_signature_help_async(
        types.SignatureHelpParams(text_document=doc(uri), position=pos(text, "chain --timeout ", delta=16))
    )
    assert result is not None
    signature = result.signatures[0]
    assert signature.label.startswith("chain [-n|--name <name>] [-t|--timeout <timeout>]")
    assert result.active_parameter is not None
    parameter = signature.parameters[result.active_parameter]  # type: ignore[index]
    assert isinstance(parameter.label, tuple)
    assert signature.label[parameter.label[0] : parameter.label[1]] == "[-t|--timeout <timeout>]"


async def test_completes_labels_as_item_ids(client: LanguageClient, tmp_path: Path) -> None:
    text = MENU + "item \n"
    labels = await complete_at(client, tmp_path, text, "item \n", 5)
    assert labels == ["start", "linux", "shell"]
    text = MENU + "item --gap \n"
    assert await complete_at(client, tmp_path, text, "item --gap \n", 11) == []


async def test_hover_on_a_computed_goto_lists_its_targets(client: LanguageClient, tmp_path: Path) -> None:
    uri = open_script(client, tmp_path / "menu.ipxe", MENU)
    value = await hover_at(client, uri, MENU, "${target}", 3)
    assert "**setting** `target`" in value
    assert "reaches the label named by the chosen item: `:linux`, `:shell`" in value
