"""Every feature answers for any text and any position (in-process, hypothesis-generated scripts)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lsprotocol import types

from ipxescript.lint import LintConfig
from ipxescript.lsp import completion, formatting, hover, navigation, outline, semantic, signature
from ipxescript.lsp.documents import OpenDocument
from ipxescript.syntax.incremental import Document

WORDS = ["goto", "x", ":x", "menu", "item", "choose", "--default", "--menu", "m", "${x}", "${a${b}}", "${x",
         "chain", "http://h/p", "set", "#c", "||", "&&", ";", "\\\n", "\n", " ", "-", "--", "😀", "é", "\r\n",
         ":", "--gap", "--name", "target", "${target}", "echo", "\x00"]  # fmt: skip
scripts = st.lists(st.sampled_from(WORDS), max_size=30).map(lambda ws: "#!ipxe\n" + " ".join(ws))


@given(scripts, st.integers(0, 12), st.integers(0, 40), st.sampled_from(["utf-16", "utf-8"]))
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_features_answer_anywhere(text: str, line: int, character: int, encoding: str) -> None:
    doc = OpenDocument("file:///nowhere/t.ipxe", 1, Document(text), LintConfig(), encoding=encoding)
    position = types.Position(line=line, character=character)
    completion.complete(doc, position)
    hover.hover(doc, position)
    signature.signature_help(doc, position)
    navigation.definition(doc, position)
    navigation.references(doc, position, True)
    try:
        navigation.prepare_rename(doc, position)
        navigation.rename(doc, position, "renamed")
    except Exception as exc:  # refusals are answers; anything else is a bug
        assert type(exc).__name__ in ("JsonRpcInvalidRequest", "JsonRpcInvalidParams"), exc
    navigation.document_links(doc)
    outline.document_symbols(doc)
    outline.folding_ranges(doc)
    semantic.semantic_tokens(doc)
    formatting.format_document(doc)
    formatting.format_range(doc, types.Range(start=types.Position(line=1, character=0), end=position))
