"""The one per-script model every face reads: commands with their options bound, labels, control
flow, menus and settings. Each part is computed once, on first use.

``ScriptModel(script)`` is the entry point; ``model.flow`` (analysis/flow.py), ``model.menus``
(analysis/menus.py) and ``model.settings`` (analysis/settings.py) are built from it. The linter's
``LintContext`` is a ``ScriptModel`` with a config; the language server and the graph read the same
model. Template regions (``masked``) are offsets the template engine, not iPXE, decides: control may
enter after them from anywhere.
"""

from __future__ import annotations

import bisect
from collections.abc import Hashable, Iterable, Sequence
from functools import cached_property
from itertools import accumulate, compress, count
from operator import is_not
from typing import TYPE_CHECKING

from ipxescript.analysis.binding import BoundCommand, bind
from ipxescript.analysis.suggest import Suggester
from ipxescript.catalog import Catalog, get_catalog
from ipxescript.syntax.tree import Command, Label, LogicalLine, Script

if TYPE_CHECKING:
    from ipxescript.analysis.flow import Flow, LineShape
    from ipxescript.analysis.menus import MenuModel
    from ipxescript.analysis.settings import SettingsModel


def changed_span(old: Sequence[object], new: Sequence[object]) -> tuple[int, int, int]:
    """(first, old_end, new_end) with old[:first] and new[:first], and old[old_end:] and
    new[new_end:], the same line objects (an incremental edit keeps the lines it did not touch).
    The scans compare by identity in C (map/compress): well under a millisecond for 10,000 lines."""
    limit = min(len(old), len(new))
    first = next(compress(count(), map(is_not, old, new)), limit)
    tail = next(compress(count(), map(is_not, reversed(old), reversed(new))), limit)
    tail = min(tail, limit - first)  # the common suffix does not overlap the prefix
    return first, len(old) - tail, len(new) - tail


class TextFacts:
    """What depends only on a line's text (``Flow``'s line shapes): real scripts repeat lines, within a
    script and across the scripts of a tree, so each is worked out once per text. A model has its own;
    the models of a boot tree share one (``BootTree`` hands it to them), an edited document's model
    its previous version's. Holds strings, numbers and patterns only, never a node of a tree."""

    __slots__ = ("flows",)
    LIMIT = 200_000  # entries kept: an editor session may edit for hours

    def __init__(self) -> None:
        self.flows: dict[Hashable, LineShape] = {}

    def trimmed(self) -> TextFacts:
        """This, or a fresh one when it has grown past ``LIMIT``."""
        return self if len(self.flows) < self.LIMIT else TextFacts()


class ScriptModel:
    def __init__(
        self,
        script: Script,
        masked: Iterable[tuple[int, int]] = (),
        bindings: dict[int, tuple[Command, BoundCommand]] | None = None,
        previous: ScriptModel | None = None,
    ) -> None:
        self.script = script
        # the model of the previous version of an edited document: what the analyses built for lines
        # the edit left alone is kept (the flow of each line; see also ``bindings``)
        self.previous = previous
        self.catalog: Catalog = get_catalog()
        self.masked = sorted(masked)  # template regions (start, end) replaced before parsing
        self.text_facts: TextFacts = previous.text_facts.trimmed() if previous is not None else TextFacts()
        self._bound: dict[int, BoundCommand] = {}
        # bindings of an earlier version of the same document (id(command) -> (command, binding)):
        # commands an incremental edit left alone keep theirs
        self._previous = bindings or {}
        if previous is not None and not bindings:
            # the previous version's own bindings, shared (each checked against its command on use):
            # handing them over costs nothing, whatever the script's length
            self._bound = previous._bound

    # -- commands ------------------------------------------------------------------------------

    def known_command(self, name: str) -> bool:
        return name in self.catalog.commands

    def bound(self, command: Command) -> BoundCommand:
        key = id(command)
        found = self._bound.get(key)
        if found is None or found.command is not command:
            old = self._previous.get(key)
            if old is not None and old[0] is command:
                found = old[1]
            else:
                name = command.name
                found = bind(command, self.catalog.commands.get(name) if name else None)
            self._bound[key] = found
        return found

    def bindings(self) -> dict[int, tuple[Command, BoundCommand]]:
        """The bindings made so far, to hand to the model of the next version of the document."""
        return {key: (b.command, b) for key, b in self._bound.items()}

    @cached_property
    def changed(self) -> tuple[int, int, int] | None:
        """What changed since ``previous``: (first, old_end, new_end), the line indexes such that
        lines[:first] and the previous version's lines[old_end:] (now lines[new_end:]) are the same
        line objects; None without a previous version."""
        if self.previous is None:
            return None
        return changed_span(self.previous.script.lines, self.script.lines)

    @cached_property
    def commands(self) -> list[tuple[LogicalLine, BoundCommand]]:
        """Every non-empty command, in file order, with its options bound (``_by_name`` made in the
        same pass: every lint asks for both). After an edit, patched from the previous version's."""
        if self.previous is not None and "commands" in self.previous.__dict__:
            return self._patched_commands(self.previous)
        out: list[tuple[LogicalLine, BoundCommand]] = []
        by_name: dict[str | None, list[int]] = {}
        bound = self.bound
        for line in self.script.lines:
            for command in line.commands:
                if command.words:
                    found = bound(command)
                    by_name.setdefault(found.name, []).append(len(out))
                    out.append((line, found))
        self.__dict__["_by_name"] = by_name
        return out

    def _patched_commands(self, previous: ScriptModel) -> list[tuple[LogicalLine, BoundCommand]]:
        """``commands`` and ``_by_name`` from the previous version's: the commands of the lines the
        edit left alone are the same (line, binding) pairs, only the changed lines' are made."""
        span = self.changed
        assert span is not None
        first, old_end, new_end = span
        old: list[tuple[LogicalLine, BoundCommand]] = previous.__dict__["commands"]
        old_by_name: dict[str | None, list[int]] = previous.__dict__["_by_name"]
        lines = self.script.lines
        # old[:lo] are the commands of the unchanged lines before the edit, old[hi:] those after it
        lo = bisect.bisect_left(old, first, key=lambda entry: entry[0].index)
        n = len(lines)
        hi = lo
        while hi < len(old):
            line = old[hi][0]
            if line.index < n and lines[line.index] is line and line.index >= new_end:
                break
            hi += 1
        bound = self.bound
        middle: list[tuple[LogicalLine, BoundCommand]] = []
        for line in lines[first:new_end]:
            for command in line.commands:
                if command.words:
                    middle.append((line, bound(command)))
        gone = old[lo:hi]
        for _line, b in gone:  # the next version must not meet a binding of a dead command
            if self._bound.get(id(b.command)) is b:
                del self._bound[id(b.command)]
        for _line, b in middle:
            self._bound[id(b.command)] = b
        out = old[:lo] + middle + old[hi:]
        shift = len(middle) - len(gone)
        touched = {b.name for _l, b in gone} | {b.name for _l, b in middle}
        by_name: dict[str | None, list[int]] = {}
        for name, where in old_by_name.items():
            if name in touched:
                continue
            if shift and where and where[-1] >= hi:
                k = bisect.bisect_left(where, hi)
                where = where[:k] + [i + shift for i in where[k:]]
            by_name[name] = where
        for name in touched:
            where = old_by_name.get(name, [])
            k = bisect.bisect_left(where, lo)
            m = bisect.bisect_left(where, hi)
            fresh = [lo + j for j, (_l, b) in enumerate(middle) if b.name == name]
            patched = where[:k] + fresh + [i + shift for i in where[m:]]
            if patched:
                by_name[name] = patched
        self.__dict__["_by_name"] = by_name
        return out

    def commands_from(self, whole: ScriptModel) -> None:
        """Take ``commands`` (and ``_by_name``) from ``whole``, the model of a script whose lines
        include every line of this one (the same line objects, in the same order): its bindings,
        and a filter of its list in place of a second pass that binds each command again."""
        keep = {id(line) for line in self.script.lines}
        out: list[tuple[LogicalLine, BoundCommand]] = []
        by_name: dict[str | None, list[int]] = {}
        for entry in whole.commands:
            if id(entry[0]) in keep:
                by_name.setdefault(entry[1].name, []).append(len(out))
                out.append(entry)
        self._bound = whole._bound
        self.__dict__["commands"] = out
        self.__dict__["_by_name"] = by_name

    @cached_property
    def _by_name(self) -> dict[str | None, list[int]]:
        """Command name -> indexes into ``commands`` (rules ask for a few names each, many times)."""
        self.commands  # noqa: B018 (makes both)
        return self.__dict__["_by_name"]  # type: ignore[no-any-return]

    @property
    def command_names(self) -> set[str]:
        """The names of the commands the script runs (``${...}`` commands aside)."""
        return {name for name in self._by_name if name}

    def commands_named(self, *names: str) -> list[tuple[LogicalLine, BoundCommand]]:
        """The commands with one of these names, in file order."""
        commands, by_name = self.commands, self._by_name
        if len(names) == 1:
            return [commands[i] for i in by_name.get(names[0], ())]
        found = sorted(i for name in set(names) for i in by_name.get(name, ()))
        return [commands[i] for i in found]

    # -- labels --------------------------------------------------------------------------------

    @cached_property
    def label_list(self) -> list[tuple[Label, LogicalLine]]:
        return [(line.label, line) for line in self.script.lines if line.label is not None]

    @cached_property
    def labels(self) -> dict[str, LogicalLine]:
        """Label name -> the line defining it first (``goto`` finds the first from the top)."""
        out: dict[str, LogicalLine] = {}
        for label, line in self.label_list:
            out.setdefault(label.name, line)
        return out

    @cached_property
    def label_suggester(self) -> Suggester:
        """Close label names for a misspelt ``goto`` target (from the previous version's when the
        document was edited: indexing thousands of labels again would cost more than the lint)."""
        earlier = self.previous.__dict__.get("label_suggester") if self.previous is not None else None
        if isinstance(earlier, Suggester):
            return earlier.updated(self.labels)
        return Suggester(self.labels, versions=True)

    # -- the analyses --------------------------------------------------------------------------

    @cached_property
    def flow(self) -> Flow:
        from ipxescript.analysis.flow import Flow

        return Flow(self)

    @cached_property
    def menus(self) -> MenuModel:
        from ipxescript.analysis.menus import build_menus

        return build_menus(self)

    @cached_property
    def settings(self) -> SettingsModel:
        from ipxescript.analysis.settings import build_settings

        return build_settings(self)

    # -- template regions ----------------------------------------------------------------------

    @cached_property
    def _mask_index(self) -> tuple[list[int], list[int]]:
        """The template regions' starts (in order) and the furthest end among the regions up to each:
        one bisect answers whether an offset or a range meets a region (templates have thousands)."""
        return [a for a, _b in self.masked], list(accumulate((b for _a, b in self.masked), max))

    def is_masked(self, offset: int) -> bool:
        if not self.masked:
            return False
        starts, ends = self._mask_index
        i = bisect.bisect_right(starts, offset)  # the regions starting at or before offset: [:i]
        return i > 0 and ends[i - 1] > offset

    def overlaps_mask(self, start: int, end: int) -> bool:
        if not self.masked:  # asked for every label and goto: most scripts are no templates
            return False
        starts, ends = self._mask_index
        i = bisect.bisect_left(starts, end)  # the regions starting before end: [:i]
        return i > 0 and ends[i - 1] > start

    @cached_property
    def template_barriers(self) -> set[int]:
        """Lines that were only template statements (``{% if %}``, ``{{ end }}``): control may enter
        after them from anywhere, since the template decides which text surrounds them."""
        if not self.masked:
            return set()
        starts = self._mask_index[0]
        out = set()
        for line in self.script.lines:
            if not line.words and line.label is None:
                i = bisect.bisect_left(starts, line.start)  # the first region starting in the line?
                if i < len(starts) and starts[i] < line.end:
                    out.add(line.index)
        return out

    @cached_property
    def has_template_labels(self) -> bool:
        """A label is (partly) template text, so any name may exist at render time."""
        if not self.masked:
            return False
        return any(self.overlaps_mask(label.start, label.end) for label, _line in self.label_list)

    def release(self) -> None:
        """Forget every analysis built so far (each points back at this model): call when done with a
        model no one else holds, so reference counting frees it without the cyclic collector."""
        script, catalog, masked, text_facts = self.script, self.catalog, self.masked, self.text_facts
        self.__dict__.clear()
        self.script, self.catalog, self.masked, self.text_facts = script, catalog, masked, text_facts
        self._bound, self._previous, self.previous = {}, {}, None

    # -- positions -----------------------------------------------------------------------------

    def line_number(self, offset: int) -> int:
        """1-based physical line of an offset, for messages."""
        return self.script.position(offset)[0] + 1

    def code_lines(self) -> list[LogicalLine]:
        return [ln for ln in self.script.lines if any(c.words for c in ln.commands)]
