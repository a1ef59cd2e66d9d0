"""The model of an edited document, patched from the previous version's, equals a fresh model.

``ScriptModel(script, previous=...)`` keeps what the previous version built for the lines an edit
left alone (the commands and their per-name index, each line's flow, the flow graph). Any script,
any sequence of edits (only the touched lines reparsed), some versions never analysed (the language
server drops a lint that a newer edit made stale): each analysed version equals a model built from
scratch for the same text.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ipxescript import parse
from ipxescript.analysis.model import ScriptModel, changed_span
from ipxescript.lint.images import strict_graph
from ipxescript.syntax.incremental import Document

from . import editing

LINES = [
    "#!ipxe", ":start", ":menu", ":linux", ":a", ":a", "goto start", "goto menu", "goto linux", "goto a",
    "goto ${target}", "goto os_${target}", "goto a || goto menu", "menu Boot", "item linux Linux",
    "choose target && goto ${target} || goto menu", "kernel http://x/k", "initrd x || goto a", "initrd y && goto a", "initrd http://x/i", "boot",
    "boot || goto linux", "exit", "chain --replace http://x/n.ipxe", "echo one \\", "  # comment", "",
    "iseq ${a} b && goto a", "imgfree", "sleep 1 ; goto start", ":menu", ":start", ":x", "goto x",
]  # fmt: skip
SNIPPETS = ["\n", "x", ":", "goto ", ":linux\n", "${", "\\\n", "||", "a", "exit\n", "goto a\n"]

scripts = editing.scripts(LINES, max_size=24)
edits = editing.edit_sequences(LINES, SNIPPETS)


def flow_of(model: ScriptModel) -> tuple[object, ...]:
    flow = model.flow
    lines = [(lf.line, lf.falls_through, lf.stops, lf.jumps, lf.leaving, lf.targets) for lf in flow.lines]
    gotos = {name: sorted(line.index for line in where) for name, where in flow._goto_lines.items() if where}
    return lines, flow.graph, sorted(flow.reachable), list(strict_graph(model)), gotos


@settings(max_examples=150, deadline=None)
@given(scripts, edits)
def test_a_patched_model_equals_a_fresh_one(text: str, changes: list[tuple[float, int, str, bool]]) -> None:
    doc = Document(text, "boot.ipxe")
    model = ScriptModel(doc.script)
    flow_of(model)
    for patched, fresh in editing.patched_and_fresh(doc, model, changes):
        assert patched.commands == fresh.commands
        assert patched._by_name == fresh._by_name
        assert flow_of(patched) == flow_of(fresh), repr(doc.text)
        assert [patched.bound(c) for _l, b in fresh.commands for c in [b.command]] == [
            b for _l, b in fresh.commands
        ]


# edits that keep the number of lines: one line's text replaced by another (renames a label, moves a
# label's first definition, turns a goto into another), the common case of typing in a line
ONE_LINE = [line for line in LINES if not line.endswith("\\")]
line_edits = st.lists(
    st.tuples(st.floats(0, 1), st.sampled_from(ONE_LINE), st.booleans()), min_size=1, max_size=8
)


@settings(max_examples=150, deadline=None)
@given(scripts, line_edits)
def test_a_model_patched_after_line_edits_equals_a_fresh_one(
    text: str, changes: list[tuple[float, str, bool]]
) -> None:
    doc = Document(text, "boot.ipxe")
    model = ScriptModel(doc.script)
    flow_of(model)
    for where, new, analysed in changes:
        lines = doc.script.lines
        line = lines[min(len(lines) - 1, int(where * len(lines)))]
        end = line.start + len(doc.text[line.start : line.end].rstrip("\n"))
        doc.edit(line.start, end, new)
        if analysed:
            patched = ScriptModel(doc.script, previous=model)
            assert flow_of(patched) == flow_of(ScriptModel(doc.script)), repr(doc.text)
            model = patched


@given(st.lists(st.integers(0, 5), max_size=12), st.integers(0, 12), st.integers(0, 12), st.integers(0, 4))
def test_the_changed_span_is_the_longest_common_prefix_and_suffix(
    ids: list[int], cut: int, length: int, inserted: int
) -> None:
    old = [object() for _ in ids]
    cut = min(cut, len(old))
    new = old[:cut] + [object() for _ in range(inserted)] + old[min(len(old), cut + length) :]
    first, old_end, new_end = changed_span(old, new)
    assert old[:first] == new[:first] and old[old_end:] == new[new_end:]
    assert len(old) - old_end == len(new) - new_end and first <= min(old_end, new_end)
    if first < min(old_end, new_end):
        assert old[first] is not new[first] and old[old_end - 1] is not new[new_end - 1]


def test_a_fresh_parse_shares_no_line_with_the_last_version() -> None:
    text = "#!ipxe\n:a\ngoto a\n"
    before = ScriptModel(parse(text))
    before.commands  # noqa: B018
    script = parse(text)
    after = ScriptModel(script, previous=before)
    assert after.changed == (0, 3, 3)
    assert after.commands == ScriptModel(script).commands
    assert flow_of(after) == flow_of(ScriptModel(script))
