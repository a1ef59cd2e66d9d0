"""Defects a user met running ipxelint on real scripts and odd files, each as the user saw it."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

# a menu's exit entry whose last line was meant as a command: iPXE has 'poweroff', not 'shutdown'
SHUTDOWN_UNDER_ITS_LABEL = (
    "#!ipxe\nmenu\nitem shutdown Power off\nchoose target || exit\ngoto ${target}\n:shutdown\nshutdown\n"
)


def test_fix_never_turns_a_command_under_its_own_label_into_an_endless_loop(tmp_path, run_cli):
    path = tmp_path / "menu.ipxe"
    path.write_text(SHUTDOWN_UNDER_ITS_LABEL)
    result = run_cli("--fix", str(path))
    assert path.read_text() == SHUTDOWN_UNDER_ITS_LABEL  # 'goto shutdown' would jump to the line above
    assert result.returncode == 1
    assert result.stdout.startswith(
        f"{path}:7:1: error IPX101 'shutdown' is not an iPXE command: the line fails with 'command not found'"
    )
    assert "goto shutdown" not in result.stdout


def test_fix_still_goes_back_to_a_menu_above(tmp_path, run_cli):
    path = tmp_path / "menu.ipxe"
    path.write_text(
        "#!ipxe\n:start\nmenu OS\nitem stable Stable\nchoose os && goto ${os} || start\n:stable\nshell\n"
    )
    run_cli("--fix", str(path))
    assert path.read_text().splitlines()[4] == "choose os && goto ${os} || goto start"


@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_machine_output_is_valid_utf8_for_a_latin1_script(tmp_path, fmt):
    # a script saved in Latin-1 (an accented setting name): JSON/SARIF must stay UTF-8, the byte kept
    path = tmp_path / "boot.ipxe"
    path.write_bytes(b"#!ipxe\nset caf\xe9 1\necho done\n")  # not a settings file: IPX404 speaks
    result = subprocess.run(
        [sys.executable, "-m", "ipxescript.lint.cli", "--format", fmt, str(path)],
        capture_output=True,
        timeout=120,
    )
    assert result.returncode == 0
    document = json.loads(result.stdout.decode("utf-8"))  # strict: what jq, Go, serde and browsers expect
    text = json.dumps(document)
    assert "'caf\\udce9' is stored here" in text  # the undecodable byte, escaped, not lost


def test_a_pyproject_saved_in_latin1_is_an_error_naming_it_not_a_traceback(tmp_path, run_cli):
    (tmp_path / "pyproject.toml").write_bytes(b'[project]\nauthors = [{name = "Jos\xe9"}]\n[tool.ipxelint]\n')
    (tmp_path / "boot.ipxe").write_text("#!ipxe\nshell\n")
    result = run_cli(str(tmp_path / "boot.ipxe"))
    assert result.returncode == 2
    assert (
        result.stderr
        == f"ipxelint: {tmp_path / 'pyproject.toml'}: not UTF-8 text (byte 33): TOML files are UTF-8\n"
    )


def test_a_config_saved_with_a_byte_order_mark_says_so(tmp_path, run_cli):
    (tmp_path / ".ipxelint.toml").write_bytes(b'\xef\xbb\xbfignore = ["IPX110"]\n')
    (tmp_path / "boot.ipxe").write_text("#!ipxe\nshell\n")
    result = run_cli(str(tmp_path / "boot.ipxe"))
    assert result.returncode == 2
    assert result.stderr == (
        f"ipxelint: {tmp_path / '.ipxelint.toml'}: starts with a UTF-8 byte order mark, which TOML does not "
        "allow; save it as UTF-8 without a BOM\n"
    )


@pytest.mark.parametrize(
    ("line", "error"),
    [
        ('ignore = ["IPX11O"]', "ignore: no rule or code prefix 'IPX11O' (did you mean IPX110"),
        ('select = ["IPX2", "goto-mising-label"]', "select: no rule or code prefix 'goto-mising-label'"),
        (
            'profile = "efi64"',
            "profile: unknown build profile 'efi64'; choose one of: debian-12-efi, efi, pcbios",
        ),
    ],
)
def test_a_config_mistake_is_an_error_naming_the_file(tmp_path, run_cli, line, error):
    # the same words on the command line are usage errors; in the file they were taken silently
    (tmp_path / ".ipxelint.toml").write_text(line + "\n")
    (tmp_path / "boot.ipxe").write_text("#!ipxe\nsleep 3000\n")
    result = run_cli(str(tmp_path / "boot.ipxe"))
    assert result.returncode == 2
    assert result.stderr.startswith(f"ipxelint: {tmp_path / '.ipxelint.toml'}:1: {error}")


def test_a_rule_name_in_the_config_works_as_on_the_command_line(tmp_path, run_cli):
    (tmp_path / ".ipxelint.toml").write_text('ignore = ["sleep-milliseconds"]\n')
    (tmp_path / "boot.ipxe").write_text("#!ipxe\nsleep 3000\n")
    assert run_cli("--ignore", "sleep-milliseconds", str(tmp_path / "boot.ipxe")).stdout == ""
    result = run_cli(str(tmp_path / "boot.ipxe"))
    assert (result.returncode, result.stdout) == (0, "")


def test_the_caret_stands_under_the_finding_after_wide_characters(tmp_path, run_cli):
    # a Chinese menu line: each CJK character takes two columns on a terminal, as does an emoji
    path = tmp_path / "menu.ipxe"
    path.write_text("#!ipxe\necho 启动菜单 😀 ${undefined-x}\n")
    lines = run_cli(str(path)).stdout.splitlines()
    assert lines[1] == "    echo 启动菜单 😀 ${undefined-x}"
    assert lines[2] == "    " + " " * 17 + "^" * 14  # 'echo ' 5 columns, 启动菜单 8, the emoji 2, spaces 2


def test_a_folder_without_scripts_is_said_not_passed_in_silence(tmp_path, run_cli):
    # a CI job pointed at the wrong folder must not pass for checking nothing
    (tmp_path / "README.md").write_text("# boot files\n")
    result = run_cli(str(tmp_path))
    assert result.returncode == 2
    assert (
        result.stderr
        == f"ipxelint: {tmp_path}: no iPXE scripts here (files named *.ipxe or starting with #!ipxe)\n"
    )
    formatted = subprocess.run(
        [sys.executable, "-m", "ipxescript", "fmt", "--check", str(tmp_path)], capture_output=True, text=True
    )
    assert formatted.returncode == 2
    assert formatted.stderr.endswith(": no iPXE scripts here (files named *.ipxe or starting with #!ipxe)\n")


def test_fix_never_moves_an_option_without_its_value_in_front_of_the_url(tmp_path, run_cli):
    # '--name' at the end has no value: in front of the URL it would take the URL as the name
    script = "#!ipxe\nimgfetch http://boot.example/initrd.img --name\nkernel http://boot.example/k --timeout 5000\n"
    path = tmp_path / "boot.ipxe"
    path.write_text(script)
    result = run_cli("--fix", "--select", "IPX106", str(path))
    assert path.read_text().splitlines()[1:] == [
        "imgfetch http://boot.example/initrd.img --name",
        "kernel --timeout 5000 http://boot.example/k",
    ]
    assert result.returncode == 1
    assert "IPX106 '--name' comes after the first positional argument" in result.stdout


def test_sarif_names_a_file_whose_name_is_not_utf8(tmp_path):
    # a file name in Latin-1 (an old Samba share): the SARIF URI percent-encodes the byte
    (tmp_path / "caf\udce9.ipxe").write_bytes(b"#!ipxe\nfoo\n")
    result = subprocess.run(
        [sys.executable, "-m", "ipxescript.lint.cli", "--format", "sarif", "."],
        capture_output=True, cwd=tmp_path, timeout=120,
    )  # fmt: skip
    assert result.returncode == 1, result.stderr
    log = json.loads(result.stdout.decode("utf-8"))
    assert (
        log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        == "caf%E9.ipxe"
    )


def test_a_symlink_loop_in_a_folder_is_reported_and_the_rest_is_linted(tmp_path, run_cli):
    (tmp_path / "a.ipxe").symlink_to("b.ipxe")
    (tmp_path / "b.ipxe").symlink_to("a.ipxe")
    (tmp_path / "menu.ipxe").write_text("#!ipxe\nchain a.ipxe\nfoo\n")
    result = run_cli(".", cwd=tmp_path)
    assert result.returncode == 2
    assert "ipxelint: a.ipxe: cannot read: Too many levels of symbolic links\n" in result.stderr
    assert "ipxelint: b.ipxe: cannot read: Too many levels of symbolic links\n" in result.stderr
    assert "Traceback" not in result.stderr
    assert "menu.ipxe:3:1: error IPX101 'foo' is not an iPXE command" in result.stdout
    graph = subprocess.run(
        [sys.executable, "-m", "ipxescript", "graph", "--tree", "menu.ipxe"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert (graph.returncode, graph.stderr) == (0, "")
    assert graph.stdout.startswith("digraph")


@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_a_file_given_alone_names_its_parent_as_the_folder_run_does(tmp_path, run_cli, fmt):
    # the pre-commit hook passes linux.ipxe alone: the chain from menu.ipxe that leads to it was named
    # by its absolute path (a SARIF uri code scanning cannot place), 'menu.ipxe' when the folder is linted
    (tmp_path / ".git").mkdir()
    (tmp_path / "menu.ipxe").write_text("#!ipxe\nchain linux.ipxe || goto error\n:error\nshell\n")
    (tmp_path / "linux.ipxe").write_text("#!ipxe\nboot || goto error\n")
    (tmp_path / "sub").mkdir()  # and from a subfolder, relative to where the user is, as the file itself
    alone, folder, below = (
        run_cli("--format", fmt, "linux.ipxe", cwd=tmp_path),
        run_cli("--format", fmt, ".", cwd=tmp_path),
        run_cli("--format", fmt, "../linux.ipxe", cwd=tmp_path / "sub"),
    )

    def related(result):
        found = json.loads(result.stdout)
        if fmt == "json":
            return [(r["path"], r["line"]) for d in found for r in d.get("related", [])]
        results = found["runs"][0]["results"]
        return [
            (r["physicalLocation"]["artifactLocation"]["uri"], r["physicalLocation"]["region"]["startLine"])
            for d in results
            for r in d.get("relatedLocations", [])
        ]

    assert related(alone) == related(folder) == [("menu.ipxe", 2)] * 2  # IPX501 and IPX201, both via it
    assert related(below) == [("../menu.ipxe", 2)] * 2


def test_a_goto_to_a_removed_version_is_not_fixed_into_another_version(tmp_path, run_cli):
    # netboot.xyz-style live menus: ':19.10-boot' was removed, its gotos were not; '20.10-boot' is not
    # a typo of it, and --unsafe-fixes made the 19.10 entries boot 20.10
    script = "#!ipxe\ngoto 19.10-boot\n:20.10-boot\nkernel vmlinuz\nboot\n"
    path = tmp_path / "live.ipxe"
    path.write_text(script)
    result = run_cli("--fix", "--unsafe-fixes", str(path))
    assert path.read_text() == script
    assert result.stdout.startswith(
        f"{path}:2:6: error IPX201 no label ':19.10-boot' in this script: goto fails with 'no such label'\n"
    )
    # a typo in the words around the number is still one
    path.write_text("#!ipxe\ngoto 20.10-bot\n:20.10-boot\nkernel vmlinuz\nboot\n")
    assert "did you mean '20.10-boot'?" in run_cli(str(path)).stdout


@pytest.mark.timeout(60)
def test_a_pasted_blob_on_one_line_is_linted_at_once(tmp_path, run_cli):
    # a base64 blob pasted as one 3 MB line: the did-you-mean search for that 'command' took 135 s
    path = tmp_path / "boot.ipxe"
    path.write_text("#!ipxe\n" + "QUFB" * 750_000 + "\n")
    result = run_cli("--format", "json", str(path))
    (finding,) = json.loads(result.stdout)
    assert finding["code"] == "IPX101" and "did you mean" not in finding["message"]


def test_a_long_line_is_shown_around_its_finding(tmp_path, run_cli):
    # a 600-column kernel line: the terminal showed all of it (a pasted blob: megabytes, and as many carets)
    options = " ".join(f"opt{i}=val" for i in range(60))
    path = tmp_path / "boot.ipxe"
    path.write_text(f"#!ipxe\nkernel http://boot.lan/vmlinuz {options} || goto nowhere\nboot\n")
    header, source, carets = run_cli(str(path)).stdout.splitlines()[:3]
    assert header.startswith(
        f"{path}:2:{len('kernel http://boot.lan/vmlinuz ' + options) + 10}: warning IPX201"
    )
    assert (
        source.startswith("    …") and source.endswith("opt59=val || goto nowhere") and len(source) <= 4 + 162
    )
    assert carets.index("^") == source.index("nowhere") and carets.strip() == "^" * len("nowhere")


def test_a_script_given_twice_is_reported_once(tmp_path, run_cli):
    # 'ipxelint . sub/' or a shell glob plus a name: each finding was printed once per mention
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "x.ipxe").write_text("#!ipxe\ngoto nowhere\n")
    result = run_cli(".", "sub/", "sub/x.ipxe", "./sub/../sub/x.ipxe", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout.count("IPX201") == 1
    assert result.stderr.strip() == "Found 1 problem (1 error)."


def test_a_file_outside_any_project_does_not_read_the_whole_disk(tmp_path, run_cli):
    # a stray script in a home directory: its own folder is the project, and the search for the other
    # scripts of its boot tree stops after a bounded number of files, saying so, instead of reading
    # every file below (a home directory, or / itself)
    from ipxescript.lint.discover import CONTEXT_LIMIT

    (tmp_path / "boot.ipxe").write_text("#!ipxe\necho ${base-url}\n")
    junk = tmp_path / "Documents"
    junk.mkdir()
    for number in range(CONTEXT_LIMIT + 1):
        (junk / f"note{number}.txt").touch()
    result = run_cli("boot.ipxe", cwd=tmp_path)
    assert "IPX403" in result.stdout  # the file itself is linted as ever
    assert "stopped looking for the other scripts of the boot tree after 20,000 files" in result.stderr
    assert "Traceback" not in result.stderr
