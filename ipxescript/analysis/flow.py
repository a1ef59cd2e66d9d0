"""Control flow between logical lines: where each line can continue, jump or stop.

Each command has a set of possible outcomes (ok, fail, a jump, a stop). A line runs its commands left
to right with iPXE's rule for ``&&``/``||``/``;`` (src/core/exec.c: system) and ends in ok (next line),
fail (the script ends), a jump (``goto``) or a stop (``exit``, ``chain --replace``).

For reachability a failing ordinary command counts as continuing: the script would end there, but
that is another rule's finding (and most such failures are the user's intent, e.g. a download that
must work). Only ``goto`` and ``exit``/``--replace`` are treated as leaving the line for good.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Protocol, TypeVar

from ipxescript.syntax.tree import Command, Literal, LogicalLine, Word

if TYPE_CHECKING:
    from ipxescript.analysis.model import ScriptModel

OK, FAIL, JUMP, STOP = "ok", "fail", "jump", "stop"
T = TypeVar("T")
IMGEXEC = ("chain", "boot", "imgexec")
_MISSING = object()


@dataclass(frozen=True)
class Jump:
    line: LogicalLine
    command: Command
    word: Word
    target: str | None  # literal label name
    pattern: re.Pattern[str] | None  # for a target built from references

    def matches(self, label: str) -> bool:
        if self.target is not None:
            return self.target == label
        return bool(self.pattern and self.pattern.fullmatch(label))


class LineFlow:
    """Where one line goes: on to the next line, to labels, or out of the script. One per line of
    every script analysed, so a plain class with slots, its ``facts`` made on first use."""

    __slots__ = ("line", "falls_through", "stops", "jumps", "leaving", "targets", "shape", "_facts")

    def __init__(
        self,
        line: LogicalLine,
        falls_through: bool = True,
        stops: bool = False,  # some path ends the script on purpose (exit / --replace)
        jumps: list[Jump] | None = None,
        leaving: Command | None = None,  # the goto/exit/chain -r that keeps the line from falling through
        targets: tuple[tuple[str, bool], ...] = (),
    ) -> None:
        self.line = line
        self.falls_through = falls_through
        self.stops = stops
        self.jumps: list[Jump] = jumps if jumps is not None else []
        self.leaving = leaving
        # the literal goto targets on the line and whether each was a label when the flow was made:
        # the flow of an untouched line is kept across versions of a document while these stay true
        self.targets = targets
        self.shape: LineShape | None = None  # the shape it was laid from (none for a line without commands)
        self._facts: dict[Hashable, object] | None = None

    @property
    def facts(self) -> dict[Hashable, object]:
        """Flow.line_fact's facts about the line: kept with this object across versions of a document."""
        if self._facts is None:
            self._facts = {}
        return self._facts

    def _key(self) -> tuple[object, ...]:
        return (self.line, self.falls_through, self.stops, self.jumps, self.leaving, self.targets)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LineFlow) and self._key() == other._key()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (
            f"LineFlow(line={self.line!r}, falls_through={self.falls_through}, stops={self.stops}, "
            f"jumps={self.jumps!r}, leaving={self.leaving!r}, targets={self.targets!r})"
        )


class LineShape:
    """A line's flow by command and word indexes: the same for every line with the same key (text and
    goto targets being labels, or only command names and operators: ``_names_key``), so worked out once
    and laid on each such line (``laid_on``). Holds no node of a tree (shared across scripts)."""

    __slots__ = ("falls_through", "stops", "jumps", "leaving", "outcomes", "facts")

    def __init__(
        self,
        falls_through: bool,
        stops: bool,
        jumps: tuple[tuple[int, int, str | None, re.Pattern[str] | None], ...],
        leaving: int | None,
        outcomes: tuple[frozenset[str], ...],
    ) -> None:
        self.falls_through = falls_through
        self.stops = stops
        self.jumps = jumps  # (command index, word index, literal target, pattern)
        self.leaving = leaving  # command index
        self.outcomes = outcomes  # by command index
        self.facts: dict[str, object] = {}  # Flow.shape_fact's facts about every line of this shape

    @classmethod
    def of(cls, flow: LineFlow, outcomes: list[frozenset[str]]) -> LineShape:
        commands = flow.line.commands
        at = {id(c): i for i, c in enumerate(commands)}
        jumps = tuple(
            (at[id(j.command)], _index(j.command.words, j.word), j.target, j.pattern) for j in flow.jumps
        )
        leaving = None if flow.leaving is None else at[id(flow.leaving)]
        return cls(flow.falls_through, flow.stops, jumps, leaving, tuple(outcomes))

    def laid_on(self, line: LogicalLine, outcomes: dict[int, frozenset[str]]) -> LineFlow:
        """The flow of ``line`` (of this shape's text); its commands' outcomes go into ``outcomes``."""
        commands = line.commands
        result = LineFlow(line, self.falls_through, self.stops)
        if self.jumps:
            result.jumps = [
                Jump(line, commands[c], commands[c].words[w], target, pattern)
                for c, w, target, pattern in self.jumps
            ]
        if self.leaving is not None:
            result.leaving = commands[self.leaving]
        for command, found in zip(commands, self.outcomes, strict=True):
            outcomes[id(command)] = found
        return result


# the commands whose outcomes (``Flow._outcomes_of``, ``_fails_hard``) depend on their words: any other
# command's depend on its name alone
_READS_WORDS = frozenset({"goto", "exit", "set", "iseq", "isset", *IMGEXEC})


def _names_key(line: LogicalLine) -> Hashable | None:
    """The key of a line's ``LineShape`` when no command on it reads its words for its outcomes: its
    commands' names and its operators (``kernel ${base}/os1/vmlinuz`` and ``item os1 OS 1`` share
    theirs with every such line); None when the shape depends on the text (``Flow._line_flow``)."""
    names: list[str | None] = []
    for command in line.commands:
        name = command.name
        if name in _READS_WORDS:
            return None
        names.append(name if command.words else "")  # "" empty, None a ${...} command
    return (tuple(names), tuple(op.text for op in line.operators), line.unterminated)


def _index(items: list[Word], item: Word) -> int:
    return next(i for i, x in enumerate(items) if x is item)


def word_pattern(word: Word) -> re.Pattern[str]:
    """A regex for the values a word can take: literal text exact, each reference anything."""
    return re.compile(
        "".join(re.escape(p.value) if isinstance(p, Literal) else ".*" for p in word.text_parts), re.S
    )


class Graph(Protocol):
    """Successor lists by node: a list of lists, or one whose nodes are made when asked for."""

    def __len__(self) -> int: ...

    def __getitem__(self, node: int, /) -> list[int]: ...


def walk(graph: Graph, starts: Iterable[int], blocked: Iterable[int] = ()) -> list[int]:
    """The nodes of ``graph`` reachable from ``starts`` (inclusive) without entering a node in
    ``blocked``: the one graph walk of the flow rules (flag array, no per-edge generator)."""
    seen = bytearray(len(graph))
    for i in blocked:
        seen[i] = 1
    stack = list(starts)
    found = []
    while stack:
        i = stack.pop()
        if not seen[i]:
            seen[i] = 1
            found.append(i)
            stack.extend(graph[i])
    return found


class Flow:
    def __init__(self, model: ScriptModel) -> None:
        self.ctx = model
        self._outcomes: dict[int, frozenset[str]] = {}
        self._reachable: set[int] | None = None
        self._graph: list[list[int]] | None = None
        self._pattern_node: dict[str, int] = {}  # a goto ${...} pattern -> its node in ``graph``
        self._by_pattern: dict[str, list[int]] = {}
        self._targeted: set[str] | None = None
        self._patterns: list[Jump] = []
        # literal goto target -> the lines with such a goto (lines of earlier versions may linger)
        self._goto_lines: dict[str, list[LogicalLine]] = {}
        self._graph_nodes: list[list[int]] = []
        # the nodes whose successor lists may differ from those of the previous version's graph (the
        # others are the same list objects); None when the graph was not patched from it
        self.graph_changes: set[int] | None = None
        earlier = model.previous.__dict__.get("flow") if model.previous is not None else None
        if isinstance(earlier, Flow) and self._patch(earlier):
            return
        self.lines = [self._line_flow(line) for line in model.script.lines]
        for lf in self.lines:
            for target, _was_label in lf.targets:
                self._goto_lines.setdefault(target, []).append(lf.line)

    def _patch(self, earlier: Flow) -> bool:
        """The flow of an edited document from the previous version's: the ``LineFlow`` of every line
        the edit left alone is kept, unless a literal goto on it names a label that came or went."""
        span = self.ctx.changed
        if span is None:
            return False
        first, old_end, new_end = span
        model, before = self.ctx, earlier.ctx
        old_lines = before.script.lines
        lines = model.script.lines
        labels, old_labels = model.labels, before.labels
        named = {ln.label.name for ln in old_lines[first:old_end] if ln.label is not None}
        named |= {ln.label.name for ln in lines[first:new_end] if ln.label is not None}
        came_or_went = [name for name in named if (name in labels) != (name in old_labels)]
        goto_lines = dict(earlier._goto_lines)
        gone = set(old_lines[first:old_end])
        for lf in earlier.lines[first:old_end]:
            for target, _was_label in lf.targets:
                goto_lines[target] = [ln for ln in goto_lines[target] if ln not in gone]
        fresh = [self._line_flow(line) for line in lines[first:new_end]]
        for lf in fresh:
            for target, _was_label in lf.targets:
                goto_lines[target] = [*goto_lines.get(target, ()), lf.line]
        self._goto_lines = goto_lines
        self.lines = earlier.lines[:first] + fresh + earlier.lines[old_end:]
        redo = {
            line.index
            for name in came_or_went
            for line in goto_lines.get(name, ())
            if not first <= line.index < new_end
        }
        for index in sorted(redo):
            self.lines[index] = self._line_flow(lines[index])
        # the graph: the successor lists of the lines whose flow or goto targets are the same are kept
        graph = earlier._graph
        if (
            graph is not None
            and old_end - first == new_end - first
            and not any(
                j.pattern is not None for lf in (*earlier.lines[first:old_end], *fresh) for j in lf.jumps
            )
        ):
            # the gotos to every label of the edited span: its line is new, or one that the span only
            # moved (a span of several edits keeps the objects between them, at other indexes)
            redo |= {ln.index for name in named for ln in goto_lines.get(name, ())}
            n = len(lines)
            graph = graph[:]  # the lists of unchanged lines are shared: read-only
            self._graph_nodes = graph
            self._pattern_node = earlier._pattern_node
            changes = {*range(first, new_end), *redo}
            for index in changes:
                graph[index] = self._successors(index)
            if named:  # labels came, went or moved: the pattern nodes' targets may have changed
                for key, node in self._pattern_node.items():
                    graph[node] = self._pattern_targets_of(key)
                    changes.add(node)
            assert len(graph) == n + len(self._pattern_node)
            self._graph = graph
            self.graph_changes = changes
        return True

    def shape_fact(self, name: str, index: int, compute: Callable[[], T]) -> T:
        """``compute()``, a fact about line ``index`` that depends only on what its ``LineShape`` holds
        (its commands' outcomes, its operators, its flow; not its words): worked out once per shape,
        so once for all the lines of a tree (and of the versions of an edited document) that share
        it; a line without commands keeps it on its ``LineFlow``."""
        flow = self.lines[index]
        facts = flow.facts if flow.shape is None else flow.shape.facts
        found = facts.get(name, _MISSING)
        if found is _MISSING:
            found = facts[name] = compute()
        return found  # type: ignore[return-value]

    def span_fact(self, key: Hashable, index: int, compute: Callable[[], tuple[T, int]]) -> T:
        """A fact about line ``index`` that depends only on lines ``index`` to ``last`` (their text
        and flow): ``compute()`` gives ``(fact, last)``, ``last`` being ``len(lines)`` when it read
        up to the end of the script. Kept across versions of an edited document (on the line's
        ``LineFlow``) while those lines keep their ``LineFlow`` objects, in a row (and the end stays
        where it was), even when an edit above moved them: so the fact holds no line index or line
        number, only lines, nodes and positions relative to line ``index``."""
        lines = self.lines
        facts = lines[index].facts
        found = facts.get(key)
        if found is not None:
            kept: tuple[T, list[LineFlow], bool] = found  # type: ignore[assignment]
            value, window, to_end = kept
            end = index + len(window)
            # (a list compare: identity first, in C; an equal LineFlow of the same line reads the same)
            if lines[index:end] == window and (not to_end or end == len(lines)):
                return value
        value, last = compute()
        to_end = last >= len(lines)
        facts[key] = (value, lines[index : min(last, len(lines) - 1) + 1], to_end)
        return value

    def outcomes(self, command: Command) -> frozenset[str]:
        """What running ``command`` can end in (asked for each command by several rules: kept)."""
        key = id(command)
        found = self._outcomes.get(key)
        if found is None:
            found = self._outcomes[key] = frozenset(self._outcomes_of(command))
        return found

    def _outcomes_of(self, command: Command) -> set[str]:
        name = command.name
        if not command.words:
            return {OK}
        if name is None:
            return {OK, FAIL}
        bound = self.ctx.bound(command)
        args = bound.positionals
        if name == "goto":
            if len(args) != 1 or bound.option_words:
                return {FAIL}
            if args[0].is_literal:
                return {JUMP} if args[0].text in self.ctx.labels else {FAIL}
            return {JUMP, FAIL}
        if name == "exit":
            return {STOP}
        if name in IMGEXEC and bound.has("replace"):
            return {STOP, FAIL}
        if name == "echo" or name == "clear":
            return {OK}
        if name == "set" and args and args[0].is_literal and ":" not in args[0].text:
            return {OK}  # storing a string (or deleting with no value) cannot fail (storef_setting)
        if name == "iseq" and len(args) == 2 and all(a.is_literal for a in args):
            return {OK} if args[0].text == args[1].text else {FAIL}
        if name == "isset" and len(args) == 1 and args[0].is_literal:
            return {OK}
        if not self.ctx.known_command(name):
            return {FAIL}
        return {OK, FAIL}

    def _fails_hard(self, command: Command) -> bool:
        """A failed goto or ``chain --replace`` ends the script: the line after is not its fallback."""
        name = command.name
        bound = self.ctx.bound(command)
        if name == "goto":  # a goto to a missing literal label is IPX201's finding, not a dead end
            return not (len(bound.positionals) == 1 and bound.positionals[0].is_literal)
        return name in IMGEXEC and bound.has("replace")

    def _line_flow(self, line: LogicalLine) -> LineFlow:
        """The line's flow, from the ``LineShape`` of an earlier line with the same key:
        real scripts repeat lines, within a script and across the scripts of a tree, and most
        commands' outcomes depend on their names alone (``model.text_facts``)."""
        commands = line.commands
        if not commands:  # a blank, comment or label line: falls through, nothing else (the most)
            return LineFlow(line, not line.unterminated)
        key = _names_key(line)
        targets: tuple[tuple[str, bool], ...] = ()
        if key is None:  # keyed by its text and which of its goto targets are labels
            labels = self.ctx.labels
            targets = tuple(
                (w.text, w.text in labels)
                for c in commands
                if c.name == "goto"
                for w in c.words[1:]
                if w.is_literal
            )
            key = (line.text, line.unterminated, targets)
        shapes = self.ctx.text_facts.flows
        shape = shapes.get(key)
        if shape is None:
            result = self._line_flow_of(line)
            shape = shapes[key] = LineShape.of(result, [self.outcomes(c) for c in commands])
        else:
            result = shape.laid_on(line, self._outcomes)
        result.targets = targets
        result.shape = shape
        return result

    def _line_flow_of(self, line: LogicalLine) -> LineFlow:
        result = LineFlow(line)
        if line.unterminated:
            result.falls_through = False
            return result
        if not line.commands:
            return result  # a blank, comment or label line: falls through, nothing else
        states: set[tuple[bool, str, bool]] = {(True, OK, False)}  # (runs, status, hard failure)
        leaving: Command | None = None
        for i, command in enumerate(line.commands):
            after: set[tuple[bool, str, bool]] = set()
            for runs, status, hard in states:
                if not runs:
                    after.add((False, status, hard))
                    continue
                for outcome in self.outcomes(command):
                    if outcome == JUMP:
                        word = self.ctx.bound(command).positionals[0]
                        literal = word.text if word.is_literal else None
                        pattern = None if word.is_literal else word_pattern(word)
                        result.jumps.append(Jump(line, command, word, literal, pattern))
                        leaving = leaving or command
                    elif outcome == STOP:
                        result.stops = True
                        leaving = leaving or command
                    else:
                        after.add((True, outcome, outcome == FAIL and self._fails_hard(command)))
            if i < len(line.operators):
                op = line.operators[i].text
                states = {
                    (op == ";" or (op == "&&" and st == OK) or (op == "||" and st == FAIL), st, hard)
                    for _, st, hard in after
                }
            else:
                states = after
        result.falls_through = any(st == OK or not hard for _, st, hard in states)
        if not result.falls_through:
            result.leaving = leaving
        # de-duplicate jumps recorded once per incoming state
        unique: dict[int, Jump] = {}
        for jump in result.jumps:
            unique.setdefault(id(jump.command), jump)
        result.jumps = list(unique.values())
        return result

    def _pattern_targets(self, jump: Jump) -> list[int]:
        assert jump.pattern is not None
        return self._pattern_targets_of(jump.pattern.pattern, jump)

    def _pattern_targets_of(self, key: str, jump: Jump | None = None) -> list[int]:
        found = self._by_pattern.get(key)
        if found is None:
            pattern = jump.pattern if jump is not None else re.compile(key, re.S)
            assert pattern is not None
            found = [line.index for name, line in self.ctx.labels.items() if pattern.fullmatch(name)]
            self._by_pattern[key] = found
        return found

    def _successors(self, index: int) -> list[int]:
        """Line ``index``'s successor list in ``graph`` (pattern nodes made as they are met)."""
        lf = self.lines[index]
        out = [index + 1] if lf.falls_through and index + 1 < len(self.lines) else []
        for jump in lf.jumps:
            if jump.target is not None:
                target = self.ctx.labels.get(jump.target)
                if target is not None:
                    out.append(target.index)
                continue
            assert jump.pattern is not None
            key = jump.pattern.pattern
            node = self._pattern_node.get(key)
            if node is None:
                node = self._pattern_node[key] = len(self._graph_nodes)
                self._graph_nodes.append(self._pattern_targets(jump))
            out.append(node)
        return out

    @property
    def graph(self) -> list[list[int]]:
        """Successor lists over the lines plus one extra node per distinct ``goto ${...}`` pattern
        (nodes ``len(lines)`` and up), so a hundred dynamic gotos share one fan-out to the labels."""
        if self._graph is None:
            n = len(self.lines)
            self._pattern_node = {}
            graph: list[list[int]] = [[] for _ in range(n)]
            self._graph_nodes = graph
            for index in range(n):
                graph[index] = self._successors(index)
            self._graph = graph
        return self._graph

    @property
    def reachable(self) -> set[int]:
        """Indexes of the lines that some path from the top (or from a template seam) reaches."""
        if self._reachable is None:
            graph = self.graph
            roots = [0] if self.lines else []
            if self.ctx.masked:
                roots += sorted(self.ctx.template_barriers)
                roots += [
                    line.index
                    for label, line in self.ctx.label_list
                    if self.ctx.overlaps_mask(label.start, label.end)
                ]
            found = set(walk(graph, roots))
            found.difference_update(range(len(self.lines), len(graph)))  # the pattern nodes
            self._reachable = found
        return self._reachable

    @property
    def trailer_start(self) -> int | None:
        """Where text after a final unconditional ``exit`` begins, when no label follows it: such a
        trailer never runs (netboot.xyz's index.html is an iPXE script followed by HTML), so only
        the one "unreachable" finding is reported there."""
        for lf in reversed(self.lines):
            line = lf.line
            if line.label is not None:
                return None
            if lf.leaving is not None and lf.leaving.name == "exit" and not lf.falls_through:
                if line.index + 1 >= len(self.lines):
                    return None
                return self.lines[line.index + 1].line.start
        return None

    def lines_with_goto_to(self, names: Iterable[str]) -> list[LogicalLine]:
        """The lines with a ``goto`` whose literal target is one of ``names``, in file order."""
        found = {id(line): line for name in names for line in self._goto_lines.get(name, ())}
        return sorted(found.values(), key=lambda line: line.index)

    def missing_goto_targets(self) -> list[str]:
        """The literal goto targets that name no label."""
        labels = self.ctx.labels
        return [name for name, where in self._goto_lines.items() if where and name not in labels]

    @cached_property
    def jumps(self) -> list[Jump]:
        return [j for lf in self.lines for j in lf.jumps]

    def label_is_targeted(self, name: str) -> bool:
        if self._targeted is None:
            self._targeted = {j.target for j in self.jumps if j.target is not None}
            self._patterns = list(
                {j.pattern.pattern: j for j in self.jumps if j.pattern is not None}.values()
            )
            # the first lines of the labels some goto ${...} can reach: the graph's pattern nodes
            self._pattern_hits: set[int] = set().union(*self.graph[len(self.lines) :])
        if name in self._targeted:
            return True
        line = self.ctx.labels.get(name)
        if line is not None:
            return line.index in self._pattern_hits
        return any(j.matches(name) for j in self._patterns)
