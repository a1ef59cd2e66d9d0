"""Template-aware linting: hide ``{{ }}``/``{% %}``/``{# #}`` regions while keeping every position.

A region alone on its line(s) (a ``{% for %}``, ``{{ end }}``, an included block) becomes spaces, so
the line is blank. An expression inside a command line (``chain {{ base }}/boot.ipxe``) becomes a
same-length ``${____}`` reference: the word stays one word whose value is unknown, exactly what the
template will put there at render time, so no rule guesses at it. Newlines are never touched.
"""

from __future__ import annotations

import re

JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)
GO = re.compile(r"\{\{.*?\}\}", re.S)
GO_STATEMENT = re.compile(
    r"\{\{-?\s*(/\*|if\b|else\b|end\b|range\b|with\b|define\b|template\b|block\b|break\b|continue\b)"
)


def _alone_on_line(text: str, start: int, end: int) -> bool:
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end
    return not text[line_start:start].strip() and not text[end:line_end].strip()


def _blank(region: str) -> str:
    return "".join(c if c == "\n" else " " for c in region)


def mask_template(text: str, kind: str) -> tuple[str, list[tuple[int, int]]]:
    """Return the masked text (same length, same newlines) and the masked (start, end) regions."""
    pattern = JINJA if kind == "jinja" else GO
    out: list[str] = []
    regions: list[tuple[int, int]] = []
    pos = 0
    for match in pattern.finditer(text):
        start, end = match.span()
        region = match.group()
        out.append(text[pos:start])
        is_expression = region.startswith("{{") and not (kind == "go" and GO_STATEMENT.match(region))
        if is_expression and "\n" not in region and not _alone_on_line(text, start, end) and len(region) >= 4:
            out.append("${" + "_" * (len(region) - 3) + "}")
        else:
            out.append(_blank(region))
        regions.append((start, end))
        pos = end
    out.append(text[pos:])
    masked = "".join(out)
    assert len(masked) == len(text)
    return masked, regions
