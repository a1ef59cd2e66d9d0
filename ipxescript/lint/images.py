"""Image lifecycle facts the image rules share (src/core/image.c, src/usr/imgmgmt.c, src/image/initrd.c).

Every registered image that is not hidden reaches the next Linux kernel as an initrd (iPXE's
``initrd_load_all`` walks the whole image list); a script that ``chain`` ran is re-registered when it
returns unless it was fetched with ``--autofree`` (``image_exec``); ``imgfree`` with no name
unregisters every image, the selected one included.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ipxescript.analysis.binding import BoundCommand
from ipxescript.analysis.flow import Jump, walk
from ipxescript.analysis.model import ScriptModel, changed_span
from ipxescript.lint.urls import EXECUTES, SELECTS
from ipxescript.syntax.tree import Command, Literal, LogicalLine, Word

# Commands that always download and register a new image (the imgfetch family).
ACCUMULATES = ("initrd", "imgfetch", "module")
# Last path parts that name a script a server renders, not a kernel or a boot loader.
SCRIPT_TARGET = re.compile(r"\.(ipxe|php|cgi|pl|py|sh|txt|cfg)$|^$", re.I)
KERNEL_TARGET = re.compile(
    r"(vmlinu[xz]|bzimage|linux|kernel|\.efi|\.lkrn|\.kpxe|\.pxe|\.0|\.com|\.iso|\.img|wimboot|memdisk)", re.I
)


def literal_text(word: Word, hole: str = "\x00") -> str:
    return "".join(p.value if isinstance(p, Literal) else hole for p in word.text_parts)


def last_part(word: Word) -> str:
    """The URI path's last part as written (query and fragment dropped); references become NUL."""
    raw = re.split(r"[?#]", literal_text(word), maxsplit=1)[0]
    return raw.rstrip("/").rsplit("/", 1)[-1] if "://" in raw or "/" in raw else raw


def is_script_target(word: Word) -> bool:
    """The word names a script: ``*.ipxe`` (or a script a server renders, ``boot.php?mac=...``)."""
    last = last_part(word).replace("\x00", "")
    if KERNEL_TARGET.search(last):
        return False
    return bool(SCRIPT_TARGET.search(last)) and bool(last)


def frees_everything(bound: BoundCommand) -> bool:
    """``imgfree`` with no name unregisters every image."""
    return bound.name == "imgfree" and not bound.positionals


def line_frees_everything(ctx: ScriptModel, line: LogicalLine) -> bool:
    return any(c.name == "imgfree" and frees_everything(ctx.bound(c)) for c in line.commands)


def loads_kernel(ctx: ScriptModel, command: Command) -> bool:
    return command.name in SELECTS and bool(ctx.bound(command).positionals)


def runs_selected(ctx: ScriptModel, command: Command) -> bool:
    """``boot`` / ``chain`` / ``imgexec`` with no argument: runs the selected image."""
    return command.name in EXECUTES and not ctx.bound(command).positionals


def _outcomes(ctx: ScriptModel, command: Command) -> frozenset[str]:
    """As ``Flow.outcomes``, except that ``boot``/``imgexec``/``sanboot`` return only when they
    failed: a booted OS never comes back."""
    return _FAILS if command.name in ("boot", "imgexec", "sanboot") else ctx.flow.outcomes(command)


_FAILS = frozenset({"fail"})


def line_exits(ctx: ScriptModel, line: LogicalLine, after: Command | None = None) -> tuple[bool, list[int]]:
    """Run the line as ``system`` does (left to right, no precedence), from the start or from just
    after ``after`` (which succeeded): can it end with status 0 (and go on to the next line), and
    which lines do the gotos it may run lead to? A failed line ends the script."""
    commands = line.commands
    first = 0 if after is None else next(i for i, c in enumerate(commands) if c is after) + 1
    states = {(True, True)}  # (the next command runs, the last status was 0)
    if after is not None:
        op = line.operators[first - 1].text if first - 1 < len(line.operators) else ";"
        states = {(op == ";" or op == "&&", True)}
    targets: list[int] = []
    jumps = {id(j.command): j for j in ctx.flow.lines[line.index].jumps}
    for i in range(first, len(commands)):
        command = commands[i]
        statuses: set[bool] = set()
        for runs, status in states:
            if not runs:
                statuses.add(status)
                continue
            for outcome in _outcomes(ctx, command):
                if outcome == "jump" and id(command) in jumps:
                    jump = jumps[id(command)]
                    if jump.target is not None and jump.target in ctx.labels:
                        targets.append(ctx.labels[jump.target].index)
                    elif jump.target is None:
                        targets.extend(_pattern(ctx, jump))
                elif outcome in ("ok", "fail"):
                    statuses.add(outcome == "ok")
        op = line.operators[i].text if i < len(line.operators) else ";"
        states = {(op == ";" or (op == "&&" and st) or (op == "||" and not st), st) for st in statuses}
    return any(status for _runs, status in states), targets


def _pattern(ctx: ScriptModel, jump: Jump) -> list[int]:
    return [label_line.index for name, label_line in ctx.labels.items() if jump.matches(name)]


def _succeeds(ctx: ScriptModel, line: LogicalLine) -> bool:
    return ctx.flow.shape_fact("succeeds", line.index, lambda: _line_succeeds(ctx, line))


def _line_succeeds(ctx: ScriptModel, line: LogicalLine) -> bool:
    if not ctx.flow.lines[line.index].falls_through:
        return False
    if not line.operators:  # one command: the common case, without the line simulation
        return not line.commands or "ok" in _outcomes(ctx, line.commands[0])
    return line_exits(ctx, line)[0]


class StrictGraph(list[list[int]]):
    """The flow graph with a line's fall-through edge dropped when the line cannot succeed: the flow
    graph's successor lists (shared, read-only), but for the lines in ``cut``, in a plain list so the
    walks over it run at list speed. Whether a line can succeed depends only on the line and its flow
    (a ``Flow.shape_fact``), so after an edit ``strict_graph`` carries ``cut`` (the lines that cannot
    succeed) over, moved, and asks only about the lines whose flow is new: the image rules walk nearly
    the whole graph after every edit of a large script."""

    __slots__ = ("flows", "cut")

    def __init__(self, ctx: ScriptModel, cut: set[int]) -> None:
        flow = ctx.flow
        base = flow.graph
        super().__init__(base)
        n = len(flow.lines)
        for i in cut:
            out = base[i]
            if i + 1 < n and i + 1 in out:
                out = list(out)
                out.remove(i + 1)
                self[i] = out
        self.flows = flow.lines  # the lines' flows ``cut`` was worked out for
        self.cut = cut


class LazyStrictGraph:
    """``StrictGraph`` for a script linted once (no version to carry ``cut`` from or to): a line is
    decided when a walk first reaches it, since the image rules walk from a few loaders only."""

    def __init__(self, ctx: ScriptModel) -> None:
        self._ctx = ctx
        self._base = ctx.flow.graph  # successor lists shared with the flow graph: read-only!
        self._known: list[list[int] | None] = [None] * len(self._base)

    def __len__(self) -> int:
        return len(self._known)

    def __getitem__(self, i: int) -> list[int]:
        out = self._known[i]
        if out is None:
            out = self._base[i]
            lines = self._ctx.script.lines
            if i + 1 < len(lines) and i + 1 in out and not _succeeds(self._ctx, lines[i]):
                out = list(out)
                out.remove(i + 1)
            self._known[i] = out
        return out


def strict_graph(ctx: ScriptModel, carried: bool = False) -> StrictGraph | LazyStrictGraph:
    """The strict flow graph: after an edit, a ``StrictGraph`` from the previous version's set of
    lines that cannot succeed, moved, and worked out again only for the lines whose flow changed;
    with no previous one, a ``LazyStrictGraph`` unless ``carried`` (the incremental linter asks for
    the whole set after each lint, to carry it to the next edit)."""
    cached: StrictGraph | LazyStrictGraph | None = getattr(ctx, "_strict_graph", None)
    if cached is not None and (isinstance(cached, StrictGraph) or not carried):
        return cached
    flows = ctx.flow.lines
    earlier = getattr(ctx.previous, "_strict_graph", None)
    if isinstance(earlier, StrictGraph):
        first, old_end, new_end = changed_span(earlier.flows, flows)
        delta = new_end - old_end
        cut = {i if i < first else i + delta for i in earlier.cut if i < first or i >= old_end}
        redo = range(first, new_end)
    elif carried:
        cut, redo = set(), range(len(flows))
    else:
        graph: StrictGraph | LazyStrictGraph = LazyStrictGraph(ctx)
        ctx._strict_graph = graph  # type: ignore[attr-defined]
        return graph
    lines = ctx.script.lines
    cut.update(i for i in redo if not _succeeds(ctx, lines[i]))
    graph = ctx._strict_graph = StrictGraph(ctx, cut)  # type: ignore[attr-defined]
    return graph


def successors_after(ctx: ScriptModel, line: LogicalLine, command: Command) -> list[int]:
    """Where the script goes on once ``command`` (on ``line``) succeeded."""
    falls, targets = line_exits(ctx, line, command)
    nxt = [line.index + 1] if falls and line.index + 1 < len(ctx.script.lines) else []
    return nxt + targets


def reach(ctx: ScriptModel, starts: Iterable[int], blocked: set[int]) -> set[int]:
    """Line indexes reachable from ``starts`` (inclusive) through the strict flow graph, never
    entering a line in ``blocked``."""
    n = len(ctx.script.lines)
    return {i for i in walk(strict_graph(ctx), starts, blocked) if i < n}


def freeing_lines(ctx: ScriptModel) -> set[int]:
    return {line.index for line, bound in ctx.commands_named("imgfree") if frees_everything(bound)}


# Commands that load or start an image: a section running one of them boots something.
BOOTING = (
    "kernel",
    "initrd",
    "imgfetch",
    "module",
    "imgselect",
    "imgload",
    "chain",
    "boot",
    "imgexec",
    "sanboot",
)


def boots_from(ctx: ScriptModel, index: int) -> int | None:
    """Following straight fall-through from line ``index`` (no jumps taken), the line of the first
    command that loads or starts an image; None when the path leaves, stops or ends first."""
    lines = ctx.script.lines
    for i in range(index, len(lines)):
        for command in lines[i].commands:
            if (
                command.name in BOOTING
                and ctx.bound(command).positionals
                or command.name in ("boot", "imgexec")
            ):
                return i
            if command.name in ("goto", "exit", "shell", "reboot", "poweroff"):
                return None
        flow = ctx.flow.lines[i]
        if flow.jumps or flow.stops or not flow.falls_through or i in ctx.template_barriers:
            return None
    return None


def can_return(model: ScriptModel) -> bool:
    """Can the script return normally to whoever chained it: a reachable ``exit`` (status 0), or a
    last line that a path reaches and gets through? A script that only boots never comes back."""
    reachable = model.flow.reachable
    for line, bound in model.commands_named("exit"):
        args = bound.positionals
        if line.index in reachable and (not args or (args[0].is_literal and args[0].text in ("0", "0x0"))):
            return True
    code = [line for line in model.script.lines if any(c.words for c in line.commands)]
    return bool(code) and code[-1].index in reachable and _succeeds(model, code[-1])
