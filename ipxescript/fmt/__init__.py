"""``ipxescript fmt``: one canonical layout that changes no behaviour.

* words separated by single spaces (iPXE splits on any run of whitespace anyway);
* labels, commands and comments start at column 0, continuation lines are indented by four spaces
  (only where the continuation falls between words: a word split across lines is left as it is,
  since iPXE joins the halves with nothing between them);
* no trailing whitespace, blank lines kept, trailing blank lines removed, exactly one final newline;
* every line keeps its own line ending (LF or CRLF); an added final newline follows the file's style.

Lines iPXE treats specially are copied unchanged: the first line when it is not a valid magic line
(moving it could make a non-script a script), a line with a NUL byte, and an unterminated last line.
"""

from __future__ import annotations

from ipxescript.syntax.parser import parse
from ipxescript.syntax.tree import Comment, Label, LogicalLine, Operator, Script, Trivia, Word

INDENT = "    "


def format_text(text: str) -> str:
    """The canonical layout of ``text`` (idempotent)."""
    script = parse(text)
    if script.magic is None and "\n" not in text:
        return text  # a one-line non-script: a newline could turn it into a script
    crlf = text.count("\r\n")
    newline = "\r\n" if crlf and crlf * 2 >= text.count("\n") else "\n"
    out = [_format_line(script, line) for line in script.lines]
    while out and not out[-1].strip(" \t\r\n\v\f"):  # trailing blank lines
        out.pop()
    if not out:
        return ""
    if not out[-1].endswith("\n") and not script.lines[len(out) - 1].unterminated:
        out[-1] += newline
    return "".join(out)


def _ending(trivia_text: str) -> str:
    if trivia_text.endswith("\r\n"):
        return "\r\n"
    if trivia_text.endswith("\n"):
        return "\n"
    return ""


def _format_line(script: Script, line: LogicalLine) -> str:
    text = script.text
    raw = text[line.start : line.end]
    keep_raw = (
        line.unterminated
        or any(isinstance(t, Trivia) and t.kind == "ignored" for t in line.tokens)
        or (line.index == 0 and script.magic is None)
    )
    if keep_raw:
        return raw
    content = [t for t in line.tokens if isinstance(t, (Word, Operator, Label, Comment))]
    last_nl = raw.rfind("\n")
    ending = "\r\n" if raw.endswith("\r\n") else ("\n" if last_nl == len(raw) - 1 else "")
    if not content:
        return ending
    pieces: list[str] = []
    previous: Word | Operator | Label | Comment | None = None
    gap: list[Trivia] = []
    for token in line.tokens:
        if isinstance(token, Trivia):
            if previous is not None:
                gap.append(token)
            continue
        if previous is not None:
            pieces.append(_separator(text, gap))
        source = text[token.start : token.end]
        if isinstance(token, Comment):
            stripped = source.rstrip(" \t\v\f\r")
            # never move a backslash to the end of the line: that would start a continuation
            if stripped.endswith("\n"):
                stripped = source  # the comment ends in a continuation: keep it exactly
            source = stripped + " " if stripped.endswith("\\") and stripped != source else stripped
        pieces.append(source)
        previous = token
        gap = []
    if isinstance(previous, (Word, Operator, Label)) and pieces[-1].endswith("\\"):
        pieces.append(" ")  # "x\\ " must not become the continuation "x\\"
    return "".join(pieces) + ending


def _separator(text: str, gap: list[Trivia]) -> str:
    """Whitespace between two tokens: one space, or one continuation when the gap spans lines."""
    joined = "".join(text[t.start : t.end] for t in gap)
    if "\n" not in joined:
        return " "
    newline = "\r\n" if "\r\n" in joined else "\n"
    return " \\" + newline + INDENT


__all__ = ["format_text"]
