"""Options and positionals of one command, read the way iPXE's getopt does (src/core/getopt.c).

Options count only before the first positional; ``--`` ends them; ``--long=value``, ``--long value``,
``-xvalue``, ``-x value`` and bundled flags (``-ar``) are accepted. A word whose text starts with a
``${...}`` reference is taken as a positional (its value is unknown until run time). The core's own
diagnostics for bad options come from ``ipxescript.analysis``; this view is what the rules need to
find option values and positionals, and it never reports anything itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ipxescript.catalog import CommandSpec, OptionSpec
from ipxescript.syntax.tree import Command, Literal, Word


class OptionValue:
    """One option as written: ``word`` is the option word, value text/range when it takes one.

    ``start``/``end`` (the range of the value, or of the option word for flags) are anchored to the
    word's line like every tree node, so a binding stays right when an edit elsewhere moves the line."""

    __slots__ = ("name", "word", "value", "value_word", "_s", "_e")

    def __init__(
        self, name: str, word: Word, value: str | None, start: int, end: int, value_word: Word | None = None
    ) -> None:
        self.name = name  # long name without dashes ("timeout")
        self.word = word
        self.value = value
        self.value_word = value_word  # the separate word holding the value, if any
        self._s = start - word.anchor.offset
        self._e = end - word.anchor.offset

    @property
    def start(self) -> int:
        return self.word.anchor.offset + self._s

    @property
    def end(self) -> int:
        return self.word.anchor.offset + self._e

    def _key(self) -> tuple[object, ...]:
        return (self.name, self.word, self.value, self.start, self.end, self.value_word)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, OptionValue) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash((self.name, self.value, self.start, self.end))

    def __repr__(self) -> str:
        return (
            f"OptionValue(name={self.name!r}, word={self.word!r}, value={self.value!r}, "
            f"start={self.start}, end={self.end}, value_word={self.value_word!r})"
        )


@dataclass(slots=True)
class BoundCommand:
    command: Command
    spec: CommandSpec | None
    name: str | None = None  # the literal command name (None for ${...} or an empty command)
    options: list[OptionValue] = field(default_factory=list)
    positionals: list[Word] = field(default_factory=list)
    option_words: list[Word] = field(default_factory=list)  # words consumed as options/values

    def option(self, name: str) -> OptionValue | None:
        """The last occurrence of an option (iPXE keeps the last value), by long name."""
        found = None
        for opt in self.options:
            if opt.name == name:
                found = opt
        return found

    def has(self, name: str) -> bool:
        return any(opt.name == name for opt in self.options)


def _value_range(word: Word, offset: int) -> tuple[int, int]:
    """Source range of word.text[offset:], exact when the word has no continuation splice."""
    if word.end - word.start == len(word.text):
        return word.start + offset, word.end
    return word.start, word.end


_TABLES: dict[int, tuple[CommandSpec, dict[str, OptionSpec]]] = {}


def _option_table(spec: CommandSpec) -> dict[str, OptionSpec]:
    """``--long`` and ``-x`` -> option, including the implicit ``--help``; made once per spec, kept by
    the spec's identity (hashing a spec hashes every option of it: once per command bound)."""
    found = _TABLES.get(id(spec))
    if found is None or found[0] is not spec:
        table: dict[str, OptionSpec] = {}
        for opt in spec.all_options:
            table[opt.long] = opt
            table[opt.short] = opt
        found = _TABLES[id(spec)] = (spec, table)
    return found[1]


def bind(command: Command, spec: CommandSpec | None) -> BoundCommand:
    words = command.args
    if spec is None or not words or words[0].text[:1] != "-":  # no options (most commands), or unknown
        return BoundCommand(command, spec, command.name, [], words, [])
    bound = BoundCommand(command, spec, command.name)
    table = _option_table(spec)
    i = 0
    while i < len(words):
        word = words[i]
        text = word.text
        if not text.startswith("-") or text == "-" or not _starts_literal(word):
            break
        bound.option_words.append(word)
        i += 1
        if text == "--":
            break
        if text.startswith("--"):
            name, eq, inline = text[2:].partition("=")
            opt = table.get("--" + name)
            if opt is None:
                continue
            if opt.takes_argument and not eq:
                i = _next_word_value(bound, opt, word, words, i)
            elif opt.takes_argument:
                start, end = _value_range(word, 3 + len(name))
                bound.options.append(OptionValue(opt.name, word, inline, start, end))
            else:
                bound.options.append(OptionValue(opt.name, word, None, word.start, word.end))
            continue
        j = 1
        while j < len(text):
            opt = table.get("-" + text[j])
            if opt is None:
                j += 1
                continue
            if opt.takes_argument:
                if j + 1 < len(text):
                    start, end = _value_range(word, j + 1)
                    bound.options.append(OptionValue(opt.name, word, text[j + 1 :], start, end))
                else:
                    i = _next_word_value(bound, opt, word, words, i)
                break
            bound.options.append(OptionValue(opt.name, word, None, word.start, word.end))
            j += 1
    bound.positionals = list(words[i:])
    return bound


def _next_word_value(bound: BoundCommand, opt: OptionSpec, word: Word, words: list[Word], i: int) -> int:
    """An option whose value is the next word (getopt: one that does not start with ``-``); a
    missing value leaves the option without one. Returns the index of the word after."""
    if i < len(words) and not words[i].text.startswith("-"):
        value_word = words[i]
        bound.option_words.append(value_word)
        bound.options.append(
            OptionValue(opt.name, word, value_word.text, value_word.start, value_word.end, value_word)
        )
        return i + 1
    bound.options.append(OptionValue(opt.name, word, None, word.start, word.end))
    return i


def _starts_literal(word: Word) -> bool:
    return isinstance(word.text_parts[0], Literal)
