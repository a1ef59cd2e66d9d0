"""``ipxescript graph SCRIPT --format dot|mermaid|svg``: menus, labels, gotos and chains as a graph.

Static, and read from the one script model (``ipxescript.analysis``): each file is split into blocks at
its labels, with edges for falling through into the next label, ``goto``, one per menu item (to the
label of the same name when the menu's choice feeds a ``goto ${x}``, else to the item itself), chains
and boots. ``--tree`` draws the whole boot tree from an entry script: one cluster per file, and each
``chain`` edge into the file it runs (``analysis/boottree.py`` resolves them, with ``--map``).

Every step is one pass over the lines or a dictionary lookup, so a 5 MB script is drawn in seconds.
Node names in the output are short generated ids (``n12``) with the script's text as their labels.
"""

from __future__ import annotations

import gc
import shutil
import subprocess
import sys
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import click

from ipxescript.analysis.boottree import BootTree, Edge, MapError, TreeFile, parse_map
from ipxescript.analysis.menus import dispatch_gotos, static_setting_name
from ipxescript.analysis.model import ScriptModel
from ipxescript.clikit import InputError, binary_reason, printable
from ipxescript.lint.discover import discover
from ipxescript.syntax.parser import parse
from ipxescript.syntax.source import decode_source
from ipxescript.syntax.tree import LogicalLine

BOOTS = ("boot", "imgexec")  # without an argument: boot the selected image
IMAGES = ("kernel", "imgselect", "imgload", "boot")  # with an argument: an image from somewhere
ENDS = ("exit", "reboot", "poweroff", "shell", "sanboot")


@dataclass
class Node:
    label: str
    kind: str
    cluster: int | None = None  # the file it belongs to (--tree)


@dataclass
class Graph:
    nodes: dict[Hashable, Node] = field(default_factory=dict)
    edges: dict[tuple[Hashable, Hashable, str], None] = field(default_factory=dict)  # an ordered set
    clusters: list[str] = field(default_factory=list)  # the files' names, by cluster number

    def node(self, key: Hashable, label: str, kind: str, cluster: int | None = None) -> Hashable:
        if key not in self.nodes:
            self.nodes[key] = Node(label, kind, cluster)
        return key

    def edge(self, a: Hashable, b: Hashable, label: str = "") -> None:
        self.edges[(a, b, label)] = None

    def ids(self) -> dict[Hashable, str]:
        return {key: f"n{i}" for i, key in enumerate(self.nodes)}

    def edge_labels(self) -> list[tuple[str, str, str]]:
        """(from label, to label, edge label) for each edge: what a reader of the drawing sees."""
        return [(self.nodes[a].label, self.nodes[b].label, label) for a, b, label in self.edges]


def load_tree(entry: Path, root: Path | None = None, maps: Iterable[str] = ()) -> tuple[BootTree, TreeFile]:
    """Every script under ``root`` (default: the entry's folder) as one boot tree, and the entry's file."""
    root = root or entry.parent
    paths = {Path(p).resolve() for p, error in discover([str(root)]) if error is None}
    paths.add(entry.resolve())
    models = []
    for path in sorted(paths):
        try:
            data = path.read_bytes()
        except OSError:
            continue  # an unreadable file of the tree is an open edge's target, not the graph's failure
        models.append((path, ScriptModel(parse(data, str(path)))))
    tree = BootTree(models, root.resolve(), [entry.resolve()], [parse_map(m, must_exist=True) for m in maps])
    entry_file = tree.file(entry.resolve())
    assert entry_file is not None
    return tree, entry_file


def build_graph(script: str, tree: bool = False, maps: Iterable[str] = (), root: str | None = None) -> Graph:
    """The graph of ``script`` (a path, or ``-`` for standard input); with ``tree``, of every script
    it reaches by chains."""
    graph = Graph()
    if script == "-":
        data = sys.stdin.buffer.read()
        _refuse_binary(script, data)
        text = decode_source(data)[0]
        model = ScriptModel(parse(text, "<stdin>"))
        boot_tree = BootTree(
            [(Path("stdin.ipxe").resolve(), model)],
            Path.cwd(),
            maps=[parse_map(m, must_exist=True) for m in maps],
        )
        (entry,) = boot_tree.files.values()
        entry.name = "<stdin>"
    else:
        path = Path(script)
        # a missing, unreadable or binary script is the command's error, before anything else
        _refuse_binary(script, path.read_bytes())
        if tree:
            boot_tree, entry = load_tree(path, Path(root) if root else None, maps)
        else:
            model = ScriptModel(parse(path.read_bytes(), str(path)))
            boot_tree = BootTree(
                [(path.resolve(), model)],
                path.resolve().parent,
                maps=[parse_map(m, must_exist=True) for m in maps],
            )
            (entry,) = boot_tree.files.values()
    drawn = _reached(boot_tree, entry) if tree else [entry]
    clusters = {id(f): i for i, f in enumerate(drawn)} if tree else {}
    graph.clusters = [f.name for f in drawn] if tree else []
    for tree_file in drawn:
        _add_file(graph, boot_tree, tree_file, clusters)
    return graph


def _refuse_binary(script: str, data: bytes) -> None:
    reason = binary_reason(data)
    if reason is not None:
        raise InputError(f"{printable(script)}: {reason}")


def _reached(tree: BootTree, entry: TreeFile) -> list[TreeFile]:
    order, seen = [entry], {id(entry)}
    for current in order:
        for child in tree.children(current):
            if id(child) not in seen:
                seen.add(id(child))
                order.append(child)
    return order


def _add_file(graph: Graph, tree: BootTree, tree_file: TreeFile, clusters: dict[int, int]) -> None:
    model = tree_file.model
    cluster = clusters.get(id(tree_file))
    flow = model.flow
    labels = model.labels
    fed = dispatch_gotos(model)  # `goto ${x}` after `choose x`: drawn as the menu's item edges
    chains = {id(e.command): e for e in tree.edges_from(tree_file)}
    menus = {id(m.bound.command): m for m in model.menus.menus}
    dispatching = {id(c.menu) for c in model.menus.choices if c.menu is not None and c.setting in fed}

    def label_node(line: LogicalLine) -> Hashable:
        assert line.label is not None
        return graph.node((id(tree_file), "line", line.index), f":{line.label.name}", "label", cluster)

    def end_node(kind: str, label: str) -> Hashable:
        return graph.node((id(tree_file), kind, label), label, kind, cluster)

    block = graph.node(_file_key(tree_file), tree_file.name, "file", cluster)
    alive = True  # control can reach the current line from the block's start
    for line in model.script.lines:
        if line.label is not None:
            node = label_node(line) if labels.get(line.label.name) is line else None
            if node is not None:
                if alive:
                    graph.edge(block, node)
                block, alive = node, True
        line_flow = flow.lines[line.index]
        for jump in line_flow.jumps:
            if jump.target is not None:
                graph.edge(block, label_node(labels[jump.target]), "goto")
            elif static_setting_name(jump.word) not in fed:
                for label_name, label_line in labels.items():
                    if jump.matches(label_name):
                        graph.edge(block, label_node(label_line), f"goto {jump.word.text}")
        for command in line.commands:
            if not command.words:
                continue
            bound = model.bound(command)
            name, args = bound.name, bound.positionals
            if (menu := menus.get(id(command))) is not None:
                title = " ".join(w.text for w in args) or (f"menu {menu.name}" if menu.name else "menu")
                menu_node = graph.node((id(tree_file), "menu", id(command)), title, "menu", cluster)
                graph.edge(block, menu_node)
                dispatched = id(menu) in dispatching
                for item in menu.items:
                    if item.name is None:
                        continue
                    item_label = labels.get(item.name) if dispatched else None
                    if item_label is not None:
                        graph.edge(menu_node, label_node(item_label), item.name)
                    else:
                        leaf = graph.node(
                            (id(tree_file), "item", id(item.bound.command)), item.name, "item", cluster
                        )
                        graph.edge(menu_node, leaf, item.name)
            elif name == "goto" and len(args) == 1 and args[0].is_literal and args[0].text not in labels:
                missing = end_node("error", f"missing :{args[0].text}")
                graph.edge(block, missing, "goto")
            elif (chain := chains.get(id(command))) is not None:
                _add_chain(graph, block, chain, clusters)
            elif name in BOOTS and not args:
                graph.edge(block, end_node("boot", "boot selected image"), name)
            elif name in IMAGES and args:
                graph.edge(block, graph.node(("uri", args[0].text), args[0].text, "uri"), name)
            elif name in ENDS:
                graph.edge(block, end_node("end", name), name)
        alive = alive and line_flow.falls_through


def _file_key(tree_file: TreeFile) -> Hashable:
    return ("file", str(tree_file.path))


def _add_chain(graph: Graph, block: Hashable, chain: Edge, clusters: dict[int, int]) -> None:
    if not chain.targets:
        graph.edge(block, graph.node(("uri", chain.word.text), chain.word.text, "uri"), chain.kind)
        return
    for target in chain.targets:
        # in a whole tree, the start of the target's cluster; alone, a node for the file
        node = graph.node(_file_key(target), target.name, "file", clusters.get(id(target)))
        graph.edge(block, node, chain.kind)


SHAPES = {
    "file": "folder",
    "label": "box",
    "menu": "tab",
    "item": "note",
    "uri": "component",
    "end": "oval",
    "boot": "oval",
    "error": "octagon",
}


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def to_dot(graph: Graph) -> str:
    ids = graph.ids()
    lines = ["digraph ipxe {", "  rankdir=LR;", "  node [fontname=monospace];"]
    by_cluster: dict[int | None, list[str]] = {}
    for key, node in graph.nodes.items():
        line = f"{ids[key]} [label={_quote(node.label)}, shape={SHAPES.get(node.kind, 'box')}];"
        by_cluster.setdefault(node.cluster, []).append(line)
    lines += [f"  {line}" for line in by_cluster.pop(None, [])]
    for number, members in sorted(by_cluster.items(), key=lambda kv: kv[0] or 0):
        lines.append(f"  subgraph cluster_{number} {{")
        lines.append(f"    label={_quote(graph.clusters[number or 0])};")
        lines += [f"    {line}" for line in members]
        lines.append("  }")
    for a, b, label in graph.edges:
        attr = f" [label={_quote(label)}]" if label else ""
        lines.append(f"  {ids[a]} -> {ids[b]}{attr};")
    lines.append("}")
    return "\n".join(lines) + "\n"


MERMAID_SHAPES = {"menu": ('{{"', '"}}'), "end": ('(["', '"])'), "file": ('[/"', '"/]')}


def to_mermaid(graph: Graph) -> str:
    ids = graph.ids()
    lines = ["flowchart LR"]
    by_cluster: dict[int | None, list[str]] = {}
    for key, node in graph.nodes.items():
        text = node.label.replace('"', "#quot;")
        shape = MERMAID_SHAPES.get(node.kind, ('["', '"]'))
        by_cluster.setdefault(node.cluster, []).append(f"{ids[key]}{shape[0]}{text}{shape[1]}")
    lines += [f"  {line}" for line in by_cluster.pop(None, [])]
    for number, members in sorted(by_cluster.items(), key=lambda kv: kv[0] or 0):
        title = graph.clusters[number or 0].replace('"', "#quot;")
        lines.append(f'  subgraph c{number} ["{title}"]')
        lines += [f"    {line}" for line in members]
        lines.append("  end")
    for a, b, label in graph.edges:
        text = label.replace('"', "#quot;").replace("|", "/")
        arrow = f' -->|"{text}"| ' if label else " --> "
        lines.append(f"  {ids[a]}{arrow}{ids[b]}")
    return "\n".join(lines) + "\n"


def raw(text: str) -> bytes:
    """Labels keep the script's bytes (decoded with surrogateescape), whatever encoding stdout has."""
    return text.encode("utf-8", "surrogateescape")


@click.command(
    name="graph",
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog="""\b
Examples:
  ipxescript graph boot.ipxe > boot.dot
  ipxescript graph boot.ipxe --format svg > boot.svg     (needs Graphviz: apt-get install graphviz)
  ipxescript graph boot.ipxe --format mermaid --tree     every chained script too
  ipxescript graph --tree menu.ipxe --map http://boot.example/=. --format svg > tree.svg
  ipxescript graph boot.ipxe | dot -Tpng > boot.png
  cat boot.ipxe | ipxescript graph -""",
)
@click.argument("script", type=click.Path(dir_okay=False, allow_dash=True))
@click.option(
    "--format", "fmt", type=click.Choice(["dot", "mermaid", "svg"]), default="dot", show_default=True
)
@click.option(
    "--tree", is_flag=True, help="Draw every script SCRIPT reaches by chains, one cluster per file."
)
@click.option(
    "--map",
    "maps",
    multiple=True,
    metavar="PREFIX=TARGET",
    help="Read URLs starting with PREFIX from the folder TARGET when following chains (as ipxesim --map).",
)
@click.option(
    "--root",
    type=click.Path(file_okay=False, exists=True),
    default=None,
    help="The tree's folder, searched for scripts (default: SCRIPT's folder).",
)
def graph_command(script: str, fmt: str, tree: bool, maps: tuple[str, ...], root: str | None) -> None:
    """Draw the menus, labels, gotos and chains of SCRIPT (`-` reads standard input).

    --format svg runs Graphviz's `dot` (apt-get install graphviz); dot and mermaid need nothing.
    """
    # The tree is a large graph of small objects with no cycles to free: without the cyclic collector
    # scanning it again and again, a 1 MB script is drawn in about half the time.
    collecting = gc.isenabled()
    gc.disable()
    try:
        graph = build_graph(script, tree, maps, root)
    except MapError as exc:
        click.echo(f"ipxescript graph: --map {exc}", err=True)
        sys.exit(2)
    except InputError as exc:
        click.echo(f"ipxescript graph: {exc.message}", err=True)
        sys.exit(2)
    except OSError as exc:
        click.echo(f"ipxescript graph: {script}: {exc.strerror or exc}", err=True)
        sys.exit(2)
    finally:
        if collecting:
            gc.enable()
    if fmt == "mermaid":
        click.echo(raw(to_mermaid(graph)), nl=False)
        return
    dot = to_dot(graph)
    if fmt == "dot":
        click.echo(raw(dot), nl=False)
        return
    tool = shutil.which("dot")
    if tool is None:
        click.echo(
            "ipxescript graph: --format svg needs Graphviz's 'dot' (apt-get install graphviz)", err=True
        )
        sys.exit(1)
    done = subprocess.run(
        [tool, "-Tsvg"], input=dot.encode("utf-8", "replace"), capture_output=True, timeout=600, check=False
    )
    if done.returncode != 0:
        click.echo(f"ipxescript graph: dot failed: {done.stderr.decode(errors='replace')}", err=True)
        sys.exit(1)
    click.echo(done.stdout, nl=False)
