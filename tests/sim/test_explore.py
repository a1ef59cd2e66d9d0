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


def test_a_menu_shown_again_by_the_users_choice_is_back_not_loop(run):
    # the user can always choose another item there: the firmware just shows the menu again
    path = run.file(
        "main.ipxe", "#!ipxe\n:top\nmenu M\nitem top Again\nitem out Out\nchoose x\ngoto ${x}\n:out\n"
    )
    report = explore(str(path), RunOptions())
    outcomes = [(" ".join(p["inputs"]), p["outcome"]) for p in report["paths"]]
    assert ("menu=top menu=top", "back") in outcomes
    assert ("menu=out", "exit") in outcomes
    assert "loop" not in report["outcomes"]
    back = next(p for p in report["paths"] if p["outcome"] == "back")
    assert back["summary"] == (
        "back at main.ipxe:6: the menu comes back as it was shown (after menu=top); the user chooses again"
    )


def test_a_sub_menu_and_back_is_back(run):
    path = run.file(
        "main.ipxe",
        "#!ipxe\n:main\nmenu Main\nitem sub Sub\nitem boot Boot\nchoose x || goto main\ngoto ${x}\n"
        ":sub\nmenu Sub\nitem back Back\nchoose y || goto main\ngoto main\n:boot\nkernel http://srv/k\nboot\n",
    )
    report = explore(str(path), RunOptions(offline=True))
    assert set(report["outcomes"]) == {"boot", "back"}


def test_a_menu_that_replaces_itself_on_the_users_choice_is_back(run):
    path = run.file(
        "main.ipxe",
        "#!ipxe\nmenu M\nitem linux Linux\nitem again Again\nchoose x || exit 0\ngoto ${x}\n"
        ":again\nchain --replace main.ipxe\n:linux\nkernel http://srv/k\nboot\n",
    )
    report = explore(str(path), RunOptions(offline=True))
    assert report["outcomes"] == {"boot": 2, "exit": 2, "back": 1}
    itself = run.file("self.ipxe", "#!ipxe\necho x\nchain --replace self.ipxe\n")
    assert explore(str(itself), RunOptions(offline=True))["outcomes"] == {"loop": 1}


def test_a_menu_that_chains_itself_or_counts_on_the_users_choice_is_back(run):
    # each choice nests one script deeper (or changes a setting): never the same state, still the user's round
    nests = run.file(
        "main.ipxe",
        "#!ipxe\nmenu M\nitem again Again\nitem out Out\nchoose x || exit 0\ngoto ${x}\n"
        ":again\nchain main.ipxe\n:out\n",
    )
    deepest = explore(str(nests), RunOptions(offline=True))["paths"][0]
    assert deepest["outcome"] == "back"
    assert deepest["message"] == (
        "scripts nested more than 48 deep, each after the user chose menu=again (a menu that chains itself);"
        " the user can choose otherwise"
    )
    counts = run.file(
        "count.ipxe", "#!ipxe\n:top\ninc n\nmenu M\nitem top Again\nitem out Out\nchoose x\ngoto ${x}\n:out\n"
    )
    longest = explore(str(counts), RunOptions(offline=True), max_paths=5)["paths"][0]
    assert (longest["outcome"], longest["message"]) == (
        "back",
        "more than 60 choices on one path (the user chose menu=top); the user can choose otherwise",
    )
    itself = run.file("self.ipxe", "#!ipxe\nchain self.ipxe\n")
    assert explore(str(itself), RunOptions(offline=True))["paths"][0]["message"] == (
        "scripts nested more than 48 deep (a script chains itself?)"
    )


def test_a_cycle_with_no_input_in_it_is_a_loop(run):
    # a menu that times out into itself, a prompt that leaves whatever is pressed: nobody chose anything
    path = run.file(
        "main.ipxe",
        "#!ipxe\n:top\nmenu M\nitem top Again\nitem out Out\nchoose --timeout 1000 x\ngoto ${x}\n:out\n"
        ":p\nprompt Press a key\ngoto p\n",
    )
    report = explore(str(path), RunOptions())
    by_inputs = {" ".join(p["inputs"]): p for p in report["paths"]}
    timeout = by_inputs["menu=top menu=timeout"]  # x=top from here on: the menu times out into itself
    assert timeout["outcome"] == "loop"
    assert timeout["message"] == "the same state came back at this menu with no input (an endless loop)"
    assert by_inputs["menu=top menu=top"]["outcome"] == "back"
    # a prompt with one answer: pressing its key is no choice
    assert by_inputs["menu=out prompt=any key"]["outcome"] == "loop"


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
