"""The incremental linter the language server runs after each edit gives what a full lint gives.

The proof is a property: any script, then any sequence of edits applied to the editor's document
(only the touched lines are reparsed), and after each edit ``IncrementalLinter.lint`` equals
``lint_source`` of the same text, finding for finding (code, range, message, fix, severity).
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ipxescript.analysis.model import ScriptModel
from ipxescript.analysis.suggest import Suggester
from ipxescript.lint import LintConfig, lint_source
from ipxescript.lint.config import config_from_table
from ipxescript.lint.images import strict_graph
from ipxescript.lint.incremental import IncrementalLinter
from ipxescript.syntax.incremental import Document
from tests.analysis import editing

# Lines that make and break cross-line facts: labels and gotos, menus and items, settings set and
# read, images loaded and booted, flow that stops, loops and falls through, suppression comments.
LINES = [
    "#!ipxe", ":start", ":menu", ":linux", ":a", "goto start", "goto menu", "goto linux", "goto ${target}",
    "goto a || goto menu", "menu Boot", "item linux Linux", "item --key w windows Windows", "item --gap --",
    "choose --default linux --timeout 5000 target && goto ${target}", "choose target", "set target linux",
    "set base http://boot.example.com", "echo ${base} ${unset}", "kernel ${base}/vmlinuz", "kernel http://x/k",
    "initrd http://x/initrd.img", "boot", "imgfree", "chain --replace http://x/next.ipxe", "chain x.ipxe",
    "exit", "exit 1", "isset ${target} || goto menu", "iseq ${a} b && goto a", "sleep 3000", "prompt x",
    "echo $(date)", "echo 'quoted words'", "inc count", "set count 0", "imgargs vmlinuz quiet", "shell",
    "echo one \\", "  # comment", "# ipxelint: disable=IPX203", "echo x # ipxelint: disable=IPX403",
    "kernel --name k http://x/k", "imgexec k", "sanboot --no-describe iscsi:x", "sleep", "kernle x",
    "echo ${", "login", "set net0/ip 10.0.0.1", "", "choose --default rescue target", "choose --default linux t",
    "item --key l rescue Rescue", "menu --name other Other", "item --menu other x X", "choose --menu other t",
    "prompt --timeout 2 Press", "set timeout 3", "choose --timeout ${timeout} t", "iseq ${count} 1",
    "set count:int32 1", "imgselect k", "imgargs k quiet", "initrd --name k http://x/i",
    "iseq ${a} b && echo same", "imgstat && goto a", "imgstat k && echo k", "goto start || exit",
    "echo x && goto a || goto menu", "isset ${x} && goto start", "chain http:/x/y", "set u http:x/y",
    "form --name f F", "item --form f user User", "present f", "sha256sum --set sum x", "echo ${user}",
    "kernel --timeout 5 http://x/k", "imgfetch --timeout ${timeout} http://x/i", "echo x # note \\",
    "goto ${target} || goto menu", "iseq ${target} linux && goto linux",
]  # fmt: skip
SNIPPETS = ["\n", "x", "${", "}", " ", "\\\n", "||", "&&", ":", "#", "goto ", ":linux\n", "set unset 1\n",
            "item a A\n", "exit\n", "\r", "\t", "kernel http://x/y\n", "menu\n"]  # fmt: skip

scripts = st.lists(st.sampled_from(LINES), max_size=24).map(lambda lines: "\n".join(lines) + "\n")
edits = st.lists(
    st.tuples(
        st.floats(0, 1),  # where, as a fraction of the text
        st.integers(0, 12),  # how many characters it replaces
        st.one_of(st.sampled_from(SNIPPETS), st.sampled_from(LINES).map(lambda s: s + "\n"), st.just("")),
    ),
    min_size=1,
    max_size=8,
)


def check_edits(text: str, changes: list[tuple[float, int, str]], config: LintConfig) -> None:
    doc = Document(text, "boot.ipxe")
    linter = IncrementalLinter(config)
    assert linter.lint(doc.script) == lint_source(doc.text, "boot.ipxe", config)
    for where, length, new in changes:
        start = int(where * len(doc.text))
        doc.edit(start, min(len(doc.text), start + length), new)
        assert linter.lint(doc.script) == lint_source(doc.text, "boot.ipxe", config), repr(doc.text)


@settings(max_examples=100, deadline=None)
@given(scripts, edits)
def test_edits_give_the_findings_of_a_full_lint(text: str, changes: list[tuple[float, int, str]]) -> None:
    check_edits(text, changes, LintConfig())


CONFIG = config_from_table({"ignore": ["IPX403"], "severity": {"IPX203": "error", "IPX405": "info"}})


@settings(max_examples=25, deadline=None)
@given(scripts, edits)
def test_edits_with_a_config(text: str, changes: list[tuple[float, int, str]]) -> None:
    check_edits(text, changes, CONFIG)


def test_only_the_edited_lines_are_checked_again() -> None:
    block = ":item{0}\necho ${{base}}/os{0}\nkernel ${{base}}/os{0}/vmlinuz\nboot || goto menu\n"
    blocks = [block.format(i) for i in range(50)]
    text = "#!ipxe\nset base http://x\n:menu\n" + "".join(blocks)
    doc = Document(text, "boot.ipxe")
    linter = IncrementalLinter()
    linter.lint(doc.script)
    assert linter.relinted == len(doc.script.lines)
    # rename a label that a goto uses: one line is new, the gotos elsewhere now miss their label
    at = doc.text.index(":menu") + len(":menu")
    doc.edit(at, at, "x")
    found = linter.lint(doc.script)
    assert linter.relinted == 1
    assert found == lint_source(doc.text, "boot.ipxe")
    assert sum(d.code == "IPX201" for d in found) == 50
    # a label line reads no setting and builds no menu: those rules' findings are moved, not redone
    assert {"IPX403", "IPX404", "IPX301", "IPX302"} <= linter.reused
    # a new reference to a setting: the settings rules run again (and find it never set)
    at = doc.text.index("echo ${base}/os7") + len("echo ")
    doc.edit(at, at, "${nowhere} ")
    found = linter.lint(doc.script)
    assert "IPX403" not in linter.reused and "IPX301" in linter.reused
    assert found == lint_source(doc.text, "boot.ipxe")
    assert any(d.code == "IPX403" and "nowhere" in d.message for d in found)
    # a new line in the middle: the lines after it move, none of them is checked again (the line
    # before is, since an edit at a line's start may join it to that one)
    at = doc.text.index(":item25")
    doc.edit(at, at, "echo ${\n")
    found = linter.lint(doc.script)
    assert linter.relinted == 2
    assert found == lint_source(doc.text, "boot.ipxe")
    assert any(d.code == "IPX401" for d in found)


names = st.lists(
    st.sampled_from(["menu", "menu1", "menux", "linux", "linus", "lnux", "start", "strat", "os1_2"])
)


@settings(max_examples=60, deadline=None)
@given(
    names,
    names,
    st.lists(st.sampled_from(["menu", "mnu", "linx", "start", "stat", "os1_3", "x"]), min_size=1),
)
def test_a_label_suggester_kept_across_edits_suggests_as_a_new_one(
    before: list[str], after: list[str], words: list[str]
) -> None:
    kept = Suggester(before)
    kept("warm")  # builds the index the next version starts from
    updated = kept.updated(after)
    fresh = Suggester(after)
    assert [updated(w) for w in words] == [fresh(w) for w in words]


@settings(max_examples=60, deadline=None)
@given(st.lists(names, min_size=1, max_size=4), st.lists(st.booleans(), min_size=5, max_size=5), st.data())
def test_label_suggesters_of_versions_that_asked_nothing_still_suggest_as_new_ones(
    versions: list[list[str]], asked: list[bool], data: st.DataObject
) -> None:
    # a version that needed no suggestion never indexes its names: the next one patches an earlier
    # version's index, whichever of them is asked first
    words = ["menu", "mnu", "linx", "start", "stat", "os1_3"]
    chain = [Suggester(versions[0])]
    for names_now in versions[1:]:
        chain.append(chain[-1].updated(names_now))
    for k in data.draw(st.permutations(range(len(chain)))):
        if asked[k] or k == len(chain) - 1:
            word = data.draw(st.sampled_from(words))
            assert chain[k](word) == Suggester(versions[k])(word)


def test_facts_kept_across_versions_follow_their_lines() -> None:
    # IPX209's verdicts and IPX304's dispatches are kept while the lines they read stay; an edit above
    # moves those lines to other line numbers, which the findings must cite (IPX209's "on line N")
    text = (
        "#!ipxe\n:a\nkernel http://x/k1\n:b\nkernel http://x/k2\nboot\n"
        "menu Boot\nitem linux Linux\nitem other Other\nchoose os && goto ${os}\n:linux\nexit\n"
    )
    doc = Document(text, "boot.ipxe")
    linter = IncrementalLinter()
    assert linter.lint(doc.script) == lint_source(doc.text, "boot.ipxe")
    edits = [("#!ipxe\n", "echo one\n"), (":a\n", "\n\n"), ("echo one\n", ""), (":b\n", "echo \\\n  two\n")]
    for after, new in edits:
        at = doc.text.index(after) + len(after)
        doc.edit(at, at, new)
        found = linter.lint(doc.script)
        assert found == lint_source(doc.text, "boot.ipxe"), repr(doc.text)
        assert any(d.code == "IPX209" and "on line" in d.message for d in found)
        assert any(d.code == "IPX304" for d in found)


@settings(max_examples=60, deadline=None)
@given(scripts, editing.edit_sequences(LINES, SNIPPETS))
def test_a_strict_graph_carried_across_edits_is_a_fresh_one(
    text: str, changes: list[tuple[float, int, str, bool]]
) -> None:
    # the image rules' graph keeps the lines that cannot succeed from the previous version, moved; a
    # script linted once decides each line when a walk reaches it: the same graph
    doc = Document(text, "boot.ipxe")
    model = ScriptModel(doc.script)
    strict_graph(model, carried=True)
    for patched, fresh in editing.patched_and_fresh(doc, model, changes):
        carried, once = strict_graph(patched, carried=True), strict_graph(fresh)
        assert len(carried) == len(once)
        nodes = range(len(once))
        assert [carried[i] for i in nodes] == [once[i] for i in nodes], repr(doc.text)
