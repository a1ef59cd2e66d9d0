"""Mistakes users make in `ipxescript serve`'s config, as they meet them: the command's message and status."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import requests

from tests.serve.conftest import LiveServer

ROOT = Path(__file__).resolve().parents[2]
MAC = "52:54:00:12:34:56"


def explain(root: Path, state: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ipxescript", "serve", str(root), "--state-dir", str(state), *args,
         "--explain", MAC, "efi64"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_the_config_example_in_the_docs_loads(tmp_path):
    # a user copies docs/serve.md's example (on this machine's loopback: it has no br0)
    example = re.search(r"```toml\n(.*?)```", (ROOT / "docs" / "serve.md").read_text(), re.S)
    assert example
    root = tmp_path / "root"
    root.mkdir()
    (root / "ipxescript.toml").write_text(example.group(1).replace('interface = "br0"', 'interface = "lo"'))
    (root / "install.ipxe").write_text("#!ipxe\necho {{ disk }} at {{ site }}\n")
    result = explain(root, tmp_path / "state")
    assert "error" not in result.stderr, result.stderr
    assert result.returncode == 0
    assert "install.ipxe" in result.stdout


def test_a_config_saved_with_a_byte_order_mark_says_so(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    (root / "boot.ipxe").write_text("#!ipxe\nshell\n")
    (root / "ipxescript.toml").write_bytes(b'\xef\xbb\xbfdefault = "boot.ipxe"\n')
    result = explain(root, tmp_path / "state")
    assert result.returncode == 2
    assert result.stderr == (
        f"ipxescript serve: error: {root / 'ipxescript.toml'}: starts with a UTF-8 byte order mark, "
        "which TOML does not allow; save it as UTF-8 without a BOM\n"
    )


def test_a_state_dir_that_cannot_be_made_is_an_error_not_a_traceback(tmp_path):
    # --state-dir under a file (as root this stands for any folder the server may not write)
    (tmp_path / "taken").write_text("a file\n")
    result = subprocess.run(
        [sys.executable, "-m", "ipxescript", "serve", "--state-dir", str(tmp_path / "taken" / "state"),
         "--http-port", "0", "--tftp-port", "0"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.endswith(
        f"ipxescript serve: error: state directory {tmp_path / 'taken' / 'state'}: cannot make the API token "
        f"file in it: Not a directory\n"
    )


def test_port_0_takes_a_free_port_and_the_banner_names_it(tmp_path):
    # '--http-port 0 --tftp-port 0': the URLs printed (and told to clients) must be the ports bound
    proc = subprocess.Popen(
        [sys.executable, "-m", "ipxescript", "serve", "--state-dir", str(tmp_path), "--http-port", "0",
         "--tftp-port", "0", "--http-workers", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None and proc.stderr is not None
        lines: list[str] = []
        while not lines or not lines[-1].startswith("Dry-run it: ipxesim "):  # the banner, however long
            line = proc.stdout.readline()
            if not line:  # the server ended before it named its ports: say why
                proc.wait(timeout=60)
                raise AssertionError(f"serve exited {proc.returncode}: {lines} {proc.stderr.read()}")
            lines.append(line)
        dry_run = lines[-1]
        url = dry_run.split()[-1]
        assert not url.startswith("http://127.0.0.1:0/"), lines
        tftp = next(line for line in lines if line.startswith("  TFTP"))
        assert not tftp.rstrip().endswith(":0"), lines
        for _ in range(4):  # either worker answers on the port named
            assert requests.get(url, timeout=30).text.startswith("#!ipxe")
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def served_root(tmp_path: Path) -> tuple[Path, Path]:
    """A ROOT with a boot.ipxe, and where its config file goes."""
    root = tmp_path / "root"
    root.mkdir()
    (root / "boot.ipxe").write_text("#!ipxe\nshell\n")
    return root, root / "ipxescript.toml"


def start_log(root: Path, state: Path, *args: str) -> list[str]:
    """serve's log up to its start-up lint summary, then the server is stopped."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "ipxescript", "serve", str(root), "--state-dir", str(state), "--http-port", "0",
         "--tftp-port", "0", *args],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert proc.stderr is not None
        lines: list[str] = []
        while not lines or " lint: " not in lines[-1] or "checked" not in lines[-1]:
            line = proc.stderr.readline()
            if not line:
                raise AssertionError(f"serve ended before its start-up lint: {lines}")
            lines.append(line.rstrip("\n"))
        return lines
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def test_targets_and_boot_files_that_are_not_under_root_are_named_at_start(tmp_path):
    # a typo in `default` or a group's target: every machine sent there gets an error script; it was
    # found only at the first boot
    root, config = served_root(tmp_path)
    config.write_text(
        'default = "boot.ipex"\n[boot_files]\nbios = "undionly.kpx"\n'
        '[[group]]\nname = "rack"\ntarget = "rack.ipxe"\nselector = { mac = "52:54:00:12:34:56" }\n'
    )
    warnings = [line.split(" ", 3)[3] for line in start_log(root, tmp_path / "state") if " WARNING " in line]
    assert warnings == [
        f"{config}: default 'boot.ipex' is not a file under ROOT {root}; the machines sent there get an "
        "error script",
        f"{config}: group 'rack' target 'rack.ipxe' is not a file under ROOT {root}; the machines sent there "
        "get an error script",
        f"boot file bios (--boot-file or boot_files) 'undionly.kpx' is not a file under ROOT {root}; bios PXE "
        "clients get nothing to boot",
    ]
    config.write_text('[[group]]\nname = "rack"\ntarget = "boot.ipxe"\n')
    assert not [line for line in start_log(root, tmp_path / "state") if " WARNING " in line]


def test_a_group_selector_no_client_can_match_is_an_error(tmp_path):
    # `mac = "52:54:00:12:34"` (a byte short) or `ip = "10.0.7.0/33"` matched nothing, silently
    root, config = served_root(tmp_path)
    config.write_text(
        '[[group]]\nname = "rack"\ntarget = "boot.ipxe"\nselector = { mac = "52:54:00:12:34" }\n'
    )
    result = explain(root, tmp_path / "state")
    assert (result.returncode, result.stderr) == (
        2,
        f"ipxescript serve: error: {config}:1: group #1 ('rack') selector: mac '52:54:00:12:34' is not a MAC "
        "address (e.g. 52:54:00:12:34:56)\n",
    )
    config.write_text('[[group]]\ntarget = "boot.ipxe"\nselector = { ip = "10.0.7.0/33" }\n')
    result = explain(root, tmp_path / "state")
    assert result.returncode == 2
    assert "group #1 ('group1') selector: ip '10.0.7.0/33' is not an IPv4 address or network" in result.stderr
    config.write_text(
        '[[group]]\ntarget = "boot.ipxe"\nselector = { ip = "10.0.7.0/24", mac = "525400123456" }\n'
    )
    assert explain(root, tmp_path / "state").returncode == 0


def damage(database: Path) -> None:
    """Another program's table where ours was (a file restored from elsewhere, a half-done migration)."""
    import sqlite3

    with sqlite3.connect(database) as db:
        db.execute("DROP TABLE IF EXISTS assignments")
        db.execute("CREATE TABLE assignments (x)")


def test_assignment_commands_on_a_database_they_cannot_use_say_so_in_one_line(tmp_path):
    state = tmp_path / "state"
    cli = [sys.executable, "-m", "ipxescript"]
    assert (
        subprocess.run([*cli, "assign", MAC, "a.ipxe", "--state-dir", str(state)], timeout=120).returncode
        == 0
    )
    damage(state / "assignments.sqlite3")
    for command in (["assign", MAC, "a.ipxe"], ["assignments"], ["unassign", MAC]):
        result = subprocess.run(
            [*cli, *command, "--state-dir", str(state)], capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 2, result.stderr  # was a traceback (sqlite3.OperationalError), exit 1
        assert result.stderr.startswith(f"ipxescript {command[0]}: error: {state / 'assignments.sqlite3'}: ")
        assert "Traceback" not in result.stderr


def test_the_api_and_a_boot_answer_clearly_when_the_assignments_cannot_be_read(server: LiveServer) -> None:
    server.policy.store.assign(MAC, "a.ipxe", once=True)
    damage(server.policy.config.state_dir / "assignments.sqlite3")
    listed = requests.get(f"{server.url}/api/assignments", headers=server.auth, timeout=10)
    assert listed.status_code == 503  # was 500 with no word of why
    assert "assignments.sqlite3: no such column: client" in listed.json()["error"]
    booted = requests.get(f"{server.url}/boot.ipxe", params={"mac": MAC}, timeout=10)
    assert "boot state unavailable, asking again" in booted.text  # never boots past a once assignment


def test_a_mistake_in_the_config_names_its_line(tmp_path):
    # the file, the line, the key and the cause (the line was missing: the user searched the file)
    root, config = served_root(tmp_path)
    cases = {
        'address = "127.0.0.1"\n\nlint = "refus"\n': "3: lint: 'refus' is not one of refuse, serve, off",
        'address = "127.0.0.1"\nhttp_prot = 80\n': "2: unknown key 'http_prot' (did you mean 'http_port'?)",
        '[metadata]\nsite = "a"\n\n[[group]]\ntarget = "boot.ipxe"\n[[group]]\ntraget = "boot.ipxe"\n': (
            "6: group #2: unknown key(s) traget"
        ),
        'lint = "off"\n[dhcp_settings]\nlease_time = "1h"\n': "2: dhcp_settings: lease_time must be a number",
        'lint = "off"\naddress = "300.1.1.1"\n': "2: address: '300.1.1.1' is not an IPv4 address",  # said --address
    }
    for text, said in cases.items():
        config.write_text(text)
        result = explain(root, tmp_path / "state")
        assert result.returncode == 2
        assert result.stderr.startswith(f"ipxescript serve: error: {config}:{said}"), result.stderr


def test_listing_or_removing_in_a_state_dir_that_is_not_there_says_so(tmp_path):
    # a mistyped --state-dir: `assignments` said "no assignments" and left an empty database behind
    typo = tmp_path / "stat"
    for command in (["assignments"], ["unassign", MAC]):
        result = subprocess.run(
            [sys.executable, "-m", "ipxescript", *command, "--state-dir", str(typo)],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert (result.returncode, result.stdout) == (2, "")
        assert result.stderr == (
            f"ipxescript {command[0]}: error: state directory {typo} holds no assignments database: "
            "is it the server's?\n"
        )
    assert not typo.exists()


def test_a_root_key_naming_no_folder_names_the_config_line(tmp_path):
    config = tmp_path / "serve.toml"
    config.write_text('lint = "off"\nroot = "boot-tre"\n')
    result = subprocess.run(
        [sys.executable, "-m", "ipxescript", "serve", "--config", str(config), "--explain", MAC, "efi64"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert (result.returncode, result.stderr) == (
        2,
        f"ipxescript serve: error: {config}:2: root: {tmp_path / 'boot-tre'}: no such directory\n",
    )


def test_a_database_removed_while_serving_is_opened_again(server: LiveServer) -> None:
    # an operator starts over (`rm STATE/assignments.sqlite3*`) or puts a copy in its place, then assigns:
    # the server kept reading the deleted file, so `assign` said yes and the machine booted the default
    state = server.policy.config.state_dir
    server.policy.store.assign(MAC, "b.ipxe")
    for name in ("assignments.sqlite3", "assignments.sqlite3-wal", "assignments.sqlite3-shm"):
        (state / name).unlink(missing_ok=True)
    booted = requests.get(f"{server.url}/boot.ipxe", params={"mac": MAC}, timeout=10)
    assert "default for" in booted.text  # what the files now say: no assignment
    result = subprocess.run(
        [sys.executable, "-m", "ipxescript", "assign", MAC, "a.ipxe", "--state-dir", str(state)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    booted = requests.get(f"{server.url}/boot.ipxe", params={"mac": MAC}, timeout=10)
    assert "target A for" in booted.text
    listed = requests.get(f"{server.url}/api/assignments", headers=server.auth, timeout=10).json()
    assert [(a["client"], a["target"]) for a in listed] == [(MAC, "a.ipxe")]


def test_assignments_and_unassign_help_speak_of_no_target():
    # `--root`'s help said "(checks TARGET, ...)" on commands that take no TARGET
    from click.testing import CliRunner

    from ipxescript.cli import main

    for command in ("assignments", "unassign"):
        shown = " ".join(CliRunner().invoke(main, [command, "--help"]).output.split())
        assert "TARGET" not in shown and "reads state_dir from its ipxescript.toml" in shown
    assert "checks TARGET is under it" in " ".join(
        CliRunner().invoke(main, ["assign", "--help"]).output.split()
    )
