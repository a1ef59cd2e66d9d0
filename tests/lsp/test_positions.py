"""Offsets <-> LSP positions (UTF-16 columns), and the quick diagnostics after edits."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from lsprotocol import types

from ipxescript import parse
from ipxescript.lint import LintConfig
from ipxescript.lsp.documents import OpenDocument
from ipxescript.lsp.positions import Positions
from ipxescript.syntax.incremental import Document

texts = st.text(alphabet=st.sampled_from(list("ab :#$\\{}\n\t") + ["é", "😀", "\r"]), max_size=60)


@given(texts, st.data(), st.sampled_from(["utf-16", "utf-8", "utf-32"]))
@settings(max_examples=300, deadline=None)
def test_offsets_survive_a_round_trip(text: str, data: st.DataObject, encoding: str) -> None:
    script = parse(text)
    positions = Positions(script, encoding)
    offset = data.draw(st.integers(0, len(script.text)))
    if (
        offset < len(script.text)
        and script.text[offset - 1 : offset] == "\r"
        and script.text[offset : offset + 1] == "\n"
    ):
        return  # inside a CRLF: not a position an editor can name
    assert positions.offset(positions.position(offset)) == offset


def test_utf16_columns_count_surrogate_pairs() -> None:
    script = parse("echo 😀 x\n")
    positions = Positions(script)
    assert positions.position(7) == types.Position(line=0, character=8)  # after "😀 "
    assert positions.offset(types.Position(line=0, character=8)) == 7
    assert Positions(script, "utf-32").position(7) == types.Position(line=0, character=7)
    assert Positions(script, "utf-8").position(7) == types.Position(line=0, character=10)
    assert Positions(script, "utf-8").offset(types.Position(line=0, character=10)) == 7


@given(
    texts, st.lists(st.tuples(st.integers(0, 80), st.integers(0, 3), texts.map(lambda t: t[:4])), max_size=4)
)
@settings(max_examples=150, deadline=None)
def test_quick_diagnostics_after_edits_are_the_parsers(text: str, edits: list[tuple[int, int, str]]) -> None:
    # with no full lint yet, the quick diagnostics must be exactly the parser's findings for the new text
    doc = OpenDocument("file:///t.ipxe", 1, Document(text), LintConfig())
    doc.open_diagnostics()
    for start, length, new in edits:
        current = doc.text
        start = min(start, len(current))
        end = min(len(current), start + length)
        positions = doc.positions
        change = types.TextDocumentContentChangePartial(range=positions.range(start, end), text=new)
        if (
            positions.offset(positions.position(start)) != start
            or positions.offset(positions.position(end)) != end
        ):
            continue  # inside a CRLF pair
        shown = doc.apply_change(change)
        expected = parse(doc.text).diagnostics
        key = lambda d: (d.start, d.end, d.code, d.message)  # noqa: E731
        assert sorted(map(key, shown)) == sorted(map(key, expected))
