"""``${...}`` expansion exactly as src/core/settings.c: expand_settings.

Scan from the left remembering the latest ``${``; at the first ``}`` after one, replace that reference
by its value and rescan from the start. Unknown or unformattable settings give "". iPXE has no guard
against a value that refers to itself: it spins forever (or runs out of memory if the text grows). The
simulator stops such an expansion and reports it as ``ExpansionLoop``.
"""

from __future__ import annotations

from collections.abc import Callable

MAX_EXPANSION_STEPS = 10000
MAX_EXPANSION_LENGTH = 256 * 1024


class ExpansionLoop(Exception):
    def __init__(self, word: str) -> None:
        super().__init__(f"expanding {word!r} never ends (a setting refers to itself; iPXE would hang)")
        self.word = word


def expand(word: str, lookup: Callable[[str], str]) -> str:
    if "${" not in word:
        return word
    text = word
    seen: set[str] = set()
    for _ in range(MAX_EXPANSION_STEPS):
        start = -1
        end = -1
        i = 0
        while i < len(text):
            if text.startswith("${", i):
                start = i
                i += 2
                continue
            if text[i] == "}" and start >= 0:
                end = i
                break
            i += 1
        if end < 0:
            return text
        text = text[:start] + lookup(text[start + 2 : end]) + text[end + 1 :]
        if len(text) > MAX_EXPANSION_LENGTH or text in seen:
            raise ExpansionLoop(word)
        seen.add(text)
    raise ExpansionLoop(word)
