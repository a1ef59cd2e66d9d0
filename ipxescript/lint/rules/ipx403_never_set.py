"""Reading a setting that is never set

``${name}`` expands to an empty string when nothing set ``name``: no error, just a broken URL or
an empty argument later. This rule reports reads of settings that no script of the boot tree stores
(``set``, ``read``, ``choose``, ``inc``, ...) and that are not iPXE's own (DHCP options such as
``${filename}``, built-ins such as ``${platform}``). Settings are global: a script chained by
another sees what that one set, and a parent sees what its children set, so linting a folder (or
several files) checks the whole tree.

It is a warning only when the tree is known (some script chains this one), nothing in it sets the
name, and a close match is set (a misspelling: ``${baseurl}`` vs ``base-url``). A script that no
other script chains may get the setting from a parent the linter does not see (an embedded script,
a boot server), so there it is an info at most, with the did-you-mean. A setting tested with
``isset`` or cleared is expected to be missing at times, so it stays an info too.

With a build profile chosen (``--profile``, ``profile =`` or a ``[build]`` table), one of iPXE's
settings that the profile's build leaves out (the catalog's ``absent_settings``: ``${peerdist}``,
``${cpuvendor}`` or ``${syslog}`` on pcbios) is not iPXE's own any more: on that build it expands to
nothing, and reading it is a warning. Without a profile the build is unknown and they count as set.

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
    fine: set[str] = set()  # names set, or iPXE's: most reads are of these
    builtin = ctx.catalog.setting_names
    tested: set[str] | None = None  # made for the first finding
    masked = bool(ctx.masked)
    tree, tree_file = ctx.tree, ctx.tree_file
    written: frozenset[str] | None = None  # the names a guess is made from: made for the first guess
    has_parent = ctx.parents_known()
    # with a build chosen, iPXE's settings that build lacks are not predefined: they expand to nothing
    absent = ctx.profile.absent_settings if ctx.config.checks_build else frozenset()
    for read in model.reads:
        name = read.name
        if (
            name in fine
            or read.block is not None
            or read.command in ("show", "inc")
            or not name
            or name in reported
        ):
            continue
        lacking = name in absent
        if (
            (not lacking and is_predefined(ctx, name))
            or model.is_written(name)
            or (tree is not None and tree_file is not None and tree.setting_written(tree_file, name))
        ):
            fine.add(name)
            continue
        if masked and ctx.is_masked(read.start):
            continue
        reported.add(name)
        if tested is None:
            tested = _tested_or_cleared(ctx)
        if lacking:
            yield Diagnostic(
                CODE,
                Severity.INFO if name in tested else SEVERITY,
                f"the {ctx.profile.name} build has no '{name}' setting (one of iPXE's, left out of this "
                f"build): '${{{name}}}' expands to nothing there",
                read.start,
                read.end,
            )
            continue
        # one candidate set per tree, not one per name: a name is never offered as its own typo
        if written is None:  # frozen once: did_you_mean's suggester is cached by the candidate set
            if tree is not None and tree_file is not None:
                written = frozenset(tree.written_names(tree_file))
            else:
                written = frozenset(model.written_names)
        guesses = did_you_mean(name, written, cutoff=0.8) or did_you_mean(name, builtin, cutoff=0.88)
        if guesses and name not in tested and has_parent:
            yield Diagnostic(
                CODE,
                SEVERITY,
                f"'{name}' is never set, so '${{{name}}}' expands to nothing; did you mean '{guesses[0]}'?",
                read.start,
                read.end,
                suggestions=tuple(guesses),
            )
        else:
            hint = f"; did you mean '{guesses[0]}'?" if guesses else ""
            where = "in this boot tree" if has_parent else "in this script"
            yield Diagnostic(
                CODE,
                Severity.INFO,
                f"'{name}' is never set {where} and is not one of iPXE's settings: '${{{name}}}' is "
                f"empty unless a script that chains this one set it{hint}",
                read.start,
                read.end,
                suggestions=tuple(guesses),
            )
