"""A cache of whole ``ipxelint`` runs, for reruns over files that did not change (pre-commit, CI).

Opt-in: ``--cache-dir DIR`` (or ``IPXELINT_CACHE_DIR``). A run's key is a hash of everything its
output depends on: the code and data of this install (path, size and modification time of every
file of the ``ipxescript`` package) and the Python version, the options that shape the output, the
working folder, and for each script its path as shown, its text and its config (which holds the
options that select rules, the profile and the template mode), the scripts that join the boot tree
of the files given as context (``ipxelint FILE``: the rest of the project) included. Findings in a boot tree depend on
every script of the tree, so a change to any input is a miss and everything is linted again. A hit
prints what the run printed and exits with its status; a run that fixed files, checked URLs, read
standard input or met an unreadable file is never stored.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from ipxescript.lint.config import LintConfig
from ipxescript.syntax.source import encode_source

ENV = "IPXELINT_CACHE_DIR"
KEEP = 200  # entries kept in a cache folder; the oldest go first
PACKAGE = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Entry:
    stdout: str
    stderr: str
    status: int


@cache
def code_fingerprint(package: Path = PACKAGE) -> str:
    """A hash of where, how big and how new every file of the package is: any edit to the code, the
    catalog or the grammar (a new version, a development checkout) makes every old entry a miss."""
    import hashlib  # here and below, not at the top: every run imports this module for ``cache_dir``

    digest = hashlib.sha256(sys.version.encode())
    for folder, dirs, files in sorted(os.walk(package)):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            path = os.path.join(folder, name)
            try:
                stat = os.stat(path)
            except OSError:
                continue
            digest.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


Inputs = Sequence[tuple[str, str | bytes, LintConfig]]


def run_key(options: Sequence[object], inputs: Inputs, context: Inputs = ()) -> str:
    """The key of a run: the install, the options, the working folder, and every (path, text, config)
    of the scripts linted and of those that join their boot tree as context (``ipxelint FILE``)."""
    import hashlib

    digest = hashlib.sha256(code_fingerprint().encode())
    digest.update(repr((os.getcwd(), *options)).encode("utf-8", "surrogateescape"))
    configs: dict[int, str] = {}
    for kind, scripts in ((b"file", inputs), (b"context", context)):
        for path, text, config in scripts:
            shown = configs.get(id(config))
            if shown is None:
                shown = configs[id(config)] = repr(config)
            digest.update(b"\0" + kind + b"\0" + path.encode("utf-8", "surrogateescape") + b"\0")
            digest.update(shown.encode("utf-8", "surrogateescape"))
            data = text if isinstance(text, bytes) else encode_source(text)
            digest.update(hashlib.sha256(data).digest())
    return digest.hexdigest()


def cache_dir(option: str | None) -> Path | None:
    value = option if option is not None else os.environ.get(ENV)
    return Path(value) if value else None


def load(folder: Path, key: str) -> Entry | None:
    try:
        data = json.loads((folder / f"{key}.json").read_text(encoding="utf-8"))
        return Entry(str(data["stdout"]), str(data["stderr"]), int(data["status"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None  # missing, unreadable or damaged: lint as if there were no cache


def store(folder: Path, key: str, entry: Entry) -> None:
    """Write the entry (atomically: a reader never sees half of it); a cache that cannot be written is
    no reason to fail the lint, so errors are ignored."""
    import tempfile

    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=folder, suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8", errors="surrogateescape") as out:
            json.dump({"stdout": entry.stdout, "stderr": entry.stderr, "status": entry.status}, out)
        os.replace(temporary, folder / f"{key}.json")
        _prune(folder)
    except OSError:
        pass


def _prune(folder: Path) -> None:
    entries = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime_ns)
    for old in entries[:-KEEP]:
        old.unlink(missing_ok=True)
