"""Defects a user met linting whole boot trees (a folder of chained scripts), as the user saw them."""

from __future__ import annotations

from pathlib import Path


def test_a_percent_encoded_chain_reaches_the_file_it_names(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    # iPXE decodes %XX in a URI's path (uri.c: parse_uri): 'my%20sub.ipxe' is the file 'my sub.ipxe'
    (tmp_path / "boot.ipxe").write_text("#!ipxe\nset base http://x/\nchain my%20sub.ipxe\n")
    (tmp_path / "my sub.ipxe").write_text("#!ipxe\nkernel ${base}vmlinuz\nboot\n")
    for given in (".", "my sub.ipxe"):
        result = run_cli(given, cwd=tmp_path)
        assert result.stdout == "", result.stdout  # no 'base is never set' / 'stored but never read'
        assert result.returncode == 0


def _project(tmp_path: Path) -> Path:
    """A git work tree: boot.ipxe chains sub/linux.ipxe (and, through a symlink, other/real.ipxe),
    both failing into boot.ipxe's ':failed'."""
    (tmp_path / ".git").mkdir()  # what the linter looks for to find the project's top folder
    (tmp_path / "sub").mkdir()
    (tmp_path / "other").mkdir()
    (tmp_path / "boot.ipxe").write_text(
        "#!ipxe\nchain sub/linux.ipxe || goto failed\nchain link.ipxe || goto failed\nexit\n:failed\nshell\n"
    )
    (tmp_path / "sub" / "linux.ipxe").write_text("#!ipxe\nkernel http://x/vmlinuz || goto failed\nboot\n")
    (tmp_path / "other" / "real.ipxe").write_text("#!ipxe\nkernel http://x/vmlinuz || goto failed\nboot\n")
    (tmp_path / "link.ipxe").symlink_to("other/real.ipxe")
    return tmp_path


def test_a_folder_inside_a_project_is_linted_within_it_as_its_files_are(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    sub = _project(tmp_path) / "sub"
    as_folder = run_cli(".", cwd=sub)
    as_file = run_cli("linux.ipxe", cwd=sub)
    # the goto fails into boot.ipxe's handler: an info, not 'no label :failed' as an error
    assert as_folder.stdout == as_file.stdout
    assert "info IPX201" in as_folder.stdout and "(boot.ipxe:2)" in as_folder.stdout
    assert as_folder.returncode == as_file.returncode == 0


def test_a_script_chained_through_a_symlink_has_its_parent(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    project = _project(tmp_path)
    for given in ("other/real.ipxe", "other"):
        result = run_cli(given, cwd=project)
        assert "info IPX201" in result.stdout and "(boot.ipxe:3)" in result.stdout, result.stdout
        assert result.returncode == 0


def test_a_missing_label_names_each_parents_handler(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    for parent, handler in (("a", "error"), ("b", "menu"), ("c", "error")):
        (tmp_path / f"{parent}.ipxe").write_text(
            f"#!ipxe\nchain linux.ipxe || goto {handler}\n:{handler}\nshell\n"
        )
    (tmp_path / "linux.ipxe").write_text("#!ipxe\nkernel http://x/k || goto error\nboot\n")
    result = run_cli("--format", "concise", ".", cwd=tmp_path)
    assert result.stdout == (
        "linux.ipxe:2:27: warning IPX201 no label ':error' in this script: goto fails ('no such label'), "
        "linux.ipxe ends with that error and the scripts that chain it handle it with 'goto error' "
        "(a.ipxe:2 and 1 more) or 'goto menu' (b.ipxe:2)\n"
    )


def test_scripts_chaining_each_other_with_no_handler_label_anywhere_are_reported(
    tmp_path: Path, run_cli
) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "menu.ipxe").write_text("#!ipxe\nchain linux.ipxe || goto failed\n")
    (tmp_path / "linux.ipxe").write_text(
        "#!ipxe\nkernel http://x/k || goto failed\nboot\nchain menu.ipxe || goto failed\n"
    )
    result = run_cli("--format", "concise", ".", cwd=tmp_path)
    # each passed the missing ':failed' on to the other as an info: nothing said it is nowhere
    assert [line.split(" IPX201 ")[0] for line in result.stdout.splitlines()] == [
        "linux.ipxe:2:27: warning",
        "linux.ipxe:4:25: warning",
        "menu.ipxe:2:26: warning",
    ]
    assert "but no script that chains it has ':failed' either" in result.stdout
    assert result.returncode == 1
