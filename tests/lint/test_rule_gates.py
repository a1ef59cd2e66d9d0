"""Rules that skip a script (or a line) after one look at its text find what they find word by word.

IPX111 and IPX405 first ask whether the text could hold a word they report (an operator touching
other text, a '$' that opens no '${', ...) and skip the script, then each line, when it cannot. On
random texts made of the characters that matter (operators, continuations, CRs), the findings must
be those of the same rule with the question always answered "maybe"."""

from __future__ import annotations

from unittest.mock import patch

from hypothesis import given, settings
from hypothesis import strategies as st

from ipxescript.lint.context import LintContext
from ipxescript.lint.rules import ipx111_glued_operator, ipx405_shell_syntax
from ipxescript.syntax.parser import parse

PIECES = [" ", "  ", "\n", "\r\n", "\\\n", "\\\r\n", "\r", "\\", "|", "||", "&&", ";", "$", "${x}", "$(", "`",
          ">", "<", "2>&1", "a", "echo", "set", "x", "goto", "chain", "http://h/x", "if", "#", ":l"]  # fmt: skip
# and texts with operators only, where the pipes alone decide
OPERATORS = [" ", "\n", "\r\n", "\\\n", "|", "||", "&&", ";", "a", "echo", "x"]


def _texts(pieces: list[str]) -> st.SearchStrategy[str]:
    line = st.tuples(
        st.sampled_from(["", "echo ", "set x ", "x "]), st.lists(st.sampled_from(pieces), max_size=12)
    )
    return st.lists(line.map(lambda t: t[0] + "".join(t[1])), max_size=6).map(
        lambda lines: "#!ipxe\n" + "\n".join(lines)
    )


texts = st.one_of([_texts(PIECES), _texts(OPERATORS)])


GATES = [(ipx111_glued_operator, "_maybe_glued"), (ipx405_shell_syntax, "_suspect")]


class _WordByWord(LintContext):
    """The language server's model of a few lines: no look at the whole text."""

    @property
    def scan_whole_text(self) -> bool:
        return False


def _found(module, ctx):  # type: ignore[no-untyped-def]
    return [(d.code, d.start, d.end, d.message) for d in module.check(ctx)]


@settings(max_examples=300, deadline=None)
@given(texts)
def test_a_skipped_script_or_line_has_nothing_to_report(text: str) -> None:
    script = parse(text)
    for module, gate in GATES:
        with patch.object(module, gate, lambda _text: True):  # every script and line looked at
            expected = _found(module, LintContext(script))
        assert _found(module, LintContext(script)) == expected
        assert _found(module, _WordByWord(script)) == expected


def test_the_gates_let_real_findings_through() -> None:
    script = parse("#!ipxe\nchain http://h/x.ipxe||goto retry\necho $HOME\\\n|| x\n")
    assert [d.code for d in ipx111_glued_operator.check(LintContext(script))] == ["IPX111"]
    assert [d.code for d in ipx405_shell_syntax.check(LintContext(script))] == ["IPX405"]
