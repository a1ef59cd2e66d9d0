"""Template-aware linting: hide template regions while keeping every position.

Kinds: ``jinja`` (``{{ }}``, ``{% %}``, ``{# #}``), ``go`` (``{{ }}``), ``erb`` (``<% %>``, ``<%= %>``)
and ``auto``, the default: every kind at once, used only when the text holds a complete region (an
iPXE script never contains ``{{``, ``{%``, ``{#`` or ``<%``, so a plain script is left untouched).
Mustache sections (``{{#x}}``, ``{{/x}}``, ``{{^x}}``) are statements in every kind. ``auto`` also
recognises Cheetah (Cobbler) when a block directive is closed (``#end for``), and a ``##NAME##``
placeholder after a command's first word (``chain ##BASEURL##/menu.ipxe`` in a ``.ipxe.in`` file that a
build fills in): iPXE would read it as a comment, but no one serves the file unrendered. ``##`` at the
start of a line stays a comment (banners). ``auto`` also masks Jekyll front matter (a ``---`` line at
the very start of the file, up to the next ``---`` line: GitHub Pages serves the file without it).
``none`` turns masking off.

A region alone on its line(s) (a ``{% for %}``, ``{{ end }}``, an included block) becomes spaces, so
the line is blank. An expression inside a command line (``chain {{ base }}/boot.ipxe``) becomes a
same-length ``${____}`` reference: the word stays one word whose value is unknown, exactly what the
template will put there at render time, so no rule guesses at it. Newlines are never touched.
"""

from __future__ import annotations

import re

KINDS = ("auto", "jinja", "go", "erb", "none")

_JINJA = r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}"
_ERB = r"<%.*?%>"
PATTERNS = {
    "jinja": re.compile(_JINJA, re.S),
    "go": re.compile(r"\{\{.*?\}\}", re.S),
    "erb": re.compile(_ERB, re.S),
    "auto": re.compile(f"{_JINJA}|{_ERB}", re.S),
}
GO_STATEMENT = re.compile(
    r"\{\{-?\s*(/\*|if\b|else\b|end\b|range\b|with\b|define\b|template\b|block\b|break\b|continue\b)"
)
MUSTACHE_SECTION = re.compile(r"\{\{\s*[#/^!>]")
ERB_STATEMENT = re.compile(r"<%(?![=-])|<%-(?!\s*=)")
# Text that opens a template region (``}}`` alone is iPXE's nested ``${a${b}}``).
MARKERS = re.compile(r"\{\{|\{%|\{#|<%")


def _alone_on_line(text: str, start: int, end: int) -> bool:
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end
    return not text[line_start:start].strip() and not text[end:line_end].strip()


def _blank(region: str) -> str:
    return "".join(c if c == "\n" else " " for c in region)


def _is_expression(region: str, kind: str) -> bool:
    if region.startswith("<%"):
        return not ERB_STATEMENT.match(region)
    if not region.startswith("{{") or MUSTACHE_SECTION.match(region):
        return False
    return not (kind in ("go", "auto") and GO_STATEMENT.match(region))


# Jekyll front matter: a ``---`` line first in the file, up to the next ``---`` line (at most 50 lines).
FRONT_MATTER = re.compile(r"---[ \t]*\r?\n(?:[^\n]*\n){0,50}?---[ \t]*(?:\r?\n|\Z)")


def front_matter_end(text: str) -> int:
    """Where Jekyll front matter at the start of ``text`` ends (0 when there is none)."""
    match = FRONT_MATTER.match(text) if text.startswith("---") else None
    return match.end() if match else 0


def has_markers(text: str) -> bool:
    # substring tests first: a plain script has none of these, and ``in`` costs far less than a search
    if any(marker in text for marker in ("{{", "{%", "{#", "<%")) or front_matter_end(text):
        return True
    if "##" in text and any(_in_command_line(text, m.start()) for m in PLACEHOLDER.finditer(text)):
        return True
    return "#end " in text and CHEETAH.search(text) is not None


# A build-time placeholder (``@BASEURL@``'s cousin ``##BASEURL##``) inside a command line: something
# other than blanks before it on its line, so a banner comment (``## MENU ##``, ``##########``) is not one.
PLACEHOLDER = re.compile(r"(?<=[ \t])##[A-Za-z_]\w*##")


def _in_command_line(text: str, start: int) -> bool:
    before = text[text.rfind("\n", 0, start) + 1 : start].lstrip()
    return bool(before) and not before.startswith("#")


def _mask_placeholders(text: str, regions: list[tuple[int, int]]) -> tuple[str, list[tuple[int, int]]]:
    """Each ``##NAME##`` placeholder becomes a same-length unknown reference ``${______}``."""
    found = [
        m.span()
        for m in PLACEHOLDER.finditer(text)
        if _in_command_line(text, m.start()) and not any(a <= m.start() < b for a, b in regions)
    ]
    if not found:
        return text, regions
    chars = list(text)
    for start, end in found:
        chars[start:end] = "${" + "_" * (end - start - 3) + "}"
    return "".join(chars), sorted(regions + found)


# Cheetah (Cobbler's templates): recognised in ``auto`` only when a block directive is closed
# (``#end for``, ``#end if``): an iPXE comment never reads like that.
CHEETAH = re.compile(r"^[ \t]*#end (for|if|def|block|raw|while)\b", re.M)
CHEETAH_DIRECTIVE = re.compile(
    r"^[ \t]*#(for|end for|if|else if|elif|else|end if|set|silent|include|import|raw|end raw|def|end def"
    r"|block|end block|while|end while)\b[^\n]*",
    re.M,
)
CHEETAH_PLACEHOLDER = re.compile(r"(?<![\\$])\$(?!\{)[A-Za-z_][\w.]*(\[[^\]\s]*\])*")


def _mask_cheetah(text: str) -> tuple[str, list[tuple[int, int]]]:
    """Directive lines become blank (template statements), ``$name`` placeholders unknown
    references, and ``\\${x}`` (an iPXE reference the template escapes) loses its backslash."""
    chars = list(text)
    regions: list[tuple[int, int]] = []
    for match in CHEETAH_DIRECTIVE.finditer(text):
        start, end = match.span()
        chars[start:end] = _blank(text[start:end])
        regions.append((start, end))
    for match in CHEETAH_PLACEHOLDER.finditer(text):
        start, end = match.span()
        if any(a <= start < b for a, b in regions):
            continue
        region = text[start:end]
        chars[start:end] = "${" + "_" * (len(region) - 3) + "}" if len(region) >= 4 else _blank(region)
        regions.append((start, end))
    for match in re.finditer(r"\\\$\{", text):
        chars[match.start()] = " "
    return "".join(chars), sorted(regions)


def mask_template(text: str, kind: str) -> tuple[str, list[tuple[int, int]]]:
    """Return the masked text (same length, same newlines) and the masked (start, end) regions."""
    front = front_matter_end(text) if kind == "auto" else 0
    if front:
        masked, regions = mask_template(text[front:], kind)
        return _blank(text[:front]) + masked, [(0, front), *((a + front, b + front) for a, b in regions)]
    if kind == "auto" and "##" in text:
        masked, regions = _mask_template(text, kind)
        return _mask_placeholders(masked, regions)
    return _mask_template(text, kind)


def _mask_template(text: str, kind: str) -> tuple[str, list[tuple[int, int]]]:
    if kind == "auto" and CHEETAH.search(text):
        return _mask_cheetah(text)
    pattern = PATTERNS.get(kind)
    if pattern is None:  # "none"
        return text, []
    out: list[str] = []
    regions: list[tuple[int, int]] = []
    pos = 0
    for match in pattern.finditer(text):
        start, end = match.span()
        region = match.group()
        out.append(text[pos:start])
        expression = _is_expression(region, kind)
        if expression and "\n" not in region and not _alone_on_line(text, start, end) and len(region) >= 4:
            out.append("${" + "_" * (len(region) - 3) + "}")
        else:
            out.append(_blank(region))
        regions.append((start, end))
        pos = end
    out.append(text[pos:])
    masked = "".join(out)
    assert len(masked) == len(text)
    return masked, regions
