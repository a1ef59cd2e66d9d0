"""The boot-tree model on trees shaped like real repositories (tests/data/trees/)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ipxescript.analysis.boottree import BootTree, MapError, parse_map
from ipxescript.analysis.model import ScriptModel
from ipxescript.syntax.parser import parse

TREES = Path(__file__).parent.parent / "data" / "trees"


def load(name: str, *maps: str) -> BootTree:
    root = TREES / name
    files = sorted(root.rglob("*.ipxe"))
    models = [(p, ScriptModel(parse(p.read_bytes(), str(p)))) for p in files]
    return BootTree(models, root, maps=[parse_map(m, root) for m in maps])


def edges(tree: BootTree) -> list[tuple[str, str, list[str], str]]:
    return [(e.where, e.word.text, [t.name for t in e.targets], e.reason) for e in tree.edges]


def test_netboot_dispatcher_chains_every_sub_menu_by_pattern() -> None:
    tree = load("netboot")
    assert [f.name for f in tree.entries] == ["menu.ipxe"]
    assert edges(tree) == [
        ("menu.ipxe:16", "${menu}.ipxe", ["linux.ipxe", "tools.ipxe"], ""),
        ("tools.ipxe:9", "${base-url}/memtest/memtest.efi", [], "remote"),
    ]
    linux = tree.file(TREES / "netboot" / "linux.ipxe")
    assert linux is not None
    assert tree.describe_path(linux) == "via menu.ipxe:16 → linux.ipxe"
    handler = tree.edges_to(linux)[0].failure_handler
    assert handler is not None and [w.text for w in handler.words] == ["goto", "error"]
    # settings are global: the sub-menu sees what the menu set, the menu what the sub-menu set
    menu = tree.file(TREES / "netboot" / "menu.ipxe")
    assert menu is not None
    assert tree.setting_written(linux, "base-url") and tree.setting_written(linux, "space")
    assert not linux.model.settings.is_written("base-url")
    assert tree.setting_written(menu, "os") and tree.setting_read(menu, "os")
    assert not tree.setting_written(linux, "baseurl")


def test_matchbox_chain_through_base_url_needs_the_map() -> None:
    mapped = load("matchbox", "http://matchbox.example:8080=.")
    assert [f.name for f in mapped.entries] == ["boot.ipxe"]
    assert edges(mapped) == [
        ("boot.ipxe:5", "${base-url}/ipxe.ipxe?uuid=${uuid}&mac=${mac:hexhyp}", ["ipxe.ipxe"], ""),
        (
            "ipxe.ipxe:2",
            "${base-url}/profiles/${profile}.ipxe",
            ["profiles/controller.ipxe", "profiles/worker.ipxe"],
            "pattern",
        ),
    ]
    worker = mapped.file(TREES / "matchbox" / "profiles" / "worker.ipxe")
    assert worker is not None
    assert mapped.describe_path(worker) == "via boot.ipxe:5 → ipxe.ipxe:2 → profiles/worker.ipxe"
    # without the map the URL is remote: an open edge, never guessed
    unmapped = load("matchbox")
    assert [reason for *_rest, reason in edges(unmapped)] == ["remote", "remote"]
    assert len(unmapped.entries) == 4


def test_per_host_redirect_tree() -> None:
    tree = load("perhost")
    assert [f.name for f in tree.entries] == ["boot.ipxe"]
    assert edges(tree) == [
        # the MAC is not known: the per-host scripts are matched by the pattern, not named
        (
            "boot.ipxe:3",
            "hosts/${mac:hexraw}.ipxe",
            ["hosts/525400123456.ipxe", "hosts/default.ipxe"],
            "pattern",
        ),
        ("boot.ipxe:3", "hosts/default.ipxe", ["hosts/default.ipxe"], ""),
        ("hosts/525400123456.ipxe:4", "../install.ipxe", ["install.ipxe"], ""),
        ("hosts/default.ipxe:4", "../install.ipxe", ["install.ipxe"], ""),
    ]
    install = tree.file(TREES / "perhost" / "install.ipxe")
    assert install is not None
    assert [p.name for p in tree.parents(install)] == ["hosts/525400123456.ipxe", "hosts/default.ipxe"]
    assert tree.setting_written(install, "role") and not install.model.settings.is_written("role")


def test_computed_base_stays_open() -> None:
    root = Path("/srv/tree")
    text = "#!ipxe\nchain ${next-server-url}/menu.ipxe\nchain ${17}/x.ipxe\n"
    models = [
        (root / "a.ipxe", ScriptModel(parse(text, "/srv/tree/a.ipxe"))),
        (root / "menu.ipxe", ScriptModel(parse("#!ipxe\n", "/srv/tree/menu.ipxe"))),
    ]
    tree = BootTree(models, root)
    assert [(e.targets, e.reason) for e in tree.edges] == [([], "computed"), ([], "computed")]


def test_bad_map() -> None:
    with pytest.raises(MapError, match="PREFIX=TARGET"):
        parse_map("http://x")


@pytest.mark.parametrize("name", sorted(p.name for p in TREES.iterdir() if p.is_dir()))
def test_tree_binds_only_the_commands_it_reads(name: str) -> None:
    """The tree binds chain/load and store commands only (ipxelint builds it before forking its
    workers, which bind the rest in parallel), and gives what a tree over fully bound models gives."""
    lazy = load(name)
    # a menu's choice needs the menus (every command); other files keep the rest unbound
    assert all(
        "commands" not in f.model.__dict__ for f in lazy.files.values() if "choose" not in f.script.text
    )
    bound = [(f.path, ScriptModel(parse(f.path.read_bytes(), str(f.path)))) for f in lazy.files.values()]
    for _path, model in bound:
        model.commands  # noqa: B018 - every command bound before the tree is built
    eager = BootTree(bound, TREES / name)
    assert edges(lazy) == edges(eager)
    assert [f.name for f in lazy.entries] == [f.name for f in eager.entries]
    for f in lazy.files.values():
        for setting in sorted(f.model.settings.written_names):
            assert lazy.values_of(f, setting) == eager.values_of(eager.files[f.path], setting)
