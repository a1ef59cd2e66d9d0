"""A lint run does line-local work once per distinct line text (engine.LintRun: the parse, the core
checks, the line rules) and copies it to every line with the same text, in the same script or in
another script of the run. The proof is a property: scripts made of repeated lines, linted in one run
(sharing), give finding for finding what each gives when every line is checked on its own place
(no sharing), whatever the configs and paths of the scripts."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ipxescript.lint import LintConfig
from ipxescript.lint.config import config_from_table
from ipxescript.lint.context import LintContext
from ipxescript.lint.engine import LintRun, _run_rules, lint_tree
from ipxescript.syntax.parser import parse

# Lines the core checks and the line rules find things on (and lines they must leave alone), with
# CRLF, continuations and NUL bytes that change where a line's words are.
LINES = [
    "#!ipxe", "kernle http://x/k", "kernel --nme k http://x/k", "chain --timeout", "sleep 08",
    "echo ${x:hexx} ${y:hex}", "echo 'a b'", "echo $(date) $1", "set a b|c", "iseq ${a} || isset ${b} && goto x",
    "kernel ftp://x/k", "kernel C:\\boot\\k", "chain foo:8080/x.ipxe", "isset x", "set ip 10.0.0.1",
    "imgargs k 'quiet splash'", "sleep 3000", "echo ${", "echo one \\", "  two", "goto start", ":start",
    "item --key x x X", "choose --help t", "echo ok\r", "echo\x00 hidden", "sanboot iscsi:x", "",
    "menu Boot", "echo a;b", "prompt --timeout 2 Press", "echo x # ipxelint: disable=IPX405",
]  # fmt: skip

scripts = st.lists(st.sampled_from(LINES), max_size=20).map(lambda lines: "\n".join(lines) + "\n")
configs = st.sampled_from(
    [
        LintConfig(),
        LintConfig(ignore=("IPX405",)),
        LintConfig(select=("IPX1", "IPX6")),
        LintConfig(profile="pcbios"),
        config_from_table({"per-path-ignores": {"b*.ipxe": ["IPX406", "IPX101"]}}),
    ]
)


def each_alone(text: str, path: str, config: LintConfig) -> list:
    """No sharing: every rule on the whole script, every core check on every command."""
    return _run_rules(LintContext(parse(text, path), config))


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(scripts, configs), min_size=1, max_size=4))
def test_a_shared_run_finds_what_each_line_alone_finds(pairs: list[tuple[str, LintConfig]]) -> None:
    run = LintRun()
    for i, (text, config) in enumerate(pairs):
        path = f"{'ab'[i % 2]}{i}.ipxe"
        shared = _run_rules(LintContext(parse(text, path, run.parsed), config), run)
        assert shared == each_alone(text, path, config), repr(text)


def test_a_tree_of_copies_finds_the_same_in_every_copy() -> None:
    text = "#!ipxe\necho $(date) ${x:hexx}\nchain foo:8080/x.ipxe || kernel --nme k http://x/k\nkernle x\n"
    results = lint_tree([(f"copy{i}.ipxe", text, LintConfig()) for i in range(3)])
    found = [[(d.code, d.start, d.end, d.message, d.fix) for d in r.diagnostics] for r in results]
    assert found[0] == found[1] == found[2]
    assert {c for c, *_ in found[0]} >= {"IPX101", "IPX102", "IPX405", "IPX602", "IPX402"}
