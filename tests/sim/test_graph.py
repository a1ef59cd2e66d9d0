"""ipxescript graph: menus, labels, gotos and chains in dot, mermaid and svg, one file or a whole tree."""

from __future__ import annotations

import re
import shutil

import pytest
from click.testing import CliRunner

from ipxescript.sim.graph import graph_command

SCRIPT = (
    "#!ipxe\n:start\nmenu Main\nitem linux Linux\nitem other Other\nchoose t && goto ${t} || goto start\n"
    ":linux\nchain sub.ipxe\n:other\nnosuch-label-user || goto missing\n"
)
NODE = re.compile(r'^\s*(\w+) \[label="((?:[^"\\]|\\.)*)", shape=(\w+)\];$')
EDGE = re.compile(r'^\s*(\w+) -> (\w+)(?: \[label="((?:[^"\\]|\\.)*)"\])?;$')


def drawn(dot: str) -> tuple[dict[str, str], list[tuple[str, str, str]]]:
    """The nodes (id -> label) and edges (from label, to label, edge label) of a dot drawing."""
    nodes = {m[1]: m[2] for line in dot.splitlines() if (m := NODE.match(line))}
    edges = [(nodes[m[1]], nodes[m[2]], m[3] or "") for line in dot.splitlines() if (m := EDGE.match(line))]
    return nodes, edges


def graph(*args: str, stdin: str | None = None) -> str:
    result = CliRunner().invoke(graph_command, list(args), input=stdin)
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture
def tree(tmp_path):
    (tmp_path / "main.ipxe").write_text(SCRIPT)
    (tmp_path / "sub.ipxe").write_text("#!ipxe\nkernel http://srv/vmlinuz\nboot\n")
    return tmp_path / "main.ipxe"


def test_dot_draws_labels_menus_gotos_and_chains(tree):
    out = graph(str(tree))
    assert out.startswith("digraph ipxe {")
    nodes, edges = drawn(out)
    assert set(nodes.values()) == {
        "main.ipxe", ":start", "Main", ":linux", ":other", "sub.ipxe", "missing :missing"
    }  # fmt: skip
    assert ("main.ipxe", ":start", "") in edges  # falls into the first label
    assert (":start", "Main", "") in edges
    assert (":linux", "sub.ipxe", "chain") in edges
    assert (":linux", ":other", "") in edges  # a chained script returns: control falls through
    assert (":other", "missing :missing", "goto") in edges
    assert (":start", ":start", "goto") in edges


def test_one_edge_per_menu_item_and_no_internal_ids(tree):
    out = graph(str(tree))
    nodes, edges = drawn(out)
    # each item once, from the menu to the label `goto ${t}` reaches; the goto itself adds none
    assert [e for e in edges if e[1] in (":linux", ":other") and e[0] != ":linux"] == [
        ("Main", ":linux", "linux"),
        ("Main", ":other", "other"),
    ]
    assert all(re.fullmatch(r"n\d+", node) for node in nodes)
    assert "None" not in out and "main.ipxe:" not in out and "${t}" not in out


def test_named_menu_is_not_drawn_as_an_item(tmp_path):
    script = tmp_path / "named.ipxe"
    script.write_text(
        "#!ipxe\nmenu --name m Pick one\nitem --menu m --key l linux Linux\nitem --menu=m --gap -- Tools\n"
        "item -m m shell Shell\nchoose --menu m --default linux pick && goto ${pick}\n:linux\nboot\n"
    )
    nodes, edges = drawn(graph(str(script)))
    assert "m" not in nodes.values() and "l" not in nodes.values()
    assert ("Pick one", ":linux", "linux") in edges
    assert ("Pick one", "shell", "shell") in edges  # no label of that name: the item itself
    assert sum(1 for e in edges if e[0] == "Pick one") == 2


def test_tree_draws_one_cluster_per_file_with_chain_edges(tmp_path):
    (tmp_path / "menu.ipxe").write_text(
        "#!ipxe\nset base-url http://boot.example/ipxe\nmenu Boot\nitem linux Linux\nitem tools Tools\n"
        "choose os && goto ${os}\n:linux\nchain ${base-url}/linux.ipxe || goto error\n"
        ":tools\nchain tools/index.ipxe\n:error\necho failed\nshell\n"
    )
    (tmp_path / "linux.ipxe").write_text("#!ipxe\nkernel ${base-url}/vmlinuz\nboot\n")
    (tmp_path / "tools").mkdir()
    (tmp_path / "tools" / "index.ipxe").write_text("#!ipxe\n:top\necho tools\nexit\n")
    (tmp_path / "unrelated.ipxe").write_text("#!ipxe\necho not reached\n")
    out = graph("--tree", str(tmp_path / "menu.ipxe"), "--map", f"http://boot.example/ipxe={tmp_path}")
    clusters = re.findall(r'subgraph cluster_(\d+) \{\n\s+label="([^"]+)";', out)
    assert clusters == [("0", "menu.ipxe"), ("1", "linux.ipxe"), ("2", "tools/index.ipxe")]
    nodes, edges = drawn(out)
    assert (":linux", "linux.ipxe", "chain") in edges
    assert (":tools", "tools/index.ipxe", "chain") in edges
    assert ("linux.ipxe", "${base-url}/vmlinuz", "kernel") in edges
    assert ("tools/index.ipxe", ":top", "") in edges
    assert "unrelated.ipxe" not in nodes.values()
    # the chained file's nodes sit inside its cluster
    cluster_1 = out.split("subgraph cluster_1 {")[1].split("}")[0]
    assert 'label="linux.ipxe", shape=folder' in cluster_1


def test_mermaid(tree):
    out = graph(str(tree), "--format", "mermaid")
    assert out.startswith("flowchart LR\n")
    assert '{{"Main"}}' in out
    assert out.count('-->|"linux"|') == 1


def test_standard_input(tree):
    _nodes, edges = drawn(graph("-", stdin=SCRIPT))
    assert ("Main", ":linux", "linux") in edges


@pytest.mark.timeout(120)
def test_big_script_is_drawn_in_linear_time():
    """A ~0.6 MB script (1,500 menus, 9,000 labels, 27,000 edges; an edge list searched for each
    new edge took minutes): every item edge once."""
    sections = 1500
    lines = ["#!ipxe"]
    for n in range(sections):
        lines += [f":menu{n}", f"menu Menu {n}"]
        lines += [f"item os{n}_{k} System {k}" for k in range(6)]
        lines.append(f"choose target && goto ${{target}} || goto menu{n}")
        for k in range(6):
            lines += [f":os{n}_{k}", f"kernel http://srv/os{n}/{k}/vmlinuz quiet", f"boot || goto menu{n}"]
    text = "\n".join(lines) + "\n"
    assert len(text) > 600_000
    _nodes, edges = drawn(graph("-", stdin=text))
    assert sum(1 for e in edges if e[0].startswith("Menu ")) == sections * 6
    assert sum(1 for e in edges if e[2] == "kernel") == sections * 6


@pytest.mark.skipif(
    shutil.which("dot") is None and not __import__("os").environ.get("CI"), reason="needs graphviz"
)
def test_svg(tree):
    out = graph(str(tree), "--format", "svg")
    assert "<svg" in out and "Main" in out


def test_missing_file(tmp_path):
    result = CliRunner().invoke(graph_command, [str(tmp_path / "nope.ipxe")])
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_binary_file_is_an_input_error(tmp_path):
    # a firmware image named .ipxe was drawn as an empty graph, exit 0 (ipxesim and ipxelint refuse it)
    image = tmp_path / "snponly.ipxe"
    image.write_bytes(b"MZ\x90\x00" + bytes(range(256)) * 4)
    for args, stdin in [([str(image)], None), (["-"], image.read_bytes())]:
        result = CliRunner().invoke(graph_command, args, input=stdin)
        assert result.exit_code == 2 and result.stdout == ""
        assert "a PE/EFI executable, not an iPXE script" in result.stderr


def test_a_map_to_a_folder_that_is_not_there_is_a_usage_error(tmp_path):
    # as ipxesim --map: the tree was drawn with every mapped chain open, exit 0
    (tmp_path / "menu.ipxe").write_text("#!ipxe\nchain http://boot.example/ipxe/linux.ipxe\n")
    result = CliRunner().invoke(
        graph_command,
        ["--tree", str(tmp_path / "menu.ipxe"), "--map", f"http://boot.example/ipxe={tmp_path}/ipx"],
    )
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (
        f"ipxescript graph: --map 'http://boot.example/ipxe={tmp_path}/ipx': {tmp_path}/ipx: no such directory\n"
    )
