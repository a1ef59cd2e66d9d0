"""Defects a user met in the editor, through the real client over stdio."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

from .conftest import open_script, pos

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
