"""``ipxescript graph SCRIPT --format dot|mermaid|svg``: menus, labels, gotos and chains as a graph.

Static: it reads the script (and local scripts it chains by a literal relative path), splits each file
into blocks at labels, and draws falls-through, goto, menu item and chain/boot edges. ``goto ${x}``
after ``choose x`` is drawn to every label named like an item of that menu.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field

import click

from ipxescript.syntax.parser import parse

MAX_FILES = 50
CHAIN_COMMANDS = {"chain", "boot", "imgexec"}
KERNEL_COMMANDS = {"kernel", "imgselect", "imgload"}


@dataclass
class Graph:
    nodes: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> (label, kind)
    edges: list[tuple[str, str, str]] = field(default_factory=list)  # (from, to, label)

    def node(self, node_id: str, label: str, kind: str) -> str:
        self.nodes.setdefault(node_id, (label, kind))
        return node_id

    def edge(self, a: str, b: str, label: str = "") -> None:
        if (a, b, label) not in self.edges:
            self.edges.append((a, b, label))


def build_graph(path: str) -> Graph:
    graph = Graph()
    queue = [os.path.abspath(path)]
    seen: set[str] = set()
    while queue and len(seen) < MAX_FILES:
        current = queue.pop(0)
        if current in seen:
            continue
        seen.add(current)
        queue.extend(_add_file(graph, current))
    return graph


def _add_file(graph: Graph, path: str) -> list[str]:
    name = os.path.basename(path)
    with open(path, "rb") as handle:
        script = parse(handle.read(), path=path)
    start = graph.node(f"{name}", name, "file")
    labels = {ln.label.name for ln in script.lines if ln.label is not None}
    block = start
    falls = True
    menus: dict[str | None, list[str]] = {}
    current_menu: str | None = None
    chosen_vars: dict[str, list[str]] = {}
    follow: list[str] = []
    for line in script.lines:
        if line.label is not None:
            target = graph.node(f"{name}:{line.label.name}", f":{line.label.name}", "label")
            if falls:
                graph.edge(block, target)
            block, falls = target, True
        conditional = any(op.text == "||" or op.text == "&&" for op in line.operators)
        for command in line.commands:
            words = [w.text for w in command.words]
            if not words:
                continue
            verb, args = words[0], [w for w in words[1:] if not w.startswith("-")]
            if verb == "menu":
                menu_name = _option(words, "--name", "-n")
                current_menu = menu_name
                menus[menu_name] = []
                menu_id = graph.node(
                    f"{name}:menu:{menu_name}:{line.index}", " ".join(args) or "menu", "menu"
                )
                graph.edge(block, menu_id)
                menus[menu_name].append(menu_id)
            elif verb == "item" and "--gap" not in words and args:
                menu_name = _option(words, "--menu", "-m") or current_menu
                if menus.get(menu_name):
                    menus[menu_name].append(args[0])
            elif verb == "choose" and args:
                menu_name = _option(words, "--menu", "-m") or current_menu
                items = menus.get(menu_name, [])
                chosen_vars[args[-1]] = items[1:]
                if items:
                    menu_id = items[0]
                    for item in items[1:]:
                        if item in labels:
                            graph.edge(menu_id, f"{name}:{item}", item)
                        else:
                            leaf = graph.node(f"{name}:item:{item}", item, "item")
                            graph.edge(menu_id, leaf, item)
            elif verb == "goto" and args:
                target_text = args[0]
                if "${" in target_text:
                    var = target_text.strip("${}")
                    for item in chosen_vars.get(var, []):
                        if item in labels:
                            graph.edge(block, f"{name}:{item}", f"${{{var}}}")
                elif target_text in labels:
                    graph.edge(block, f"{name}:{target_text}", "goto")
                else:
                    graph.edge(
                        block, graph.node(f"{name}:missing:{target_text}", f"missing :{target_text}", "error")
                    )
                if not conditional:
                    falls = False
            elif verb in CHAIN_COMMANDS and args:
                target = args[0]
                local = os.path.join(os.path.dirname(path), target)
                if "://" not in target and "${" not in target and os.path.isfile(local) and _is_script(local):
                    graph.edge(block, os.path.basename(local), verb)
                    follow.append(os.path.abspath(local))
                else:
                    graph.edge(block, graph.node(f"uri:{target}", target, "uri"), verb)
                if "--replace" in words or "-r" in words:
                    falls = False
            elif verb in CHAIN_COMMANDS:
                graph.edge(block, graph.node("boot", "boot selected image", "boot"), verb)
                if not conditional:
                    falls = False
            elif verb in KERNEL_COMMANDS and args:
                graph.edge(block, graph.node(f"uri:{args[0]}", args[0], "uri"), verb)
            elif verb in ("exit", "reboot", "poweroff", "shell", "sanboot"):
                graph.edge(block, graph.node(f"end:{verb}", verb, "end"), verb)
                if not conditional and verb != "shell":
                    falls = False
    return follow


def _option(words: list[str], long: str, short: str) -> str | None:
    for i, word in enumerate(words):
        if word in (long, short) and i + 1 < len(words):
            return words[i + 1]
        if word.startswith(long + "="):
            return word.split("=", 1)[1]
    return None


def _is_script(path: str) -> bool:
    with open(path, "rb") as handle:
        head = handle.read(7)
    return len(head) == 7 and head[:6] in (b"#!ipxe", b"#!gpxe")


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
    lines = ["digraph ipxe {", "  rankdir=LR;", "  node [fontname=monospace];"]
    for node_id, (label, kind) in graph.nodes.items():
        lines.append(f"  {_quote(node_id)} [label={_quote(label)}, shape={SHAPES.get(kind, 'box')}];")
    for a, b, label in graph.edges:
        attr = f" [label={_quote(label)}]" if label else ""
        lines.append(f"  {_quote(a)} -> {_quote(b)}{attr};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def to_mermaid(graph: Graph) -> str:
    ids = {node_id: f"n{i}" for i, node_id in enumerate(graph.nodes)}
    lines = ["flowchart LR"]
    for node_id, (label, kind) in graph.nodes.items():
        text = label.replace('"', "#quot;")
        shape = {"menu": ('{{"', '"}}'), "end": ('(["', '"])'), "file": ('[/"', '"/]')}.get(
            kind, ('["', '"]')
        )
        lines.append(f"  {ids[node_id]}{shape[0]}{text}{shape[1]}")
    for a, b, label in graph.edges:
        text = label.replace('"', "#quot;").replace("|", "/")
        arrow = f' -->|"{text}"| ' if label else " --> "
        lines.append(f"  {ids.get(a, a)}{arrow}{ids.get(b, b)}")
    return "\n".join(lines) + "\n"


def raw(text: str) -> bytes:
    """Labels keep the script's bytes (decoded with surrogateescape), whatever encoding stdout has."""
    return text.encode("utf-8", "surrogateescape")


@click.command(name="graph", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("script", type=click.Path(dir_okay=False))
@click.option(
    "--format", "fmt", type=click.Choice(["dot", "mermaid", "svg"]), default="dot", show_default=True
)
def graph_command(script: str, fmt: str) -> None:
    """Draw the menus, labels, gotos and chains of SCRIPT."""
    try:
        graph = build_graph(script)
    except OSError as exc:
        click.echo(f"ipxescript graph: {script}: {exc.strerror or exc}", err=True)
        sys.exit(2)
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
        [tool, "-Tsvg"], input=dot.encode("utf-8", "replace"), capture_output=True, timeout=60, check=False
    )
    if done.returncode != 0:
        click.echo(f"ipxescript graph: dot failed: {done.stderr.decode(errors='replace')}", err=True)
        sys.exit(1)
    click.echo(done.stdout, nl=False)
