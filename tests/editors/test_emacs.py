"""A real editor against the real server: Debian's Emacs (batch) with editors/emacs/ipxe-mode.el and eglot."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

EDITORS = Path(__file__).resolve().parents[2] / "editors"

MENU = """#!ipxe
set base-url http://boot.example/ipxe
chain linux.ipxe || goto error
:error
shell
"""
LINUX = """#!ipxe
kernel ${base-url}/vmlinuz#frag initrd=x # a comment
goto strat
:start
boot
"""


@pytest.mark.timeout(120)
def test_emacs_highlights_diagnoses_across_the_tree_and_jumps(tmp_path: Path) -> None:
    emacs = shutil.which("emacs")
    assert emacs, "Emacs and eglot are needed (apt-get install emacs-nox elpa-eglot)"
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "menu.ipxe").write_text(MENU)
    (tree / "linux.ipxe").write_text(LINUX)
    (tree / "boot.txt").write_text("#!ipxe\necho hello\n")
    result_file = tmp_path / "result.json"
    env = dict(
        os.environ,
        IPXE_RESULT=str(result_file),
        IPXE_PYTHON=sys.executable,
        IPXE_EMACS_DIR=str(EDITORS / "emacs"),
        IPXE_TREE=str(tree),
        HOME=str(tmp_path),
        PATH="/usr/bin:/bin",  # no `ipxescript` here: only the command the user set can start the server
    )
    session = Path(__file__).parent / "emacs_session.el"
    completed = subprocess.run(
        [emacs, "--batch", "-Q", "-l", str(session)],
        env=env, cwd=tree, capture_output=True, text=True, timeout=100, check=False,
    )  # fmt: skip
    assert result_file.exists(), completed.stdout + completed.stderr
    result = json.loads(result_file.read_text())
    assert "error" not in result, result["error"]
    assert result["magic_mode"] == "ipxe-mode"  # a first line `#!ipxe` without the suffix
    assert result["mode"] == "ipxe-mode"
    assert "preprocessor" in result["magic_face"]  # the magic line stands out, as in Vim and VS Code
    assert result["hash_in_word_is_comment"] is False
    assert result["comment_is_comment"] is True
    assert result["started"] is True, completed.stderr[-2000:]
    # the goto's finding cites the parent that chains this file: the tree was read
    assert any(d.startswith("3 ") and "strat" in d and "menu.ipxe" in d for d in result["diagnostics"]), (
        result
    )
    assert result["definition"] == [str(tree / "menu.ipxe")]
    assert result["commented"] == "# boot"
