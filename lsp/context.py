"""Where the cursor is, in iPXE terms: which command, which word, option or positional, inside ``${``."""

from __future__ import annotations

from dataclasses import dataclass, field

from ipxescript.catalog import CommandSpec, OptionSpec
from ipxescript.lsp.index import command_of, line_at, reference_at
from ipxescript.syntax.tree import Command, Comment, Label, LogicalLine, Operator, Reference, Script, Word


@dataclass
class Cursor:
    offset: int
    line: LogicalLine | None
    command: Command | None = None  # the command the cursor is in (None at a new command's start)
    word: Word | None = None  # the word the cursor is in or right after
    before: list[Word] = field(default_factory=list)  # words of the command before the cursor's word
    prefix: str = ""  # text of the cursor's word up to the cursor
    in_comment: bool = False
    in_label: bool = False
    reference: Reference | None = None  # innermost ${...} around the cursor (closed)
    open_reference: str | None = None  # text after an unclosed "${" before the cursor

    @property
    def word_index(self) -> int:
        """0 for the command name, 1.. for arguments."""
        return len(self.before)

    @property
    def command_name(self) -> str | None:
        if self.before:
            return self.before[0].text if self.before[0].is_literal else None
        return None


def cursor_at(script: Script, offset: int) -> Cursor:
    line = line_at(script, offset)
    cursor = Cursor(offset, line)
    if line is None:
        return cursor
    words: list[Word] = []
    for token in line.tokens:
        if token.start > offset:
            break
        if isinstance(token, Word):
            if offset <= token.end:
                cursor.word = token
                break
            words.append(token)
        elif token.start == offset:
            break
        elif isinstance(token, Comment):
            cursor.in_comment = True
            return cursor
        elif isinstance(token, Label):
            if offset <= token.end:
                cursor.in_label = True
                return cursor
        elif isinstance(token, Operator) and token.end < offset:
            words = []
    cursor.before = words
    anchor = cursor.word or (words[0] if words else None)
    cursor.command = command_of(line, anchor) if anchor is not None else None
    if cursor.word is not None:
        word = cursor.word
        source = script.text[word.start : offset]
        cursor.prefix = source
        cursor.reference = reference_at(word, offset)
        opened = source.rfind("${")
        if opened >= 0 and "}" not in source[opened:]:
            cursor.open_reference = source[opened + 2 :]
    return cursor


def option_named(spec: CommandSpec, text: str) -> OptionSpec | None:
    """The option a word (perhaps still being typed) names: ``--name[=value]`` or ``-x`` (the first
    short option of a bundle)."""
    if not text.startswith("-") or text == "--":
        return None
    name = text.split("=", 1)[0]
    return spec.option(name) if name.startswith("--") else spec.option(name[:2])
