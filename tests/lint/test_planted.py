"""Planted defects in clean, realistic scripts: a finding must start on the line of each defect.

This is how the linter is judged: take a correct script, break one line the way people do, and look
for a diagnostic that starts on that line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from conftest import DATA

from ipxescript import parse
from ipxescript.lint import lint_source

SCRIPTS = sorted(DATA.glob("*.ipxe"))


def _swap(word: str) -> str:
    """A typo that really changes the word: swap the first two different neighbouring letters."""
    for i in range(1, len(word) - 1):
        if word[i] != word[i + 1]:
            return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    return word + "x"


def mutations(lines: list[str]) -> Iterator[tuple[str, int, list[str]]]:
    """(kind, 0-based line, new lines) for every defect that applies to every line."""
    for i, line in enumerate(lines):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        words = text.split()

        def put(new: str, kind: str, i: int = i) -> tuple[str, int, list[str]]:
            return kind, i, lines[:i] + [new] + lines[i + 1 :]

        if not words[0].startswith(":"):
            yield put(line.replace(words[0], _swap(words[0]), 1), "command typo")
        match = re.search(r"\|\| goto (\S+)", line)
        if match:
            yield put(line.replace(match.group(0), "|| " + match.group(1), 1), "missing goto")
            yield put(line.replace(match.group(0), match.group(0) + "_", 1), "goto typo")
        if words[0].startswith(":") and len(words[0]) > 1:
            yield put(": " + line[1:], "space after colon")
        match = re.search(r"--timeout (\d+)", line)
        if match:
            yield put(line.replace(match.group(0), "--timeout 5", 1), "timeout in seconds")
        if "http://" in line:
            yield put(line.replace("http://", "http:/", 1), "malformed url")
        if words[0] in ("chain", "kernel", "initrd") and not words[1].startswith("-"):
            yield put(line + " --autofree", "option after positional")
        if words[0] in ("sleep",):
            yield put(line + "s", "bad integer")
        if words[0] in ("kernel", "chain", "echo", "dhcp"):
            yield put("isset ${proxy} && echo proxy ${proxy}\n" + line, "unhandled isset")
        if words[0] == "boot":
            yield put("echo booting", "missing boot")
        for name in re.findall(r"\$\{([a-z][a-z-]{3,})\}", line):
            if name in ("mirror", "server", "menu-timeout", "host-menu"):
                yield put(line.replace("${" + name + "}", "${" + _swap(name) + "}", 1), "setting typo")


def test_the_base_scripts_are_clean():
    for path in SCRIPTS:
        assert [d for d in lint_source(path.read_text(), str(path)) if d.severity.value != "info"] == []


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: p.name)
def test_every_planted_defect_is_found_on_its_line(path):
    lines = path.read_text().split("\n")
    missed = []
    count = 0
    for kind, index, new_lines in mutations(lines):
        text = "\n".join(new_lines)
        script = parse(text)
        count += 1
        if not any(script.position(d.start)[0] == index for d in lint_source(text, str(path))):
            missed.append((kind, index + 1, new_lines[index]))
    assert count > 25
    assert missed == []
