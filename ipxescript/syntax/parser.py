"""The parser: text -> ``Script``, reading lines exactly as iPXE does.

Two stages, both taken from iPXE's source (cites in ../shared/reference/ipxe-language.md):

1. Physical -> logical lines (``src/image/script.c: process_script``): LF ends a line, one trailing CR
   of the buffer is stripped, a trailing backslash joins the next line with no separator, and a file
   that ends inside a continuation drops that line. This is a byte-level state machine, mirrored here.
2. Logical line -> label, words, operators, comment (``process_script`` again for the label;
   ``src/core/exec.c: split_command, command_terminator`` for the rest), then ``${...}`` parts.

The tokens of stage 2 are defined once, in ``grammar/ipxe.lark``: this module compiles its terminals
(see ``grammar.py``) and walks them with a small loop instead of running Lark's parser on every line,
which is several times faster. ``grammar.parse_with_lark`` runs the full Lark LALR parse of the same
grammar; a property test holds the two to the same words, labels, operators and comments.
"""

from __future__ import annotations

import bisect
import gc
import re
from collections.abc import Callable, Iterator
from dataclasses import replace
from itertools import accumulate

from ipxescript.analysis.diagnostics import Diagnostic, Severity
from ipxescript.syntax.grammar import terminals
from ipxescript.syntax.source import decode_source
from ipxescript.syntax.tree import (
    Anchor,
    Command,
    Comment,
    Label,
    Literal,
    LogicalLine,
    Operator,
    Part,
    Script,
    Token,
    Trivia,
    Word,
    is_literal_text,
    word_parts,
)

_new = object.__new__
_T = terminals()
_WORD_RE = _T.word  # a maximal run of non-whitespace (src/core/exec.c: split_command)
_SPACE_RE = _T.space
_OPERATORS = _T.operators
_WS = _T.whitespace_chars
MAGICS = ("#!ipxe", "#!gpxe")

# A raw logical line: (source start, source end incl. newline, kept segments, unterminated)
RawLine = tuple[int, int, list[list[int]], bool]


def parse(data: str | bytes, path: str | None = None, memo: LineMemo | None = None) -> Script:
    """Parse a whole script. Never raises on any input: problems become diagnostics.

    ``memo`` shares the shapes of lines already read between the scripts of one run (a batch lint of
    many files: real scripts repeat lines heavily); without it, lines are shared within the script."""
    # The tree is many small objects and holds no cycles that need collecting while it is built:
    # pausing the cyclic GC meanwhile saves a third of the time on large scripts.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _parse(data, path, memo if memo is not None else LineMemo())
    finally:
        if enabled:
            gc.enable()


Span = tuple[int, int, str]  # start, end, text


# What a one-physical-line line's text reads as, at offsets from the line's start: everything its tree
# needs but the place; ``build_line`` makes the nodes of a line from it. A plain tuple (a NamedTuple
# costs several times more to make, once per distinct line): (the logical text without CR or newline,
# label, commands (start, end, name, words), operators, comment, the reader's findings (IPX401)).
Shape = tuple[
    str,
    Span | None,
    tuple[tuple[int, int, str | None, list[Span]], ...],
    tuple[Span, ...],
    Span | None,
    tuple[Diagnostic, ...],
]


class LineMemo:
    """The shapes of one-physical-line lines by their text. A line is read once; a line with the same
    text elsewhere (in the same script or another of the run) is built from the same shape: the tree
    of a line depends only on its text."""

    __slots__ = ("lines",)

    def __init__(self) -> None:
        self.lines: dict[str, Shape] = {}


def _parse(data: str | bytes, path: str | None, memo: LineMemo) -> Script:
    text, encoding_errors = decode_source(data)
    pieces = text.split("\n")
    script = Script(
        text=text,
        path=path,
        lines=[],
        diagnostics=[],
        magic=detect_magic(text),
        line_starts=[0, *accumulate([len(piece) + 1 for piece in pieces[:-1]])],
        encoding_errors=encoding_errors,
    )
    lines = script.lines
    diagnostics = script.diagnostics
    known = memo.lines
    n = len(text)
    if len(pieces) > 1 and not pieces[-1]:
        pieces.pop()  # a final newline ends the last line; no empty line follows it
    count = len(pieces)
    k = 0  # the physical line (and piece) the next logical line starts on
    pos = 0
    while k < count:
        piece = pieces[k]
        logical = piece[:-1] if piece[-1:] == "\r" else piece  # one CR before the newline is dropped
        if logical[-1:] == "\\" or "\x00" in logical:  # a continuation, or a NUL byte: the full reader
            raw = next(split_logical_lines(text, pos))
            line = parse_logical_line(text, raw, len(lines), script, k)
            lines.append(line)
            if line.unterminated or "${" in line.text or "\x00" in text[line.start : line.end]:
                diagnostics.extend(line_diagnostics(line))
            k += len(raw[2])
            pos = raw[1]
            continue
        end = pos + len(piece) + 1
        if end > n:
            end = n
        shape = known.get(logical)
        if shape is None:
            shape = known[logical] = read_shape(logical)
        lines.append(build_line(shape, len(lines), pos, end, k, text))
        for d in shape[5]:  # the reader's findings
            diagnostics.append(replace(d, start=d.start + pos, end=d.end + pos))
        k += 1
        pos = end
    return script


def read_shape(logical: str) -> Shape:
    """The shape of a logical line without NUL bytes or splices (``parse_logical_line``'s reading)."""
    body = logical.strip(" \t")
    split = body.split()
    if " ".join(split) != body:  # other whitespace than one space between words: scan for them
        return _read_shape_scan(logical)
    # Most lines: words one space apart (after an indent), so each starts one after the previous one's
    # end (a character Python splits at but iPXE does not, such as U+00A0, would have been joined back
    # as a space).
    words = []
    s = len(logical) - len(logical.lstrip(" \t"))
    for word in split:
        e = s + len(word)
        words.append((s, e, word))
        s = e + 1
    label = None
    if body[:1] == ":":
        label = (words[0][0], words[0][1], words[0][2][1:])
        del words[0]
    comment = None
    if "#" in logical:
        for k, (s, _e, word) in enumerate(words):
            if word[0] == "#":
                comment = (s, len(logical), logical[s:])
                del words[k:]
                break
    return _shape(logical, label, words, comment)


def _read_shape_scan(logical: str) -> Shape:
    """``read_shape`` of any line: the label, the comment and the words found by the grammar's
    terminals."""
    m = len(logical)
    label, i = _read_label(logical) if logical[:1] in _WS or logical[:1] == ":" else (None, 0)
    comment = None
    stop = m
    if "#" in logical:
        opening = _COMMENT_START.search(logical, i)
        if opening is not None:
            stop = opening.start()
            comment = (stop, m, logical[stop:])
    # The words at C speed; each starts at the first non-whitespace after the previous one.
    words = []
    find = logical.find
    e = i
    for word in _WORD_RE.findall(logical, i, stop):
        s = find(word, e)
        e = s + len(word)
        words.append((s, e, word))
    return _shape(logical, label, words, comment)


def _shape(logical: str, label: Span | None, words: list[Span], comment: Span | None) -> Shape:
    """The shape of a line from its label, words and comment: the commands between the operators, and
    the reader's findings (unclosed ``${``)."""
    found: list[Diagnostic] = []
    if "${" in logical:
        for s, _e, word in words:
            if "${" in word:
                found += [_unclosed_reference(s + k) for k in _unclosed(word)]
    if ";" in logical or "||" in logical or "&&" in logical:
        return _split_at_operators(logical, label, words, comment, tuple(found))
    commands = (_command_shape(words, 0),) if words else ()
    return logical, label, commands, (), comment, tuple(found)


def _read_label(logical: str) -> tuple[Span | None, int]:
    """The label (``:name`` after optional whitespace: start, end, name) and where the words start: after
    the one whitespace character that follows a label (src/image/script.c: process_script)."""
    m = len(logical)
    i = 0
    while i < m and logical[i] in _WS:
        i += 1
    if i < m and logical[i] == ":":
        j = i + 1
        while j < m and logical[j] not in _WS:
            j += 1
        return (i, j, logical[i + 1 : j]), j + 1 if j < m else j
    return None, i


# A comment starts at a word starting with '#' (the scan for words starts after whitespace or a label).
_COMMENT_START = re.compile(f"(?<![^{re.escape(_WS)}])#")


def _split_at_operators(
    logical: str,
    label: Span | None,
    words: list[Span],
    comment: Span | None,
    found: tuple[Diagnostic, ...],
) -> Shape:
    """The commands between the operator words ``||``, ``&&``, ``;`` (src/core/exec.c)."""
    commands = []
    operators = []
    current: list[Span] = []
    for item in words:
        if item[2] in _OPERATORS:
            commands.append(_command_shape(current, item[0]))
            operators.append(item)
            current = []
        else:
            current.append(item)
    if operators or current:
        commands.append(_command_shape(current, operators[-1][1] if operators else 0))
    return logical, label, tuple(commands), tuple(operators), comment, found


def _command_shape(words: list[Span], empty_pos: int) -> tuple[int, int, str | None, list[Span]]:
    if not words:
        return empty_pos, empty_pos, None, words
    first = words[0][2]
    literal = "${" not in first or is_literal_text(first)
    return words[0][0], words[-1][1], first if literal else None, words


def build_line(shape: Shape, index: int, start: int, end: int, first: int, text: str) -> LogicalLine:
    """The tree of a one-physical-line line from its shape, at ``start`` of ``text`` (words' ``parts``
    and the line's ``_tokens`` are left for first use: see ``Word`` and ``LogicalLine``)."""
    logical, label, command_shapes, operator_shapes, comment, _found = shape
    line = _new(LogicalLine)
    anchor = _new(Anchor)
    anchor.offset = start
    line.index = index
    line.anchor = anchor
    line.length = end - start
    line.first_line = line.last_line = first
    line.text = logical
    line._source = text
    line.unterminated = False
    if label is None:
        line.label = None
    else:
        node = line.label = _new(Label)
        node.anchor = anchor
        node._s, node._e, node.name = label
    if comment is None:
        line.comment = None
    else:
        note = line.comment = _new(Comment)
        note.anchor = anchor
        note._s, note._e, note.text = comment
    operators = line.operators = []
    for s, e, op in operator_shapes:
        operator = _new(Operator)
        operator.anchor, operator._s, operator._e, operator.text = anchor, s, e, op
        operators.append(operator)
    commands = line.commands = []
    for s, e, name, word_shapes in command_shapes:
        command = _new(Command)
        command.anchor, command._s, command._e, command.name = anchor, s, e, name
        words = command.words = []
        for ws, we, wt in word_shapes:
            word = _new(Word)
            word.anchor, word._s, word._e, word.text = anchor, ws, we, wt
            words.append(word)
        commands.append(command)
    return line


def detect_magic(text: str) -> str | None:
    """``#!ipxe``/``#!gpxe`` in bytes 0-5 and whitespace in byte 6 (src/image/script.c: script_probe)."""
    if len(text) >= 7 and text[:6] in MAGICS and text[6] in _WS:
        return text[:6]
    return None


def physical_line_starts(text: str) -> list[int]:
    starts = [0]
    find = text.find
    i = find("\n")
    while i >= 0:
        starts.append(i + 1)
        i = find("\n", i + 1)
    return starts


def split_logical_lines(text: str, pos: int) -> Iterator[RawLine]:
    """Logical lines from ``pos`` on, as ``process_script`` accumulates them.

    Each kept segment is a [start, end) slice of ``text``; CRs and continuation backslashes that iPXE
    strips are left out of the segments (they become trivia).
    """
    n = len(text)
    find = text.find
    first = True
    while first or pos < n:  # do { ... } while ( script_offset < len )
        first = False
        start = pos
        segs: list[list[int]] = []
        unterminated = False
        while True:
            eol = find("\n", pos)
            frag_end = eol if eol >= 0 else n
            segs.append([pos, frag_end])
            pos = frag_end + 1
            _strip_last_char(text, segs, "\r")  # one trailing CR of the whole buffer
            if _last_char(text, segs) == "\\":
                _strip_last_char(text, segs, "\\")
                if pos >= n:  # `continue` re-tests the loop condition: EOF inside a continuation
                    unterminated = True
                    break
                continue
            break
        yield start, min(pos, n), segs, unterminated


def _last_char(text: str, segs: list[list[int]]) -> str:
    for seg in reversed(segs):
        if seg[1] > seg[0]:
            return text[seg[1] - 1]
    return ""


def _strip_last_char(text: str, segs: list[list[int]], char: str) -> None:
    for seg in reversed(segs):
        if seg[1] > seg[0]:
            if text[seg[1] - 1] == char:
                seg[1] -= 1
            return


def _mapper(segs: list[list[int]]) -> tuple[str, Callable[[int], int]] | None:
    """For a line joined from several segments: logical offset -> source offset."""
    kept = [s for s in segs if s[1] > s[0]]
    if len(kept) <= 1:
        return None
    logical_starts = []
    total = 0
    for s in kept:
        logical_starts.append(total)
        total += s[1] - s[0]

    def to_source(i: int) -> int:
        k = bisect.bisect_right(logical_starts, i) - 1
        if k < 0:
            k = 0
        return kept[k][0] + (i - logical_starts[k])

    return "", to_source


def parse_logical_line(
    text: str, raw: RawLine, index: int, script: Script | None = None, first_line: int | None = None
) -> LogicalLine:
    """One logical line's tree. ``first_line`` (its first physical line) saves a search when the
    caller counts lines as it goes; otherwise ``script`` gives it."""
    start, end, segs, unterminated = raw
    if first_line is None:
        first_line = script.position(start)[0] if script is not None else 0
        last_line = script.position(max(start, end - 1))[0] if script is not None else 0
    else:
        last_line = first_line + len(segs) - 1
    if len(segs) == 1:
        a, b = segs[0]
        if "\x00" not in text[a:b]:
            line = build_line(read_shape(text[a:b]), index, start, end, first_line, text)
            line.unterminated = unterminated
            return line
    if len(segs) == 1:
        a, b = segs[0]
        logical = text[a:b]
        base = a

        def src(i: int) -> int:
            return base + i

        def src_end(i: int) -> int:
            return base + i

    else:
        logical = "".join(text[a:b] for a, b in segs)
        mapped = _mapper(segs)
        if mapped is None:
            base = next((s[0] for s in segs if s[1] > s[0]), segs[0][0])

            def src(i: int) -> int:
                return base + i

            def src_end(i: int) -> int:
                return base + i

        else:
            to_source = mapped[1]

            def src(i: int) -> int:
                return to_source(i)

            def src_end(i: int) -> int:  # end offsets map from the character before them
                return to_source(i - 1) + 1 if i > 0 else to_source(0)

    line = LogicalLine(index, start, end, first_line, last_line, logical, unterminated=unterminated)
    anchor = line.anchor
    tokens: list[Token] = []

    # Text after a NUL byte never reaches the command splitter (the line is a C string).
    nul = logical.find("\x00")
    if nul >= 0:
        ignored = Trivia(src(nul), src_end(len(logical)), "ignored", anchor)
        logical = logical[:nul]
        line.text = logical
    else:
        ignored = None

    m = len(logical)
    label, i = _read_label(logical)
    if label is not None:
        line.label = Label(src(label[0]), src_end(label[1]), label[2], anchor)
        tokens.append(line.label)

    current: list[Word] = []
    seen_any = False
    for match in _WORD_RE.finditer(logical, i):
        s, e = match.span()
        word_text = match.group()
        seen_any = True
        if word_text[0] == "#":
            line.comment = Comment(src(s), src_end(m), logical[s:m], anchor)
            tokens.append(line.comment)
            break
        if word_text in _OPERATORS:
            op = Operator(src(s), src_end(e), word_text, anchor)
            line.commands.append(_command(current, op.start, anchor))
            line.operators.append(op)
            tokens.append(op)
            current = []
            continue
        word = Word(src(s), src_end(e), word_text, word_parts(word_text, s, src, src_end, anchor), anchor)
        current.append(word)
        tokens.append(word)
    if line.operators or current:
        tail_pos = line.operators[-1].end if line.operators else (current[0].start if current else 0)
        line.commands.append(_command(current, tail_pos, anchor))
    del seen_any

    if ignored is not None:
        tokens.append(ignored)
    line._tokens = tokens
    line._source = text
    return line


def _command(words: list[Word], empty_pos: int, anchor: Anchor) -> Command:
    if words:
        return Command(words[0].start, words[-1].end, words, anchor)
    return Command(empty_pos, empty_pos, [], anchor)


def line_diagnostics(line: LogicalLine) -> Iterator[Diagnostic]:
    """Problems the reader itself sees: a dropped final line, NUL bytes, unterminated ``${``."""
    if line.unterminated:
        yield Diagnostic(
            "IPX002",
            Severity.ERROR,
            "the file ends inside a backslash continuation: iPXE never runs this line and the script "
            "fails with 'Invalid argument'; remove the trailing '\\' or add the missing line",
            line.start,
            line.end,
        )
    for tok in line._tokens:  # the meaningful tokens: whitespace holds nothing to report
        if isinstance(tok, Trivia) and tok.kind == "ignored":
            yield Diagnostic(
                "IPX004",
                Severity.WARNING,
                "NUL byte: iPXE reads a line as a C string, so everything after it on this line is ignored",
                tok.start,
                tok.end,
            )
        elif isinstance(tok, Word) and "${" in tok.text:
            for start in _unterminated_refs(tok):
                yield _unclosed_reference(start)


def _unclosed_reference(start: int) -> Diagnostic:
    return Diagnostic(
        "IPX401",
        Severity.WARNING,
        "'${' is never closed by '}', so iPXE keeps it as literal text; add the closing '}'",
        start,
        start + 2,
    )


_BRACES = re.compile(r"\$\{|\}")


def _unclosed(word: str) -> list[int]:
    """Offsets in ``word`` of every ``${`` no ``}`` closes (iPXE keeps it as literal text): the pairing
    of ``word_parts``, without building the parts."""
    if word.count("${") == 1:  # the common case: closed if any '}' follows it
        at = word.find("${")
        return [] if word.find("}", at + 2) >= 0 else [at]
    open_at: list[int] = []
    for brace in _BRACES.finditer(word):
        if brace.group() == "${":
            open_at.append(brace.start())
        elif open_at:
            open_at.pop()
    return open_at


def _unterminated_refs(word: Word) -> Iterator[int]:
    """Source offsets of every ``${`` that ends up as literal text."""
    if word.end - word.start == len(word.text):  # no splice inside: logical offset i is start + i
        start = word.start
        yield from (start + k for k in _unclosed(word.text))
        return

    def walk(parts: list[Part]) -> Iterator[int]:
        for p in parts:
            if isinstance(p, Literal):
                k = p.value.find("${")
                while k >= 0:
                    yield p.start + k if p.end - p.start == len(p.value) else p.start
                    k = p.value.find("${", k + 2)
            else:
                yield from walk(p.parts)

    yield from walk(word.parts)
