"""The boot tree: scripts of one repository that chain each other, read as one unit.

A real boot repository is a tree: ``menu.ipxe`` chains ``linux.ipxe``, which reads ``${base-url}``
that ``menu.ipxe`` set and ends in ``|| goto error`` handled back in ``menu.ipxe``. ``BootTree`` holds
one ``ScriptModel`` per file and the edges between them:

- an **edge** is a command that runs or loads another script (``chain``, ``imgexec``, ``imgfetch``/
  ``kernel``/``imgselect`` of a script, ...) with the line it sits on; its target word **resolves** to
  files of the tree when it is a relative path, a path under the tree's root, or a URL whose prefix is
  mapped to a folder (``PREFIX=TARGET``, as ``ipxesim --map`` takes it). Settings with literal values set
  somewhere in the tree are substituted first (``chain ${base-url}/linux.ipxe``).
- a target still computed from a ``${...}`` that leads the path (``${base-url}/x`` with the base
  unknown), a remote URL or a file not in the tree is an **open edge**: kept, never guessed.
- ``chain ${menu}.ipxe``-style dispatch (the computed part is a file name, not a base) resolves to
  every file of the tree in that folder matching the pattern.

Settings are global in iPXE: a child sees what any script before it set and a parent what a child
set, so ``setting_written``/``setting_read`` answer over the files connected to a file by edges.
Entries are the files given as such, or else the files no other file chains.
"""

from __future__ import annotations

import os
import posixpath
import re
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from ipxescript.analysis.binding import BoundCommand
from ipxescript.analysis.model import ScriptModel
from ipxescript.syntax.tree import Command, Literal, LogicalLine, Reference, Script, Word

# commands whose first positional is a script (or image) to run or load
RUNS = ("chain", "imgexec")  # download and run now
LOADS = ("imgfetch", "module", "kernel", "imgselect", "imgload")  # load; a later boot/imgexec runs it
SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
MAX_EXPANSIONS = 16  # candidate values tried per target word
WILD = None  # a part of a target whose value is not known


class MapError(ValueError):
    """A ``PREFIX=TARGET`` text that is not one."""


@dataclass(frozen=True)
class Mapping:
    """URLs starting with ``prefix`` are read from the folder ``target`` (``ipxesim --map``)."""

    prefix: str
    target: Path


def parse_map(text: str, base: Path | None = None) -> Mapping:
    """``PREFIX=TARGET`` -> Mapping; a relative TARGET is taken from ``base`` (the config's folder)."""
    prefix, eq, target = text.partition("=")
    if not eq or not prefix or not target:
        raise MapError(f"{text!r}: expected PREFIX=TARGET (a URL prefix and a folder)")
    path = Path(target)
    if base is not None and not path.is_absolute():
        path = base / path
    return Mapping(prefix, path)


@dataclass(eq=False)
class TreeFile:
    path: Path  # absolute
    name: str  # as shown to users: relative to the tree's root when under it
    model: ScriptModel

    @property
    def script(self) -> Script:
        return self.model.script


@dataclass(eq=False)
class Edge:
    """One command in ``source`` that runs or loads another script."""

    source: TreeFile
    line: LogicalLine
    bound: BoundCommand
    word: Word  # the target as written
    targets: list[TreeFile] = field(default_factory=list)
    reason: str = ""  # why an open edge stays open: remote, computed, not-in-tree

    @property
    def kind(self) -> str:
        return self.bound.name or ""

    @property
    def command(self) -> Command:
        return self.bound.command

    @property
    def is_open(self) -> bool:
        return not self.targets

    @property
    def line_number(self) -> int:
        """1-based physical line of the command."""
        return self.source.model.line_number(self.bound.command.start)

    @property
    def where(self) -> str:
        return f"{self.source.name}:{self.line_number}"

    @property
    def replaces(self) -> bool:
        """``chain --replace``: the parent's script is gone, nothing after it runs."""
        return self.bound.has("replace")

    @cached_property
    def failure_handler(self) -> Command | None:
        """The command that runs when the chained script fails: the first after a ``||`` that
        follows this command on its line (``chain child.ipxe || goto error``)."""
        commands = self.line.commands
        index = next((i for i, c in enumerate(commands) if c is self.bound.command), None)
        if index is None:
            return None
        for i in range(index, len(self.line.operators)):
            op = self.line.operators[i].text
            if op == "||":
                following = commands[i + 1] if i + 1 < len(commands) else None
                return following if following is not None and following.words else None
            if op == ";":
                return None
        return None


class BootTree:
    """Files (``TreeFile``) and the edges between them; see the module docstring."""

    def __init__(
        self,
        models: Iterable[tuple[Path, ScriptModel]],
        root: Path | None = None,
        entries: Iterable[Path] = (),
        maps: Iterable[Mapping] = (),
    ) -> None:
        pairs = [(Path(os.path.abspath(p)), m) for p, m in models]
        self.root = Path(os.path.abspath(root)) if root is not None else _common_folder([p for p, _ in pairs])
        self.maps = list(maps)
        self.files: dict[Path, TreeFile] = {}
        for path, model in pairs:
            self.files[path] = TreeFile(path, self._display_name(path), model)
        self._by_posix = {p.as_posix(): f for p, f in self.files.items()}
        self.edges: list[Edge] = []
        self._out: dict[int, list[Edge]] = {id(f): [] for f in self.files.values()}
        self._in: dict[int, list[Edge]] = {id(f): [] for f in self.files.values()}
        for tree_file in self.files.values():
            for edge in self._edges_of(tree_file):
                self.edges.append(edge)
                self._out[id(tree_file)].append(edge)
                for target in edge.targets:
                    self._in[id(target)].append(edge)
        given = [self.files[p] for p in (Path(os.path.abspath(e)) for e in entries) if p in self.files]
        self.entries: list[TreeFile] = given or [
            f for f in self.files.values() if not any(e.source is not f for e in self._in[id(f)])
        ]

    # -- structure -----------------------------------------------------------------------------

    def file(self, path: str | Path) -> TreeFile | None:
        return self.files.get(Path(os.path.abspath(path)))

    def edges_from(self, tree_file: TreeFile) -> list[Edge]:
        return self._out[id(tree_file)]

    def edges_to(self, tree_file: TreeFile) -> list[Edge]:
        """The edges from other files that reach this one (its parents' chain commands)."""
        return [e for e in self._in[id(tree_file)] if e.source is not tree_file]

    def parents(self, tree_file: TreeFile) -> list[TreeFile]:
        return _unique(e.source for e in self.edges_to(tree_file))

    def children(self, tree_file: TreeFile) -> list[TreeFile]:
        return _unique(t for e in self.edges_from(tree_file) for t in e.targets if t is not tree_file)

    @cached_property
    def _paths(self) -> dict[int, list[Edge]]:
        """Shortest chain of edges from an entry to each file reached (breadth first)."""
        found: dict[int, list[Edge]] = {id(f): [] for f in self.entries}
        queue = deque(self.entries)
        while queue:
            current = queue.popleft()
            for edge in self.edges_from(current):
                for target in edge.targets:
                    if id(target) not in found:
                        found[id(target)] = [*found[id(current)], edge]
                        queue.append(target)
        return found

    def chain_path(self, tree_file: TreeFile) -> list[Edge]:
        """The edges from an entry down to this file ([] for an entry or a file no entry reaches)."""
        return self._paths.get(id(tree_file), [])

    def describe_path(self, tree_file: TreeFile) -> str:
        """``via menu.ipxe:42 → linux.ipxe``, or "" for an entry."""
        path = self.chain_path(tree_file)
        if not path:
            return ""
        return "via " + " → ".join([*(e.where for e in path), tree_file.name])

    @cached_property
    def _components(self) -> dict[int, int]:
        """File -> number of its connected group (edges taken both ways)."""
        group: dict[int, int] = {}
        files = list(self.files.values())
        for number, start in enumerate(files):
            if id(start) in group:
                continue
            group[id(start)] = number
            stack = [start]
            while stack:
                current = stack.pop()
                for other in [*self.children(current), *self.parents(current)]:
                    if id(other) not in group:
                        group[id(other)] = number
                        stack.append(other)
        return group

    def connected(self, tree_file: TreeFile) -> list[TreeFile]:
        """Every file that runs before or after this one in some boot: settings pass between them."""
        number = self._components[id(tree_file)]
        return [f for f in self.files.values() if self._components[id(f)] == number]

    # -- settings across files -----------------------------------------------------------------

    def setting_written(self, tree_file: TreeFile, name: str) -> bool:
        """Some file connected to this one stores ``name`` (literally or by a computed name)."""
        return any(f.model.settings.is_written(name) for f in self.connected(tree_file))

    def setting_read(self, tree_file: TreeFile, name: str) -> bool:
        return any(f.model.settings.is_read(name) for f in self.connected(tree_file))

    def written_names(self, tree_file: TreeFile) -> set[str]:
        out: set[str] = set()
        for f in self.connected(tree_file):
            out |= f.model.settings.written_names
        return out

    def writers(self, name: str) -> list[TreeFile]:
        return [f for f in self.files.values() if name in f.model.settings.written_names]

    @cached_property
    def _literal_values(self) -> dict[str, list[str] | None]:
        """Setting -> the literal values ``set`` gives it anywhere in the tree; None when some store
        gives it a value not known statically (read, choose, a computed set)."""
        values: dict[str, list[str] | None] = {}
        for tree_file in self.files.values():
            for _line, bound in tree_file.model.commands:
                name = bound.name
                if name not in ("set", "read", "choose", "inc", "imgset", "nslookup", "clear"):
                    continue
                if not bound.positionals or not bound.positionals[0].is_literal:
                    continue
                setting = bound.positionals[0].text.rpartition("/")[2].partition(":")[0]
                words = bound.positionals[1:]
                if name == "clear":
                    continue
                if name != "set" or not words or not all(w.is_literal for w in words):
                    values[setting] = None
                    continue
                known = values.setdefault(setting, [])
                text = " ".join(w.text for w in words)
                if known is not None and text not in known:
                    known.append(text)
        return values

    # -- resolution ----------------------------------------------------------------------------

    def _display_name(self, path: Path) -> str:
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return path.as_posix()

    def _edges_of(self, tree_file: TreeFile) -> Iterator[Edge]:
        for line, bound in tree_file.model.commands:
            name = bound.name
            if name not in RUNS and name not in LOADS or not bound.positionals:
                continue
            word = bound.positionals[0]
            if name in LOADS and word.is_literal and not _looks_like_path(word.text):
                continue
            targets, reason = self.resolve(tree_file, word)
            if name in LOADS and not targets:
                continue  # a kernel or initrd, not a script of the tree
            yield Edge(tree_file, line, bound, word, targets, reason)

    def resolve(self, source: TreeFile, word: Word) -> tuple[list[TreeFile], str]:
        """The tree's files a target word can name, or ([], why it stays open)."""
        found: list[TreeFile] = []
        reasons: list[str] = []
        for parts in self._expansions(word):
            files, reason = self._resolve_parts(source, parts)
            found.extend(f for f in files if f not in found)
            if reason:
                reasons.append(reason)
        return found, ("" if found else (reasons[0] if reasons else "computed"))

    def _expansions(self, word: Word) -> list[list[str | None]]:
        """The word with each ``${x}`` replaced by x's literal values in the tree (or WILD)."""
        results: list[list[str | None]] = [[]]
        for part in word.parts:
            choices: list[str | None]
            if isinstance(part, Literal):
                choices = [part.value]
            else:
                values = self._literal_values.get(part.setting) if _is_plain(part) else None
                choices = list(values) if values else [WILD]
            results = [[*r, c] for r in results for c in choices][:MAX_EXPANSIONS]
        return [_merge(r) for r in results]

    def _resolve_parts(self, source: TreeFile, parts: list[str | None]) -> tuple[list[TreeFile], str]:
        head = parts[0] if parts else ""
        if head is WILD:
            after = next((p for p in parts[1:] if p is not WILD), "")
            if "/" in after or ":" in after:
                return [], "computed"  # the base (server, folder) is not known
            folder = source.path.parent.as_posix()
        else:
            assert isinstance(head, str)
            folder = None
        text_parts = list(parts)
        if folder is None:
            assert isinstance(head, str)
            if SCHEME.match(head):
                mapped = self._map(head)
                if mapped is None:
                    return [], "remote"
                text_parts[0] = mapped
            elif head.startswith("/"):
                text_parts[0] = _join(self.root.as_posix(), head)
            else:
                text_parts[0] = _join(source.path.parent.as_posix(), head)
        else:
            text_parts.insert(0, folder + "/")
        text_parts = _strip_query(text_parts)
        if all(p is not WILD for p in text_parts):
            path = posixpath.normpath("".join(p for p in text_parts if p is not None))
            hit = self._by_posix.get(path)
            return ([hit], "") if hit is not None else ([], "not-in-tree")
        regex = re.compile(
            "".join("[^/]*" if p is WILD else re.escape(_norm_prefix(p, i)) for i, p in enumerate(text_parts))
        )
        hits = [f for p, f in self._by_posix.items() if f is not source and regex.fullmatch(p)]
        return hits, ("" if hits else "not-in-tree")

    def _map(self, url: str) -> str | None:
        for mapping in self.maps:
            if url.startswith(mapping.prefix):
                return _join(os.path.abspath(mapping.target), url[len(mapping.prefix) :])
        return None


def _join(folder: str, rest: str) -> str:
    """``folder`` + ``/`` + ``rest`` keeping a trailing slash (a pattern may follow it)."""
    return folder.rstrip("/") + "/" + rest.lstrip("/")


def _norm_prefix(text: str | None, index: int) -> str:
    assert text is not None
    return posixpath.normpath(text) + ("/" if text.endswith("/") else "") if index == 0 else text


def _is_plain(ref: Reference) -> bool:
    return ref.is_static and ref.block is None


def _merge(parts: list[str | None]) -> list[str | None]:
    """Join neighbouring literal pieces: ["a", "b", WILD] -> ["ab", WILD]."""
    out: list[str | None] = []
    for part in parts:
        if part is not WILD and out and out[-1] is not WILD:
            out[-1] = (out[-1] or "") + (part or "")
        else:
            out.append(part)
    return out or [""]


def _strip_query(parts: list[str | None]) -> list[str | None]:
    """Drop a ``?query`` or ``#fragment``: the server maps the path, not the query, to a file."""
    out: list[str | None] = []
    for part in parts:
        if part is WILD:
            out.append(part)
            continue
        assert part is not None
        cut = min((i for i in (part.find("?"), part.find("#")) if i >= 0), default=-1)
        if cut >= 0:
            out.append(part[:cut])
            break
        out.append(part)
    return out


def _looks_like_path(text: str) -> bool:
    """An image word that names a file or URL, not an image already loaded (``imgselect linux``)."""
    return "/" in text or "." in text or ":" in text


def _common_folder(paths: list[Path]) -> Path:
    if not paths:
        return Path.cwd()
    return Path(os.path.commonpath([str(p.parent) for p in paths]))


def _unique(items: Iterable[TreeFile]) -> list[TreeFile]:
    out: list[TreeFile] = []
    for item in items:
        if item not in out:
            out.append(item)
    return out
