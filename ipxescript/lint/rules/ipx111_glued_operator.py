"""Operator glued to a word

iPXE sees ``||``, ``&&`` and ``;`` as operators only when they are whole words, separated by spaces
(src/core/exec.c: split_command). ``echo a;echo b`` prints ``a;echo b``, and
``chain http://h/x.ipxe||goto retry`` downloads ``http://h/x.ipxe||goto`` with the argument ``retry``:
the fallback never runs. The fix (unsafe, as it changes what runs) puts spaces around the operator.

Failing::

    #!ipxe
    chain http://boot.example.com/menu.ipxe||goto retry
    :retry
    echo retry

Passing::

    #!ipxe
    chain http://boot.example.com/menu.ipxe || goto retry
    :retry
    echo retry
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ipxescript.analysis.diagnostics import Diagnostic, Edit, Fix, Severity
from ipxescript.lint.context import LintContext
from ipxescript.syntax.tree import Literal

CODE = "IPX111"
NAME = "glued-operator"
SEVERITY = Severity.WARNING

OPERATOR = re.compile(r"\|\||&&|;")
# Words after the first that are free text for someone else: an image's command line (often a
# bootloader's own script, ``map ...;boot``) or a menu's title text.
FREE_TEXT = {"kernel", "imgargs", "chain", "imgexec", "boot", "initrd", "module", "imgfetch", "imgload",
             "item", "menu", "prompt", "sanboot", "sanhook"}  # fmt: skip


def _looks_like_operator(ctx: LintContext, text: str, start: int, end: int) -> bool:
    """An operator that starts or ends the word, or that a command name follows."""
    after = re.match(r"[A-Za-z0-9_-]*", text[end:])
    follower = after.group() if after else ""
    if follower in ctx.catalog.commands:
        return True
    if text[start:end] == ";":
        return False  # ';' inside a word is common in URLs and kernel arguments
    return start == 0 or end == len(text) or follower.isdigit()


# operators written as iPXE's own: a space before, a space or the line's end after
SPACED = [f" {op}{after}" for op in ("||", "&&", ";") for after in (" ", "\n", "\r")]


def _maybe_glued(text: str) -> bool:
    """Some operator in the text may touch a character that is not a space, so a word may hold one
    glued to its text. Without a backslash before a line end (a continuation joins lines, and the
    reader drops CRs there, so either could join an operator to a word), a word's text is part of the
    script's text as written. Taking out the operators that stand between spaces never takes out (or
    joins) a character of one that touches a word: if none is left, no word holds one."""
    if "\\\n" in text or "\\\r" in text:
        return True
    for spaced in SPACED:
        if spaced in text:
            text = text.replace(spaced, " ")
    return "||" in text or "&&" in text or ";" in text


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    if ctx.scan_whole_text and not _maybe_glued(ctx.script.text):
        return  # one pass over the text instead of one over every word
    for _line, bound in ctx.commands:
        words = bound.positionals[:1] if bound.name in FREE_TEXT else bound.command.args
        for word in words:
            text = word.text
            if "|" not in text and "&" not in text and ";" not in text:
                continue  # most words: no operator character at all
            for part in word.parts:
                if not isinstance(part, Literal) or part.end - part.start != len(part.value):
                    continue
                text = part.value
                for match in OPERATOR.finditer(text):
                    if not _looks_like_operator(ctx, text, match.start(), match.end()):
                        continue
                    if ctx.overlaps_mask(word.start, word.end):
                        continue
                    if len(text) == match.end() - match.start():
                        continue  # a whole word is a real operator
                    op = match.group()
                    start = part.start + match.start()
                    end = part.start + match.end()
                    yield Diagnostic(
                        CODE,
                        SEVERITY,
                        f"'{op}' is glued to the text around it, so iPXE does not see an operator: "
                        f"'{word.text}' is one argument; put spaces around '{op}'",
                        start,
                        end,
                        Fix(f"write ' {op} '", (Edit(start, end, f" {op} "),), safe=False),
                    )
                    break
