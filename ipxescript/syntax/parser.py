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
from collections.abc import Callable, Iterator
from dataclasses import replace

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
    Reference,
    Script,
    Token,
    Trivia,
    Word,
    literal_word,
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

    ``memo`` shares the trees of lines already parsed between the scripts of one run (a batch lint of
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


class LineMemo:
    """Trees of one-physical-line lines by their text, with the reader's findings on them (offsets
    from the line's start). A line is parsed once; a line with the same text elsewhere (in the same
    script or another of the run) gets a copy of its tree at its own place (``_copy_line``): the
    tree of a line depends only on its text, and copying is several times cheaper than parsing."""

    __slots__ = ("lines",)

    def __init__(self) -> None:
        self.lines: dict[str, tuple[LogicalLine, tuple[Diagnostic, ...]]] = {}


def _parse(data: str | bytes, path: str | None, memo: LineMemo) -> Script:
    text, encoding_errors = decode_source(data)
    script = Script(
        text=text,
        path=path,
        lines=[],
        diagnostics=[],
        magic=detect_magic(text),
        line_starts=physical_line_starts(text),
        encoding_errors=encoding_errors,
    )
    lines = script.lines
    diagnostics = script.diagnostics
    known = memo.lines
    n = len(text)
    pieces = text.split("\n")
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
        entry = known.get(logical)
        if entry is None:
            line = _plain_line(text, pos, pos + len(logical), pos, end, len(lines), k, k, False)
            found = tuple(line_diagnostics(line)) if "${" in logical else ()
            known[logical] = (line, tuple(replace(d, start=d.start - pos, end=d.end - pos) for d in found))
            diagnostics.extend(found)
        else:
            proto, found = entry
            line = _copy_line(proto, len(lines), pos, end, k, text)
            for d in found:
                diagnostics.append(replace(d, start=d.start + pos, end=d.end + pos))
        lines.append(line)
        k += 1
        pos = end
    return script


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
            return _plain_line(text, a, b, start, end, index, first_line, last_line, unterminated)
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
    i = 0
    while i < m and logical[i] in _WS:
        i += 1
    if i < m and logical[i] == ":":
        j = i + 1
        while j < m and logical[j] not in _WS:
            j += 1
        line.label = Label(src(i), src_end(j), logical[i + 1 : j], anchor)
        tokens.append(line.label)
        i = j + 1 if j < m else j  # the one whitespace character after a label is consumed

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
        word = Word(src(s), src_end(e), word_text, _word_parts(word_text, s, src, src_end, anchor), anchor)
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


def _plain_line(
    text: str, a: int, b: int, start: int, end: int, index: int, first: int, last: int, unterminated: bool
) -> LogicalLine:
    """``parse_logical_line`` for the common line: one physical line, no NUL byte. Logical offset i is
    source offset a + i, so no offset mapping is needed."""
    logical = text[a:b]
    line = LogicalLine(index, start, end, first, last, logical, unterminated=unterminated)
    anchor = line.anchor
    tokens: list[Token] = []
    line._tokens = tokens
    line._source = text
    m = b - a
    i = 0
    if logical[:1] in _WS or logical[:1] == ":":
        while i < m and logical[i] in _WS:
            i += 1
        if i < m and logical[i] == ":":
            j = i + 1
            while j < m and logical[j] not in _WS:
                j += 1
            line.label = Label(a + i, a + j, logical[i + 1 : j], anchor)
            tokens.append(line.label)
            i = j + 1 if j < m else j  # the one whitespace character after a label is consumed
    current: list[Word] = []
    commands = line.commands
    for match in _WORD_RE.finditer(logical, i):
        word_text = match.group()
        s, e = match.span()
        if word_text[0] == "#":
            line.comment = Comment(a + s, b, logical[s:], anchor)
            tokens.append(line.comment)
            break
        if word_text in _OPERATORS:
            op = Operator(a + s, a + e, word_text, anchor)
            commands.append(_command(current, op.start, anchor))
            line.operators.append(op)
            tokens.append(op)
            current = []
            continue
        if "${" in word_text:
            parts = _word_parts(word_text, s, lambda k: a + k, lambda k: a + k, anchor)
            word = Word(a + s, a + e, word_text, parts, anchor)
        else:
            word = literal_word(a + s, a + e, word_text, anchor)
        current.append(word)
        tokens.append(word)
    if line.operators or current:
        tail_pos = line.operators[-1].end if line.operators else current[0].start
        commands.append(_command(current, tail_pos, anchor))
    return line


def _copy_line(proto: LogicalLine, index: int, start: int, end: int, first: int, text: str) -> LogicalLine:
    """A one-physical-line line with the same text as ``proto``, at ``start``: the same tree, new nodes
    anchored to the new line (node offsets are relative to their line, so they carry over)."""
    line = _new(LogicalLine)
    anchor = _new(Anchor)
    anchor.offset = start
    line.index = index
    line.anchor = anchor
    line.length = end - start
    line.first_line = line.last_line = first
    line.text = proto.text
    line._source = text
    line.unterminated = False
    line.label = line.comment = None
    tokens: list[Token] = []
    words: list[Word] = []
    operators: list[Operator] = []
    for tok in proto._tokens:
        cls = type(tok)
        new = _new(cls)
        new.anchor, new._s, new._e = anchor, tok._s, tok._e
        if cls is Word:
            new.text = tok.text  # type: ignore[union-attr]
            new.parts = _copy_parts(tok.parts, anchor)  # type: ignore[union-attr]
            words.append(new)  # type: ignore[arg-type]
        elif cls is Operator:
            new.text = tok.text  # type: ignore[union-attr]
            operators.append(new)  # type: ignore[arg-type]
        elif cls is Label:
            new.name = tok.name  # type: ignore[union-attr]
            line.label = new  # type: ignore[assignment]
        else:  # a Comment: the only other token of a line without a NUL byte
            new.text = tok.text  # type: ignore[union-attr]
            line.comment = new  # type: ignore[assignment]
        tokens.append(new)
    line._tokens = tokens
    line.operators = operators
    commands: list[Command] = []
    w = 0
    for command in proto.commands:
        new_command = _new(Command)
        new_command.anchor, new_command._s, new_command._e = anchor, command._s, command._e
        new_command.name = command.name
        taken = len(command.words)
        new_command.words = words[w : w + taken]
        w += taken
        commands.append(new_command)
    line.commands = commands
    return line


def _copy_parts(parts: list[Part], anchor: Anchor) -> list[Part]:
    out: list[Part] = []
    for part in parts:
        cls = type(part)
        new = _new(cls)
        new.anchor, new._s, new._e = anchor, part._s, part._e
        if cls is Literal:
            new.value = part.value  # type: ignore[union-attr]
        else:
            new.parts = _copy_parts(part.parts, anchor)  # type: ignore[union-attr]
        out.append(new)
    return out


def _command(words: list[Word], empty_pos: int, anchor: Anchor) -> Command:
    if words:
        return Command(words[0].start, words[-1].end, words, anchor)
    return Command(empty_pos, empty_pos, [], anchor)


def _word_parts(
    word: str, base: int, src: Callable[[int], int], src_end: Callable[[int], int], anchor: Anchor
) -> list[Part]:
    """Split a word into literal text and ``${...}`` references.

    iPXE expands the innermost ``${...}`` first (the most recent ``${`` before the first ``}``), so a
    stack pairs each ``}`` with the latest open ``${``; an ``${`` never closed stays literal text and a
    ``}`` with nothing open is literal (src/core/settings.c: expand_settings).
    """
    if "${" not in word:
        return [Literal(src(base), src_end(base + len(word)), word, anchor)]
    # frames: [index of "${" (or -1 for the word), list of (kind, a, b, children)]
    frames: list[tuple[int, list[tuple[str, int, int, list]]]] = [(-1, [])]
    lit_start = 0
    i = 0
    n = len(word)
    while i < n:
        c = word[i]
        if c == "$" and i + 1 < n and word[i + 1] == "{":
            if i > lit_start:
                frames[-1][1].append(("lit", lit_start, i, []))
            frames.append((i, []))
            i += 2
            lit_start = i
            continue
        if c == "}" and len(frames) > 1:
            if i > lit_start:
                frames[-1][1].append(("lit", lit_start, i, []))
            open_at, children = frames.pop()
            frames[-1][1].append(("ref", open_at, i + 1, children))
            i += 1
            lit_start = i
            continue
        i += 1
    if n > lit_start:
        frames[-1][1].append(("lit", lit_start, n, []))
    while len(frames) > 1:  # unterminated "${": literal text, its contents fold into the parent
        open_at, children = frames.pop()
        frames[-1][1].append(("lit", open_at, open_at + 2, []))
        frames[-1][1].extend(children)

    def build(items: list[tuple[str, int, int, list]]) -> list[Part]:
        parts: list[Part] = []
        last_lit_end = -1  # logical end of the previous literal, to merge touching literals
        for kind, a, b, children in items:
            if kind == "lit":
                last = parts[-1] if parts else None
                if isinstance(last, Literal) and last_lit_end == a:
                    last.end = src_end(base + b)
                    last.value += word[a:b]
                else:
                    parts.append(Literal(src(base + a), src_end(base + b), word[a:b], anchor))
                last_lit_end = b
            else:
                parts.append(Reference(src(base + a), src_end(base + b), build(children), anchor))
                last_lit_end = -1
        return parts

    return build(frames[0][1])


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
                yield Diagnostic(
                    "IPX401",
                    Severity.WARNING,
                    "'${' is never closed by '}', so iPXE keeps it as literal text; add the closing '}'",
                    start,
                    start + 2,
                )


def _unterminated_refs(word: Word) -> Iterator[int]:
    """Source offsets of every ``${`` that ends up as literal text."""

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
