"""Edits that change facts across lines: after each, the server publishes exactly what a full lint of
the editor's text gives (its cross-line findings come from the incremental linter, not a re-lint)."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from ipxescript.lint import lint_source

from .conftest import diagnostics_where, open_script, pos
from .test_diagnostics import change

pytestmark = pytest.mark.asyncio(loop_scope="module")

MENU = """#!ipxe
set base http://boot.example.com
:menu
menu Boot
item linux Linux
item rescue Rescue
choose --default linux target && goto ${target}
goto menu
:linux
kernel ${base}/vmlinuz
initrd ${base}/initrd.img
boot || goto menu
:rescue
echo ${rescue-url}
chain ${rescue-url} || goto menu
"""


def shown(found: list[types.Diagnostic]) -> list[tuple[str, int, int, int, int, str]]:
    return sorted(
        (str(d.code), d.range.start.line, d.range.start.character, d.range.end.line, d.range.end.character,
         d.message)
        for d in found
    )  # fmt: skip


def full_lint(text: str, path: Path) -> list[tuple[str, int, int, int, int, str]]:
    """A full lint of ``text`` as the server would publish it (ASCII text: columns are characters)."""
    out = []
    for d in lint_source(text, str(path)):
        start_line = text.count("\n", 0, d.start)
        end_line = text.count("\n", 0, d.end)
        out.append(
            (d.code, start_line, d.start - (text.rfind("\n", 0, d.start) + 1), end_line,
             d.end - (text.rfind("\n", 0, d.end) + 1), d.message)
        )  # fmt: skip
    return sorted(out)


class Editor:
    """One open document: edits go to the server and to the local copy of the text."""

    def __init__(self, client: LanguageClient, path: Path, text: str) -> None:
        self.client, self.path, self.text, self.version = client, path, text, 1
        self.uri = open_script(client, path, text)

    def replace(self, old: str, new: str, nth: int = 0) -> None:
        index = -1
        for _ in range(nth + 1):
            index = self.text.index(old, index + 1)
        start, end = pos(self.text, old, nth), pos(self.text, old, nth, delta=len(old))
        self.version += 1
        change(self.client, self.uri, self.version, start, end, new)
        self.text = self.text[:index] + new + self.text[index + len(old) :]

    async def settled(self) -> list[types.Diagnostic]:
        """Wait for the published diagnostics to be those of a full lint of the current text."""
        expected = full_lint(self.text, self.path)
        return await diagnostics_where(self.client, self.uri, lambda ds: shown(ds) == expected)


def codes(found: list[types.Diagnostic]) -> list[str]:
    return [str(d.code) for d in found]


async def test_renaming_a_label_that_gotos_use(client: LanguageClient, tmp_path: Path) -> None:
    editor = Editor(client, tmp_path / "menu.ipxe", MENU)
    assert "IPX201" not in codes(await editor.settled())
    editor.replace(":menu\n", ":main\n")
    found = await editor.settled()
    assert codes(found).count("IPX201") == 3  # the three 'goto menu' lose their label
    editor.replace(":main\n", ":menu\n")
    assert "IPX201" not in codes(await editor.settled())


async def test_deleting_an_item_label(client: LanguageClient, tmp_path: Path) -> None:
    editor = Editor(client, tmp_path / "items.ipxe", MENU)
    await editor.settled()
    editor.replace(":rescue\n", "")
    found = await editor.settled()
    assert "IPX304" in codes(found)  # 'item rescue' now leads nowhere
    editor.replace("chain ${rescue-url}", ":rescue\nchain ${rescue-url}")
    assert "IPX304" not in codes(await editor.settled())


async def test_setting_a_value_before_its_use(client: LanguageClient, tmp_path: Path) -> None:
    editor = Editor(client, tmp_path / "settings.ipxe", MENU)
    found = await editor.settled()
    assert "IPX403" in codes(found)  # ${rescue-url} is never set
    editor.replace("set base", "set rescue-url http://rescue.example.com/boot.ipxe\nset base")
    assert "IPX403" not in codes(await editor.settled())
    # and a typo in the new line's name brings it back, with the two names told apart
    editor.replace("set rescue-url", "set rescue-ulr")
    found = await editor.settled()
    assert "IPX403" in codes(found) and "IPX404" in codes(found)


async def test_a_run_of_edits_each_published_in_full(client: LanguageClient, tmp_path: Path) -> None:
    editor = Editor(client, tmp_path / "run.ipxe", MENU)
    await editor.settled()
    steps = [
        ("goto menu\n:linux", "goto menu\nexit\n:linux"),  # the linux block is still reached by the menu
        ("boot || goto menu", "boot"),  # one goto fewer
        ("item linux Linux", "item --key l linux Linux"),
        ("kernel ${base}/vmlinuz", "kernel ${base}/vmlinuz\nkernel ${base}/other"),  # loads twice
        ("choose --default linux target && goto ${target}", "choose target\ngoto ${target}"),
        ("#!ipxe", "#!ipxe\n# ipxelint: disable=IPX203"),
    ]
    for old, new in steps:
        editor.replace(old, new)
        await editor.settled()


async def test_typing_a_reference_keystroke_by_keystroke(client: LanguageClient, tmp_path: Path) -> None:
    """Each keystroke of '${rescue-url}' typed into a line that had no reference: every version's
    publish is a full lint's, from the unterminated '${' to the read of a setting that is never set."""
    editor = Editor(client, tmp_path / "typing.ipxe", MENU.replace("echo ${rescue-url}\n", ""))
    assert codes(await editor.settled()).count("IPX403") == 1  # the chain line's
    typed = "initrd ${base}/initrd.img"
    for char in " ${base}":
        editor.replace(typed, typed + char)
        typed += char
        await editor.settled()
    editor.replace(typed, "initrd ${base}/initrd.img ${rescue-url}")
    assert codes(await editor.settled()).count("IPX403") == 1  # still one finding per name


async def test_a_form_makes_its_items_write(client: LanguageClient, tmp_path: Path) -> None:
    """An item of a form stores what the user types: adding the form makes '${user}' set."""
    text = "#!ipxe\nitem --form creds user User name\npresent creds\necho ${user}\n"
    editor = Editor(client, tmp_path / "form.ipxe", text)
    assert "IPX403" in codes(await editor.settled())
    editor.replace("item --form", "form --name creds Credentials\nitem --form")
    assert "IPX403" not in codes(await editor.settled())
    editor.replace("form --name creds Credentials\n", "")
    assert "IPX403" in codes(await editor.settled())


async def test_joining_and_splitting_lines(client: LanguageClient, tmp_path: Path) -> None:
    """A newline taken away (two lines joined) and put back: every line after moves up and down."""
    editor = Editor(client, tmp_path / "join.ipxe", MENU)
    before = await editor.settled()
    editor.replace("initrd.img\nboot", "initrd.img boot")
    joined = await editor.settled()
    assert shown(joined) != shown(before)
    editor.replace("initrd.img boot", "initrd.img\nboot")
    assert shown(await editor.settled()) == shown(before)
