"""Regressions from the real-world validation (notes/realworld.md S1-S4, offline relative images)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ipxescript.sim import RunOptions, simulate
from ipxescript.sim.explore import explore


def write(tmp_path: Path, name: str, text: str | bytes) -> str:
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return str(path)


# -- S1: a script that chains itself ends as `loop`, never a RecursionError -------------------------


def test_chain_of_unset_setting_runs_itself_nested_until_the_depth_cap(tmp_path):
    # an empty URI resolves to cwuri: the script itself, nested again and again
    result = simulate(write(tmp_path, "s1.ipxe", "#!ipxe\nchain ${nothing} ||\n"), RunOptions(offline=True))
    assert result.outcome == "loop"
    assert result.where == "s1.ipxe:2"
    assert "scripts nested more than" in result.message


def test_plain_self_chain_hits_the_depth_cap_in_explore(tmp_path):
    report = explore(write(tmp_path, "self.ipxe", "#!ipxe\nchain self.ipxe\n"), RunOptions(offline=True))
    assert [p["outcome"] for p in report["paths"]] == ["loop"]


def test_replace_is_a_tail_call_not_nesting(tmp_path):
    # 1500 replacements with a changing counter: far deeper than any nesting cap, and it ends normally
    text = "#!ipxe\nisset ${n} || set n:int32 0\niseq ${n} 1500 && exit 7 ||\ninc n\nchain --replace again.ipxe\n"
    result = simulate(write(tmp_path, "again.ipxe", text), RunOptions(offline=True))
    assert (result.outcome, result.status) == ("exit", 7)


def test_replace_itself_in_the_same_state_is_a_loop(tmp_path):
    text = "#!ipxe\necho tick\nchain --replace selfrep.ipxe\n"
    result = simulate(write(tmp_path, "selfrep.ipxe", text), RunOptions(offline=True))
    assert result.outcome == "loop"
    assert result.where == "selfrep.ipxe:3"
    assert result.console.count("tick") >= 1


def test_max_steps_bounds_a_changing_replace_loop(tmp_path):
    text = "#!ipxe\nisset ${n} || set n:int32 0\ninc n\nchain --replace count.ipxe\n"
    result = simulate(write(tmp_path, "count.ipxe", text), RunOptions(offline=True, max_steps=500))
    assert result.outcome == "loop"
    assert "500" in result.message


def test_replace_autofree_of_unset_menu_url_in_explore(tmp_path):
    path = write(tmp_path, "host.ipxe", "#!ipxe\nchain --replace --autofree ${menu-url} || shell\n")
    report = explore(path, RunOptions(offline=True))
    assert report["outcomes"] == {"loop": 1}


# -- S2: bytes that are not UTF-8 under a strict UTF-8 stdout --------------------------------------


def run_cli_strict_utf8(*args: str) -> subprocess.CompletedProcess[bytes]:
    env = dict(os.environ, PYTHONIOENCODING="utf-8", LC_ALL="C.UTF-8")
    code = "from ipxescript.sim.cli import main; main()"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, env=env, timeout=60)


def test_text_output_writes_the_script_bytes_raw(tmp_path):
    path = write(tmp_path, "gbk.ipxe", b"#!ipxe\necho caf\xe9 \xc4\xe3\n")
    done = run_cli_strict_utf8("--offline", path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == b"caf\xe9 \xc4\xe3\n== exit 0\n"


def test_json_output_escapes_bytes_that_are_not_utf8(tmp_path):
    path = write(tmp_path, "gbk.ipxe", b"#!ipxe\necho caf\xe9\n")
    done = run_cli_strict_utf8("--offline", "--json", path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["console"] == "caf\udce9\n"


def test_explore_json_with_bytes_that_are_not_utf8(tmp_path):
    path = write(tmp_path, "gbk.ipxe", b"#!ipxe\nmenu \xc4\xe3\nitem a caf\xe9\nchoose x && exit\n")
    # the Esc path ends in an error (choose fails): --fail-on never keeps the exit status on the bytes
    done = run_cli_strict_utf8("--offline", "--explore", "--fail-on", "never", "--json", path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["count"] >= 1
    done = run_cli_strict_utf8("--offline", "--explore", "--fail-on", "never", path)
    assert done.returncode == 0, done.stderr


# -- S4: unset numeric tags are empty; pci answers only with its prefix -----------------------------


@pytest.mark.parametrize("tag", ["2", "4", "66", "210", "66:string", "210:string", "net0/66"])
def test_unset_numeric_tag_expands_to_nothing(tmp_path, tag):
    result = simulate(write(tmp_path, "t.ipxe", f"#!ipxe\necho [${{{tag}}}]\n"), RunOptions(offline=True))
    assert result.console == "[]\n"


def test_pci_block_still_answers_with_its_prefix(tmp_path):
    result = simulate(write(tmp_path, "t.ipxe", "#!ipxe\necho ${pci/0.0.2}\n"), RunOptions(offline=True))
    assert result.console == "8086\n"


# -- --offline: relative images next to a local script are assumed present --------------------------


def test_offline_relative_images_are_assumed_present(tmp_path):
    path = write(tmp_path, "m.ipxe", "#!ipxe\nkernel gentoo root=/dev/sda\ninitrd initrd.img\nboot\n")
    result = simulate(path, RunOptions(offline=True))
    assert result.outcome == "boot"
    assert result.boot is not None and result.boot["verified"] is False
    assert [f["verified"] for f in result.fetches][-2:] == [False, False]
    online = simulate(path, RunOptions())
    assert (online.outcome, online.where) == ("error", "m.ipxe:2")


def test_offline_missing_top_script_is_still_an_error(tmp_path):
    result = simulate(str(tmp_path / "absent.ipxe"), RunOptions(offline=True))
    assert result.outcome == "error"
    assert result.error == "No such file or directory"


# -- explore: bounded by time, and only the run outcomes ----------------------------------------------


def slow_menu(tmp_path: Path) -> str:
    sets = "".join(f"set v{n} {n}\n" for n in range(100))
    items = "".join(f"item i{n} Item {n}\n" for n in range(40))
    bodies = "".join(
        f":i{n}\nprompt --timeout 1000 go? || goto top\nkernel http://h/{n}/vmlinuz\nboot || goto top\n"
        for n in range(40)
    )
    text = f"#!ipxe\n:top\n{sets}menu M\n{items}choose --timeout 1000 x || goto top\ngoto ${{x}}\n{bodies}"
    return write(tmp_path, "slow.ipxe", text)


def test_explore_stops_at_the_time_limit_and_says_so(tmp_path):
    report = explore(slow_menu(tmp_path), RunOptions(offline=True), max_paths=100000, time_limit=0.5)
    assert report["truncated"] is True and report["truncated_by"] == "time_limit"
    assert report["seconds"] < 5
    from ipxescript.sim.explore import format_table

    assert "truncated: stopped at --time-limit" in format_table(report)


def test_explore_outcomes_are_run_outcomes_and_joins_name_the_path(tmp_path):
    from ipxescript.sim.state import OUTCOMES

    report = explore(slow_menu(tmp_path), RunOptions(offline=True), max_paths=300, time_limit=None)
    assert set(report["outcomes"]) <= set(OUTCOMES)
    joined = [p for p in report["paths"] if p["joins"]]
    assert joined
    for path in joined:
        target = report["paths"][path["joins"] - 1]
        assert (path["outcome"], path["where"]) == (target["outcome"], target["where"])
        assert path["summary"].startswith(f"as path {path['joins']}: ")


def test_graph_keeps_bytes_that_are_not_utf8(tmp_path):
    path = write(tmp_path, "g.ipxe", b"#!ipxe\nmenu \xc4\xe3\nitem st caf\xe9\nchoose x && goto ${x}\n:st\n")
    env = dict(os.environ, PYTHONIOENCODING="utf-8", LC_ALL="C.UTF-8")
    code = "from ipxescript.cli import main; main()"
    done = subprocess.run(
        [sys.executable, "-c", code, "graph", path, "--format", "mermaid"],
        capture_output=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert b"\xc4\xe3" in done.stdout  # the menu title, raw


def test_cli_time_limit_reports_truncation(tmp_path):
    from click.testing import CliRunner

    from ipxescript.sim.cli import sim_command

    path = slow_menu(tmp_path)
    args = ["--offline", "--explore", "--max-paths", "100000", "--time-limit", "0.3"]
    done = CliRunner().invoke(sim_command, [*args, "--json", path], catch_exceptions=False)
    report = json.loads(done.stdout)
    assert (report["truncated"], report["truncated_by"]) == (True, "time_limit")
    done = CliRunner().invoke(sim_command, [*args, path], catch_exceptions=False)
    assert "(truncated: stopped at --time-limit; more paths exist)\n" in done.stdout  # then the coverage
