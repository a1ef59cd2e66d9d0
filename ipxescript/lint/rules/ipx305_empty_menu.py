"""Menu with no items

``choose`` refuses a menu without named items ("no such file or directory"), so the script ends there.
Usually the items were added to a different menu (``--menu`` name typo) or the ``item`` lines were lost.

Failing::

    #!ipxe
    menu Boot
    choose target && goto ${target} ||

Passing::

    #!ipxe
    menu Boot
    item shell Shell
    choose target && goto ${target} ||
    :shell
    shell
"""

from __future__ import annotations

from collections.abc import Iterator

from ipxescript.analysis.diagnostics import Diagnostic, Severity
from ipxescript.analysis.menus import DYNAMIC, menus
from ipxescript.lint.context import LintContext

CODE = "IPX305"
NAME = "empty-menu"
SEVERITY = Severity.WARNING


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    model = menus(ctx)
    if DYNAMIC in model.item_menu_names:
        return
    for menu in model.menus:
        if menu.bound.name != "menu" or menu.name in model.item_menu_names:
            continue
        word = menu.bound.command.words[0]
        which = f"menu '{menu.name}'" if menu.name else "this menu"
        yield Diagnostic(
            CODE,
            SEVERITY,
            f"{which} gets no items: 'choose' on it fails and ends the script",
            word.start,
            word.end,
        )
