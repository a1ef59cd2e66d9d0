"""Which files to lint: given files as they are, folders searched for ``*.ipxe`` files and files that
start with ``#!ipxe`` (or ``#!gpxe``), ``-`` for standard input."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

SKIP_DIRS = {".git", ".hg", ".svn", "node_modules", "__pycache__", ".venv", "venv", ".tox", ".mypy_cache"}
MAGICS = (b"#!ipxe", b"#!gpxe")


def starts_with_magic(path: str | Path) -> bool:
    try:
        with open(path, "rb") as handle:
            head = handle.read(6)
    except OSError:
        return False
    return head in MAGICS


# files looked at, at most, for the other scripts of a given file's boot tree (a big git checkout has
# a few thousand files; a home directory holding a stray script may have millions)
CONTEXT_LIMIT = 20_000

NO_SCRIPTS = "no iPXE scripts here (files named *.ipxe or starting with #!ipxe)"


def discover(paths: list[str]) -> Iterator[tuple[str, str | None]]:
    """(path, error) for each file to lint; error is set when a named path does not exist or is a
    folder with no script in it."""
    for raw in paths:
        if raw == "-":
            yield raw, None
            continue
        try:
            # one look: a folder, a file, or nothing there ("" is the working folder, as Path("") is)
            is_dir = stat.S_ISDIR(os.stat(raw or ".").st_mode)
        except (OSError, ValueError):
            # pathlib's spelling, which reads the file, may still name one ("boot.ipxe/")
            yield raw, None if _path_exists(raw) else _unreadable(raw)
            continue
        if is_dir:
            found = False
            errors: list[OSError] = []  # folders that cannot be listed: their scripts are not linted
            for found_path in _walk(raw, errors.append):
                found = True
                yield found_path, None if os.path.exists(found_path) else _unreadable(found_path)
            for error in errors:
                yield str(Path(error.filename or raw)), f"cannot read folder: {error.strerror}"
            if not found and not errors:  # a wrong folder must not pass for a clean one
                yield raw, NO_SCRIPTS
        else:
            yield raw, None


def _path_exists(raw: str) -> bool:
    try:
        return Path(raw).exists()
    except OSError:
        return False


def _unreadable(path: str) -> str:
    """Why a path that does not exist cannot be read: missing, or a link to nowhere or in a loop."""
    try:
        os.stat(path)
    except (FileNotFoundError, ValueError):  # ValueError: a NUL in the name
        return "no such file or directory"
    except OSError as exc:
        return f"cannot read: {exc.strerror}"
    return "no such file or directory"


def walk_context(root: str, limit: int = CONTEXT_LIMIT) -> tuple[list[str], bool]:
    """The scripts under ``root`` that join a given file's boot tree as context, and whether the search
    went through the whole folder: it stops after looking at ``limit`` files, as when the file's own
    folder is a home directory (a file outside any project), so that linting one file never reads a
    whole disk."""
    found: list[str] = []
    looked = 0
    for folder, files in _folders(root):
        looked += len(files)
        if looked > limit:
            return found, False
        found.extend(_scripts_in(folder, files))
    return found, True


def _walk(root: str, onerror: Callable[[OSError], None] | None = None) -> Iterator[str]:
    """The files to lint under ``root``, named as ``Path(folder) / name`` would name them."""
    for folder, files in _folders(root, onerror):
        yield from _scripts_in(folder, files)


def _folders(root: str, onerror: Callable[[OSError], None] | None = None) -> Iterator[tuple[str, list[str]]]:
    for folder, dirs, files in os.walk(root, onerror=onerror):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
        yield folder, files


def _scripts_in(folder: str, files: list[str]) -> Iterator[str]:
    base = str(Path(folder))  # once per folder: pathlib's spelling ("./x/" -> "x")
    for name in sorted(files):
        path = name if base == "." else os.path.join(base, name)
        if name.endswith(".ipxe") or starts_with_magic(path):
            yield path
