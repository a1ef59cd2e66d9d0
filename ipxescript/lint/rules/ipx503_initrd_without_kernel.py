"""``initrd`` with no kernel

``initrd`` (and ``module``) only download an image; it is handed to a kernel that ``kernel`` selects
and ``boot`` starts. A script that fetches an initrd but never loads a kernel or executes anything
boots nothing.

Failing::

    #!ipxe
    initrd http://boot.example.com/initrd.img

Passing::

    #!ipxe
    kernel http://boot.example.com/vmlinuz
    initrd http://boot.example.com/initrd.img
    boot
"""

from __future__ import annotations

from collections.abc import Iterator

from ipxescript.analysis.diagnostics import Diagnostic, Severity
from ipxescript.lint.context import LintContext
from ipxescript.lint.urls import EXECUTES, SELECTS

CODE = "IPX503"
NAME = "initrd-without-kernel"
SEVERITY = Severity.WARNING


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    initrds = ctx.commands_named("initrd", "module")
    if not initrds:
        return
    if ctx.commands_named(*SELECTS, *EXECUTES, "sanboot", "imgargs"):
        return
    if any(b.name is None for _l, b in ctx.commands):  # a ${command} could be anything
        return
    _line, first = initrds[0]
    word = first.command.words[0]
    yield Diagnostic(
        CODE,
        SEVERITY,
        f"'{first.name}' loads an image for a kernel, but this script never loads a kernel or boots anything",
        word.start,
        word.end,
    )
