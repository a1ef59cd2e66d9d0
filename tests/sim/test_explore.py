"""--explore: every path, loops by repeated state, fetch failures, bounds."""

from __future__ import annotations

from ipxescript.sim import RunOptions
from ipxescript.sim.explore import explore, format_table


def test_every_menu_item_and_prompt_branch(run):
    path = run.file(
        "main.ipxe",
        "#!ipxe\nmenu M\nitem a A\nitem b B\nchoose x || exit 9\ngoto ${x}\n:a\n"
        "prompt --key y --timeout 1000 sure? && exit 0 || exit 2\n:b\nchain sub.ipxe\n",
    )
    run.file("sub.ipxe", "#!ipxe\nkernel http://srv/k.efi\nboot\n")
    report = explore(str(path), RunOptions(offline=True))
    table = {" ".join(p["inputs"]): p["summary"] for p in report["paths"]}
    assert table == {
        "menu=a prompt=key y": "exit 0",
        "menu=a prompt=another key": "exit 0x2",
        "menu=a prompt=timeout": "exit 0x2",
        "menu=b": "boot http://srv/k.efi",
        "menu=ESC": "exit 0x9",
    }
    assert report["truncated"] is False


def test_loop_through_menu_is_detected(run):
    path = run.file(
        "main.ipxe", "#!ipxe\n:top\nmenu M\nitem top Again\nitem out Out\nchoose x\ngoto ${x}\n:out\n"
    )
    report = explore(str(path), RunOptions())
    outcomes = [(" ".join(p["inputs"]), p["outcome"]) for p in report["paths"]]
    assert ("menu=top menu=top", "loop") in outcomes
    assert ("menu=out", "exit") in outcomes


def test_fetch_failures_are_explored_on_request(run):
    path = run.file("main.ipxe", "#!ipxe\nkernel http://srv/k || goto rescue\nboot\n:rescue\nshell\n")
    plain = explore(str(path), RunOptions(offline=True))
    assert [p["outcome"] for p in plain["paths"]] == ["boot"]
    failing = explore(str(path), RunOptions(offline=True), failures=True)
    assert [p["outcome"] for p in failing["paths"]] == ["boot", "shell"]
    assert failing["paths"][1]["inputs"] == ["fetch=fail"]


def test_max_paths_truncates(run):
    items = "".join(f"item i{n} I{n}\n" for n in range(10))
    path = run.file("main.ipxe", f"#!ipxe\nmenu M\n{items}choose x\n")
    report = explore(str(path), RunOptions(), max_paths=4)
    assert report["count"] == 4 and report["truncated"] is True
    assert "stopped at --max-paths" in format_table(report)


def test_error_paths_name_file_and_line(run):
    path = run.file(
        "main.ipxe", "#!ipxe\nmenu M\nitem ok OK\nitem bad Bad\nchoose x\ngoto ${x}\n:bad\nnosuch\n:ok\n"
    )
    report = explore(str(path), RunOptions(profile="debian-12-efi"))
    bad = next(p for p in report["paths"] if p["inputs"] == ["menu=bad"])
    assert bad["summary"] == "error at main.ipxe:8: Exec format error"
