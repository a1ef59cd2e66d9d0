"""ipxescript graph: menus, labels, gotos and chains in dot, mermaid and svg."""

from __future__ import annotations

import shutil

import pytest
from click.testing import CliRunner

from ipxescript.sim.graph import graph_command

SCRIPT = (
    "#!ipxe\n:start\nmenu Main\nitem linux Linux\nitem other Other\nchoose t && goto ${t} || goto start\n"
    ":linux\nchain sub.ipxe\n:other\nnosuch-label-user || goto missing\n"
)


@pytest.fixture
def tree(tmp_path):
    (tmp_path / "main.ipxe").write_text(SCRIPT)
    (tmp_path / "sub.ipxe").write_text("#!ipxe\nkernel http://srv/vmlinuz\nboot\n")
    return tmp_path / "main.ipxe"


def test_dot(tree):
    out = CliRunner().invoke(graph_command, [str(tree)]).stdout
    assert out.startswith("digraph ipxe {")
    assert '"main.ipxe:menu:None:2" -> "main.ipxe:linux" [label="linux"];' in out
    assert '"main.ipxe:start" -> "main.ipxe:other" [label="${t}"];' in out
    assert '"main.ipxe:linux" -> "sub.ipxe" [label="chain"];' in out
    assert '"sub.ipxe" -> "uri:http://srv/vmlinuz" [label="kernel"];' in out
    assert '[label="missing :missing", shape=octagon]' in out


def test_mermaid(tree):
    out = CliRunner().invoke(graph_command, [str(tree), "--format", "mermaid"]).stdout
    assert out.startswith("flowchart LR\n")
    assert '{{"Main"}}' in out
    assert '-->|"linux"|' in out


@pytest.mark.skipif(
    shutil.which("dot") is None and not __import__("os").environ.get("CI"), reason="needs graphviz"
)
def test_svg(tree):
    out = CliRunner().invoke(graph_command, [str(tree), "--format", "svg"]).stdout
    assert "<svg" in out and "Main" in out


def test_missing_file(tmp_path):
    result = CliRunner().invoke(graph_command, [str(tmp_path / "nope.ipxe")])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
