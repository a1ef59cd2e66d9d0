"""ipxelint on boot trees shaped like real repositories (tests/data/trees/), the way users run it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
from conftest import DATA

TREES = Path(__file__).resolve().parents[1] / "data" / "trees"


def copy(tmp_path: Path, name: str) -> Path:
    target = tmp_path / name
    shutil.copytree(TREES / name, target)
    return target


def lint_json(run_cli, *args: str, cwd: Path) -> list[dict]:  # type: ignore[no-untyped-def]
    done = run_cli("--format", "json", "--fail-on", "never", *args, cwd=cwd)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_netboot_dispatcher_as_a_tree(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    copy(tmp_path, "netboot")
    found = lint_json(run_cli, "netboot", cwd=tmp_path)
    # the sub-menus read what menu.ipxe set: nothing says base-url, space or arch is never set
    assert [d for d in found if d["code"] == "IPX403"] == []
    # their `|| goto error` fails into menu.ipxe's handler: reported once per goto, in the child, as
    # an info naming the parent's handler, with the chain path
    gotos = [d for d in found if d["code"] == "IPX201"]
    assert [(d["path"], d["line"], d["severity"]) for d in gotos] == [
        ("netboot/linux.ipxe", 10, "info"),
        ("netboot/linux.ipxe", 11, "info"),
        ("netboot/linux.ipxe", 12, "info"),
        ("netboot/tools.ipxe", 9, "info"),
    ]
    assert "'goto error' (menu.ipxe:16)" in gotos[0]["message"]
    assert gotos[0]["via"] == "via menu.ipxe:16 → linux.ipxe"
    assert gotos[0]["related"] == [
        {"path": "netboot/menu.ipxe", "line": 16, "column": 1, "message": "chains ${menu}.ipxe"}
    ]
    # text output names the chain path under the finding
    text = run_cli("--fail-on", "never", "netboot", cwd=tmp_path).stdout
    assert "    via menu.ipxe:16 → linux.ipxe\n" in text
    # the sub-menu given by itself (the pre-commit hook passes the changed file): its folder is its
    # tree's context, so the findings are the folder's, and only linux.ipxe's are shown
    by_itself = lint_json(run_cli, "netboot/linux.ipxe", cwd=tmp_path)
    assert {d["path"] for d in by_itself} == {"netboot/linux.ipxe"}
    assert [(d["code"], d["line"], d["severity"], d.get("via")) for d in by_itself] == [
        (d["code"], d["line"], d["severity"], d.get("via"))
        for d in found
        if d["path"] == "netboot/linux.ipxe"
    ]
    # the same sub-menu alone (standard input): no parent known, the failures are warnings, settings
    # infos at most
    text = (tmp_path / "netboot" / "linux.ipxe").read_text()
    done = run_cli("--format", "json", "--fail-on", "never", "-", stdin=text, cwd=tmp_path)
    alone = json.loads(done.stdout)
    assert {d["severity"] for d in alone if d["code"] == "IPX201"} == {"warning"}
    assert {(d["message"].split("'")[1], d["severity"]) for d in alone if d["code"] == "IPX403"} == {
        ("base-url", "info"),
        ("space", "info"),
        ("arch", "info"),
    }
    assert all("via" not in d for d in alone)


def test_misspelt_setting_in_a_child_is_a_warning_with_the_chain_path(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    tree = copy(tmp_path, "netboot")
    linux = tree / "linux.ipxe"
    linux.write_text(linux.read_text().replace("initrd ${base-url}", "initrd ${baseurl}"))
    found = [d for d in lint_json(run_cli, "netboot", cwd=tmp_path) if d["code"] == "IPX403"]
    assert [(d["path"], d["line"], d["severity"]) for d in found] == [("netboot/linux.ipxe", 11, "warning")]
    assert (
        "did you mean 'base-url'" in found[0]["message"]
        and found[0]["via"] == "via menu.ipxe:16 → linux.ipxe"
    )
    # when the parent does not handle the failure (no `||` on its chain), the child's own rule holds
    menu = tree / "menu.ipxe"
    menu.write_text(menu.read_text().replace("chain ${menu}.ipxe || goto error", "chain ${menu}.ipxe"))
    gotos = [d for d in lint_json(run_cli, "netboot", cwd=tmp_path) if d["code"] == "IPX201"]
    assert {d["severity"] for d in gotos} == {"warning"} and "menu.ipxe" not in gotos[0]["message"]


def test_matchbox_chain_through_base_url_with_map(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    copy(tmp_path, "matchbox")
    unmapped = lint_json(run_cli, "matchbox", cwd=tmp_path)
    never_set = sorted({(d["path"], d["message"].split("'")[1]) for d in unmapped if d["code"] == "IPX403"})
    assert ("matchbox/profiles/worker.ipxe", "base-url") in never_set  # a remote chain: not followed
    mapped = lint_json(run_cli, "--map", "http://matchbox.example:8080=matchbox", "matchbox", cwd=tmp_path)
    never_set = sorted({(d["path"], d["message"].split("'")[1]) for d in mapped if d["code"] == "IPX403"})
    assert never_set == [
        ("matchbox/ipxe.ipxe", "profile"),
        ("matchbox/profiles/controller.ipxe", "ignition-url"),
    ]
    controller = next(d for d in mapped if d["path"] == "matchbox/profiles/controller.ipxe")
    assert controller["via"] == "via boot.ipxe:5 → ipxe.ipxe:2 → profiles/controller.ipxe"
    # the same from the config file, with the map's folder relative to it
    (tmp_path / "matchbox" / ".ipxelint.toml").write_text('map = ["http://matchbox.example:8080=."]\n')
    assert lint_json(run_cli, "matchbox", cwd=tmp_path) == mapped


def test_per_host_redirect_tree(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    copy(tmp_path, "perhost")
    found = lint_json(run_cli, "perhost", cwd=tmp_path)
    # install.ipxe reads the role each host script sets before chaining it
    assert [d for d in found if d["code"] in ("IPX403", "IPX404")] == []
    # given by itself, its folder's host scripts are still its parents; from standard input it is alone
    assert lint_json(run_cli, "perhost/install.ipxe", cwd=tmp_path) == []
    text = (tmp_path / "perhost" / "install.ipxe").read_text()
    alone = json.loads(
        run_cli("--format", "json", "--fail-on", "never", "-", stdin=text, cwd=tmp_path).stdout
    )
    assert [(d["code"], d["severity"], d["line"]) for d in alone] == [("IPX403", "info", 3)]


def test_entry_and_sarif_related_locations(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    copy(tmp_path, "netboot")
    done = run_cli("--format", "sarif", "--entry", "netboot/menu.ipxe", "netboot", cwd=tmp_path)
    log = json.loads(done.stdout)
    jsonschema.validate(log, json.loads((DATA / "sarif-schema-2.1.0.json").read_text()))
    result = next(r for r in log["runs"][0]["results"] if r["ruleId"] == "IPX201")
    assert result["relatedLocations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "netboot/menu.ipxe"
    assert result["relatedLocations"][0]["physicalLocation"]["region"]["startLine"] == 16
    assert result["message"]["text"].endswith("(via menu.ipxe:16 → linux.ipxe)")
    # naming a sub-menu as the entry: it has no parent in the tree's paths, findings name no path
    entry = lint_json(run_cli, "--entry", "netboot/linux.ipxe", "netboot", cwd=tmp_path)
    assert all("via" not in d for d in entry if d["path"] == "netboot/linux.ipxe")


def test_bad_tree_options_are_usage_errors(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    copy(tmp_path, "netboot")
    done = run_cli("--map", "http://x", "netboot", cwd=tmp_path)
    assert done.returncode == 2 and "PREFIX=TARGET" in done.stderr
    # a mistyped folder: every mapped chain stayed open, the lint passed as if nothing were mapped
    done = run_cli("--map", "http://boot.example/=netbot", "netboot", cwd=tmp_path)
    assert (
        done.returncode == 2
        and "--map 'http://boot.example/=netbot': netbot: no such directory" in done.stderr
    )
    (tmp_path / "netboot" / ".ipxelint.toml").write_text('[build]\nenable = ["NSLOOKUP_CMDD"]\n')
    done = run_cli("netboot", cwd=tmp_path)
    assert (
        done.returncode == 2
        and "unknown build switch 'NSLOOKUP_CMDD'; did you mean NSLOOKUP_CMD?" in done.stderr
    )
    (tmp_path / "netboot" / ".ipxelint.toml").write_text('[build]\nenable = ["NSLOOKUP_CMD"]\n')
    found = lint_json(run_cli, "netboot", cwd=tmp_path)
    assert [d for d in found if d["code"] == "IPX109"] == []


def test_a_missing_label_the_parent_handles_differently_stays_a_warning(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    tree = copy(tmp_path, "netboot")
    linux = tree / "linux.ipxe"
    linux.write_text(linux.read_text().replace("boot || goto error", "boot || goto main_menu"))
    found = [d for d in lint_json(run_cli, "netboot", cwd=tmp_path) if d["code"] == "IPX201"]
    back = next(d for d in found if d["line"] == 12)
    # the sub-menu meant to go back to the main menu; it shows the parent's error screen instead
    assert back["severity"] == "warning"
    assert "no label ':main_menu'" in back["message"] and "'goto error' (menu.ipxe:16)" in back["message"]


def test_a_file_given_by_itself_finds_its_parent_anywhere_in_its_git_work_tree(  # type: ignore[no-untyped-def]
    tmp_path: Path, run_cli
) -> None:
    (tmp_path / "menus").mkdir()
    (tmp_path / "boot.ipxe").write_text("#!ipxe\nchain menus/linux.ipxe || goto error\nexit\n:error\nshell\n")
    (tmp_path / "menus" / "linux.ipxe").write_text(
        "#!ipxe\nkernel http://x.example/linux || goto error\nboot\n"
    )

    def severities() -> list[str]:
        found = lint_json(run_cli, "menus/linux.ipxe", cwd=tmp_path)
        return [d["severity"] for d in found if d["code"] == "IPX201"]

    # outside a repository only the file's folder is known: no parent, the failure path is a warning
    assert severities() == ["warning"]
    # in a git work tree the parent one folder up answers the failure with the same `goto error`
    (tmp_path / ".git").mkdir()
    assert severities() == ["info"]
