"""Quotes that iPXE passes on literally

iPXE has no quoting: ``"`` and ``'`` are ordinary characters and words are split at every space. So
``set name "My Server"`` stores ``"My Server"`` with the quotes, ``iseq ${x} "yes"`` compares with
``"yes"`` (never equal to ``yes``), and a quoted URL is not a URL. Quotes in kernel arguments are fine
(the kernel parses its own command line) and are not reported.

``iseq "${x}" "-1"`` quotes both sides alike: the quotes cancel out in the comparison, and they keep a
value such as ``-1`` from being read as an option, so it is not reported. Nor is a quoted ``set`` value that the script reads only inside kernel
parameters (``set keys "ssh-rsa AAAA me@host"`` then ``kernel ... keys=${keys}``): there the kernel
needs the quotes to keep the spaces in one parameter.

Failing::

    #!ipxe
    set answer yes
    iseq ${answer} "yes" && echo agreed ||

Passing::

    #!ipxe
    set answer yes
    iseq ${answer} yes && echo agreed ||

Passing::

    #!ipxe
    isset ${menu-timeout} || set menu-timeout 5000
    iseq "${menu-timeout}" "-1" && goto quiet ||
    :quiet

Passing::

    #!ipxe
    set keys "ssh-rsa AAAA me@host"
    kernel http://boot.example.com/vmlinuz authorized_keys=${keys}
    boot
"""

from __future__ import annotations

from collections.abc import Iterator

from ipxescript.analysis.diagnostics import Diagnostic, Severity
from ipxescript.lint.context import LintContext
from ipxescript.syntax.tree import Reference, Word

CODE = "IPX406"
NAME = "literal-quotes"
SEVERITY = Severity.WARNING
# command -> which positionals to look at (None = all)
CHECKED: dict[str, int | None] = {
    "set": None, "iseq": None, "isset": None, "goto": None, "choose": None, "read": None, "inc": None,
    "chain": 0, "kernel": 0, "imgfetch": 0, "initrd": 0, "module": 0, "imgexec": 0, "boot": 0,
    "imgselect": 0, "imgload": 0, "sanboot": None, "sanhook": None, "item": 0,
}  # fmt: skip
QUOTES = "\"'"
# commands whose positionals after the first are the kernel's command line
KERNEL_LINES = ("kernel", "chain", "imgexec", "imgargs", "imgload", "imgselect", "imgfetch", "module", "boot")


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    text = ctx.script.text
    if '"' not in text and "'" not in text:
        return  # most scripts quote nothing
    names = CHECKED.keys() & ctx.command_names
    for line, bound in ctx.commands_named(*names) if names else ():
        if '"' not in line.text and "'" not in line.text:
            continue
        name = bound.name
        assert name is not None
        which = CHECKED[name]
        words = bound.positionals if which is None else bound.positionals[which : which + 1]
        if name == "item" and bound.has("gap"):
            continue
        if name == "iseq" and _quoted_alike(words):
            continue  # "a" and "b" compare as a and b do
        if name == "set" and len(words) > 1 and _kernel_parameter_only(ctx, words[0].text):
            continue  # the kernel parses its own quotes: they keep the value one parameter
        # 'set msg press 'Y' to go' quotes a word of prose on purpose: only a quoted value counts
        yield from _quoted(name, words, openers=2 if name == "set" else len(words))


def _kernel_parameter_only(ctx: LintContext, setting: str) -> bool:
    """The script reads ``${setting}`` and only ever inside a kernel parameter (``name=${setting}``)."""
    read = False
    for _line, bound in ctx.commands:
        for word in bound.command.words:
            if not any(isinstance(p, Reference) and p.setting == setting for p in word.parts):
                continue
            positional = next((j for j, w in enumerate(bound.positionals) if w is word), -1)
            if bound.name not in KERNEL_LINES or positional < 1 or "=" not in word.text.split("${", 1)[0]:
                return False
            read = True
    return read


def _quoted_alike(words: list[Word]) -> bool:
    """Two words, each wrapped in the same kind of quote."""
    texts = [w.text for w in words]
    quote = texts[0][:1] if len(texts) == 2 else ""
    return bool(quote) and quote in QUOTES and all(len(t) >= 2 and t[0] == t[-1] == quote for t in texts)


def _quoted(name: str, words: list[Word], openers: int) -> Iterator[Diagnostic]:
    """Words that open a quote, up to the word that closes it: a shell-style quoted argument."""
    i = 0
    while i < min(len(words), openers):
        text = words[i].text
        if len(text) >= 1 and text[0] in QUOTES:
            quote = text[0]
            for j in range(i, len(words)):
                closing = words[j].text
                if closing.endswith(quote) and (j > i or len(closing) > 1):
                    shown = " ".join(w.text for w in words[i : j + 1])
                    yield Diagnostic(
                        CODE,
                        SEVERITY,
                        f"iPXE has no quoting: the quote characters in {shown} are part of what '{name}' gets"
                        + (" (and the words are still split at spaces)" if j > i else ""),
                        words[i].start,
                        words[j].end,
                    )
                    i = j
                    break
        i += 1
