"""Missing or malformed ``#!ipxe`` magic line

iPXE treats a downloaded file as a script only when its first six bytes are exactly ``#!ipxe`` (or
``#!gpxe``) followed by a whitespace character (src/image/script.c: script_probe). A UTF-8 byte order
mark, a blank first line, different letter case or a missing line all defeat the check: the file is
then not a script, and ``chain`` fails with "Exec format error" -- or, on a BIOS build, the text may be
run as machine code. The fix inserts or repairs the line (and drops a BOM or leading blank lines).

Failing::

    echo no magic line here

Failing::

    #!iPXE
    echo wrong case

Passing::

    #!ipxe
    echo hello

Passing::

    ---
    permalink: boot.ipxe
    ---
    #!ipxe
    echo served by GitHub Pages without its front matter
"""

from __future__ import annotations

from collections.abc import Iterator

from ipxescript.analysis.diagnostics import Diagnostic, Edit, Fix, Severity
from ipxescript.lint.context import LintContext
from ipxescript.lint.template import front_matter_end

CODE = "IPX001"
NAME = "magic-line"
SEVERITY = Severity.ERROR

WHITESPACE = " \t\n\v\f\r"


def _only_template_before(ctx: LintContext, magic_at: int) -> bool:
    """Every physical line before the magic line holds template text, and the magic starts its line."""
    text = ctx.script.text
    if magic_at and text[magic_at - 1] != "\n":
        return False  # blank space before '#!ipxe' on its own line is real text after rendering
    start = 0
    while start < magic_at:
        end = text.find("\n", start)
        end = magic_at if end < 0 or end >= magic_at else end
        if not ctx.overlaps_mask(start, end + 1):
            return False
        start = end + 1
    return bool(ctx.masked)


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    text = ctx.script.text
    if ctx.script.magic is not None:
        return
    first_end = text.find("\n")
    first_end = len(text) if first_end < 0 else first_end
    newline = "\r\n" if text[:first_end].endswith("\r") else "\n"
    line_range = (0, max(1, first_end - (1 if newline == "\r\n" else 0)) if text else 0)

    def fix(description: str, start: int, end: int, new: str) -> Fix:
        return Fix(description, (Edit(start, end, new),))

    if text.startswith("\ufeff"):
        rest = text[1:]
        ok = rest[:6] in ("#!ipxe", "#!gpxe") and len(rest) > 6 and rest[6] in WHITESPACE
        yield Diagnostic(
            CODE, SEVERITY,
            "the file starts with a UTF-8 byte order mark, so iPXE does not see '#!ipxe' at byte 0 and "
            "will not run it as a script; save it without a BOM",
            0, 1, fix("remove the byte order mark", 0, 1, "") if ok else fix(
                "replace the byte order mark with '#!ipxe'", 0, 1, "#!ipxe" + newline
            ),
        )  # fmt: skip
        return
    stripped = text.lstrip(WHITESPACE)
    skipped = len(text) - len(stripped)
    if skipped and skipped == front_matter_end(text) and stripped[:6] in ("#!ipxe", "#!gpxe"):
        return  # Jekyll front matter: the page is served without it
    if skipped and stripped[:6].lower() in ("#!ipxe", "#!gpxe") and _only_template_before(ctx, skipped):
        yield Diagnostic(
            CODE, Severity.INFO,
            "only template tags come before '#!ipxe': the rendered file is a script only if the renderer "
            "removes these lines entirely (Jinja trim_blocks, '{%- -%}' or '{#- -#}')",
            0, skipped,
        )  # fmt: skip
        return
    if skipped and stripped[:6].lower() in ("#!ipxe", "#!gpxe"):
        yield Diagnostic(
            CODE, SEVERITY,
            "blank space before the magic line: iPXE only recognises '#!ipxe' at the very first byte, so "
            "this file is not run as a script; remove the leading blank lines",
            0, skipped, fix("remove the leading blank lines", 0, skipped, ""),
        )  # fmt: skip
        return
    first = text[:first_end].rstrip("\r")
    if first[:6].lower() in ("#!ipxe", "#!gpxe") and first[:6] not in ("#!ipxe", "#!gpxe"):
        yield Diagnostic(
            CODE, SEVERITY,
            f"'{first[:6]}': the magic line is case-sensitive; iPXE only accepts '#!ipxe'",
            0, 6, fix("write '#!ipxe'", 0, 6, "#!ipxe"),
        )  # fmt: skip
        return
    if first[:6] in ("#!ipxe", "#!gpxe"):
        if len(text) < 7:
            yield Diagnostic(
                CODE, SEVERITY,
                "the file is only '#!ipxe': iPXE needs a whitespace character after the magic (files "
                "shorter than 7 bytes are never scripts)",
                0, 6, fix("end the magic line with a newline", 6, 6, newline),
            )  # fmt: skip
        else:
            yield Diagnostic(
                CODE, SEVERITY,
                f"'{first.split()[0] if first.split() else first}' is not the magic line: '#!ipxe' must be "
                "followed by whitespace",
                0, line_range[1], fix("write '#!ipxe'", 0, 6, "#!ipxe" + newline),
            )  # fmt: skip
        return
    if first.startswith("#!") and "pxe" in first.lower():
        yield Diagnostic(
            CODE, SEVERITY,
            f"malformed magic line '{first}': iPXE only accepts exactly '#!ipxe' at the start of the file",
            0, line_range[1], fix("write '#!ipxe'", 0, len(first), "#!ipxe"),
        )  # fmt: skip
        return
    yield Diagnostic(
        CODE, SEVERITY,
        "missing '#!ipxe' magic line: without it iPXE does not run the file as a script ('Exec format "
        "error'; a BIOS build may even execute it as machine code)",
        0, line_range[1], fix("insert '#!ipxe' as the first line", 0, 0, "#!ipxe" + newline),
    )  # fmt: skip
