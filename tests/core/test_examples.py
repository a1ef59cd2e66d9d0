"""The bundled examples are realistic, correct scripts: they parse cleanly and draw no core errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import ipxescript
from ipxescript.analysis.checks import check_script
from ipxescript.analysis.diagnostics import Severity
from ipxescript.syntax.source import encode_source

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples").glob("*.ipxe"))


def test_there_are_examples_of_each_kind():
    names = {p.name for p in EXAMPLES}
    assert {
        "installer-menu.ipxe",
        "multi-distro.ipxe",
        "flatcar.ipxe",
        "dispatcher.ipxe",
        "matchbox.ipxe",
    } <= names
    assert "embedded-bootstrap.ipxe" in names


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_is_a_clean_script(path: Path):
    data = path.read_bytes()
    script = ipxescript.parse(data, str(path))
    assert script.magic == "#!ipxe"
    assert encode_source(script.unparse()) == data
    problems = [d for d in script.diagnostics + check_script(script) if d.severity == Severity.ERROR]
    assert problems == []


def test_crlf_example_reads_like_lf():
    crlf = next(p for p in EXAMPLES if p.name == "crlf.ipxe").read_bytes()
    a = ipxescript.parse(crlf)
    b = ipxescript.parse(crlf.replace(b"\r\n", b"\n"))
    assert [ln.text for ln in a.lines] == [ln.text for ln in b.lines]


WORDS = list("abcegiknopst -$:{}#|&;\n\\0x19e") + ["--", "item ", "choose ", "sleep ", "--key ", "-t"]


@given(st.lists(st.sampled_from(WORDS), max_size=30).map("".join))
def test_checks_never_raise(text: str):
    check_script(ipxescript.parse(text))
