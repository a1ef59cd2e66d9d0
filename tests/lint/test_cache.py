"""``ipxelint --cache-dir``: a rerun over unchanged files prints what the first run printed and exits
the same; any change to a script of the run, to its config or to the output options is a miss."""

from __future__ import annotations

import os
from pathlib import Path

from ipxescript.lint.cache import code_fingerprint

MENU = (
    "#!ipxe\nmenu Boot\nitem linux Linux\nchoose target && goto ${target}\n:linux\nkernle http://x/k\nboot\n"
)
CHILD = "#!ipxe\necho ${unset_name}\n"


def tree(folder: Path) -> Path:
    (folder / "boot").mkdir()
    (folder / "boot" / "menu.ipxe").write_text(MENU + "chain child.ipxe\n")
    (folder / "boot" / "child.ipxe").write_text(CHILD)
    return folder / "boot"


def entries(cache: Path) -> list[Path]:
    return sorted(cache.glob("*.json")) if cache.is_dir() else []


def test_a_rerun_prints_the_same_from_the_cache(run_cli, tmp_path: Path) -> None:
    boot, cache = tree(tmp_path), tmp_path / "cache"
    first = run_cli("--cache-dir", str(cache), str(boot))
    assert first.returncode == 1 and "IPX101" in first.stdout and "Found" in first.stderr
    assert len(entries(cache)) == 1
    second = run_cli("--cache-dir", str(cache), str(boot))
    assert (second.stdout, second.stderr, second.returncode) == (first.stdout, first.stderr, 1)
    assert len(entries(cache)) == 1  # a hit: nothing new stored
    # what the cache holds is what linting gives: the same run without a cache
    plain = run_cli(str(boot))
    assert (plain.stdout, plain.stderr, plain.returncode) == (first.stdout, first.stderr, 1)


def test_the_environment_names_the_cache_too(tmp_path: Path) -> None:
    import subprocess
    import sys

    boot, cache = tree(tmp_path), tmp_path / "cache"
    env = {**os.environ, "IPXELINT_CACHE_DIR": str(cache)}
    command = [sys.executable, "-m", "ipxescript.lint.cli", str(boot)]
    first = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    second = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    assert len(entries(cache)) == 1 and second.stdout == first.stdout


def test_any_change_to_a_script_of_the_tree_is_a_miss(run_cli, tmp_path: Path) -> None:
    boot, cache = tree(tmp_path), tmp_path / "cache"
    first = run_cli("--cache-dir", str(cache), str(boot))
    assert "IPX403" in first.stdout  # ${unset_name} is set nowhere in the tree
    # the child's finding depends on the menu: setting the name there clears it
    (boot / "menu.ipxe").write_text(MENU.replace("boot\n", "set unset_name 1\nboot\n") + "chain child.ipxe\n")
    second = run_cli("--cache-dir", str(cache), str(boot))
    assert "IPX403" not in second.stdout and "IPX101" in second.stdout
    assert len(entries(cache)) == 2
    (boot / "menu.ipxe").write_text("#!ipxe\nchain child.ipxe\n")
    third = run_cli("--cache-dir", str(cache), str(boot))
    assert "IPX101" not in third.stdout


def test_config_and_output_options_are_part_of_the_key(run_cli, tmp_path: Path) -> None:
    boot, cache = tree(tmp_path), tmp_path / "cache"
    first = run_cli("--cache-dir", str(cache), str(boot), cwd=tmp_path)
    assert "IPX101" in first.stdout
    (tmp_path / ".ipxelint.toml").write_text('ignore = ["IPX101"]\n')
    second = run_cli("--cache-dir", str(cache), str(boot), cwd=tmp_path)
    assert "IPX101" not in second.stdout
    as_json = run_cli("--cache-dir", str(cache), "--format", "json", str(boot), cwd=tmp_path)
    assert as_json.stdout.startswith("[") or as_json.stdout.startswith("{")
    selected = run_cli("--cache-dir", str(cache), "--select", "IPX403", "-q", str(boot), cwd=tmp_path)
    assert "IPX403" in selected.stdout and "IPX2" not in selected.stdout and selected.stderr == ""
    assert len(entries(cache)) == 4


def test_fixes_and_standard_input_are_never_cached(run_cli, tmp_path: Path) -> None:
    boot, cache = tree(tmp_path), tmp_path / "cache"
    run_cli("--cache-dir", str(cache), "--fix", str(boot))
    run_cli("--cache-dir", str(cache), "-", stdin=MENU)
    assert entries(cache) == []


def test_a_damaged_entry_is_a_miss(run_cli, tmp_path: Path) -> None:
    boot, cache = tree(tmp_path), tmp_path / "cache"
    first = run_cli("--cache-dir", str(cache), str(boot))
    [entry] = entries(cache)
    entry.write_text("{not json")
    second = run_cli("--cache-dir", str(cache), str(boot))
    assert (second.stdout, second.returncode) == (first.stdout, first.returncode)


def test_the_code_fingerprint_changes_with_any_file_of_the_package(tmp_path: Path) -> None:
    (tmp_path / "rules").mkdir()
    rule = tmp_path / "rules" / "ipx999.py"
    rule.write_text("CODE = 'IPX999'\n")
    before = code_fingerprint.__wrapped__(tmp_path)
    rule.write_text("CODE = 'IPX998'\n")
    os.utime(rule, ns=(rule.stat().st_atime_ns, rule.stat().st_mtime_ns + 1_000_000))
    assert code_fingerprint.__wrapped__(tmp_path) != before


def test_a_file_given_alone_misses_when_its_tree_changes(run_cli, tmp_path: Path) -> None:
    """``ipxelint FILE`` lints the file within the project's boot tree: a change to another script of
    the project (not given, not reported) changes its findings, so it is part of the key."""
    boot, cache = tree(tmp_path), tmp_path / "cache"
    child = str(boot / "child.ipxe")
    first = run_cli("--cache-dir", str(cache), child)
    assert "IPX403" in first.stdout  # ${unset_name}: the menu that chains it sets nothing
    (boot / "menu.ipxe").write_text(MENU.replace("boot\n", "set unset_name 1\nboot\n") + "chain child.ipxe\n")
    second = run_cli("--cache-dir", str(cache), child)
    assert "IPX403" not in second.stdout
    assert second.stdout == run_cli(child).stdout
