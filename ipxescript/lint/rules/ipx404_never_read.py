"""Setting stored but never read

A setting that the script stores (``set``, ``read``, ``choose``) but never reads with ``${...}``,
``show`` or ``inc`` and that iPXE itself does not use is dead -- or the read has a typo
(``set menu-timeout 5000`` with ``--timeout ${menu_timeout}``). Info only: a chained script may read it.
Linting a boot tree (a folder, or several files), a read in any script chained with this one counts.
A settings file (a script that only sets, tests and jumps, such as netboot.xyz's ``boot.cfg``) gets no
note: its settings are for the script that chains it, which reads them after the chain returns.

Failing::

    #!ipxe
    set menu-timeout 5000
    echo ${menu_timeout}

Passing::

    #!ipxe
    set menu-timeout 5000
    echo ${menu-timeout}

Passing::

    #!ipxe
    set site_name My boot server
    iseq ${platform} efi && set boot_file snponly.efi || set boot_file undionly.kpxe
"""

from __future__ import annotations

from collections.abc import Iterator

from ipxescript.analysis.diagnostics import Diagnostic, Severity
from ipxescript.analysis.settings import is_predefined, settings
from ipxescript.analysis.suggest import Suggester
from ipxescript.lint.context import LintContext

CODE = "IPX404"
NAME = "setting-never-read"
SEVERITY = Severity.INFO
# what a settings file for its caller runs: stores, tests and jumps, nothing that uses a value
SETTINGS_FILE = frozenset(("set", "clear", "iseq", "isset", "goto", "exit", "cpuid"))


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    if ctx.command_names <= SETTINGS_FILE:
        return  # a settings file: the script that chains it reads them
    model = settings(ctx)
    reported: set[str] = set()
    fine: set[str] = set()  # names read somewhere, or iPXE's: most writes are of these
    masked = bool(ctx.masked)
    tree, tree_file = ctx.tree, ctx.tree_file
    suggest: Suggester | None = None  # one for the script, made when first asked
    for write in model.writes:
        name = write.name
        if write.command not in ("set", "read", "choose") or write.block is not None or not name:
            continue
        if name in fine or name in reported:
            continue
        if (
            is_predefined(ctx, name)
            or model.is_read(name)
            # a script this one chains (or that chains it) reads it
            or (tree is not None and tree_file is not None and tree.setting_read(tree_file, name))
        ):
            fine.add(name)
            continue
        if masked and ctx.is_masked(write.start):
            continue
        reported.add(name)
        if suggest is None:
            suggest = Suggester(model.read_names - model.written_names, versions=True)
        guesses = suggest(name)
        hint = f"; a similar name is read: '{guesses[0]}'" if guesses else ""
        yield Diagnostic(
            CODE,
            SEVERITY,
            f"'{name}' is stored here but never read in this script{' or the scripts it chains' if tree else ''}{hint}",
            write.start,
            write.end,
            suggestions=tuple(guesses),
        )
