"""Lint a script while it is edited, redoing only what an edit can change.

iPXE runs a script line by line and a line's tree depends only on that line, so the editor's document
(``ipxescript.syntax.incremental.Document``) reparses only the lines an edit touches and keeps the
other line objects, moved. ``IncrementalLinter.lint(script)`` builds on that:

* the rules in ``LINE_RULES`` (a finding on a line depends only on that line's text and the config)
  and the core checks run only on the lines that are new since the last lint; their findings on the
  other lines are kept from before, moved with their line;
* the other rules, which look across lines (labels, gotos, menus, settings, flow), run on the model of
  the whole current script, whose per-command option bindings are kept for the untouched lines, unless
  the edit changed nothing they read: a line of the kind they read (``READS``), or, for the flow rules
  (``FLOW_RULES``), a line's label, commands, operators or flow (``_flow_key``); then their last
  findings are moved with their lines;
* both go through the engine's ``finish`` (supersedes, suppressions, severities, order), so the result
  is what ``lint_source`` gives for the same text: ``tests/lint/test_incremental.py`` holds the two
  equal over random edit sequences.

A rule stays one definition: this module only chooses which lines a line rule is shown.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass, replace

from ipxescript.analysis.diagnostics import Diagnostic, Edit
from ipxescript.analysis.model import ScriptModel, changed_span
from ipxescript.analysis.settings import WRITES_POSITIONAL
from ipxescript.catalog import get_catalog
from ipxescript.lint.config import LintConfig
from ipxescript.lint.context import LintContext
from ipxescript.lint.engine import INTERNAL_ERROR, finish, gc_paused, lint_text, moved, run_checks
from ipxescript.lint.images import strict_graph
from ipxescript.lint.registry import Rule, all_rules
from ipxescript.lint.rules.ipx404_never_read import SETTINGS_FILE
from ipxescript.lint.template import front_matter_end, has_markers
from ipxescript.lint.urls import IMAGE_COMMANDS, SAN_COMMANDS, SELECTS, image_name_pattern
from ipxescript.syntax.tree import Command, LogicalLine, Script

# Rules whose findings on a line depend only on that line (its words, bound options, references) and on
# the config: they read nothing of other lines, of labels, flow, menus or settings.
LINE_RULES = frozenset(
    {
        "IPX004",
        "IPX102",
        "IPX103",
        "IPX104",
        "IPX105",
        "IPX106",
        "IPX107",
        "IPX110",
        "IPX111",
        "IPX212",
        "IPX401",
        "IPX402",
        "IPX405",
        "IPX406",
        "IPX407",
        "IPX412",
        "IPX413",
        "IPX601",
        "IPX602",
    }
)


def _commands(names: Iterable[str], dynamic: bool = False) -> Callable[[LogicalLine], bool]:
    """A line that runs one of these commands (or, with ``dynamic``, a ``${...}`` command)."""
    wanted = frozenset(names)
    return lambda line: any(c.name in wanted or (dynamic and c.name is None) for c in line.commands)


def _timeout_commands() -> frozenset[str]:
    """Commands with an option in milliseconds."""
    commands = get_catalog().commands.items()
    return frozenset(
        name for name, spec in commands if any(o.argument_kind == "timeout_ms" for o in spec.all_options)
    )


def _setting_commands() -> frozenset[str]:
    """Commands that write or test settings, take a timeout or a ``--set`` option."""
    digests = {
        name
        for name, spec in get_catalog().commands.items()
        if any(o.name == "set" for o in spec.all_options)
    }
    plain = {"set", "clear", "show", "login", "form", "item", "iseq", "isset"}
    return frozenset(plain | set(WRITES_POSITIONAL) | digests | _timeout_commands())


_runs_setting_command = _commands(_setting_commands())


def _reads_settings(line: LogicalLine) -> bool:
    return "${" in line.text or _runs_setting_command(line)


def _reads_settings_or_acts(line: LogicalLine) -> bool:
    """IPX404 also asks whether the script only sets, tests and jumps (a settings file)."""
    return _reads_settings(line) or any(c.words and c.name not in SETTINGS_FILE for c in line.commands)


def _labels_or_gotos(line: LogicalLine) -> bool:
    return line.label is not None or any(c.name == "goto" for c in line.commands)


_TIMED = _timeout_commands()


def _sets_or_times(line: LogicalLine) -> bool:
    """A ``set``, or a command with a timeout option that has an option word (the binding takes
    options only from words that start with ``-``)."""
    return any(
        c.name == "set" or (c.name in _TIMED and any(w.text.startswith("-") for w in c.words[1:]))
        for c in line.commands
    )


_menus_or_dispatches = _commands(("menu", "form", "item", "choose", "present", "goto", "iseq"))


def _labels_menus_or_dispatches(line: LogicalLine) -> bool:
    return line.label is not None or _menus_or_dispatches(line)


def _commented_continuation(line: LogicalLine) -> bool:
    return line.comment is not None and line.last_line != line.first_line


# Cross-line rules whose findings depend only on the lines for which their predicate holds (and on the
# positions of those lines): after an edit that replaced only lines for which it holds neither before
# nor after, their findings are the last ones, moved; when the edit moved the lines after it to other
# line numbers, only if there were none (a message may cite a line number). Every other cross-line
# rule (labels, flow, images along paths) runs after every edit.
READS: dict[str, Callable[[LogicalLine], bool]] = {
    **dict.fromkeys(("IPX403", "IPX408", "IPX409", "IPX410", "IPX411"), _reads_settings),
    "IPX404": _reads_settings_or_acts,
    "IPX108": _sets_or_times,  # timeouts, and the settings they read
    "IPX304": _labels_menus_or_dispatches,  # menus, their choose ... goto ${x} and the labels
    "IPX003": _commented_continuation,  # a comment that a backslash continues onto the next line
    **dict.fromkeys(
        ("IPX301", "IPX302", "IPX303", "IPX305"),
        _commands(("menu", "form", "item", "choose", "present", "goto")),
    ),
    **dict.fromkeys(("IPX201", "IPX206", "IPX210"), _labels_or_gotos),
    "IPX502": _commands((*IMAGE_COMMANDS, *SAN_COMMANDS, "imgfree", "imgstat", "imgverify", "imgextract")),
    "IPX503": _commands((*IMAGE_COMMANDS, *SAN_COMMANDS), dynamic=True),
}


# Cross-line rules that read of each line only its label, its commands' names, outcomes and whether
# they have positional arguments, its operators, its flow, its goto/imgstat/imgselect words and the
# names of the images its kernel/imgselect/imgload commands select (``_flow_key``): after an edit
# that replaced lines with as many lines with the same keys, the labels, the flow graph (and the image
# rules' strict graph) and so their findings are the same.
FLOW_RULES = frozenset({"IPX203", "IPX204", "IPX207", "IPX208", "IPX209", "IPX501", "IPX505"})
# (IPX202 compares the text of the lines under two definitions of a label: it runs after every edit)


def _flow_key(model: ScriptModel, index: int) -> tuple[object, ...]:
    """What the rules of ``FLOW_RULES`` read of line ``index`` of ``model``."""
    flow = model.flow
    lf = flow.lines[index]
    line = lf.line
    commands = line.commands
    leaving = lf.leaving
    return (
        line.label.name if line.label is not None else None,
        tuple((c.name, flow.outcomes(c), bool(c.words and model.bound(c).positionals)) for c in commands),
        tuple(op.text for op in line.operators),
        lf.falls_through,
        lf.stops,
        tuple((j.target, j.pattern.pattern if j.pattern is not None else None) for j in lf.jumps),
        None if leaving is None else (leaving.name, [c is leaving for c in commands].index(True)),
        tuple(w.text for c in commands if c.name in ("goto", "imgstat", "imgselect") for w in c.words[1:]),
        tuple(_selected_name(model, c) for c in commands if c.name in SELECTS),
    )


def _selected_name(model: ScriptModel, command: Command) -> str | None:
    """The pattern of the name of the image a kernel/imgselect/imgload command selects (IPX209)."""
    bound = model.bound(command)
    pattern = image_name_pattern(bound, bound.positionals[0]) if bound.positionals else None
    return pattern.pattern if pattern is not None else None


@dataclass
class _LineResult:
    """What the line rules and the core checks found on one line, at offsets for ``start``."""

    line: LogicalLine
    start: int
    found: list[Diagnostic]
    core: list[Diagnostic]

    def at(self, start: int) -> _LineResult:
        """The same findings, moved to where the line starts now."""
        if start != self.start:
            delta = start - self.start
            self.found = [moved(d, delta) for d in self.found]
            self.core = [moved(d, delta) for d in self.core]
            self.start = start
        return self


Anchor = tuple[LogicalLine, int]  # a line and an offset from its start


def _anchors(script: Script, d: Diagnostic) -> list[Anchor] | None:
    """Where the finding and its fix are, relative to the lines they fall in (None: not inside a line)."""
    offsets = [d.start, d.end]
    if d.fix is not None:
        offsets += [o for e in d.fix.edits for o in (e.start, e.end)]
    out = []
    for offset in offsets:
        line = script.line_at(offset)
        if line is None or offset >= line.end:
            return None
        out.append((line, offset - line.start))
    return out


def _placed(d: Diagnostic, anchors: list[Anchor]) -> Diagnostic:
    """The finding at its anchors' current places."""
    at = [line.start + rel for line, rel in anchors]
    fix = d.fix
    if fix is not None:
        edits = tuple(Edit(at[2 + 2 * i], at[3 + 2 * i], e.text) for i, e in enumerate(fix.edits))
        fix = replace(fix, edits=edits)
    return replace(d, start=at[0], end=at[1], fix=fix)


@dataclass
class _RuleResult:
    """A cross-line rule's last raw findings, anchored to lines; None when they cannot be moved."""

    found: list[tuple[Diagnostic, list[Anchor]]] | None
    codes: set[str]
    supersede: list[tuple[str, tuple[str, ...]]]


class IncrementalLinter:
    """The findings of one document's successive texts (one config and path for its lifetime)."""

    def __init__(self, config: LintConfig | None = None) -> None:
        self.config = config or LintConfig()
        rules = all_rules()
        self.line_rules: tuple[Rule, ...] = tuple(r for r in rules if r.code in LINE_RULES)
        self.cross_rules: tuple[Rule, ...] = tuple(r for r in rules if r.code not in LINE_RULES)
        self._lines: dict[LogicalLine, _LineResult] = {}  # each line of the last lint -> its findings
        self._lines_of: list[LogicalLine] = []  # the script lines that ``_lines`` is for
        self._flagged: dict[LogicalLine, _LineResult] = {}  # the entries of ``_lines`` with findings
        self._unmarked: list[LogicalLine] | None = None  # the lines of the last text with no template marker
        self._magic: str | None = None
        self._context: LintContext | None = None
        self._result: list[Diagnostic] = []
        self.findings: list[Diagnostic] = []  # the result of the last complete ``steps``
        # the lines of the last complete lint (line -> its index, first physical line) and what each
        # rule of READS found then
        self._linted: tuple[list[LogicalLine], int] = ([], 0)  # its lines and physical line count
        self._rules: dict[str, _RuleResult] = {}
        self.reused: set[str] = set()  # READS rules whose findings the last lint moved, not re-ran
        self.relinted = 0  # lines the line rules ran on in the last lint (for tests and benchmarks)

    def lint(self, script: Script) -> list[Diagnostic]:
        """Every enabled finding for ``script``, as ``lint_source(script.text, script.path, config)``."""
        with gc_paused():
            for _ in self.steps(script):
                pass
        return self.findings

    def steps(self, script: Script) -> Iterator[None]:
        """``lint`` in steps of one rule each, the result in ``findings`` after the last: the language
        server answers other messages between them and drops the generator when a newer edit makes its
        answer stale. The caller pauses the cyclic garbage collector around it (as ``lint`` does)."""
        if self.config.template != "none" and self._has_markers(script):
            self._lines, self._flagged = {}, {}  # template regions are masked before parsing: a full lint
            self._context = None
            self.findings = lint_text(script.text, script.path, self.config).diagnostics
        elif self._context is None or self._context.script is not script:
            self.findings = yield from self._steps(script)
        else:
            self.findings = list(self._result)

    def _has_markers(self, script: Script) -> bool:
        """Template markers in the text: after a text without any, only the changed lines can have
        one (no marker spans a line ending)."""
        lines = script.lines
        if self._unmarked and not front_matter_end(script.text):
            first, _old_end, new_end = changed_span(self._unmarked, lines)
            found = new_end > first and has_markers(script.text[lines[first].start : lines[new_end - 1].end])
            if not found and lines and lines[-1].end < len(script.text):
                found = has_markers(script.text[lines[-1].end :])  # (text after the last line)
        else:
            found = has_markers(script.text)
        self._unmarked = None if found else lines
        return found

    def _steps(self, script: Script) -> Generator[None, None, list[Diagnostic]]:
        previous = self._context
        if script.magic != self._magic:
            self._lines, self._flagged = {}, {}
            self._rules = {}
            self._magic = script.magic
        changed, shifted, span = self._changed_lines(script)
        ctx = LintContext(script, self.config, previous=previous)  # its bindings are shared
        lines = script.lines
        known = self._lines
        if known:  # only the lines between the first and the last one an edit replaced can be new
            first, old_end, new_end = changed_span(self._lines_of, lines)
            candidates = lines[first:new_end]
            staying = set(candidates)
            for line in self._lines_of[first:old_end]:
                if line not in staying:
                    known.pop(line, None)
                    self._flagged.pop(line, None)
        else:
            candidates = lines
        new = [line for line in candidates if line not in known]
        if new:
            fresh = self._check_lines(ctx, new)
            if fresh is None:  # a line rule broke: the engine reports it as for the whole text
                self._lines, self._flagged = {}, {}
                return finish(ctx, *run_checks(ctx, all_rules()))
            known.update(fresh)
            self._flagged.update((line, entry) for line, entry in fresh.items() if entry.found or entry.core)
        self._lines, self._lines_of = known, lines
        found: list[Diagnostic] = []
        core: list[Diagnostic] = []
        for line, entry in sorted(self._flagged.items(), key=lambda item: item[0].index):
            entry.at(line.start)
            found.extend(entry.found)
            core.extend(entry.core)
        self.relinted = len(new)
        ctx.core_diagnostics = core
        yield  # the model the cross-line rules share, a step of its own so no step holds up the editor
        ctx.commands  # noqa: B018
        yield
        ctx.flow  # noqa: B018
        registered = set(LINE_RULES)
        supersede = [(r.code, r.supersedes) for r in self.line_rules if r.supersedes]
        rules: dict[str, _RuleResult] = {}
        self.reused = set()
        same_flow: bool | None = None  # whether the replaced lines' flow keys are the new lines'
        for rule in self.cross_rules:
            reads = READS.get(rule.code)
            flows = rule.code in FLOW_RULES
            last = self._rules.get(rule.code)
            if (
                (reads is not None or flows)
                and last is not None
                and last.found is not None
                and changed is not None
                and (not shifted or not last.found)  # moved lines change line numbers in messages
            ):
                if reads is not None:
                    unread = not any(map(reads, changed))
                else:
                    if same_flow is None:
                        same_flow = self._same_flow(previous, ctx, span)
                    unread = same_flow
                moved = self._moved(script, last.found, changed) if unread else None
                if moved is not None:
                    found += moved
                    registered |= last.codes
                    supersede += last.supersede
                    rules[rule.code] = last
                    self.reused.add(rule.code)
                    continue
            yield
            more, codes, replaces = run_checks(ctx, (rule,))
            found += more
            registered |= codes
            supersede += replaces
            if reads is not None or flows:
                rules[rule.code] = _RuleResult(self._anchored(script, more), codes, replaces)
        yield
        self._result = finish(ctx, found, registered, supersede)
        # the analyses the next edit patches (settings, menus, the graphs the flow rules walk), made
        # now when no rule asked for them: a patch of the last version's costs little, and without it
        # the next edit would build them from nothing
        ctx.settings  # noqa: B018
        ctx.menus  # noqa: B018
        strict_graph(ctx, carried=True)
        ctx.previous = None  # what it had to give is taken: no chain of every version in memory
        if previous is not None:
            previous.release()  # its analyses point back at it: freed now, not by the cyclic collector
        self._context = ctx
        self._rules = rules
        self._linted = (script.lines, len(script.line_starts))
        return list(self._result)

    def _changed_lines(
        self, script: Script
    ) -> tuple[list[LogicalLine] | None, bool, tuple[int, int, int] | None]:
        """The lines an edit since the last complete lint took away or brought in (None before the
        first lint), whether it moved the lines after them to other line numbers, and its span
        (``changed_span`` of the last complete lint's lines and these)."""
        linted, physical = self._linted
        lines = script.lines
        if not linted:
            return None, True, None
        span = first, old_end, new_end = changed_span(linted, lines)
        # as many logical and physical lines as before: the lines after the edit did not move
        shifted = len(linted) != len(lines) or physical != len(script.line_starts)
        return lines[first:new_end] + linted[first:old_end], shifted, span

    @staticmethod
    def _same_flow(previous: LintContext | None, ctx: LintContext, span: tuple[int, int, int] | None) -> bool:
        """The lines the edit replaced (in ``previous``, the last complete lint's model) and those
        that replaced them have the same flow keys, one for one."""
        if previous is None or span is None:
            return False
        first, old_end, new_end = span
        if old_end - first != new_end - first or "flow" not in previous.__dict__:
            return False
        return all(_flow_key(previous, i) == _flow_key(ctx, i) for i in range(first, new_end))

    @staticmethod
    def _moved(
        script: Script, found: list[tuple[Diagnostic, list[Anchor]]], changed: list[LogicalLine]
    ) -> list[Diagnostic] | None:
        """The findings at their lines' new places; None when a line they are on is gone or a finding
        spans a changed line."""
        lines = script.lines
        spans = [
            (line.start, line.end)
            for line in changed
            if line.index < len(lines) and lines[line.index] is line
        ]
        out = []
        for d, anchors in found:
            if any(line.index >= len(lines) or lines[line.index] is not line for line, _rel in anchors):
                return None
            placed = _placed(d, anchors)
            if any(a < max(placed.end, placed.start + 1) and placed.start < b for a, b in spans):
                return None
            out.append(placed)
        return out

    @staticmethod
    def _anchored(script: Script, found: list[Diagnostic]) -> list[tuple[Diagnostic, list[Anchor]]] | None:
        out = []
        for d in found:
            anchors = _anchors(script, d)
            if anchors is None or d.code == INTERNAL_ERROR:
                return None
            out.append((d, anchors))
        return out

    def _check_lines(
        self, ctx: LintContext, lines: list[LogicalLine]
    ) -> dict[LogicalLine, _LineResult] | None:
        """Run the line rules and the core checks on ``lines`` only (a script made of just those lines,
        at their offsets); None when a rule raised."""
        script = ctx.script
        starts = [line.start for line in lines]

        def index(d: Diagnostic) -> int:
            return max(0, bisect.bisect_right(starts, d.start) - 1)

        # the parser's findings on these lines (an edit's are new; Document keeps them per line)
        ends = {i: lines[i].end for i in range(len(lines))}
        last = script.lines[-1] if script.lines else None
        mine = [
            d
            for d in script.diagnostics
            if d.start >= starts[0] and (d.start < ends[index(d)] or lines[index(d)] is last)
        ]
        part = Script(
            text=script.text,
            path=script.path,
            lines=lines,
            diagnostics=mine,
            magic=script.magic,
            line_starts=script.line_starts,
            encoding_errors=script.encoding_errors,
        )
        sub = LintContext(part, self.config)
        sub._bound = ctx._bound  # one binding per command, shared with the whole script's model
        sub._previous = ctx._previous
        found, _registered, _supersede = run_checks(sub, self.line_rules)
        if any(d.code == INTERNAL_ERROR for d in found):
            return None
        out = [_LineResult(line, line.start, [], []) for line in lines]
        # copies: the parser's own findings are moved in place by the next edit (Document.edit)
        for d in found:
            out[index(d)].found.append(replace(d))
        for d in sub.core_diagnostics:
            out[index(d)].core.append(replace(d))
        return dict(zip(lines, out, strict=True))
        return out
