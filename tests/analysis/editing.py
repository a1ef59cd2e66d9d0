"""Random scripts and edit sequences for the property tests of models patched after an edit."""

from __future__ import annotations

from collections.abc import Iterator

from hypothesis import strategies as st

from ipxescript.analysis.model import ScriptModel
from ipxescript.syntax.incremental import Document


def scripts(lines: list[str], max_size: int) -> st.SearchStrategy[str]:
    """Texts made of up to ``max_size`` of ``lines``."""
    return st.lists(st.sampled_from(lines), max_size=max_size).map(lambda chosen: "\n".join(chosen) + "\n")


def edit_sequences(
    lines: list[str], snippets: list[str]
) -> st.SearchStrategy[list[tuple[float, int, str, bool]]]:
    """Edits as (where, as a fraction of the text; how many characters replaced; new text; whether this
    version is analysed): a snippet, a whole line or nothing typed over a few characters."""
    return st.lists(
        st.tuples(
            st.floats(0, 1),
            st.integers(0, 12),
            st.one_of(st.sampled_from(snippets), st.sampled_from(lines).map(lambda s: s + "\n"), st.just("")),
            st.booleans(),
        ),
        min_size=1,
        max_size=8,
    )


def patched_and_fresh(
    doc: Document, model: ScriptModel, changes: list[tuple[float, int, str, bool]]
) -> Iterator[tuple[ScriptModel, ScriptModel]]:
    """Make each edit in ``doc``; for each analysed version, the model patched from the previous
    analysed one (``model`` first) and a fresh model of the same text. The patched one is the next
    version's previous."""
    for where, length, new, analysed in changes:
        start = int(where * len(doc.text))
        doc.edit(start, min(len(doc.text), start + length), new)
        if not analysed:
            continue
        patched = ScriptModel(doc.script, previous=model)
        yield patched, ScriptModel(doc.script)
        model.release()
        model = patched
