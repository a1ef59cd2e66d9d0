"""The command line as users run it: formats, exit codes, config, fixes, stdin, folders."""

from __future__ import annotations

import json
import os

import pytest

BROKEN = "#!ipxe\ndhcp || failed\nchain http:/boot.example.com/x.ipxe\n:failed\necho failed\n"
CLEAN = "#!ipxe\ndhcp || goto failed\nchain http://boot.example.com/x.ipxe\n:failed\necho failed\n"
WARN_ONLY = "#!ipxe\nsleep 3000\n"


def test_text_output_is_compiler_style_with_caret(tmp_path, run_cli):
    path = tmp_path / "boot.ipxe"
    path.write_text(BROKEN)
    result = run_cli(str(path), "--color", "never")
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0] == (
        f"{path}:2:9: error IPX205 'failed' is a label, not a command: this runs a command 'failed' "
        "(not found, the script ends); write 'goto failed'"
    )
    assert lines[1] == "    dhcp || failed"
    assert lines[2] == "            ^^^^^^"
    assert "Found 2 problems" in result.stderr


def test_color_only_when_asked_or_on_a_terminal(tmp_path, run_cli):
    path = tmp_path / "boot.ipxe"
    path.write_text(BROKEN)
    assert "\033[" not in run_cli(str(path)).stdout  # not a tty
    assert "\033[1;31merror" in run_cli(str(path), "--color", "always").stdout


def test_json_has_exactly_the_documented_keys(tmp_path, run_cli):
    path = tmp_path / "boot.ipxe"
    path.write_text(BROKEN)
    result = run_cli("--format", "json", str(path))
    data = json.loads(result.stdout)
    keys = {"path", "line", "column", "end_line", "end_column", "code", "severity", "message"}
    assert [set(d) - {"fix"} for d in data] == [keys, keys]
    first = data[0]
    assert (first["line"], first["column"], first["end_line"], first["end_column"]) == (2, 9, 2, 15)
    assert first["code"] == "IPX205" and first["severity"] == "error"
    assert first["fix"]["applicability"] == "safe"
    assert first["fix"]["edits"] == [
        {"line": 2, "column": 9, "end_line": 2, "end_column": 9, "text": "goto "}
    ]
    assert "fix" not in data[1]


def test_github_annotations(tmp_path, run_cli):
    path = tmp_path / "boot.ipxe"
    path.write_text(BROKEN)
    out = run_cli("--format", "github", str(path)).stdout.splitlines()
    assert out[0].startswith(f"::error file={path},line=2,col=9,endLine=2,endColumn=15,title=IPX205::IPX205 ")


def test_exit_codes_and_fail_on(tmp_path, run_cli):
    clean, warn = tmp_path / "clean.ipxe", tmp_path / "warn.ipxe"
    clean.write_text(CLEAN)
    warn.write_text(WARN_ONLY)
    assert run_cli(str(clean)).returncode == 0
    assert run_cli(str(warn)).returncode == 1
    assert run_cli("--fail-on", "error", str(warn)).returncode == 0
    assert run_cli("--fail-on", "never", str(warn)).returncode == 0
    assert run_cli("--fail-on", "bogus", str(warn)).returncode == 2


def test_unreadable_and_missing_files_exit_2_but_others_are_checked(tmp_path, run_cli):
    good = tmp_path / "good.ipxe"
    good.write_text(BROKEN)
    result = run_cli(str(tmp_path / "nope.ipxe"), str(good))
    assert result.returncode == 2
    assert f"{tmp_path / 'nope.ipxe'}: no such file or directory" in result.stderr
    assert "IPX205" in result.stdout
    if os.geteuid() != 0:
        locked = tmp_path / "locked.ipxe"
        locked.write_text(CLEAN)
        locked.chmod(0)
        assert "cannot read" in run_cli(str(locked)).stderr


def test_folders_recurse_into_ipxe_and_magic_files(tmp_path, run_cli):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "menu.ipxe").write_text(WARN_ONLY)
    (tmp_path / "a" / "boot.cfg").write_text("#!ipxe\nsleep 4000\n")
    (tmp_path / "a" / "notes.txt").write_text("sleep 5000\n")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "x.ipxe").write_text("garbage\n")
    data = json.loads(run_cli("--format", "json", str(tmp_path)).stdout)
    assert sorted(os.path.basename(d["path"]) for d in data) == ["boot.cfg", "menu.ipxe"]


def test_stdin_and_stdin_filename(run_cli):
    result = run_cli("-", "--format", "json", "--stdin-filename", "menu.ipxe", stdin=BROKEN)
    data = json.loads(result.stdout)
    assert {d["path"] for d in data} == {"menu.ipxe"}
    assert run_cli("-", stdin=CLEAN).returncode == 0


def test_fix_applies_safe_fixes_only(tmp_path, run_cli):
    path = tmp_path / "boot.ipxe"
    path.write_text("\ufeff#!ipxe\r\ndhcp || failed\r\nisset ${x} && echo x\r\n:failed\r\nshell\r\n")
    result = run_cli("--fix", str(path))
    text = path.read_bytes().decode()
    assert text == "#!ipxe\r\ndhcp || goto failed\r\nisset ${x} && echo x\r\n:failed\r\nshell\r\n"
    assert "Fixed 2 problems" in result.stderr
    assert "IPX207" in result.stdout  # unsafe: left alone, still reported
    run_cli("--fix", "--unsafe-fixes", str(path))
    assert "isset ${x} && echo x ||\r\n" in path.read_bytes().decode()


def test_fix_on_stdin_prints_the_fixed_script(run_cli):
    result = run_cli("--fix", "-", stdin="echo hi\n")
    assert result.stdout == "#!ipxe\necho hi\n"


def test_explain_version_and_list(run_cli):
    explained = run_cli("--explain", "IPX205")
    assert explained.returncode == 0
    assert explained.stdout.startswith("IPX205 (missing-goto): Label name used as a command")
    assert "Failing example:" in explained.stdout and "dhcp || failed" in explained.stdout
    assert run_cli("--explain", "missing-goto").stdout == explained.stdout
    assert run_cli("--explain", "IPX999").returncode == 2
    version = run_cli("--version").stdout
    assert "ipxescript" in version and "ipxelint" in version
    listed = run_cli("--list-rules").stdout
    assert "IPX001" in listed and "IPX605" in listed


def test_select_ignore_and_profile(tmp_path, run_cli):
    path = tmp_path / "boot.ipxe"
    path.write_text("#!ipxe\nsleep 3000\nchain https://x.example/boot.ipxe\n")

    def codes(*args: str) -> list[str]:
        return sorted(d["code"] for d in json.loads(run_cli("--format", "json", *args, str(path)).stdout))

    assert codes() == ["IPX110"]  # no profile configured: build-switch findings stay silent
    assert codes("--profile", "pcbios") == ["IPX109", "IPX110"]
    assert codes("--profile", "pcbios", "--ignore", "IPX1") == []
    assert codes("--profile", "pcbios", "--select", "IPX109") == ["IPX109"]
    bad = run_cli("--profile", "amiga", str(path))
    assert bad.returncode == 2 and "efi" in bad.stderr


def test_config_files(tmp_path, run_cli):
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n[tool.ipxelint]\nprofile = "pcbios"\nignore = ["IPX110"]\n'
        '[tool.ipxelint.severity]\nIPX109 = "error"\n[tool.ipxelint.per-path-ignores]\n"legacy/*" = ["IPX1"]\n'
    )
    (tmp_path / "legacy").mkdir()
    script = "#!ipxe\nsleep 3000\nchain https://x.example/boot.ipxe\n"
    (tmp_path / "boot.ipxe").write_text(script)
    (tmp_path / "legacy" / "old.ipxe").write_text(script)
    data = json.loads(run_cli("--format", "json", ".", cwd=tmp_path).stdout)
    assert [(d["path"], d["code"], d["severity"]) for d in data] == [("boot.ipxe", "IPX109", "error")]
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / ".ipxelint.toml").write_text('select = ["IPX110"]\nfail-on = "never"\n')
    (tmp_path / "sub" / "x.ipxe").write_text(script)
    sub = run_cli("--format", "json", "sub/x.ipxe", cwd=tmp_path)
    assert [d["code"] for d in json.loads(sub.stdout)] == ["IPX110"] and sub.returncode == 0


def test_bad_config_is_a_clear_usage_error(tmp_path, run_cli):
    (tmp_path / ".ipxelint.toml").write_text("selekt = ['IPX1']\n")
    (tmp_path / "x.ipxe").write_text(CLEAN)
    result = run_cli("x.ipxe", cwd=tmp_path)
    assert result.returncode == 2
    assert ".ipxelint.toml:1: unknown key 'selekt' (did you mean 'select'?)" in result.stderr
    assert "ipxescript/schemas/ipxelint.schema.json" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("kind", ["jinja", "go"])
def test_template_mode_masks_regions(tmp_path, run_cli, kind):
    if kind == "jinja":
        text = (
            "#!ipxe\n{% for d in distros %}\nitem {{ d.name }} {{ d.title }}\n{% endfor %}\n"
            "chain {{ base_url }}/boot.ipxe || goto {{ fallback }}\n{# note #}\n"
        )
    else:
        text = "#!ipxe\n{{ range .Distros }}\nitem {{ .Name }} {{ .Title }}\n{{ end }}\nchain {{ .Base }}/x.ipxe\n"
    path = tmp_path / "menu.ipxe.j2"
    path.write_text("menu Boot\n".join(text.split("\n", 1)[:1]) + "\nmenu Boot\n" + text.split("\n", 1)[1])
    plain = run_cli("--format", "json", "--template", "none", str(path))
    masked = run_cli("--format", "json", "--template", kind, str(path))
    detected = run_cli("--format", "json", str(path))
    assert json.loads(plain.stdout), "without masking the template braces cause findings"
    assert [d for d in json.loads(masked.stdout) if d["severity"] != "info"] == []
    assert json.loads(detected.stdout) == json.loads(masked.stdout), "auto-detection masks the same"


def test_ipxescript_check_is_the_same_command(tmp_path):
    import subprocess
    import sys

    path = tmp_path / "boot.ipxe"
    path.write_text(BROKEN)
    result = subprocess.run(
        [sys.executable, "-m", "ipxescript", "check", "--format", "json", str(path)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 1
    assert [d["code"] for d in json.loads(result.stdout)] == ["IPX205", "IPX601"]
