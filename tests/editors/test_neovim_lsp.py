"""A real editor against the real server: Debian's Neovim, headless, with editors/nvim's client setup."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

EDITORS = Path(__file__).resolve().parents[2] / "editors"

SCRIPT = """#!ipxe
:start
menu Boot
item linux Boot Linux
choose target && goto ${target}
goto strat
:linux
goto start
"""


@pytest.mark.timeout(120)
def test_neovim_diagnoses_jumps_and_renames(tmp_path: Path) -> None:
    nvim = shutil.which("nvim")
    assert nvim, "Neovim is needed (apt-get install neovim)"
    script = tmp_path / "boot.ipxe"
    script.write_text(SCRIPT)
    result_file = tmp_path / "result.json"
    env = dict(os.environ, IPXE_RESULT=str(result_file), IPXE_PYTHON=sys.executable, HOME=str(tmp_path))
    runtime = f"{EDITORS / 'vim'},{EDITORS / 'nvim'}"
    completed = subprocess.run(
        [nvim, "--headless", "-u", "NONE", "-i", "NONE", "--cmd", f"set rtp^={runtime}",
         "--cmd", "filetype plugin on", "-c", f"luafile {Path(__file__).parent / 'nvim_session.lua'}",
         str(script)],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=100, check=False,
    )  # fmt: skip
    assert result_file.exists(), completed.stdout + completed.stderr
    result = json.loads(result_file.read_text())
    assert result.get("error") is None, result["error"]
    assert result["filetype"] == "ipxe"
    assert [s["name"] for s in result["steps"] if s["ok"]] == ["diagnostics", "definition", "rename"], result
    goto = [d for d in result["diagnostics"] if d["code"] == "IPX201"]
    assert [(d["lnum"], d["col"]) for d in goto] == [(5, 5)]
    assert "strat" in goto[0]["message"]
    assert result["definition"] == [2, 1]  # `goto start` led to `:start` (1-based row, 0-based column)
    assert result["lines"] == SCRIPT.replace("linux", "debian").splitlines()


TREE_MENU = """#!ipxe
set base-url http://boot.example/ipxe
chain sub/linux.ipxe || goto error
:error
shell
"""
TREE_LINUX = """#!ipxe
kernel ${base-url}/vmlinuz
boot || goto failed
"""


@pytest.mark.timeout(120)
def test_neovim_keeps_a_chained_script_in_the_tree_of_the_menu_it_came_from(tmp_path: Path) -> None:
    # no .git or config file anywhere: the subfolder's script joins the running server of its menu's
    # folder instead of starting a server of its own that sees no parent (`${base-url}` never set)
    nvim = shutil.which("nvim")
    assert nvim, "Neovim is needed (apt-get install neovim)"
    tree = tmp_path / "tree"
    (tree / "sub").mkdir(parents=True)
    (tree / "menu.ipxe").write_text(TREE_MENU)
    (tree / "sub" / "linux.ipxe").write_text(TREE_LINUX)
    result_file = tmp_path / "result.json"
    env = dict(
        os.environ,
        IPXE_RESULT=str(result_file),
        IPXE_PYTHON=sys.executable,
        HOME=str(tmp_path),
        IPXE_TREE=str(tree),
    )
    runtime = f"{EDITORS / 'vim'},{EDITORS / 'nvim'}"
    completed = subprocess.run(
        [nvim, "--headless", "-u", "NONE", "-i", "NONE", "--cmd", f"set rtp^={runtime}",
         "--cmd", "filetype plugin on", "-c", f"luafile {Path(__file__).parent / 'nvim_tree_session.lua'}",
         str(tree / "menu.ipxe")],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=100, check=False,
    )  # fmt: skip
    assert result_file.exists(), completed.stdout + completed.stderr
    result = json.loads(result_file.read_text())
    assert result.get("error") is None, result["error"]
    assert result["roots"] == [str(tree)], result
    assert result["linted"], result
    assert not any("never set" in m for m in result["diagnostics"]), result["diagnostics"]
    assert any("menu.ipxe" in m for m in result["diagnostics"]), result["diagnostics"]
    # the README's formatting function is one this Neovim has (0.7 has formatting(), 0.8+ format())
    readme = (EDITORS / "nvim" / "README.md").read_text()
    assert f"`{result['format']}()`" in readme
