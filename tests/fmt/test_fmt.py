"""The formatter: canonical layout, no behaviour change (same command words on every line), idempotent."""

from __future__ import annotations

import subprocess
import sys

from hypothesis import given, settings
from hypothesis import strategies as st

from ipxescript import parse
from ipxescript.fmt import format_text


def meaning(text: str) -> list[tuple[object, ...]]:
    """What iPXE executes: per logical line with content, the label, command words and operators."""
    script = parse(text)
    out = []
    for line in script.lines:
        words = [[w.text for w in c.words] for c in line.commands]
        label = line.label.name if line.label is not None else None
        if label is None and not any(words):
            continue
        out.append((label, words, [op.text for op in line.operators], line.unterminated))
    return out


def test_canonical_layout():
    text = (
        "#!ipxe\n"
        "  :start   echo   hello\t world   \n"
        "    item --key d   debian    Debian 12\n"
        "chain --autofree http://x/boot.ipxe \\\n"
        "|| goto failed   # retry   \n"
        "\n"
        "isset ${x}  &&  echo  yes ||\n"
        ":failed\n\n\n"
    )
    assert format_text(text) == (
        "#!ipxe\n"
        ":start echo hello world\n"
        "item --key d debian Debian 12\n"
        "chain --autofree http://x/boot.ipxe \\\n"
        "    || goto failed # retry\n"
        "\n"
        "isset ${x} && echo yes ||\n"
        ":failed\n"
    )


def test_line_endings_are_kept_and_one_final_newline_added():
    assert format_text("#!ipxe\r\necho  a\r\necho b") == "#!ipxe\r\necho a\r\necho b\r\n"
    assert format_text("#!ipxe\necho a\r\necho b\n") == "#!ipxe\necho a\r\necho b\n"
    assert format_text("#!ipxe\necho a") == "#!ipxe\necho a\n"


def test_words_split_across_lines_are_left_alone():
    text = "#!ipxe\necho foo\\\nbar\nkernel http://x/\\\nvmlinuz\n"
    assert format_text(text) == text
    assert meaning(format_text(text)) == meaning(text)


def test_lines_iPXE_treats_specially_are_copied():
    assert format_text("  #!ipxe\necho  x\n").startswith("  #!ipxe\n")  # not a script: leave the magic alone
    nul = "#!ipxe\necho  a\x00  junk  \necho b\n"
    assert format_text(nul) == nul
    unterminated = "#!ipxe\necho  a \\"
    assert format_text(unterminated) == unterminated


WORDS = ["#!ipxe", "echo", ":a", ":", "a", "${x}", "${net${i}/mac}", "${", "}", "||", "&&", ";", "#", "# c",
         "\\", "kernel", "--key", "x\\"]  # fmt: skip
SPACES = [" ", "  ", "\t", "\n", "\r\n", " \\\n", "\\\n", " \\\r\n  ", "\v", "\f", "\r"]
texts = st.lists(
    st.one_of(st.sampled_from(WORDS), st.sampled_from(SPACES), st.text(max_size=2)), max_size=40
).map("".join)


@settings(max_examples=500, deadline=None)
@given(texts)
def test_formatting_never_changes_any_lines_command_words(text):
    assert meaning(format_text(text)) == meaning(text)


@settings(max_examples=500, deadline=None)
@given(texts)
def test_formatting_is_idempotent(text):
    once = format_text(text)
    assert format_text(once) == once


@settings(max_examples=200, deadline=None)
@given(texts)
def test_formatted_text_keeps_the_magic_verdict(text):
    assert parse(format_text(text)).magic == parse(text).magic


def _run(*args: str, cwd=None, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ipxescript", "fmt", *args], capture_output=True, text=True, cwd=cwd, input=stdin,
        timeout=60,
    )  # fmt: skip


def test_cli_check_diff_and_write(tmp_path):
    ugly = tmp_path / "menu.ipxe"
    ugly.write_bytes(b"#!ipxe\r\necho   hi  \r\n")
    neat = tmp_path / "neat.ipxe"
    neat.write_text("#!ipxe\necho hi\n")
    check = _run("--check", str(tmp_path))
    assert check.returncode == 1 and f"would reformat {ugly}" in check.stdout
    assert ugly.read_bytes() == b"#!ipxe\r\necho   hi  \r\n"
    diff = _run("--diff", str(ugly))
    assert diff.returncode == 1 and "-echo   hi" in diff.stdout and "+echo hi" in diff.stdout
    assert _run(str(tmp_path)).returncode == 0
    assert ugly.read_bytes() == b"#!ipxe\r\necho hi\r\n"
    assert _run("--check", str(tmp_path)).returncode == 0


def test_cli_leaves_binary_files_alone(tmp_path):
    blob = tmp_path / "blob.ipxe"
    blob.write_bytes(b"#!ipxe\n  echo   \xff\xfe  x\n")
    result = _run(str(blob))
    assert "skipped, not UTF-8 text" in result.stderr
    assert blob.read_bytes() == b"#!ipxe\n  echo   \xff\xfe  x\n"


def test_cli_stdin_and_missing_file(tmp_path):
    assert _run("-", stdin="#!ipxe\necho   a\n").stdout == "#!ipxe\necho a\n"
    missing = _run(str(tmp_path / "nope.ipxe"))
    assert missing.returncode == 2 and "no such file" in missing.stderr
