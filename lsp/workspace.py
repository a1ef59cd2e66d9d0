"""The workspace as a boot tree: every script under the workspace folder, read once (and again when it
changes on disk), the open documents' current text in place of their files, and the boot tree
(ipxescript.analysis.boottree) over them. Opening one file of a tree finds its parents this way.

The tree is rebuilt only when a file's model changed (an edit, a save on disk, a file appearing);
each model is built once per version of its text.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from ipxescript.analysis.boottree import BootTree, MapError, TreeFile, parse_map
from ipxescript.analysis.model import ScriptModel
from ipxescript.lint import LintConfig
from ipxescript.lint.discover import discover, starts_with_magic
from ipxescript.syntax.parser import parse

MAX_FILES = 5000  # a workspace folder with more scripts than this is not scanned as one tree


@dataclass(eq=False)
class DiskScript:
    stamp: tuple[int, int]  # (mtime_ns, size) when read
    model: ScriptModel


class Workspace:
    def __init__(self, open_models: Callable[[], dict[Path, ScriptModel]]) -> None:
        self.folders: list[Path] = []
        self._open_models = open_models  # the open documents' current models, by path
        self._listing: dict[Path, list[Path]] = {}  # folder -> scripts under it (until files change)
        self._disk: dict[Path, DiskScript] = {}
        self._trees: dict[tuple[object, ...], BootTree] = {}

    def set_folders(self, folders: Iterable[str]) -> None:
        self.folders = [Path(os.path.abspath(f)) for f in folders]
        self.files_changed()

    def files_changed(self) -> None:
        """Scripts appeared, disappeared or changed on disk: list the folders again."""
        self._listing.clear()
        self._trees.clear()

    def folder_of(self, path: Path) -> tuple[Path, bool]:
        """The workspace folder holding ``path`` (the deepest) and True; else the file's own folder
        and False (then only that folder is read, not the folders under it)."""
        holding = [f for f in self.folders if path.is_relative_to(f)]
        if holding:
            return max(holding, key=lambda f: len(f.parts)), True
        return path.parent, False

    def _scripts(self, folder: Path, recursive: bool) -> list[Path]:
        found = self._listing.get(folder)
        if found is None:
            found = []
            if recursive:
                found = [Path(os.path.abspath(n)) for n, error in discover([str(folder)]) if error is None]
            else:
                try:
                    names = sorted(os.listdir(folder))
                except OSError:
                    names = []
                for name in names:
                    path = folder / name
                    if path.is_file() and (name.endswith(".ipxe") or starts_with_magic(path)):
                        found.append(path)
            found = found[:MAX_FILES]
            self._listing[folder] = found
        return found

    def _disk_model(self, path: Path) -> ScriptModel | None:
        try:
            info = path.stat()
        except OSError:
            return None
        stamp = (info.st_mtime_ns, info.st_size)
        known = self._disk.get(path)
        if known is None or known.stamp != stamp:
            try:
                data = path.read_bytes()
            except OSError:
                return None
            known = self._disk[path] = DiskScript(stamp, ScriptModel(parse(data, str(path))))
        return known.model

    def alone(self, path: str) -> bool:
        """No other script around ``path``: no tree to build (the common single-file case, cheaply)."""
        file_path = Path(os.path.abspath(path))
        folder, recursive = self.folder_of(file_path)
        others = [p for p in self._scripts(folder, recursive) if p != file_path]
        return not others and not any(
            p != file_path and p.is_relative_to(folder) for p in self._open_models()
        )

    def tree(self, path: str, config: LintConfig) -> tuple[BootTree, TreeFile] | None:
        """The boot tree of the workspace folder holding ``path``, and ``path``'s file in it."""
        file_path = Path(os.path.abspath(path))
        folder, recursive = self.folder_of(file_path)
        tree = self._tree(folder, recursive, config, file_path)
        tree_file = tree.file(file_path)
        return (tree, tree_file) if tree_file is not None else None

    def tree_of_folder(self, folder: Path) -> BootTree:
        return self._tree(folder, True, LintConfig(), None)

    def _tree(self, folder: Path, recursive: bool, config: LintConfig, also: Path | None) -> BootTree:
        open_models = self._open_models()
        paths = [*self._scripts(folder, recursive), *(p for p in open_models if p.is_relative_to(folder))]
        if also is not None:
            paths.append(also)
        models: list[tuple[Path, ScriptModel]] = []
        for p in dict.fromkeys(paths):
            model = open_models.get(p) or self._disk_model(p)
            if model is not None:
                models.append((p, model))
        entries = [Path(folder, e) for e in config.entries]
        maps = []
        for text in config.maps:
            try:
                maps.append(parse_map(text, folder))
            except MapError:
                continue  # the config loader reports it
        key = (folder, tuple((p, id(m)) for p, m in models), tuple(entries), tuple(maps))
        tree = self._trees.get(key)
        if tree is None:
            if len(self._trees) > 8:
                self._trees.clear()  # older versions are not asked for again
            tree = self._trees[key] = BootTree(models, folder, entries, maps)
        return tree
