"""Vim/Neovim syntax and filetype detection, checked in a real headless Neovim; Helix and Emacs files."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

from ipxescript.catalog import get_catalog

EDITORS = Path(__file__).resolve().parents[2] / "editors"

# writes, for the current buffer, the filetype and the syntax group of every character
REPORT = r"""
let groups = []
for lnum in range(1, line('$'))
  let row = []
  for col in range(1, len(getline(lnum)))
    call add(row, synIDattr(synID(lnum, col, 1), 'name'))
  endfor
  call add(groups, row)
endfor
call writefile([json_encode({'filetype': &filetype, 'groups': groups})], $IPXE_REPORT)
qa!
"""


def nvim_report(tmp_path: Path, name: str, text: str) -> dict:
    nvim = shutil.which("nvim")
    assert nvim, "Neovim is needed (apt-get install neovim)"
    script = tmp_path / name
    script.write_text(text)
    (tmp_path / "report.vim").write_text(REPORT)
    report = tmp_path / "report.json"
    subprocess.run(
        [nvim, "--headless", "-u", "NONE", "-i", "NONE", "--cmd", f"set rtp^={EDITORS / 'vim'}",
         "--cmd", "filetype plugin on", "--cmd", "syntax on", "-S", str(tmp_path / "report.vim"), str(script)],
        env={"IPXE_REPORT": str(report), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        timeout=60, check=True, capture_output=True,
    )  # fmt: skip
    return json.loads(report.read_text())


def group_of(report: dict, text: str, line: int, word: str, nth: int = 0) -> str:
    source_line = text.splitlines()[line]
    column = [m.start() for m in re.finditer(re.escape(word), source_line)][nth]
    return report["groups"][line][column]


SCRIPT = """#!ipxe
:start echo hi #note
echo a#b ${net0/mac:hex} || goto start
choose --default linux target && goto ${target}
# comment ending in a backslash \\
swallowed
menu Boot -- http://a.example && http://b.example --
"""


@pytest.mark.timeout(60)
def test_highlighting_follows_ipxe_tokens(tmp_path: Path) -> None:
    report = nvim_report(tmp_path, "menu.ipxe", SCRIPT)
    assert report["filetype"] == "ipxe"
    assert group_of(report, SCRIPT, 0, "#!ipxe") == "ipxeMagic"
    assert group_of(report, SCRIPT, 1, ":start") == "ipxeLabel"
    assert group_of(report, SCRIPT, 1, "echo") == "ipxeCommand"
    assert group_of(report, SCRIPT, 1, "#note") == "ipxeComment"
    assert group_of(report, SCRIPT, 2, "#b") == ""  # inside a word: not a comment
    assert group_of(report, SCRIPT, 2, "mac") == "ipxeExpansion"
    assert group_of(report, SCRIPT, 2, "||") == "ipxeOperator"
    assert group_of(report, SCRIPT, 2, "goto") == "ipxeCommand"
    assert group_of(report, SCRIPT, 3, "--default") == "ipxeOption"
    assert group_of(report, SCRIPT, 5, "swallowed") == "ipxeComment"
    # after '&&' iPXE runs the word as a command, URL or not (a menu title with '&&' in it)
    assert group_of(report, SCRIPT, 6, "http://a") == "ipxeUrl"
    assert group_of(report, SCRIPT, 6, "http://b") == "ipxeCommandWord"


@pytest.mark.timeout(60)
def test_first_line_magic_detects_the_filetype(tmp_path: Path) -> None:
    assert nvim_report(tmp_path, "boot.txt", "#!ipxe\necho hi\n")["filetype"] == "ipxe"
    assert nvim_report(tmp_path, "boot", "#!gpxe\techo hi\n")["filetype"] == "ipxe"
    assert nvim_report(tmp_path, "other.txt", "#!ipxex\necho hi\n")["filetype"] != "ipxe"


def test_vim_command_keywords_are_the_catalog_commands() -> None:
    syntax = (EDITORS / "vim" / "syntax" / "ipxe.vim").read_text()
    block = re.search(r"syn keyword ipxeCommand contained(.*?)\n\n", syntax, re.S)
    assert block
    words = set(block.group(1).replace("\\", " ").split())
    assert words == set(get_catalog().commands)


def test_helix_declares_language_and_server() -> None:
    config = tomllib.loads((EDITORS / "helix" / "languages.toml").read_text())
    (language,) = config["language"]
    assert language["name"] == "ipxe"
    assert language["file-types"] == ["ipxe"]
    assert set(language["shebangs"]) == {"ipxe", "gpxe"}
    assert language["language-servers"] == ["ipxescript"]
    assert config["language-server"]["ipxescript"] == {"command": "ipxescript", "args": ["lsp"]}


def test_emacs_mode_registers_eglot_and_detection() -> None:
    source = (EDITORS / "emacs" / "ipxe-mode.el").read_text()
    assert source.count("(") == source.count(")") + source.count("?(") - source.count("?)")
    assert "(add-to-list 'eglot-server-programs '(ipxe-mode . ipxe--server-contact))" in source
    assert "'(\"\\\\.ipxe\\\\'\" . ipxe-mode)" in source
    assert "magic-mode-alist '(\"\\\\`#!\\\\(?:ipxe\\\\|gpxe\\\\)" in source
