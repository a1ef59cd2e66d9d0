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

import bisect
import os
import posixpath
import re
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from urllib.parse import unquote

from ipxescript.analysis.binding import BoundCommand
from ipxescript.analysis.menus import Choice
from ipxescript.analysis.model import ScriptModel, TextFacts
from ipxescript.syntax.tree import Command, Literal, LogicalLine, Reference, Script, Word

# commands whose first positional is a script (or image) to run or load
RUNS = ("chain", "imgexec")  # download and run now
LOADS = ("imgfetch", "module", "kernel", "imgselect", "imgload")  # load; a later boot/imgexec runs it
TEMPLATE_SUFFIXES = {".j2", ".jinja", ".jinja2", ".tmpl", ".tpl", ".erb", ".template", ".mustache"}
SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
MAX_EXPANSIONS = 512  # candidate values tried per target word
WILD = None  # a part of a target whose value is not known


class MapError(ValueError):
    """A ``PREFIX=TARGET`` text that is not one."""


@dataclass(frozen=True)
class Mapping:
    """URLs starting with ``prefix`` are read from the folder ``target`` (``ipxesim --map``)."""

    prefix: str
    target: Path


def parse_map(text: str, base: Path | None = None, *, must_exist: bool = False) -> Mapping:
    """``PREFIX=TARGET`` -> Mapping; a relative TARGET is taken from ``base`` (the config's folder).
    `must_exist` (a flag the user typed): a folder that is not there is an error, not a tree whose
    mapped chains all stay open."""
    prefix, eq, target = text.partition("=")
    if not eq or not prefix or not target:
        raise MapError(f"{text!r}: expected PREFIX=TARGET (a URL prefix and a folder)")
    path = Path(target)
    if base is not None and not path.is_absolute():
        path = base / path
    if must_exist and not path.is_dir():
        raise MapError(f"{text!r}: {target}: no such directory")
    return Mapping(prefix, path)


@dataclass(eq=False)
class TreeFile:
    path: Path  # absolute
    name: str  # as shown to users: relative to the tree's root when under it
    model: ScriptModel

    @cached_property
    def folder(self) -> str:
        """The folder holding the file, as a POSIX path (relative targets are read from it)."""
        return self.path.parent.as_posix()

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
    reason: str = ""  # why an open edge stays open: remote, computed, not-in-tree; "pattern" (see resolve)

    @property
    def by_pattern(self) -> bool:
        """The targets matched a computed name: the edge may reach them, it does not name them."""
        return self.reason == "pattern"

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
        shared = TextFacts()
        for _path, model in pairs:  # the files of a tree repeat each other's lines
            model.text_facts = shared
        self.root = Path(os.path.abspath(root)) if root is not None else _common_folder([p for p, _ in pairs])
        self.maps = list(maps)
        self.files: dict[Path, TreeFile] = {}
        for path, model in pairs:
            self.files[path] = TreeFile(path, self._display_name(path), model)
        self._by_posix = {p.as_posix(): f for p, f in self.files.items()}
        for path, tree_file in self.files.items():
            # a template (menu.ipxe.j2) renders to the file its parent chains (menu.ipxe)
            if path.suffix in TEMPLATE_SUFFIXES:
                self._by_posix.setdefault(path.with_suffix("").as_posix(), tree_file)
        self.edges: list[Edge] = []
        self._settings: dict[int, _GroupSettings] = {}
        # (id of a file, or None for the whole tree, setting) -> the values stored there (values_of)
        self._values: dict[tuple[int | None, str], list[str] | None] = {}
        # (folder, expanded target parts) -> the files they name and the reason (see _resolve_parts):
        # the files of a folder chain the same targets (``${menu}.ipxe``, ``${base}/boot.ipxe``)
        self._resolved: dict[tuple[str, tuple[str | None, ...]], tuple[list[TreeFile], str]] = {}
        self._out: dict[int, list[Edge]] = {id(f): [] for f in self.files.values()}
        self._in: dict[int, list[Edge]] = {id(f): [] for f in self.files.values()}
        for tree_file in self.files.values():
            for edge in self._edges_of(tree_file):
                self.edges.append(edge)
                self._out[id(tree_file)].append(edge)
                for target in edge.targets:
                    self._in[id(target)].append(edge)
        given = [self.files[p] for p in (Path(os.path.abspath(e)) for e in entries) if p in self.files]
        # a file that only a computed dispatch may reach is still an entry: nothing names it
        self.entries: list[TreeFile] = given or [f for f in self.files.values() if self._is_entry(f)]

    def _is_entry(self, tree_file: TreeFile) -> bool:
        """No other file chains it, or only computed dispatches in files it runs itself do
        (netboot.xyz's sub-menus ``chain ${menu}.ipxe``, which may match menu.ipxe too)."""
        edges = self.edges_to(tree_file)
        if any(not e.by_pattern for e in edges):
            return False
        if not edges:
            return True
        below = self._descendants(tree_file)
        return all(id(e.source) in below for e in edges)

    def descendants(self, tree_file: TreeFile) -> set[int]:
        """The ids of the files this one reaches by chains, directly or not."""
        return self._descendants(tree_file)

    def _descendants(self, tree_file: TreeFile) -> set[int]:
        seen: set[int] = set()
        stack = [tree_file]
        while stack:
            for edge in self._out[id(stack.pop())]:
                for target in edge.targets:
                    if id(target) not in seen:
                        seen.add(id(target))
                        stack.append(target)
        return seen

    # -- structure -----------------------------------------------------------------------------

    def file(self, path: str | Path) -> TreeFile | None:
        return self.files.get(Path(os.path.abspath(path)))

    def edges_from(self, tree_file: TreeFile) -> list[Edge]:
        return self._out[id(tree_file)]

    def edges_to(self, tree_file: TreeFile) -> list[Edge]:
        """The edges from other files that reach this one (its parents' chain commands)."""
        return [e for e in self._in[id(tree_file)] if e.source is not tree_file]

    def named_by(self, tree_file: TreeFile) -> list[Edge]:
        """The edges that name this file (not only match it by a pattern); all edges when none do."""
        edges = self.edges_to(tree_file)
        return [e for e in edges if not e.by_pattern] or edges

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

    @cached_property
    def _groups(self) -> dict[int, list[TreeFile]]:
        groups: dict[int, list[TreeFile]] = {}
        for tree_file in self.files.values():
            groups.setdefault(self._components[id(tree_file)], []).append(tree_file)
        return groups

    def connected(self, tree_file: TreeFile) -> list[TreeFile]:
        """Every file that runs before or after this one in some boot: settings pass between them."""
        return self._groups[self._components[id(tree_file)]]

    # -- settings across files -----------------------------------------------------------------

    def _group_settings(self, tree_file: TreeFile) -> _GroupSettings:
        number = self._components[id(tree_file)]
        found = self._settings.get(number)
        if found is None:
            found = self._settings[number] = _GroupSettings(self._groups[number])
        return found

    def setting_written(self, tree_file: TreeFile, name: str) -> bool:
        """Some file connected to this one stores ``name`` (literally or by a computed name)."""
        return self._group_settings(tree_file).is_written(name)

    def setting_read(self, tree_file: TreeFile, name: str) -> bool:
        return self._group_settings(tree_file).is_read(name)

    def written_names(self, tree_file: TreeFile) -> set[str]:
        return self._group_settings(tree_file).written

    def writers(self, name: str) -> list[TreeFile]:
        return [f for f in self.files.values() if name in f.model.settings.written_names]

    @cached_property
    def _stores(self) -> dict[int, dict[str, list[BoundCommand]]]:
        """File -> setting -> the commands that store into it (by a literal name), in file order: the
        values are worked out only for the settings a chain target reads (``values_of``)."""
        return {id(f): _stores_by_setting(f.model) for f in self.files.values()}

    @cached_property
    def _storers(self) -> dict[str, list[TreeFile]]:
        """Setting -> the files that store into it, in the tree's order (``_tree_values`` asks for
        hundreds of settings in a tree of thousands of files)."""
        found: dict[str, list[TreeFile]] = {}
        for tree_file in self.files.values():
            for setting in self._stores[id(tree_file)]:
                found.setdefault(setting, []).append(tree_file)
        return found

    def _stored_in(self, tree_file: TreeFile, setting: str) -> list[str] | None:
        """The literal values ``tree_file`` stores in ``setting``: ``set`` with literal words and the
        item ids of the menus ``choose`` stores from; None when some store gives a value not known
        statically (``read``, a computed ``set``...)."""
        key = (id(tree_file), setting)
        if key not in self._values:
            self._values[key] = _stored_values(tree_file.model, self._stores[id(tree_file)][setting])
        return self._values[key]

    def _tree_values(self, setting: str) -> list[str] | None:
        """What the files of the tree store in ``setting``, together; None when unknown or unset."""
        key = (None, setting)
        if key not in self._values:
            merged: dict[str, dict[str, None] | None] = {}
            for tree_file in self._storers.get(setting, ()):
                _add_values(merged, setting, self._stored_in(tree_file, setting))
            self._values[key] = _as_lists(merged).get(setting)
        return self._values[key]

    def values_of(self, source: TreeFile, setting: str) -> list[str] | None:
        """What ``${setting}`` can hold in ``source``: the values the file itself stores when it
        stores any (the latest store wins at run time), else those stored anywhere in the tree;
        None when unknown."""
        if setting in self._stores[id(source)]:
            return self._stored_in(source, setting)
        return self._tree_values(setting)

    # -- resolution ----------------------------------------------------------------------------

    def _display_name(self, path: Path) -> str:
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return path.as_posix()

    def _edges_of(self, tree_file: TreeFile) -> Iterator[Edge]:
        for line, bound in _named(tree_file.model, RUNS + LOADS):
            name = bound.name
            if not bound.positionals:
                continue
            word = bound.positionals[0]
            if name in LOADS and word.is_literal and not _looks_like_path(word.text):
                continue
            targets, reason = self.resolve(tree_file, word)
            if name in LOADS and not targets:
                continue  # a kernel or initrd, not a script of the tree
            yield Edge(tree_file, line, bound, word, targets, reason)

    def resolve(self, source: TreeFile, word: Word) -> tuple[list[TreeFile], str]:
        """The tree's files a target word can name, or ([], why it stays open). With files, the
        reason is "pattern" when some matched a ``${...}`` whose values are unknown: such a
        dispatch may reach them, no more."""
        found: list[TreeFile] = []
        reasons: list[str] = []
        pattern = False
        for parts in self._expansions(source, word):
            files, reason = self._resolve_parts(source, parts)
            found.extend(f for f in files if f not in found)
            pattern = pattern or reason == "pattern"
            if reason and reason != "pattern":
                reasons.append(reason)
        if found:
            return found, ("pattern" if pattern else "")
        return found, (reasons[0] if reasons else "computed")

    def _expansions(self, source: TreeFile, word: Word) -> list[list[str | None]]:
        """The word with each ``${x}`` replaced by x's known values (``values_of``) or WILD."""
        results: list[list[str | None]] = [[]]
        for part in word.text_parts:
            choices: list[str | None]
            if isinstance(part, Literal):
                choices = [part.value]
            else:
                values = self.values_of(source, part.setting) if _is_plain(part) else None
                choices = list(values) if values else [WILD]
            results = [[*r, c] for r in results for c in choices][:MAX_EXPANSIONS]
        return [_merge(r) for r in results]

    def _resolve_parts(self, source: TreeFile, parts: list[str | None]) -> tuple[list[TreeFile], str]:
        key = (source.folder, tuple(parts))
        found = self._resolved.get(key)
        if found is None:
            found = self._resolved[key] = self._resolve_in(source.folder, parts)
        files, reason = found
        if reason != "pattern" or source not in files:
            return files, reason
        # a pattern never names the file it is written in (``chain ${menu}.ipxe`` in menu.ipxe)
        files = [f for f in files if f is not source]
        return files, ("pattern" if files else "not-in-tree")

    def _resolve_in(self, source_folder: str, parts: list[str | None]) -> tuple[list[TreeFile], str]:
        """``_resolve_parts`` for a target written in a file of ``source_folder``, the file itself
        left in a pattern's hits."""
        head = parts[0] if parts else ""
        if head is WILD:
            after = next((p for p in parts[1:] if p is not WILD), "")
            if not after or "/" in after or ":" in after:
                return [], "computed"  # the base (server, folder) is not known
            folder = source_folder
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
                text_parts[0] = _join(source_folder, head)
        else:
            text_parts.insert(0, folder + "/")
        text_parts = _decoded(_strip_query(text_parts))
        if all(p is not WILD for p in text_parts):
            path = posixpath.normpath("".join(p for p in text_parts if p is not None))
            hit = self._by_posix.get(path)
            if hit is None and (real := os.path.realpath(path)) != path:
                hit = self._by_real.get(real)  # through a symlink (the server follows it)
            return ([hit], "") if hit is not None else ([], "not-in-tree")
        regex = re.compile(
            "".join("[^/]*" if p is WILD else re.escape(_norm_prefix(p, i)) for i, p in enumerate(text_parts))
        )
        # only paths that start with the pattern's literal head can match (a tree of many folders
        # would otherwise try every pattern on every file)
        head = "" if text_parts[0] is WILD else _norm_prefix(text_parts[0], 0)
        hits = _unique(f for p, f in self._starting_with(head) if regex.fullmatch(p))
        return hits, ("pattern" if hits else "not-in-tree")

    @cached_property
    def _by_real(self) -> dict[str, TreeFile]:
        """The files by their real path, made at the first target that goes through a symlink."""
        return {os.path.realpath(p): f for p, f in self._by_posix.items()}

    @cached_property
    def _sorted_posix(self) -> list[tuple[str, int]]:
        return sorted((p, i) for i, p in enumerate(self._by_posix))

    def _starting_with(self, head: str) -> list[tuple[str, TreeFile]]:
        """The (path, file) pairs of ``_by_posix`` whose path starts with ``head``, in its order."""
        keys = self._sorted_posix
        found = []
        for k in range(bisect.bisect_left(keys, (head, -1)), len(keys)):
            path, order = keys[k]
            if not path.startswith(head):
                break
            found.append((order, path))
        found.sort()
        return [(path, self._by_posix[path]) for _order, path in found]

    def _map(self, url: str) -> str | None:
        for mapping in self.maps:
            if url.startswith(mapping.prefix):
                return _join(os.path.abspath(mapping.target), url[len(mapping.prefix) :])
        return None


def _join(folder: str, rest: str) -> str:
    """``folder`` + ``/`` + ``rest`` keeping a trailing slash (a pattern may follow it)."""
    return folder.rstrip("/") + "/" + rest.lstrip("/")


class _GroupSettings:
    """The settings a group of connected files writes and reads, gathered once."""

    def __init__(self, files: list[TreeFile]) -> None:
        self.written: set[str] = set()
        self.read: set[str] = set()
        write_patterns: dict[str, re.Pattern[str]] = {}
        read_patterns: dict[str, re.Pattern[str]] = {}
        for tree_file in files:
            model = tree_file.model.settings
            self.written |= model.written_names
            self.read |= model.read_names
            write_patterns.update((p.pattern, p) for p in model.write_patterns)
            read_patterns.update((p.pattern, p) for p in model.read_patterns)
        self.write_patterns = list(write_patterns.values())
        self.read_patterns = list(read_patterns.values())

    def is_written(self, name: str) -> bool:
        return name in self.written or any(p.fullmatch(name) for p in self.write_patterns)

    def is_read(self, name: str) -> bool:
        return name in self.read or any(p.fullmatch(name) for p in self.read_patterns)


STORES = ("set", "read", "choose", "inc", "imgset", "nslookup", "pciscan", "usbscan", "login")


def _named(model: ScriptModel, names: tuple[str, ...]) -> list[tuple[LogicalLine, BoundCommand]]:
    """``model.commands_named(*names)``, binding only those commands when the model has bound none
    yet: the tree is built before the rules run (``ipxelint --jobs`` builds it before the fork), and
    the rules' binding of every other command is then done in the worker processes, in parallel."""
    if "commands" in model.__dict__:
        return model.commands_named(*names)
    wanted = set(names)
    bound = model.bound
    return [
        (line, bound(c)) for line in model.script.lines for c in line.commands if c.name in wanted and c.words
    ]


def _stores_by_setting(model: ScriptModel) -> dict[str, list[BoundCommand]]:
    out: dict[str, list[BoundCommand]] = {}
    for _line, bound in _named(model, STORES):
        if bound.positionals and bound.positionals[0].is_literal:
            setting = bound.positionals[0].text.rpartition("/")[2].partition(":")[0]
            out.setdefault(setting, []).append(bound)
    return out


def _stored_values(model: ScriptModel, stores: list[BoundCommand]) -> list[str] | None:
    """The values ``stores`` (the commands storing into one setting) give it; None when unknown."""
    values: dict[str, None] | None = {}
    choices: dict[int, Choice] | None = None  # made for the first choose
    for bound in stores:
        name = bound.name
        words = bound.positionals[1:]
        found: list[str] | None
        if name == "set" and words and all(w.is_literal for w in words):
            found = [" ".join(w.text for w in words)]
        elif name == "choose":
            if choices is None:
                choices = {id(c.bound.command): c for c in model.menus.choices}
            choice = choices.get(id(bound.command))
            menu = choice.menu if choice is not None else None
            items = menu.items if menu is not None else []
            found = [i.name for i in items if i.name is not None] or None
        else:
            found = None
        if found is None or values is None:
            values = None
        else:
            values.update(dict.fromkeys(found))
    return None if values is None else list(values)


def _add_values(values: dict[str, dict[str, None] | None], setting: str, found: list[str] | None) -> None:
    """Add what one store gives ``setting``; once any store is unknown (None), so is the setting.
    Values are kept in an ordered set: a setting stored by thousands of ``choose`` (one per menu)
    collects its values in linear time."""
    known = values.setdefault(setting, {})
    if found is None or known is None:
        values[setting] = None
    else:
        known.update(dict.fromkeys(found))


def _as_lists(values: dict[str, dict[str, None] | None]) -> dict[str, list[str] | None]:
    return {setting: None if known is None else list(known) for setting, known in values.items()}


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


def _decoded(parts: list[str | None]) -> list[str | None]:
    """``%XX`` decoded, as iPXE's ``parse_uri`` does to a URI's path (``my%20sub.ipxe`` is the file
    ``my sub.ipxe``; an HTTP server decodes what iPXE encodes again)."""
    return [p if p is WILD or "%" not in p else unquote(p, errors="surrogateescape") for p in parts]


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
