"""Run the rules over a script: select, supersede, suppress, re-grade and sort the findings."""

from __future__ import annotations

import bisect
import gc
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import cache, cached_property
from itertools import accumulate
from pathlib import Path

from ipxescript.analysis.boottree import BootTree, Edge, parse_map
from ipxescript.analysis.diagnostics import Diagnostic, Edit, Related, Severity
from ipxescript.catalog import Profile
from ipxescript.lint import workers
from ipxescript.lint.config import LintConfig
from ipxescript.lint.context import LintContext
from ipxescript.lint.registry import Rule, all_rules
from ipxescript.lint.suppress import find_suppressions
from ipxescript.lint.template import MARKERS, has_markers, mask_template
from ipxescript.syntax.parser import LineMemo, parse
from ipxescript.syntax.tree import LogicalLine, Script

INTERNAL_ERROR = "IPX000"


class LintResult:
    """The findings for one text, with the parsed script they refer to (for positions and fixes).

    A template's rules ran on its masked text; ``script``, its original text parsed, is parsed only
    when asked for. ``positions`` is all a report needs (the text, its line starts: the masked text has
    the same length and newlines), without that second parse."""

    def __init__(
        self, text: str, script: Script, diagnostics: list[Diagnostic], memo: LineMemo | None = None
    ) -> None:
        self.text = text  # the original text (before template masking)
        self.diagnostics = diagnostics
        self._script = script  # the script the rules saw: ``text`` parsed, or else its masked text
        self._memo = memo  # the run's line memo, for parsing ``text`` (None: ``script`` is ``text``'s)

    @cached_property
    def script(self) -> Script:
        if self._memo is None:
            return self._script
        return parse(self.text, self._script.path, self._memo)

    @cached_property
    def positions(self) -> Script:
        """The text and its lines' starts (``Script.position``); for a template, no parsed lines."""
        seen = self._script
        if self._memo is None or "script" in self.__dict__:
            return self.script
        return Script(
            text=self.text,
            path=seen.path,
            lines=[],
            diagnostics=[],
            magic=seen.magic,
            line_starts=seen.line_starts,
            encoding_errors=seen.encoding_errors,
        )


@contextmanager
def _gc_paused() -> Iterator[None]:
    """The tree is a large graph of small objects with no cycles to free: pausing the cyclic garbage
    collector while linting makes a 10,000-line script about three times faster. What survives the
    lint (the results and their trees) would still count as young, and the first allocation after it
    would make the collector walk every tree; freeze + unfreeze moves all tracked objects to the
    oldest generation without walking them (cycles there are still freed by a full collection).
    A caller that froze objects of its own (``ipxescript serve`` freezes what it built at start) keeps
    them frozen: unfreeze would hand them all back to the collector, so then the move is left out."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            if gc.get_freeze_count() == 0:
                gc.freeze()
                gc.unfreeze()
            gc.enable()


gc_paused = _gc_paused  # for the language server, which lints in steps (ipxescript.lint.incremental)


def lint_script(
    script: Script, config: LintConfig | None = None, masked: list[tuple[int, int]] | None = None
) -> list[Diagnostic]:
    """Every enabled finding for a parsed script, sorted by position."""
    with _gc_paused():
        ctx = LintContext(script, config or LintConfig(), masked or ())
        found = _run_rules(ctx, LintRun())
        _release([ctx])
        return found


class LintRun:
    """What the scripts of one lint run share. Real scripts repeat lines heavily (within a script, and
    across the scripts of a repository), and much of a lint is work on one line at a time: a line's
    tree (``LineMemo``), and the core checks and line-local rules (``LINE_RULES``: findings on a line
    that depend only on its text and the config). Each is done once per distinct line text and copied,
    moved, to every line with that text."""

    def __init__(self) -> None:
        self.parsed = LineMemo()
        # (config, enabled line rules, magic) -> raw line text -> (core findings, rule findings), at
        # offsets from the line's start
        self._checked: dict[tuple[int, tuple[str, ...], str | None], dict[str, _LineFindings | None]] = {}
        self._configs: list[LintConfig] = []  # the configs whose ids key ``_checked``, kept alive
        # profile id -> (profile, the keys (checks.command_key) of commands the core checks passed)
        self._clean: dict[int, tuple[Profile, set[tuple[str | None, ...]]]] = {}

    def core_checks(self, ctx: LintContext, script: Script) -> list[Diagnostic]:
        """``checks.check_script`` on ``script`` (ctx's script or a part of it): a command whose key
        (``checks.command_key``) passed the checks before in this run is not checked again."""
        from ipxescript.analysis.checks import check_script

        profile = ctx.profile
        known = self._clean.get(id(profile))
        if known is None or known[0] is not profile:
            known = self._clean[id(profile)] = (profile, set())
        return check_script(script, ctx.catalog, profile, clean=known[1])

    def line_checks(
        self, ctx: LintContext, rules: Sequence[Rule]
    ) -> tuple[list[Diagnostic], set[str], list[tuple[str, tuple[str, ...]]]] | None:
        """``run_checks(ctx, rules)`` for line-local ``rules``, and ``ctx.core_diagnostics`` set, from
        the findings on each distinct line; None (nothing set) when a rule raised."""
        config, script = ctx.config, ctx.script
        enabled = tuple(r.code for r in rules if config.enabled(r.code, script.path))
        key = (id(config), enabled, script.magic)
        known = self._checked.get(key)
        if known is None:
            known = self._checked[key] = {}
            self._configs.append(config)
        text, lines = script.text, script.lines
        raws = [text[line.start : line.end] for line in lines]
        new: dict[str, LogicalLine] = {}
        for raw, line in zip(raws, lines, strict=True):
            if raw not in known and raw not in new:
                new[raw] = line
        if new:
            fresh = _check_lines(ctx, list(new.values()), rules, self)
            if fresh is None:
                return None
            known.update(zip(new, fresh, strict=True))
        core: list[Diagnostic] = []
        found: list[Diagnostic] = []
        for raw, line in zip(raws, lines, strict=True):
            entry = known[raw]
            if entry is None:  # most lines: nothing found
                continue
            at = line.start
            core += [moved(d, at) for d in entry.core]
            found += [moved(d, at) for d in entry.found]
        ctx.core_diagnostics = list(script.diagnostics) + core
        registered = {r.code for r in rules}
        supersede = [(r.code, r.supersedes) for r in rules if r.supersedes and r.code in enabled]
        return found, registered, supersede


@dataclass
class _LineFindings:
    """What the core checks (``checks.check_script``) and the line rules found on one line, at offsets
    from its start (None in place of one for a line where they found nothing)."""

    core: list[Diagnostic]
    found: list[Diagnostic]


def moved(d: Diagnostic, delta: int) -> Diagnostic:
    """The finding (and its fix) ``delta`` characters further on."""
    fix = d.fix
    if fix is not None:
        fix = replace(fix, edits=tuple(Edit(e.start + delta, e.end + delta, e.text) for e in fix.edits))
    return replace(d, start=d.start + delta, end=d.end + delta, fix=fix)


def _check_lines(
    ctx: LintContext, lines: list[LogicalLine], rules: Sequence[Rule], run: LintRun
) -> list[_LineFindings | None] | None:
    """The core checks and ``rules`` on ``lines`` alone (a script of just those lines, at their
    offsets, sharing the whole script's bindings), by line; None when a rule raised."""
    script = ctx.script
    part = Script(
        text=script.text,
        path=script.path,
        lines=lines,
        diagnostics=[],
        magic=script.magic,
        line_starts=script.line_starts,
        encoding_errors=script.encoding_errors,
    )
    sub = LintContext(part, ctx.config)
    sub.commands_from(ctx)  # one binding per command, shared with the whole script's model
    core = sub.core_diagnostics = run.core_checks(ctx, part)
    found, _registered, _supersede = run_checks(sub, rules)
    if any(d.code == INTERNAL_ERROR for d in found):
        return None
    out: list[_LineFindings | None] = [None] * len(lines)
    starts = [line.start for line in lines]
    for which, items in ((0, core), (1, found)):
        for d in items:
            k = max(0, bisect.bisect_right(starts, d.start) - 1)
            entry = out[k]
            if entry is None:
                entry = out[k] = _LineFindings([], [])
            (entry.core, entry.found)[which].append(moved(d, -starts[k]))
    return out


@cache
def _split_rules() -> tuple[tuple[Rule, ...], tuple[Rule, ...]]:
    """The line-local rules (``LINE_RULES``) whose work is per line, not a filter of the core's, and
    the rest."""
    from ipxescript.lint.incremental import LINE_RULES

    line = tuple(r for r in all_rules() if r.code in LINE_RULES and not r.core)
    return line, tuple(r for r in all_rules() if r.code not in LINE_RULES or r.core)


def _run_rules(ctx: LintContext, run: LintRun | None = None) -> list[Diagnostic]:
    if run is not None and not ctx.masked:  # template regions: the masks, not lines, decide
        line_rules, other_rules = _split_rules()
        shared = run.line_checks(ctx, line_rules)
        if shared is not None:
            found, registered, supersede = shared
            rest = run_checks(ctx, other_rules)
            return finish(ctx, found + rest[0], registered | rest[1], supersede + rest[2])
        ctx.__dict__.pop("core_diagnostics", None)
    if run is not None:
        ctx.core_diagnostics = list(ctx.script.diagnostics) + run.core_checks(ctx, ctx.script)
    found, registered, supersede = run_checks(ctx, all_rules())
    return finish(ctx, found, registered, supersede)


def run_checks(
    ctx: LintContext, rules: Sequence[Rule]
) -> tuple[list[Diagnostic], set[str], list[tuple[str, tuple[str, ...]]]]:
    """The raw findings of the enabled ``rules`` (a rule that raises gives one IPX000 finding), the codes
    of all ``rules`` and the supersedes of the enabled ones; ``finish`` turns them into what is shown."""
    config = ctx.config
    path = ctx.script.path
    found: list[Diagnostic] = []
    registered: set[str] = set()
    supersede: list[tuple[str, tuple[str, ...]]] = []
    for rule in rules:
        registered.add(rule.code)
        if not config.enabled(rule.code, path):
            continue
        if rule.supersedes:
            supersede.append((rule.code, rule.supersedes))
        try:
            found.extend(rule.check(ctx))
        except Exception as exc:  # a broken rule must not hide the other findings
            found.append(internal_error(rule, exc))
    return found, registered, supersede


def internal_error(rule: Rule, exc: Exception) -> Diagnostic:
    return Diagnostic(
        INTERNAL_ERROR, Severity.INFO, f"internal error in rule {rule.code} ({rule.name}): {exc!r}", 0, 0
    )


def finish(
    ctx: LintContext,
    found: list[Diagnostic],
    registered: set[str],
    supersede: list[tuple[str, tuple[str, ...]]],
) -> list[Diagnostic]:
    """The raw findings of every rule (``run_checks``) as they are shown: core findings without a rule
    added, superseded, cut at the trailer and the template masks, suppressed, re-graded and sorted."""
    config = ctx.config
    script = ctx.script
    masked = ctx.masked
    path = script.path
    # Core findings whose code has no rule module yet still reach the user.
    found = found + [
        d for d in ctx.core_diagnostics if d.code not in registered and config.enabled(d.code, path)
    ]
    found = _apply_supersedes(found, supersede)
    trailer = ctx.flow.trailer_start
    if trailer is not None:
        # one "unreachable" finding covers it; the text there is never run, so nothing else applies
        found = [d for d in found if d.start < trailer or d.code == "IPX204"]
    if masked:
        found = [d for d in found if not _inside_mask(d, masked)]
    found = _apply_suppressions(script, found)
    if config.severity:  # re-graded codes: a new finding only where the grade changes
        found = [_graded(d, config.severity_for(d.code, d.severity)) for d in found]
    return _sorted_unique(found)


def _graded(d: Diagnostic, severity: Severity) -> Diagnostic:
    return d if d.severity is severity else replace(d, severity=severity)


@dataclass
class _Prepared:
    text: str  # as read (before template masking)
    ctx: LintContext

    def result(self, diagnostics: list[Diagnostic], run: LintRun) -> LintResult:
        return LintResult(self.text, self.ctx.script, diagnostics, run.parsed if self.ctx.masked else None)


def _prepare(text: str | bytes, path: str | None, config: LintConfig | None, run: LintRun) -> _Prepared:
    """Decode, mask template regions when the config asks for it, parse: the script's lint context
    (the original text of a template is parsed when a result's ``script`` is asked for)."""
    config = config or LintConfig()
    if isinstance(text, bytes):
        from ipxescript.syntax.source import decode_source

        text = decode_source(text)[0]
    masked: list[tuple[int, int]] = []
    source = text
    if config.template != "none" and has_markers(text):
        source, masked = mask_template(text, config.template or "auto")
    script = parse(source, path, run.parsed)
    return _Prepared(text, LintContext(script, config, masked))


def _finish(prepared: _Prepared, run: LintRun) -> LintResult:
    diagnostics = _run_rules(prepared.ctx, run)
    text, masked = prepared.text, prepared.ctx.masked
    if masked or has_markers(text):
        diagnostics = _drop_template_fixes(text, diagnostics, masked)
    return prepared.result(diagnostics, run)


def _release(contexts: Iterable[LintContext]) -> None:
    """Drop what the contexts built (flow, menus, settings, the tree): those point back at their
    context, and cycles left behind would make the cyclic collector walk every tree once linting is
    over. Without the cycles, reference counting frees them at once."""
    for ctx in contexts:
        ctx.release()


def lint_text(text: str | bytes, path: str | None = None, config: LintConfig | None = None) -> LintResult:
    """Parse (masking template regions when the config asks for it) and lint one script alone."""
    with _gc_paused():
        run = LintRun()
        prepared = _prepare(text, path, config, run)
        result = _finish(prepared, run)
        _release([prepared.ctx])
        return result


def lint_tree(
    files: Sequence[tuple[str, str | bytes, LintConfig]],
    entries: Sequence[str | Path] = (),
    maps: Sequence[str] = (),
    root: str | Path | None = None,
    context: Sequence[tuple[str, str | bytes, LintConfig]] = (),
    jobs: int = 1,
    warn: Callable[[str], None] | None = None,
    release: bool = True,
) -> list[LintResult]:
    """Lint scripts as one boot tree (ipxescript.analysis.boottree): ``files`` are (path, text,
    config); settings, failures and chain paths pass between the scripts that chain each other.
    ``entries`` and ``maps`` (``PREFIX=TARGET``) add to those each file's config names. ``context``
    scripts (same form) join the tree, as parents or children, but are neither linted nor returned.
    Results come in the order of ``files``; findings in a chained script carry the chain that reaches
    it. With ``jobs`` > 1 the rules run in up to that many processes (ipxescript.lint.workers), the
    same findings; ``warn`` hears of a worker that died (its files are linted again here). ``release``
    False leaves the contexts' cycles in place, for a caller that exits right after (ipxelint)."""
    with _gc_paused():  # the work is in a function of its own so its locals are gone before the GC resumes
        return _lint_tree(files, entries, maps, root, context, jobs, warn, release)


def _lint_tree(
    files: Sequence[tuple[str, str | bytes, LintConfig]],
    entries: Sequence[str | Path],
    maps: Sequence[str],
    root: str | Path | None,
    context: Sequence[tuple[str, str | bytes, LintConfig]] = (),
    jobs: int = 1,
    warn: Callable[[str], None] | None = None,
    release: bool = True,
) -> list[LintResult]:
    run = LintRun()
    prepared = [_prepare(text, path, config, run) for path, text, config in files]
    around = [(_prepare(text, path, config, run), path) for path, text, config in context]
    on_disk = [(p, path) for p, (path, _t, _c) in zip(prepared, files, strict=True) if path != "-"]
    on_disk += around
    all_entries = [*entries, *(e for p, _path in on_disk for e in p.ctx.config.entries)]
    all_maps = _unique([*maps, *(m for p, _path in on_disk for m in p.ctx.config.maps)])
    tree = BootTree(
        [(Path(path), p.ctx) for p, path in on_disk],
        Path(root) if root is not None else None,
        [Path(e) for e in all_entries],
        [parse_map(m) for m in all_maps],
    )
    shown_path = {id(p.ctx): path for p, path in on_disk}
    for p, path in on_disk:
        p.ctx.tree = tree
        p.ctx.tree_file = tree.file(path)

    def findings(p: _Prepared) -> list[Diagnostic]:
        found = _finish(p, run).diagnostics
        tree_file = p.ctx.tree_file
        via = tree.describe_path(tree_file) if tree_file is not None else ""
        if tree_file is None or not via:
            return found
        related = tuple(_edge_location(edge, shown_path) for edge in tree.chain_path(tree_file))
        return [replace(d, via=d.via or via, related=d.related + related) for d in found]

    shares = [list(range(len(prepared)))]
    if jobs > 1 and len(prepared) > 1:
        shares = workers.plan([len(p.ctx.script.lines) for p in prepared], _groups(tree, prepared), jobs)
        _split_rules()  # the rules' modules imported before the fork, not once in every worker
    found = workers.run_shares(shares, lambda share: [findings(prepared[i]) for i in share], warn or _ignore)
    results = [p.result(diagnostics, run) for p, diagnostics in zip(prepared, found, strict=True)]
    if release:
        _release([*(p.ctx for p in prepared), *(p.ctx for p, _path in around)])
    return results


def _groups(tree: BootTree, prepared: list[_Prepared]) -> list[int]:
    """For each file, the number of its group of connected files (``BootTree.connected``); a file
    outside the tree (standard input) is a group of its own."""
    return [
        id(tree.connected(p.ctx.tree_file)[0]) if p.ctx.tree_file is not None else -1 - i
        for i, p in enumerate(prepared)
    ]  # a group is named by its first file


def _ignore(_message: str) -> None:
    pass


def _edge_location(edge: Edge, shown_path: dict[int, str]) -> Related:
    line, column = edge.source.script.position(edge.command.start)
    path = shown_path.get(id(edge.source.model), edge.source.name)
    return Related(path, line + 1, column + 1, f"chains {edge.word.text}")


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _drop_template_fixes(
    text: str, found: list[Diagnostic], masked: list[tuple[int, int]]
) -> list[Diagnostic]:
    """A fix never edits a line that holds template text: the template engine, not iPXE, reads it,
    and words split by spaces inside ``{{ }}`` are not iPXE's words."""
    out = []
    for d in found:
        if d.fix is not None and any(_line_has_marker(text, e.start, e.end, masked) for e in d.fix.edits):
            d = replace(d, fix=None)
        out.append(d)
    return out


def _line_has_marker(text: str, start: int, end: int, masked: list[tuple[int, int]]) -> bool:
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end
    if any(a < line_end and line_start < b for a, b in masked):
        return True
    return MARKERS.search(text, line_start, line_end) is not None


def lint_source(
    text: str | bytes, path: str | None = None, config: LintConfig | None = None
) -> list[Diagnostic]:
    return lint_text(text, path, config).diagnostics


def _inside_mask(d: Diagnostic, masked: list[tuple[int, int]]) -> bool:
    starts = [a for a, _ in masked]
    i = bisect.bisect_right(starts, d.start) - 1
    return i >= 0 and masked[i][0] <= d.start and d.end <= masked[i][1] and d.end > d.start


def _apply_supersedes(
    found: list[Diagnostic], supersede: list[tuple[str, tuple[str, ...]]]
) -> list[Diagnostic]:
    if not supersede:
        return found
    # A superseding finding hides a victim code that starts inside its range.
    ranges: dict[str, list[tuple[int, int]]] = {}
    for code, victims in supersede:
        for d in found:
            if d.code == code:
                for victim in victims:
                    ranges.setdefault(victim, []).append((d.start, max(d.end, d.start + 1)))
    if not ranges:
        return found
    # per victim code: the ranges' starts in order and the furthest end among them so far, so one
    # bisect answers "does some range hold this start" (a file of garbage has thousands of each)
    spans: dict[str, tuple[list[int], list[int]]] = {}
    for victim, victim_ranges in ranges.items():
        victim_ranges.sort()
        ends = list(accumulate((b for _a, b in victim_ranges), max))
        spans[victim] = ([a for a, _b in victim_ranges], ends)

    def hidden(d: Diagnostic) -> bool:
        span = spans.get(d.code)
        if span is None:
            return False
        i = bisect.bisect_right(span[0], d.start)
        return i > 0 and span[1][i - 1] > d.start

    return [d for d in found if not hidden(d)]


def _apply_suppressions(script: Script, found: list[Diagnostic]) -> list[Diagnostic]:
    suppressions = find_suppressions(script)
    if not suppressions.whole_file and not suppressions.by_line:
        return found
    out = []
    for d in found:
        line = script.line_at(d.start)
        if not suppressions.hides(d, line.index if line else None):
            out.append(d)
    return out


def _sorted_unique(found: list[Diagnostic]) -> list[Diagnostic]:
    seen: set[tuple[str, int, int, str]] = set()
    out = []
    for d in sorted(found, key=lambda d: (d.start, d.code, d.end)):
        key = (d.code, d.start, d.end, d.message)
        if key not in seen:
            seen.add(key)
            out.append(d)
    return out
