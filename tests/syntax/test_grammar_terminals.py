"""The fast parser reads its terminals from grammar/ipxe.lark without Lark: they must be the very
terminals Lark reads from the same file, and a plain parse must not need Lark at all."""

from __future__ import annotations

import re
import subprocess
import sys

from hypothesis import given
from hypothesis import strategies as st

from ipxescript.syntax.grammar import lark_parser, terminal_regexps

LARK_TERMINALS = {t.name: t.pattern for t in lark_parser().terminals}


def test_every_regex_terminal_is_read_and_no_other() -> None:
    regex_terminals = {n for n, p in LARK_TERMINALS.items() if type(p).__name__ == "PatternRE"}
    assert set(terminal_regexps()) == regex_terminals


@given(st.text(alphabet=st.sampled_from(list(" \t\n\v\f\r\x00\\|&;#:${}a-é")), max_size=8))
def test_each_terminal_matches_what_lark_matches(text: str) -> None:
    for name, pattern in terminal_regexps().items():
        ours = re.compile(pattern).match(text)
        theirs = re.compile(LARK_TERMINALS[name].to_regexp()).match(text)
        assert (ours and ours.group()) == (theirs and theirs.group()), name


def test_word_run_splits_on_exactly_lark_s_whitespace() -> None:
    ours = re.compile(terminal_regexps()["WORD_RUN"])
    theirs = re.compile(LARK_TERMINALS["WORD_RUN"].to_regexp())
    for code in range(0x3000):
        assert bool(ours.fullmatch(chr(code))) == bool(theirs.fullmatch(chr(code))), hex(code)


def test_linting_a_script_does_not_import_lark() -> None:
    code = (
        "import sys; from ipxescript.lint import lint_source; "
        "lint_source('#!ipxe\\necho ${x} || goto a\\n:a\\n'); print('lark' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
