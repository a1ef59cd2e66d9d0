"""``imgargs``/``imgselect`` naming an image that was never loaded

Images are named after the last part of their URL path (``http://x/boot/vmlinuz?a=1`` is
``vmlinuz``), or by ``--name``. ``imgargs NAME`` and ``imgselect NAME`` look the name up first; a name
that no command loaded is downloaded as a relative URL instead, which is rarely what was meant (often a
typo, or the image was loaded with ``--name``).

Failing::

    #!ipxe
    kernel http://boot.example.com/vmlinuz-6.1
    imgargs vmlinuz console=ttyS0
    boot

Passing::

    #!ipxe
    kernel http://boot.example.com/vmlinuz-6.1
    imgargs vmlinuz-6.1 console=ttyS0
    boot
"""

from __future__ import annotations

from collections.abc import Iterator

from ipxescript.analysis.diagnostics import Diagnostic, Severity
from ipxescript.lint.context import LintContext, did_you_mean
from ipxescript.lint.urls import IMAGE_COMMANDS, image_name_pattern, looks_like_uri

CODE = "IPX502"
NAME = "unknown-image"
SEVERITY = Severity.WARNING
CHECKED = ("imgargs", "imgselect")


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    if not ctx.commands_named(*CHECKED):
        return
    loads = []
    for _line, bound in ctx.commands_named(*IMAGE_COMMANDS):
        if bound.positionals:
            pattern = image_name_pattern(bound, bound.positionals[0])
            loads.append((bound, pattern))
    for _line, bound in ctx.commands_named(*CHECKED):
        if not bound.positionals:
            continue
        word = bound.positionals[0]
        if not word.is_literal or looks_like_uri(word.text) or bound.has("name"):
            continue
        others = [(b, p) for b, p in loads if b is not bound]
        if any(p is None or p.fullmatch(word.text) for _b, p in others):
            continue
        names = [p.pattern.replace("\\", "") for _b, p in others if p is not None and ".*" not in p.pattern]
        guesses = did_you_mean(word.text, names, cutoff=0.6)
        hint = f"; did you mean '{guesses[0]}'?" if guesses else ""
        yield Diagnostic(
            CODE,
            SEVERITY,
            f"no image named '{word.text}' is loaded by this script (an image is named after the last part of "
            f"its URL), so '{bound.name}' will try to download '{word.text}' instead{hint}",
            word.start,
            word.end,
            suggestions=tuple(guesses),
        )
