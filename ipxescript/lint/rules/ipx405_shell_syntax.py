"""Shell syntax that iPXE does not have

An iPXE script is not a shell script. There is no ``if``/``then``/``fi``, no ``for``/``while``, no
``[ ]``/``test``, no ``$(...)``, no ``$?``/``$1``/``$name``, no pipes or redirection. Conditions are
commands joined with ``&&``/``||`` (``iseq ${a} b && goto yes || goto no``), loops are labels and
``goto``, the last error is ``${errno}``, and settings are read with ``${name}``.

Words after an image's URL (``kernel``, ``imgargs``, ``chain`` ...) are the booted system's command
line, so ``$VAR`` there is left alone; so are password hashes such as ``$6$salt$hash`` and a single
backquote (an apostrophe).

Failing::

    #!ipxe
    if iseq ${platform} efi
    then echo EFI
    fi

Failing::

    #!ipxe
    echo last error: $?

Passing::

    #!ipxe
    iseq ${platform} efi && echo EFI ||
    echo last error: ${errno}
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ipxescript.analysis.diagnostics import Diagnostic, Severity
from ipxescript.lint.context import LintContext
from ipxescript.syntax.tree import Literal, Word

CODE = "IPX405"
NAME = "shell-syntax"
SEVERITY = Severity.ERROR
SUPERSEDES = ("IPX101",)

COMMAND_ADVICE = {
    "if": "there is no if: write 'iseq ${a} b && goto yes || goto no' (or isset)",
    "then": "there is no if/then: conditions are '&&' and '||' between commands",
    "else": "there is no else: use '|| goto other'",
    "elif": "there is no elif: chain 'iseq ... && goto ...' lines",
    "fi": "there is no if/fi: use labels and goto",
    "for": "there are no for loops: use a label, 'inc' and 'goto'",
    "while": "there are no while loops: use a label and a conditional 'goto'",
    "until": "there are no until loops: use a label and a conditional 'goto'",
    "do": "there are no loops: use a label and 'goto'",
    "done": "there are no loops: use a label and 'goto'",
    "case": "there is no case: use 'goto ${value}' with one label per value",
    "esac": "there is no case: use 'goto ${value}' with one label per value",
    "function": "there are no functions: use labels and goto, or chain another script",
    "test": "there is no test: use 'iseq a b' or 'isset ${x}'",
    "[": "there is no [ ]: use 'iseq a b' or 'isset ${x}'",
    "[[": "there is no [[ ]]: use 'iseq a b' or 'isset ${x}'",
    "export": "there is no export: 'set name value' is visible to chained scripts already",
    "unset": "there is no unset: use 'clear name'",
    "source": "there is no source: use 'chain' to run another script",
    ".": "there is no '.': use 'chain' to run another script",
    "true": "there is no true: 'iseq a a' always succeeds",
    "false": "there is no false: 'iseq a b' always fails",
    "let": "there is no arithmetic: use 'inc name [n]' on an int32 setting",
    "local": "there are no local variables: settings are global ('set name value')",
    "return": "there is no return: use 'exit' or 'goto'",
    "call": "there is no call: use 'chain' or goto",
}
ADVICE_NAMES = frozenset(COMMAND_ADVICE)
DOLLAR = re.compile(r"\$(\(|\?|#|@|\*|[0-9]|[A-Za-z_][A-Za-z0-9_]*)")
CRYPT_HASH = re.compile(
    r"\$[0-9a-z]{1,3}\$[./0-9A-Za-z]"
)  # $1$salt$hash, $6$...: a password hash, not a variable
# The words after an image's URL are its command line: '$VAR' there is for the booted system's shell.
IMAGE_COMMANDS = ("kernel", "imgargs", "chain", "imgexec", "boot", "module", "initrd", "imgfetch", "imgload")
TEXT_COMMANDS = ("echo", "item", "menu", "prompt", "form", "set", "param")  # words that are data, not syntax
SHOWN = ("echo", "item", "menu", "prompt")  # text printed for a person to read
OPERATOR_WORDS = {
    "|": "pipes",
    ">": "redirection",
    ">>": "redirection",
    "<": "redirection",
    "2>&1": "redirection",
}


def _suspect(text: str) -> bool:
    """The text may hold a word this rule reports: a '$' that opens no '${', a backquote, a
    redirection, or a lone '|' (a run of an odd number of them). Asked of the whole script, then of
    each line: most have none, and a word's text is part of its line's and of the script's."""
    return (
        "`" in text
        or "<" in text
        or ">" in text
        or text.count("$") != text.count("${")
        or text.count("|") != 2 * text.count("||")
    )


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    if ctx.scan_whole_text and not _suspect(ctx.script.text):  # only shell keywords used as command names
        names = ADVICE_NAMES & ctx.command_names
        for _line, bound in ctx.commands_named(*names) if names else ():
            yield from _advice(ctx, bound.name, bound.command.words)
        return
    suspect_line, suspect = None, False
    for line, bound in ctx.commands:
        words = bound.command.words
        name = bound.name
        yield from _advice(ctx, name, words)
        if line is not suspect_line:
            suspect_line, suspect = line, _suspect(line.text)
        if not suspect:
            continue
        image_args = {id(arg) for arg in bound.positionals[1:]} if name in IMAGE_COMMANDS else ()
        for word in words:
            if id(word) in image_args:
                continue
            text = word.text
            if text.count("$") == text.count("${") and "`" not in text and text not in OPERATOR_WORDS:
                continue  # most words: no '$' but those opening '${', which DOLLAR never matches
            if word.text in OPERATOR_WORDS and name not in TEXT_COMMANDS:
                yield Diagnostic(
                    CODE, Severity.WARNING,
                    f"iPXE has no {OPERATOR_WORDS[word.text]}: '{word.text}' is passed on as a plain word",
                    word.start, word.end,
                )  # fmt: skip
                continue
            for part in word.parts:
                if isinstance(part, Literal) and not CRYPT_HASH.search(part.value):
                    for match in DOLLAR.finditer(part.value):
                        if match.group(1) == "(" and name in SHOWN and len(word.parts) > 1:
                            continue  # 'echo run: date --date=@$((${unixtime}))' shows a command to type
                        yield _dollar(part.start, match, word)
            if word.text.count("`") >= 2:  # a single one is an apostrophe
                yield Diagnostic(
                    CODE, Severity.WARNING, "iPXE has no command substitution: backquotes are literal text",
                    word.start, word.end,
                )  # fmt: skip


def _advice(ctx: LintContext, name: str | None, words: list[Word]) -> Iterator[Diagnostic]:
    if name in COMMAND_ADVICE and not ctx.known_command(name):
        yield Diagnostic(
            CODE, SEVERITY, f"'{name}' is shell syntax, not an iPXE command: {COMMAND_ADVICE[name]}",
            words[0].start, words[0].end,
        )  # fmt: skip


def _dollar(base: int, match: re.Match[str], word: Word) -> Diagnostic:
    what = match.group(1)
    exact = word.end - word.start == len(word.text)
    start = base + match.start() if exact else word.start
    end = base + match.end() if exact else word.end
    if what == "(":
        message = "iPXE has no command substitution: '$(' is literal text"
    elif what == "?":
        message = "iPXE has no '$?': the last error is '${errno}' (and a failing line ends the script)"
    elif what in "#@*" or what.isdigit():
        message = f"iPXE has no '${what}': scripts have no positional parameters"
    else:
        message = f"'${what}' is literal text in iPXE: settings are read with '${{{what}}}'"
    return Diagnostic(CODE, Severity.WARNING, message, start, end)
