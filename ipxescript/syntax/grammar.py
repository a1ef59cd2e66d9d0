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
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import lark


@functools.cache
def grammar_text() -> str:
    import ipxescript.grammar  # the package holding the grammar file (grammar/ in a checkout)

    return Path(ipxescript.grammar.__file__).with_name("ipxe.lark").read_text(encoding="utf-8")


@functools.cache
def lark_parser() -> lark.Lark:
    """The whole-file LALR parser of ``ipxe.lark`` (the reference the fast parser is tested against)."""
    import lark  # here, not at the top: a plain lint never needs Lark or its tables

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


# A terminal written as a regular expression: ``NAME: /regex/flags`` or ``NAME.priority: /regex/flags``.
_REGEX_TERMINAL = re.compile(
    r"^(?P<name>[A-Z_][A-Z0-9_]*)(?:\.\d+)?:[ \t]*/(?P<pattern>.*)/(?P<flags>[imslux]*)[ \t]*$", re.M
)


@functools.cache
def terminal_regexps() -> dict[str, str]:
    """Every ``NAME: /regex/`` terminal of ``ipxe.lark`` as regex text, read from the file itself: the
    fast parser needs a few terminals, not Lark (whose import and tables cost more than linting a
    small script). A test holds these to the terminals Lark reads from the same file."""
    out = {}
    for m in _REGEX_TERMINAL.finditer(grammar_text()):
        flags = m["flags"]
        out[m["name"]] = f"(?{flags}:{m['pattern']})" if flags else m["pattern"]
    return out


@functools.cache
def terminals() -> Terminals:
    defs = terminal_regexps()
    word_run = re.compile(defs["WORD_RUN"])
    whitespace = "".join(chr(c) for c in range(128) if not word_run.fullmatch(chr(c)))
    operator = re.compile(defs["OPERATOR"])
    punct = string.punctuation
    candidates = list(punct) + [a + b for a in punct for b in punct]
    operators = frozenset(c for c in candidates if operator.fullmatch(c + " ") or operator.fullmatch(c))
    space = re.compile(r"[" + re.escape(whitespace) + r"]+")
    return Terminals(word_run, space, whitespace, operators)
