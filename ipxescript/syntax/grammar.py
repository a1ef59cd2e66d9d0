"""Loading ``grammar/ipxe.lark``: its terminals for the fast parser, and the full Lark LALR parser.

The grammar file is the single definition of the language's tokens. ``terminals()`` derives from it
what the fast parser needs (the word pattern, the whitespace set, the operator words), so changing a
terminal there changes both parsers.
"""

from __future__ import annotations

import functools
import re
import string
from dataclasses import dataclass
from importlib import resources
from typing import Any

import lark


@functools.cache
def grammar_text() -> str:
    return (resources.files("ipxescript.grammar") / "ipxe.lark").read_text(encoding="utf-8")


@functools.cache
def lark_parser() -> lark.Lark:
    """The whole-file LALR parser of ``ipxe.lark`` (the reference the fast parser is tested against)."""
    return lark.Lark(
        grammar_text(),
        start=["start", "logical_line"],
        parser="lalr",
        lexer="contextual",
        propagate_positions=True,
    )


def parse_with_lark(text: str) -> Any:
    """A Lark parse tree of ``text`` (raises lark's exceptions on text the grammar rejects)."""
    return lark_parser().parse(text, start="start")


@dataclass(frozen=True)
class Terminals:
    word: re.Pattern[str]  # a maximal run of non-whitespace in a logical line
    space: re.Pattern[str]
    whitespace_chars: str
    operators: frozenset[str]


@functools.cache
def terminals() -> Terminals:
    defs = {t.name: t for t in lark_parser().terminals}
    word_run = re.compile(defs["WORD_RUN"].pattern.to_regexp())
    whitespace = "".join(chr(c) for c in range(128) if not word_run.fullmatch(chr(c)))
    operator = re.compile(defs["OPERATOR"].pattern.to_regexp())
    punct = string.punctuation
    candidates = list(punct) + [a + b for a in punct for b in punct]
    operators = frozenset(c for c in candidates if operator.fullmatch(c + " ") or operator.fullmatch(c))
    space = re.compile(r"[" + re.escape(whitespace) + r"]+")
    return Terminals(word_run, space, whitespace, operators)
