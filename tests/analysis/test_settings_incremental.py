"""The settings model of an edited document, spliced from the previous version's, equals a fresh one.

After an edit, ``build_settings`` looks only at the lines the edit replaced and splices their reads,
writes and computed names into the previous version's lists; the accesses of the other lines follow
their lines. Any script, any sequence of edits (some versions never analysed, as when the language
server drops a stale lint): every analysed version's settings equal those built from scratch.
"""

from __future__ import annotations

from hypothesis import given, settings

from ipxescript.analysis.model import ScriptModel
from ipxescript.analysis.settings import SettingsModel
from ipxescript.syntax.incremental import Document

from . import editing

LINES = [
    "#!ipxe", "set base http://x", "set net0/ip 10.0.0.1", "set a:int32 1", "set ${a}x 2", "echo ${base}/k",
    "kernel ${base}/${arch}/vmlinuz", "echo ${a${b}}", "echo ${}", "echo ${net0/mac:hexhyp}", "read name",
    "choose --default x target && goto ${target}", "form Login", "form --name f Form", "item --form f user User",
    "item user User", "item --gap Gap", "item x${y} X", "login", "show net0/ip", "inc a", "clear a",
    "sha256sum --set sum boot.img", "echo one \\", "  ${cont}", "isset ${a} || set a 1", "", ":label",
    "menu M", "item --menu M os OS", "${cmd} ${arg}", "imgset --name x y",
]  # fmt: skip
SNIPPETS = ["\n", "x", "${", "}", "set ", "${a}", "form ", "\\\n", " ", "item y Y\n", "a"]

scripts = editing.scripts(LINES, max_size=20)
edits = editing.edit_sequences(LINES, SNIPPETS)


def contents(model: SettingsModel) -> tuple[object, ...]:
    def accesses(found: list) -> list[tuple[object, ...]]:
        return [(a.name, a.block, a.start, a.end, a.command) for a in found]

    return (
        accesses(model.reads),
        accesses(model.writes),
        [p.pattern for p in model.read_patterns],
        [p.pattern for p in model.write_patterns],
        model.forms,
        model.written_names,
        model.read_names,
    )


@settings(max_examples=200, deadline=None)
@given(scripts, edits)
def test_spliced_settings_equal_fresh_ones(text: str, changes: list[tuple[float, int, str, bool]]) -> None:
    doc = Document(text, "boot.ipxe")
    model = ScriptModel(doc.script)
    model.settings  # noqa: B018
    for patched, fresh in editing.patched_and_fresh(doc, model, changes):
        assert contents(patched.settings) == contents(fresh.settings), repr(doc.text)


def test_an_edit_splices_only_its_lines() -> None:
    """Typing in one line of a long script makes that line's accesses only: the others are the same
    objects, moved with their lines."""
    text = "#!ipxe\nset base http://x\n" + "".join(f"kernel ${{base}}/{i}\n" for i in range(200))
    doc = Document(text)
    model = ScriptModel(doc.script)
    before = model.settings
    at = doc.text.index("kernel ${base}/100\n") + len("kernel ${base}/100")
    doc.edit(at, at, "\necho ${new}")  # a line split in two, in the middle
    after = ScriptModel(doc.script, previous=model).settings
    assert len(after.reads) == len(before.reads) + 1
    new = [a for a in after.reads if a not in before.reads]  # (by identity)
    assert [(a.name, doc.text[a.start : a.end]) for a in new] == [("base", "${base}"), ("new", "${new}")]
    assert all(doc.text[a.start : a.end] == "${base}" for a in after.reads if a.name == "base")
