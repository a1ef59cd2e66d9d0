"""ipxesim --explore on an entry with --map follows chains into the tree and reports, per file, which
labels no path runs and which menu items no path chooses."""

from __future__ import annotations

import json

from click.testing import CliRunner

from ipxescript.sim.cli import sim_command

MENU = """#!ipxe
set base-url http://boot.example/ipxe
menu Boot
item linux Linux
item tools Tools
choose os || exit 1
goto ${os}
:linux
chain ${base-url}/linux.ipxe || goto failed
:tools
chain ${base-url}/tools/index.ipxe
exit 0
:failed
echo failed
shell
:retired
echo nothing goes here any more
"""
LINUX = """#!ipxe
kernel ${base-url}/vmlinuz
boot
:rescue
echo rescue
shell
"""
TOOLS = """#!ipxe
menu Tools
item memtest Memtest
item --gap --
item back Back
choose tool && goto ${tool} || exit 0
:memtest
kernel ${base-url}/memtest
boot
:back
exit 0
:hidden
menu Hidden
item secret Never shown
choose x
"""


def explore(*args: str) -> str:
    result = CliRunner().invoke(sim_command, list(args), catch_exceptions=False)
    return result.stdout


def test_explore_reports_unreached_labels_and_items_per_file(tmp_path):
    (tmp_path / "menu.ipxe").write_text(MENU)
    (tmp_path / "linux.ipxe").write_text(LINUX)
    (tmp_path / "tools").mkdir()
    (tmp_path / "tools" / "index.ipxe").write_text(TOOLS)
    mapping = f"http://boot.example/ipxe/={tmp_path}/"
    entry = str(tmp_path / "menu.ipxe")
    out = explore(entry, "--explore", "--offline", "--map", mapping)
    lines = out.splitlines()
    # only a failed download reaches :failed (see below)
    assert (
        "menu.ipxe: 2/4 labels, 2/2 items reached; no path reaches: :failed (line 13), :retired (line 16)"
    ) in lines
    assert "linux.ipxe: 0/1 labels, 0/0 items reached; no path reaches: :rescue (line 4)" in lines
    assert (
        "tools/index.ipxe: 2/3 labels, 2/3 items reached; no path reaches: :hidden (line 12), "
        "item secret (line 14)"
    ) in lines

    report = json.loads(explore(entry, "--explore", "--offline", "--map", mapping, "--json"))
    by_file = {c["file"]: c for c in report["coverage"]}
    assert set(by_file) == {"menu.ipxe", "linux.ipxe", "tools/index.ipxe"}
    assert by_file["menu.ipxe"]["unreached"] == [
        {"kind": "label", "name": "failed", "line": 13},
        {"kind": "label", "name": "retired", "line": 16},
    ]
    assert by_file["tools/index.ipxe"]["items"] == 3


def test_failed_downloads_reach_the_parents_handler(tmp_path):
    (tmp_path / "menu.ipxe").write_text(MENU)
    (tmp_path / "linux.ipxe").write_text(LINUX)
    (tmp_path / "tools").mkdir()
    (tmp_path / "tools" / "index.ipxe").write_text(TOOLS)
    mapping = f"http://boot.example/ipxe/={tmp_path}/"
    out = explore(
        str(tmp_path / "menu.ipxe"), "--explore", "--explore-failures", "--offline", "--map", mapping
    )
    lines = out.splitlines()
    assert "menu.ipxe: 3/4 labels, 2/2 items reached; no path reaches: :retired (line 16)" in lines
    # each path that fetches the tools menu successfully still reaches both of its items
    assert any(line.startswith("tools/index.ipxe: 2/3 labels, 2/3 items reached") for line in lines)
