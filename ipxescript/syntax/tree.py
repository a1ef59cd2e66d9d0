"""The syntax tree of an iPXE script.

Every node records where it came from as character offsets into ``Script.text`` (``start``..``end``,
end exclusive). Offsets are in the *source* text, so a word joined across a backslash continuation
spans the ``\\`` and the newline too; its ``text`` is the joined, logical text that iPXE sees.
``Script.position(offset)`` gives the 0-based (line, column) of an offset; ``Script.byte_offset(offset)``
the offset in the original bytes.

The tree keeps every character: each logical line holds its pieces in ``tokens`` (words, operators,
the label, the comment, whitespace, continuation splices and the line ending), and concatenating the
``text`` of all tokens of all lines gives the source back unchanged (``Script.unparse()``).
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ipxescript.analysis.diagnostics import Diagnostic


class Anchor:
    """The source offset of one logical line. Nodes store offsets relative to their line's anchor,
    so moving a line after an edit elsewhere is one assignment (see syntax/incremental.py)."""

    __slots__ = ("offset",)

    def __init__(self, offset: int = 0) -> None:
        self.offset = offset


_ZERO = Anchor(0)


class Node:
    """Base of all positioned nodes: ``start``/``end`` are absolute offsets into ``Script.text``."""

    __slots__ = ("anchor", "_s", "_e")

    def __init__(self, start: int, end: int, anchor: Anchor | None = None) -> None:
        self.anchor = anchor or _ZERO
        self._s = start - self.anchor.offset
        self._e = end - self.anchor.offset

    @property
    def start(self) -> int:
        return self.anchor.offset + self._s

    @start.setter
    def start(self, value: int) -> None:
        self._s = value - self.anchor.offset

    @property
    def end(self) -> int:
        return self.anchor.offset + self._e

    @end.setter
    def end(self, value: int) -> None:
        self._e = value - self.anchor.offset

    def __repr__(self) -> str:
        fields = [f"{self.start}:{self.end}"]
        for name in getattr(self, "_repr_fields", ()):
            fields.append(f"{name}={getattr(self, name)!r}")
        return f"{type(self).__name__}({', '.join(fields)})"

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        names = ("start", "end", *getattr(self, "_repr_fields", ()))
        return all(getattr(self, n) == getattr(other, n) for n in names)

    __hash__ = None  # type: ignore[assignment]


# iPXE's isspace(): the only characters that separate words (src/core/ctype.c: isspace).
WHITESPACE = " \t\n\v\f\r"
OPERATORS = ("||", "&&", ";")


class Literal(Node):
    """Plain text inside a word (or inside a reference)."""

    __slots__ = ("value",)
    _repr_fields = ("value",)

    def __init__(self, start: int, end: int, value: str, anchor: Anchor | None = None) -> None:
        Node.__init__(self, start, end, anchor)
        self.value = value  # logical text (continuation splices removed)


class Reference(Node):
    """``${...}``: replaced by a setting's value when the command runs.

    ``parts`` is what stands between ``${`` and ``}``: literals and nested references. When the inner
    text has no nested reference, ``name`` is parsed as iPXE does: ``[block/]setting[:type]``.
    """

    __slots__ = ("parts",)
    _repr_fields = ("parts",)

    def __init__(
        self, start: int, end: int, parts: list[Literal | Reference], anchor: Anchor | None = None
    ) -> None:
        Node.__init__(self, start, end, anchor)
        self.parts = parts

    @property
    def inner(self) -> str:
        """The text between the braces, nested references written out."""
        return "".join(p.value if isinstance(p, Literal) else "${" + p.inner + "}" for p in self.parts)

    @property
    def is_static(self) -> bool:
        """True when the setting name is known without expanding anything."""
        return all(isinstance(p, Literal) for p in self.parts)

    @property
    def block(self) -> str | None:
        """``net0`` in ``${net0/mac:hexhyp}``; None without a block prefix."""
        inner = self.inner
        return inner.split("/", 1)[0] if "/" in inner else None

    @property
    def setting(self) -> str:
        """``mac`` in ``${net0/mac:hexhyp}``."""
        inner = self.inner
        rest = inner.split("/", 1)[1] if "/" in inner else inner
        return rest.split(":", 1)[0]

    @property
    def type(self) -> str | None:
        """``hexhyp`` in ``${net0/mac:hexhyp}``; None without a type."""
        inner = self.inner
        rest = inner.split("/", 1)[1] if "/" in inner else inner
        return rest.split(":", 1)[1] if ":" in rest else None


Part = Literal | Reference


class Word(Node):
    """A maximal run of non-whitespace characters: literal text and references.

    The parser leaves ``parts`` unset for a word without a continuation splice inside (its logical
    offset i is source offset start + i); it is built from ``text`` on first use: most words are only
    ever read as text."""

    __slots__ = ("text", "parts")
    _repr_fields = ("text", "parts")

    def __init__(
        self, start: int, end: int, text: str, parts: list[Part], anchor: Anchor | None = None
    ) -> None:
        Node.__init__(self, start, end, anchor)
        self.text = text  # logical text, as iPXE sees it before expansion
        self.parts = parts

    if not TYPE_CHECKING:  # (hidden from mypy, which would otherwise accept any attribute name)

        def __getattr__(self, name: str) -> Any:  # called only for a slot never set: ``parts``
            if name != "parts":
                raise AttributeError(name)
            text, anchor, at = self.text, self.anchor, self._s
            if "${" not in text:  # most words: one literal, the whole word
                literal = _new(Literal)
                literal.anchor, literal._s, literal._e, literal.value = anchor, at, self._e, text
                parts: list[Part] = [literal]
            else:  # read once per distinct text (real scripts repeat ``${base-url}/...``), placed here
                parts = _placed(parts_at_zero(text), anchor, at)
            self.parts = parts
            return parts

    @property
    def text_parts(self) -> list[Part]:
        """The parts its text alone gives (``parts_at_zero``), shared by every word with this text:
        for readers of the parts' values and kinds, not of their places (offsets from the word's
        start, no splice mapping). Read-only. Makes no node for this word."""
        return parts_at_zero(self.text)

    @property
    def is_literal(self) -> bool:
        """True when the word contains no reference, so its value is known statically."""
        text = self.text  # asked about a million times per lint of a large tree: no call for most words
        return "${" not in text or is_literal_text(text)

    def references(self) -> Iterator[Reference]:
        """Every reference in the word, outer before inner."""
        stack: list[Part] = list(reversed(self.parts))
        while stack:
            part = stack.pop()
            if isinstance(part, Reference):
                yield part
                stack.extend(reversed(part.parts))


_new = object.__new__
_PARTS_AT_ZERO: dict[str, list[Part]] = {}  # word text -> its parts at offset 0 (``Word.parts``)
_PARTS_KEPT = 100_000


def parts_at_zero(text: str) -> list[Part]:
    """The parts of a word with this text at offsets from the word's start, read once per distinct
    text and shared: read-only (``Word.parts`` places copies of them on a word)."""
    model = _PARTS_AT_ZERO.get(text)
    if model is None:
        if len(_PARTS_AT_ZERO) >= _PARTS_KEPT:
            _PARTS_AT_ZERO.clear()  # a long-lived language server: keep the memory bounded
        model = _PARTS_AT_ZERO[text] = word_parts(text, 0, _same, _same, _ZERO)
    return model


def _placed(parts: list[Part], anchor: Anchor, at: int) -> list[Part]:
    """Copies of ``parts`` (offsets from 0) for a word at ``at`` from ``anchor``."""
    out: list[Part] = []
    for part in parts:
        new = _new(type(part))
        new.anchor, new._s, new._e = anchor, part._s + at, part._e + at
        if isinstance(part, Literal):
            new.value = part.value  # type: ignore[union-attr]
        else:
            new.parts = _placed(part.parts, anchor, at)  # type: ignore[union-attr]
        out.append(new)
    return out


def is_literal_text(word: str) -> bool:
    """True when ``word`` holds no reference: no ``}`` after its first ``${`` (the first ``}`` after an
    open ``${`` always closes one, see ``word_parts``)."""
    i = word.find("${")
    return i < 0 or word.find("}", i + 2) < 0


def _same(offset: int) -> int:
    return offset


def word_parts(
    word: str, base: int, src: Callable[[int], int], src_end: Callable[[int], int], anchor: Anchor
) -> list[Part]:
    """Split a word into literal text and ``${...}`` references. ``base`` is the word's offset in its
    logical line; ``src``/``src_end`` map a logical offset to a source start/end offset.

    iPXE expands the innermost ``${...}`` first (the most recent ``${`` before the first ``}``), so a
    stack pairs each ``}`` with the latest open ``${``; an ``${`` never closed stays literal text and a
    ``}`` with nothing open is literal (src/core/settings.c: expand_settings).
    """
    if "${" not in word:
        return [Literal(src(base), src_end(base + len(word)), word, anchor)]
    if word.count("${") == 1:  # most words with a reference: one, not nested
        return _one_reference(word, base, src, src_end, anchor)
    return _nested_parts(word, base, src, src_end, anchor)


def _nested_parts(
    word: str, base: int, src: Callable[[int], int], src_end: Callable[[int], int], anchor: Anchor
) -> list[Part]:
    """``word_parts`` of any word: the pairing of every ``${`` and ``}``, as iPXE expands them."""
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


def _one_reference(
    word: str, base: int, src: Callable[[int], int], src_end: Callable[[int], int], anchor: Anchor
) -> list[Part]:
    """``word_parts`` of a word with one ``${``: closed by the first ``}`` after it, else literal text
    (a ``}`` before it closes nothing)."""
    n = len(word)
    at = word.find("${")
    close = word.find("}", at + 2)
    if close < 0:
        return [Literal(src(base), src_end(base + n), word, anchor)]
    parts: list[Part] = []
    if at > 0:
        parts.append(Literal(src(base), src_end(base + at), word[:at], anchor))
    inner: list[Part] = []
    if close > at + 2:
        inner.append(Literal(src(base + at + 2), src_end(base + close), word[at + 2 : close], anchor))
    parts.append(Reference(src(base + at), src_end(base + close + 1), inner, anchor))
    if close + 1 < n:
        parts.append(Literal(src(base + close + 1), src_end(base + n), word[close + 1 :], anchor))
    return parts


class Operator(Node):
    """``||``, ``&&`` or ``;`` standing as a whole word."""

    __slots__ = ("text",)
    _repr_fields = ("text",)

    def __init__(self, start: int, end: int, text: str, anchor: Anchor | None = None) -> None:
        Node.__init__(self, start, end, anchor)
        self.text = text


class Command(Node):
    """The words between operators. ``words`` may be empty (``a || `` has an empty second command)."""

    __slots__ = ("words", "name")
    _repr_fields = ("words",)

    def __init__(self, start: int, end: int, words: list[Word], anchor: Anchor | None = None) -> None:
        Node.__init__(self, start, end, anchor)
        self.words = words
        # the command name when it is written literally; None for an empty command or ``${c} ...``
        # (read by every rule for every command: kept, not recomputed)
        self.name: str | None = words[0].text if words and words[0].is_literal else None

    @property
    def args(self) -> list[Word]:
        return self.words[1:]


class Label(Node):
    """``:name`` at the start of a logical line. ``name`` may be empty (a bare ``:``)."""

    __slots__ = ("name",)
    _repr_fields = ("name",)

    def __init__(self, start: int, end: int, name: str, anchor: Anchor | None = None) -> None:
        Node.__init__(self, start, end, anchor)
        self.name = name


class Comment(Node):
    """A word starting with ``#`` and everything after it on the logical line."""

    __slots__ = ("text",)
    _repr_fields = ("text",)

    def __init__(self, start: int, end: int, text: str, anchor: Anchor | None = None) -> None:
        Node.__init__(self, start, end, anchor)
        self.text = text


class Trivia(Node):
    """Text that carries no meaning of its own: whitespace, a continuation splice, the line ending,
    or text iPXE never sees (after a NUL byte). ``kind`` is one of: space, splice, eol, ignored."""

    __slots__ = ("kind",)
    _repr_fields = ("kind",)

    def __init__(self, start: int, end: int, kind: str, anchor: Anchor | None = None) -> None:
        Node.__init__(self, start, end, anchor)
        self.kind = kind


Token = Word | Operator | Label | Comment | Trivia


def _trivia(text: str, a: int, b: int, line_end: int, anchor: Anchor) -> Trivia:
    gap = text[a:b]
    if b == line_end and gap.endswith("\n") and gap.count("\n") == 1 and "\\" not in gap:
        return Trivia(a, b, "eol", anchor)
    if "\n" in gap or "\\" in gap:
        return Trivia(a, b, "splice", anchor)
    return Trivia(a, b, "space", anchor)


class LogicalLine:
    """One line as iPXE executes it: physical lines joined by backslash continuations.

    ``first_line``/``last_line`` are the 0-based physical lines it covers. ``commands`` and
    ``operators`` alternate: commands[0] operators[0] commands[1] ... (len(commands) ==
    len(operators) + 1 when the line has any command text, else both are empty). ``start``/``end``
    (just past the line ending) are absolute offsets; the nodes inside are anchored to ``start``.
    """

    __slots__ = (
        "index", "anchor", "length", "first_line", "last_line", "text", "_tokens", "_source", "label", "commands",
        "operators", "comment", "unterminated",
    )  # fmt: skip

    def __init__(
        self,
        index: int,
        start: int,
        end: int,
        first_line: int,
        last_line: int,
        text: str,
        tokens: list[Token] | None = None,
        label: Label | None = None,
        commands: list[Command] | None = None,
        operators: list[Operator] | None = None,
        comment: Comment | None = None,
        unterminated: bool = False,
    ) -> None:
        self.index = index  # position in Script.lines
        self.anchor = Anchor(start)
        self.length = end - start
        self.first_line = first_line
        self.last_line = last_line
        self.text = text  # the logical text iPXE executes (joined, CR stripped, cut at NUL), no line ending
        # meaningful tokens (label, words, operators, comment, ignored text); whitespace is added lazily
        self._tokens: list[Token] = tokens if tokens is not None else []
        self._source: str | None = None  # the script text, set by the parser for lazy trivia
        self.label = label
        self.commands: list[Command] = commands if commands is not None else []
        self.operators: list[Operator] = operators if operators is not None else []
        self.comment = comment
        self.unterminated = unterminated  # the file ended inside a continuation: iPXE never runs it

    if not TYPE_CHECKING:  # (hidden from mypy, which would otherwise accept any attribute name)

        def __getattr__(self, name: str) -> Any:  # called only for a slot never set: ``_tokens``
            if name != "_tokens":
                raise AttributeError(name)
            tokens = self._tokens = meaningful_tokens(self)
            return tokens

    @property
    def start(self) -> int:
        return self.anchor.offset

    @property
    def end(self) -> int:
        return self.anchor.offset + self.length

    @property
    def tokens(self) -> list[Token]:
        """Every piece of the line in order, whitespace, splices and line ending included."""
        text = self._source
        if text is None:
            return self._tokens
        out: list[Token] = []
        pos = self.start
        end = self.end
        for tok in self._tokens:
            if tok.start > pos:
                out.append(_trivia(text, pos, tok.start, end, self.anchor))
            out.append(tok)
            pos = max(pos, tok.end)
        if pos < end:
            out.append(_trivia(text, pos, end, end, self.anchor))
        return out

    @property
    def words(self) -> list[Word]:
        return [word for command in self.commands for word in command.words]

    def source(self, script_text: str) -> str:
        return script_text[self.start : self.end]

    def __repr__(self) -> str:
        return f"LogicalLine({self.index}, {self.start}:{self.end}, {self.text!r})"


def meaningful_tokens(line: LogicalLine) -> list[Token]:
    """The label, words, operators and comment of a line in text order (commands and operators
    alternate). The parser leaves ``_tokens`` unset for the lines it builds from a shared shape."""
    tokens: list[Token] = [line.label] if line.label is not None else []
    operators = line.operators
    for i, command in enumerate(line.commands):
        tokens += command.words
        if i < len(operators):
            tokens.append(operators[i])
    if line.comment is not None:
        tokens.append(line.comment)
    return tokens


def line_index(lines: list[LogicalLine], offset: int) -> int:
    """Index of the line whose span holds ``offset`` (lines sorted by start), -1 before the first."""
    lo, hi = 0, len(lines)
    while lo < hi:  # bisect on line starts without building a list of them
        mid = (lo + hi) // 2
        if lines[mid].start <= offset:
            lo = mid + 1
        else:
            hi = mid
    return lo - 1


@dataclass(slots=True)
class Script:
    text: str
    path: str | None
    lines: list[LogicalLine]
    diagnostics: list[Diagnostic]
    magic: str | None  # "#!ipxe" or "#!gpxe" when the file is a script by iPXE's probe, else None
    line_starts: list[int]  # offset of the first character of each physical line
    encoding_errors: bool = False  # the bytes were not valid UTF-8 (kept losslessly, see decode_source)

    def position(self, offset: int) -> tuple[int, int]:
        """0-based (line, column) of a character offset."""
        line = bisect.bisect_right(self.line_starts, offset) - 1
        return line, offset - self.line_starts[line]

    def offset(self, line: int, column: int) -> int:
        """Character offset of a 0-based (line, column); clamped to the text."""
        if line >= len(self.line_starts):
            return len(self.text)
        start = self.line_starts[line]
        end = self.line_starts[line + 1] if line + 1 < len(self.line_starts) else len(self.text)
        return min(start + column, end)

    def byte_offset(self, offset: int) -> int:
        """Offset in the original bytes (UTF-8, undecodable bytes counted as one each)."""
        from ipxescript.syntax.source import encode_source

        return len(encode_source(self.text[:offset]))

    def line_at(self, offset: int) -> LogicalLine | None:
        """The logical line containing a character offset."""
        i = line_index(self.lines, offset)
        return self.lines[i] if i >= 0 else None

    def commands(self) -> Iterator[tuple[LogicalLine, Command]]:
        """Every non-empty command of the script, in order."""
        for line in self.lines:
            for command in line.commands:
                if command.words:
                    yield line, command

    def labels(self) -> Iterator[Label]:
        for line in self.lines:
            if line.label is not None:
                yield line.label

    def unparse(self) -> str:
        """The source text rebuilt from the tokens: equal to ``text`` for any input."""
        return "".join(self.text[t.start : t.end] for line in self.lines for t in line.tokens)
