"""Which settings a script writes and reads (src/hci/commands/nvo_cmd.c and friends).

What a line reads and writes depends only on that line (one exception: an ``item`` of a ``form``
writes its setting, so whether it writes depends on which forms the script has). So after an edit
(a model with a ``previous`` version), only the edited lines are looked at: their accesses replace
those of the lines they replaced in the previous version's lists. An ``Access`` is anchored to its line
like every tree node, so the accesses of the lines after the edit stay right without a copy.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterable, Iterator
from functools import cached_property
from typing import TYPE_CHECKING, TypeVar

from ipxescript.analysis.binding import BoundCommand
from ipxescript.syntax.tree import Literal, LogicalLine, Part, Reference, Word, parts_at_zero

if TYPE_CHECKING:
    from ipxescript.analysis.model import ScriptModel
    from ipxescript.catalog import Catalog

# command -> index of the positional that names a setting it stores into
WRITES_POSITIONAL = {
    "set": 0,
    "read": 0,
    "choose": 0,
    "inc": 0,
    "imgset": 0,
    "nslookup": 0,
    "pciscan": 0,
    "usbscan": 0,
}
TAG = re.compile(r"^[0-9]+(\.[0-9]+)*$|^0x[0-9a-fA-F]+$")
# commands that can read or write a setting without a ``${`` in their line (``--set`` aside)
_ACCESSING = frozenset({*WRITES_POSITIONAL, "item", "login", "show", "form"})


def split_name(text: str) -> tuple[str | None, str]:
    """``[block/]name[:type]`` -> (block, name)."""
    block, slash, rest = text.partition("/")
    if not slash:
        return None, text.split(":", 1)[0]
    return block, rest.split(":", 1)[0]


class Access:
    """One read or write of a setting: ``start``/``end`` follow its line when an edit moves it."""

    __slots__ = ("name", "block", "command", "line", "_s", "_e")

    def __init__(self, name: str, block: str | None, line: LogicalLine, start: int, end: int, command: str):
        self.name, self.block, self.command, self.line = name, block, command, line
        self._s, self._e = start - line.start, end - line.start

    @property
    def start(self) -> int:
        return self.line.anchor.offset + self._s

    @property
    def end(self) -> int:
        return self.line.anchor.offset + self._e

    def __repr__(self) -> str:
        return f"Access({self.name!r}, {self.block!r}, {self.start}:{self.end}, {self.command!r})"


_new = object.__new__


def _access(name: str, block: str | None, line: LogicalLine, s: int, e: int, command: str) -> Access:
    """``Access`` at offsets ``s``..``e`` from the line's start (the constructor takes absolute ones)."""
    access = _new(Access)
    access.name, access.block, access.line, access._s, access._e, access.command = (
        name,
        block,
        line,
        s,
        e,
        command,
    )
    return access


Pattern = tuple[LogicalLine, re.Pattern[str]]  # a computed name and the line it is on


class SettingsModel:
    """Every read and write of a setting, in file order; the computed names as patterns."""

    def __init__(self) -> None:
        self.writes: list[Access] = []
        self.reads: list[Access] = []
        # with their lines (so that an edit replaces a line's patterns as it does its accesses)
        self._write_patterns: list[Pattern] = []
        self._read_patterns: list[Pattern] = []
        self.forms: frozenset[str | None] = frozenset()  # the names of the script's forms (None: unnamed)

    @cached_property
    def write_patterns(self) -> list[re.Pattern[str]]:
        return [p for _line, p in self._write_patterns]

    @cached_property
    def read_patterns(self) -> list[re.Pattern[str]]:
        return [p for _line, p in self._read_patterns]

    @cached_property
    def written_names(self) -> set[str]:
        return {w.name for w in self.writes}

    @cached_property
    def read_names(self) -> set[str]:
        return {r.name for r in self.reads}

    def is_written(self, name: str) -> bool:
        return name in self.written_names or any(p.fullmatch(name) for p in self.write_patterns)

    def is_read(self, name: str) -> bool:
        return name in self.read_names or any(p.fullmatch(name) for p in self.read_patterns)

    def add(self, ctx: ScriptModel, line: LogicalLine, accessing: frozenset[str | None]) -> None:
        """Append what ``line`` reads and writes (``forms`` known; ``accessing``: ``_accessing``)."""
        references = "${" in line.text
        if not references:  # most lines: only a few commands touch a setting without a ${
            for command in line.commands:
                if command.name in accessing:
                    break
            else:
                return
        base = line.start
        for command in line.commands:
            if not command.words:
                continue
            name = command.name or ""
            if references:  # every reference in every word is a read
                for word in command.words:
                    text = word.text
                    if "${" not in text:
                        continue  # no reference in it (most words)
                    if word._e - word._s == len(text):  # no splice inside: its text's reads, moved
                        at = word.start - base
                        for s, e, block, setting, pattern in _text_reads(text):
                            if pattern is None:
                                self.reads.append(_access(setting, block, line, s + at, e + at, name))
                            else:
                                self._read_patterns.append((line, pattern))
                        continue
                    for s, e, block, setting, pattern in _reads_of(word.parts):
                        if pattern is None:
                            self.reads.append(_access(setting, block, line, s - base, e - base, name))
                        else:
                            self._read_patterns.append((line, pattern))
            if name in accessing:
                self._add_writes(ctx.bound(command), line, base)

    def _add_writes(self, bound: BoundCommand, line: LogicalLine, base: int) -> None:
        """The accesses of a command of ``_accessing`` other than its references."""
        name = bound.name or ""
        targets: list[Word] = []
        index = WRITES_POSITIONAL.get(name)
        if index is not None and len(bound.positionals) > index:
            targets.append(bound.positionals[index])
        digest = bound.option("set")
        if digest is not None and digest.value_word is not None:
            targets.append(digest.value_word)
        if name == "item" and bound.positionals and not bound.has("gap"):
            ui = bound.option("form") or bound.option("menu")
            # written when the script has that form (an item without --form/--menu: the unnamed one)
            if (ui.value if ui is not None else None) in self.forms:
                targets.append(bound.positionals[0])
        if name == "login":
            s, e = bound.command.start - base, bound.command.end - base
            self.writes.append(_access("username", None, line, s, e, name))
            self.writes.append(_access("password", None, line, s, e, name))
        for word in targets:
            if word.is_literal:
                block, setting = split_name(word.text)
                self.writes.append(_access(setting, block, line, word.start - base, word.end - base, name))
            else:
                self._write_patterns.append((line, _word_pattern(word)))
        if name in ("show", "inc") and bound.positionals and bound.positionals[0].is_literal:
            word = bound.positionals[0]
            block, setting = split_name(word.text)
            self.reads.append(_access(setting, block, line, word.start - base, word.end - base, name))


# A read of a word: (start, end, block, setting, None), or (start, end, None, "", pattern) for a
# computed name.
Read = tuple[int, int, str | None, str, re.Pattern[str] | None]
_TEXT_READS: dict[str, tuple[Read, ...]] = {}  # word text -> its reads at offsets from its start
_TEXT_READS_KEPT = 100_000


def _text_reads(text: str) -> tuple[Read, ...]:
    """The reads of a word with this text (without a continuation splice inside), at offsets from
    its start: worked out once per distinct text from its shared parts, with no node made."""
    found = _TEXT_READS.get(text)
    if found is None:
        if len(_TEXT_READS) >= _TEXT_READS_KEPT:
            _TEXT_READS.clear()  # a long-lived language server: keep the memory bounded
        found = _TEXT_READS[text] = tuple(_reads_of(parts_at_zero(text)))
    return found


def _reads_of(parts: list[Part]) -> Iterator[Read]:
    """The reads of every reference in ``parts``, outer before inner (``Word.references``' order)."""
    stack: list[Part] = list(reversed(parts))
    while stack:
        ref = stack.pop()
        if type(ref) is not Reference:
            continue
        inner_parts = ref.parts
        if len(inner_parts) == 1 and type(inner_parts[0]) is Literal:  # ${name}: most references
            inner: str | None = inner_parts[0].value
        else:
            inner = ref.inner if ref.is_static else None
        if inner is not None:
            block, setting = split_name(inner)
            yield ref.start, ref.end, block, setting, None
        elif inner_parts:
            yield ref.start, ref.end, None, "", _inner_pattern(ref)
        stack.extend(reversed(inner_parts))


def _forms(commands: Iterable[tuple[LogicalLine, BoundCommand]]) -> set[str | None]:
    out: set[str | None] = set()
    for _line, bound in commands:
        if bound.name == "form":
            opt = bound.option("name")
            out.add(opt.value if opt else None)
    return out


def build_settings(ctx: ScriptModel) -> SettingsModel:
    """What a script writes and reads (``ScriptModel.settings`` caches it); after an edit, the previous
    version's with the edited lines' accesses replaced."""
    previous = ctx.previous.__dict__.get("settings") if ctx.previous is not None else None
    if isinstance(previous, SettingsModel):
        patched = _patched(ctx, previous)
        if patched is not None:
            return patched
    model = SettingsModel()
    model.forms = frozenset(_forms(ctx.commands_named("form")))
    accessing = _accessing(ctx.catalog)
    for line in ctx.script.lines:
        if line.commands:
            model.add(ctx, line, accessing)
    return model


def _patched(ctx: ScriptModel, previous: SettingsModel) -> SettingsModel | None:
    """``previous`` with the accesses of the lines the edit replaced made anew; None when the edit
    made or took away a form (then any item may write differently)."""
    span = ctx.changed
    assert span is not None and ctx.previous is not None
    first, old_end, new_end = span
    lines = ctx.script.lines
    gone, came = ctx.previous.script.lines[first:old_end], lines[first:new_end]
    for line in (*gone, *came):
        if "form" in line.text and any(c.name == "form" for c in line.commands):
            return None
    model = SettingsModel()
    model.forms = previous.forms
    accessing = _accessing(ctx.catalog)
    for line in came:
        if line.commands:
            model.add(ctx, line, accessing)

    def splice(old: list[T], middle: list[T], line_of: Callable[[T], LogicalLine]) -> list[T]:
        """``old`` with the entries of the lines the edit replaced made ``middle``: they come after
        those of lines[:first] and before the first of a line the edit kept."""
        lo = bisect.bisect_left(old, first, key=lambda entry: line_of(entry).index)
        hi = lo
        while hi < len(old):  # the replaced lines keep the indexes they had
            line = line_of(old[hi])
            if new_end <= line.index < len(lines) and lines[line.index] is line:
                break
            hi += 1
        return old if not middle and hi == lo else old[:lo] + middle + old[hi:]

    model.reads = splice(previous.reads, model.reads, _line_of_access)
    model.writes = splice(previous.writes, model.writes, _line_of_access)
    model._read_patterns = splice(previous._read_patterns, model._read_patterns, _line_of_pattern)
    model._write_patterns = splice(previous._write_patterns, model._write_patterns, _line_of_pattern)
    return model


T = TypeVar("T")


def _line_of_access(access: Access) -> LogicalLine:
    return access.line


def _line_of_pattern(pattern: Pattern) -> LogicalLine:
    return pattern[0]


def _accessing(catalog: Catalog) -> frozenset[str | None]:
    """The commands that may read or write a setting with no ``${`` in their line: those of
    ``_ACCESSING`` and those with a ``--set`` option (the digests store into a setting)."""
    found = _ACCESSING_MADE.get(id(catalog))
    if found is None or found[0] is not catalog:
        commands = catalog.commands.items()
        digests = {name for name, spec in commands if any(o.name == "set" for o in spec.all_options)}
        found = _ACCESSING_MADE[id(catalog)] = (catalog, frozenset({*_ACCESSING, *digests}))
    return found[1]


_ACCESSING_MADE: dict[int, tuple[Catalog, frozenset[str | None]]] = {}  # made once per catalog


def _word_pattern(word: Word) -> re.Pattern[str]:
    regex = "".join(re.escape(p.value) if isinstance(p, Literal) else ".*" for p in word.text_parts)
    name = regex.rsplit("/", 1)[-1].split(":", 1)[0]
    return re.compile(name or ".*")


def _inner_pattern(ref: Reference) -> re.Pattern[str]:
    regex = "".join(re.escape(p.value) if isinstance(p, Literal) else ".*" for p in ref.parts)
    name = regex.rsplit("/", 1)[-1].split(":", 1)[0]
    return re.compile(name or ".*")


def settings(model: ScriptModel) -> SettingsModel:
    return model.settings


def is_predefined(ctx: ScriptModel, name: str) -> bool:
    return name in ctx.catalog.setting_names or bool(TAG.match(name))
