"""`ipxelint FILE` starts without importing what only some runs need: the start-up is a large share of
a pre-commit run over a few files. Checked on the installed console script as a person runs it, with
Python's own import log (-X importtime)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent
# module -> the run that needs it
ONLY_SOMETIMES = {
    "lark": "the Lark reference parser (tests)",
    "tomllib": "a config file (.ipxelint.toml, pyproject.toml)",
    "hashlib": "--cache-dir",
    "tempfile": "--cache-dir storing a run",
    "difflib": "a did-you-mean candidate two edits away",
    "importlib.resources": "nothing in a lint (package data is read by path)",
    "ipxescript.serve": "ipxescript serve",
    "ipxescript.sim": "ipxesim",
    "ipxescript.fmt": "ipxescript fmt",
}


def imported_modules(tmp_path: Path, *argv: str) -> set[str]:
    env = {**os.environ, "PYTHONPROFILEIMPORTTIME": "1"}
    env.pop("IPXELINT_CACHE_DIR", None)
    done = subprocess.run(
        [str(BIN / "ipxelint"), *argv], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120
    )
    assert done.returncode in (0, 1), done.stderr[-2000:]
    return {
        line.rsplit("|", 1)[1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")
    }


def test_a_plain_lint_imports_only_what_it_uses(tmp_path: Path) -> None:
    (tmp_path / "boot.ipxe").write_text("#!ipxe\ndhcp\nchian http://boot.example/menu.ipxe\n")
    modules = imported_modules(tmp_path, "boot.ipxe")
    assert "ipxescript.syntax.parser" in modules  # the import log was read
    loaded = {name: why for name, why in ONLY_SOMETIMES.items() if name in modules}
    assert not loaded, f"imported at start-up, needed only for: {loaded}"


def test_a_config_file_still_loads_tomllib(tmp_path: Path) -> None:
    (tmp_path / "boot.ipxe").write_text("#!ipxe\necho ${x}\n")
    (tmp_path / ".ipxelint.toml").write_text('ignore = ["IPX403"]\n')
    assert "tomllib" in imported_modules(tmp_path, "boot.ipxe")
