"""Hypothesis: for any text the parser never raises, keeps every character, orders its ranges,
agrees with the Lark LALR parse of grammar/ipxe.lark, and incremental edits equal a full parse."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ipxescript
from ipxescript.syntax.grammar import parse_with_lark
from ipxescript.syntax.incremental import Document
from ipxescript.syntax.source import encode_source
from ipxescript.syntax.tree import Literal, Reference

from .dump import dump

PIECES = [
    "echo", "set", "goto", "item", "x", " ", "  ", "\t", "\n", "\r\n", "\r", "\\", "\\\n", "#", ":", "||",
    "&&", ";", "${", "}", "$", "{", "a", "${a}", "\x00", "\v", "é", "\udcff",
]  # fmt: skip
script_text = st.lists(st.sampled_from(PIECES) | st.text(max_size=3), max_size=40).map("".join)
settings.register_profile("ci", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci")


@given(st.binary(max_size=300))
def test_any_bytes_parse_and_round_trip(data: bytes) -> None:
    script = ipxescript.parse(data)
    assert encode_source(script.unparse()) == data


@given(script_text)
def test_any_text_round_trips_with_ordered_ranges(text: str) -> None:
    script = ipxescript.parse(text)
    assert script.unparse() == text
    pos = 0
    for line in script.lines:
        assert line.start == pos
        for tok in line.tokens:
            assert tok.start == pos <= tok.end <= len(text)
            pos = tok.end
        assert pos == line.end
    assert pos == len(text)
    for d in script.diagnostics:
        assert 0 <= d.start <= d.end <= len(text)


def _parts_inside(parts, lo, hi):
    for p in parts:
        assert lo <= p.start <= p.end <= hi
        if isinstance(p, Reference):
            _parts_inside(p.parts, p.start, p.end)
        else:
            assert isinstance(p, Literal)


@given(script_text)
def test_word_parts_nest_inside_their_word(text: str) -> None:
    for line in ipxescript.parse(text).lines:
        for word in line.words:
            _parts_inside(word.parts, word.start, word.end)
            assert (
                "".join(p.value if isinstance(p, Literal) else "${" + p.inner + "}" for p in word.parts)
                == word.text
            )


def _lark_view(text: str):
    """(label, words, operators, comment) per line from the Lark parse, splices removed."""
    import re

    tree = parse_with_lark(text)
    out = []
    for line in tree.children:
        label, items, comment = None, [], None
        for child in line.children:
            if not hasattr(child, "data"):
                continue
            value = re.sub(r"\\\r?\n", "", str(child.children[0]))
            if child.data == "label":
                label = value[1:]
            elif child.data in ("word", "operator"):
                items.append(value)
            elif child.data == "comment":
                comment = value
        if label is not None or items or comment is not None:
            out.append((label, items, comment))
    return out


def _fast_view(text: str):
    out = []
    for line in ipxescript.parse(text).lines:
        if line.unterminated:
            continue
        items = []
        for tok in line.tokens:
            if hasattr(tok, "text") and type(tok).__name__ in ("Word", "Operator"):
                items.append(tok.text)
        label = line.label.name if line.label else None
        comment = line.comment.text if line.comment else None
        if label is not None or items or comment is not None:
            out.append((label, items, comment))
    return out


LARK_PIECES = [
    "echo",
    "x",
    " ",
    "\t",
    "\n",
    "\r\n",
    "\\\n",
    "#c",
    ":l",
    "||",
    "&&",
    ";",
    "${a}",
    "${",
    "}",
    "a\\b",
]


@given(st.lists(st.sampled_from(LARK_PIECES), max_size=30).map("".join))
def test_fast_parser_agrees_with_lark_grammar(text: str) -> None:
    if text.rstrip(" \t\r\n").endswith("\\") or text.endswith("\\\n"):
        return  # an unterminated last line is never run; the grammar keeps it, the reader drops it
    assert _fast_view(text) == _lark_view(text)


@given(script_text, st.lists(st.tuples(st.integers(0, 200), st.integers(0, 8), script_text), max_size=4))
def test_incremental_edits_equal_full_parse(text: str, edits) -> None:
    doc = Document(text)
    for at, length, new in edits:
        start = min(at, len(doc.text))
        doc.edit(start, min(len(doc.text), start + length), new)
        assert dump(doc.script) == dump(ipxescript.parse(doc.text))


@given(st.lists(st.sampled_from(["a", "/", "}", "$", "{", "-", ":"]), max_size=6), st.integers(0, 6))
def test_one_reference_reads_as_the_general_pairing(pieces: list[str], at: int) -> None:
    """A word with one ``${`` (the common shape, read without the pairing stack) gets the parts the
    general pairing of every ``${`` and ``}`` gives it, at the same offsets."""
    from ipxescript.syntax.tree import _ZERO, _nested_parts, _one_reference

    word = "".join(pieces[:at]) + "${" + "".join(pieces[at:])
    if word.count("${") != 1:
        return
    fast = _one_reference(word, 3, lambda i: i + 10, lambda i: i + 10, _ZERO)
    assert fast == _nested_parts(word, 3, lambda i: i + 10, lambda i: i + 10, _ZERO)


ODD_SPACES = ["\xa0", "\x1c", "\u2003"]  # whitespace to Python's str.split, not to iPXE
LINE_PIECES = [p for p in PIECES if "\n" not in p and "\x00" not in p] + ODD_SPACES + ["#x", ":l"]


@given(st.lists(st.sampled_from(LINE_PIECES) | st.text(max_size=2), max_size=12).map("".join))
def test_the_one_space_reading_of_a_line_is_the_grammars(text: str) -> None:
    """A line whose words are one space apart is read by splitting it (the common shape); any line
    reads the same as with the grammar's terminals."""
    from ipxescript.syntax.parser import _read_shape_scan, read_shape

    line = text.replace("\n", " ").replace("\x00", "")
    assert read_shape(line) == _read_shape_scan(line)
