"""Reading a setting that is never set

``${name}`` expands to an empty string when nothing set ``name``: no error, just a broken URL or
an empty argument later. This rule reports reads of settings that the script never stores (``set``,
``read``, ``choose``, ``inc``, ...) and that are not iPXE's own (DHCP options such as ``${filename}``,
built-ins such as ``${platform}``). With a close match among the names the script sets (or iPXE's
own) it is a warning with a did-you-mean; otherwise an info, since a parent script may have set it.
A setting the script tests with ``isset`` or clears is expected to be missing at times, so it stays
an info too.

Failing::

    #!ipxe
    set base-url http://boot.example.com
    kernel ${baseurl}/vmlinuz
    boot

Passing::

    #!ipxe
    set base-url http://boot.example.com
    kernel ${base-url}/vmlinuz
    boot
"""

from __future__ import annotations

from collections.abc import Iterator

from ipxescript.analysis.diagnostics import Diagnostic, Severity
from ipxescript.analysis.settings import is_predefined, settings
from ipxescript.lint.context import LintContext, did_you_mean

CODE = "IPX403"
NAME = "setting-never-set"
SEVERITY = Severity.WARNING


def _tested_or_cleared(ctx: LintContext) -> set[str]:
    out: set[str] = set()
    for _line, bound in ctx.commands_named("isset", "clear"):
        for word in bound.positionals:
            if bound.name == "clear" and word.is_literal:
                out.add(word.text.rpartition("/")[2].partition(":")[0])
            out.update(ref.setting for ref in word.references() if ref.is_static)
    return out


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    model = settings(ctx)
    reported: set[str] = set()
    builtin = set(ctx.catalog.settings) | set(ctx.catalog.builtin_settings)
    tested = _tested_or_cleared(ctx)
    for read in model.reads:
        name = read.name
        if read.block is not None or read.command in ("show", "inc") or not name or name in reported:
            continue
        if is_predefined(ctx, name) or model.is_written(name) or ctx.is_masked(read.start):
            continue
        reported.add(name)
        guesses = did_you_mean(name, model.written_names - {name}, cutoff=0.8) or did_you_mean(
            name, builtin - {name}, cutoff=0.88
        )
        if guesses and name not in tested:
            yield Diagnostic(
                CODE,
                SEVERITY,
                f"'{name}' is never set, so '${{{name}}}' expands to nothing; did you mean '{guesses[0]}'?",
                read.start,
                read.end,
                suggestions=tuple(guesses),
            )
        else:
            yield Diagnostic(
                CODE,
                Severity.INFO,
                f"'{name}' is never set in this script and is not one of iPXE's settings: '${{{name}}}' is "
                "empty unless a parent script set it",
                read.start,
                read.end,
            )
