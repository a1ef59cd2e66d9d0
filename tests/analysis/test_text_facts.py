"""Facts shared by line text (``model.text_facts``) equal the facts worked out for each line alone.

A line's flow is worked out once per text (and per which of its goto targets are labels) and laid on
every line with that text, in the same script and in the other scripts of a tree, which share one
``TextFacts``. Any scripts, analysed one after another with one ``TextFacts``: each line's flow and
its commands' outcomes equal those computed from the line itself.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ipxescript import parse
from ipxescript.analysis.flow import Flow, LineFlow
from ipxescript.analysis.model import ScriptModel, TextFacts

LINES = [
    "#!ipxe", ":start", ":menu", ":a", "goto start", "goto menu", "goto a", "goto a a", "goto -a", "goto",
    "goto ${target}", "goto os_${target}", "goto a || goto menu", "goto nowhere || echo fell",
    "choose target && goto ${target} || goto menu", "initrd x || goto a", "initrd y && goto a",
    "boot || goto a", "exit", "exit 1 ; goto a", "chain --replace http://x/n.ipxe || goto a",
    "chain -ar x.ipxe", "echo one \\", "  # comment", "", "iseq a a && goto a || exit", "iseq ${a} b && goto a",
    "isset x || exit", "set x 1 && goto a", "set x:int8 1 || goto menu", "nosuch && goto a", "${cmd} || goto a",
    "echo a\x00 || goto a", "sleep 1 ; goto start", "echo x ||", "&& goto a", "goto a ; goto menu ; exit",
    "kernel a", "kernel b c", "kernel ${base}/d || goto a", "initrd e && initrd f", "${cmd}", "${x} y ||",
    "prompt p || goto menu", "imgfree ; kernel g", "clear x && goto a", "nosuch2 || echo y", "echo z \\",
]  # fmt: skip

scripts = st.lists(st.sampled_from(LINES), max_size=16).map(lambda lines: "\n".join(lines) + "\n")


def facts(flow: Flow, lf: LineFlow) -> tuple[object, ...]:
    jumps = [(id(j.command), id(j.word), j.target, j.pattern) for j in lf.jumps]
    leaving = None if lf.leaving is None else id(lf.leaving)
    outcomes = [flow.outcomes(c) for c in lf.line.commands]
    return lf.falls_through, lf.stops, jumps, leaving, outcomes


@settings(max_examples=200, deadline=None)
@given(st.lists(scripts, min_size=1, max_size=4))
def test_shared_line_flows_equal_each_lines_own(texts: list[str]) -> None:
    shared = TextFacts()
    for text in texts:
        model = ScriptModel(parse(text))
        model.text_facts = shared
        flow = model.flow
        alone = Flow(ScriptModel(model.script))
        alone._outcomes.clear()  # each command's outcomes worked out from itself
        for lf in flow.lines:
            own = alone._line_flow_of(lf.line)
            assert facts(flow, lf) == facts(alone, own)
            assert lf.line is own.line
    assert len(shared.flows) <= sum(text.count("\n") for text in texts)


def test_a_tree_shares_its_files_line_shapes() -> None:
    from pathlib import Path

    from ipxescript.analysis.boottree import BootTree

    a = ScriptModel(parse("#!ipxe\n:top\nkernel x || goto top\nboot\n"))
    b = ScriptModel(parse("#!ipxe\nkernel x || goto top\n:top\n"))
    BootTree([(Path("/t/a.ipxe"), a), (Path("/t/b.ipxe"), b)])
    assert a.text_facts is b.text_facts
    a.flow, b.flow  # noqa: B018
    # the lines with commands, "kernel x || goto top" once: the same text, the same target a label
    assert len(a.text_facts.flows) == 2
