"""ipxescript: a toolchain for the iPXE script language."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence
    from importlib.machinery import ModuleSpec
    from types import ModuleType

__version__ = "0.1.0"

__all__ = ["__version__", "parse"]


def parse(text: str | bytes, path: str | None = None):  # type: ignore[no-untyped-def]
    """Parse iPXE script text (or raw bytes) into a syntax tree; never raises on input."""
    from ipxescript.syntax.parser import parse as _parse

    return _parse(text, path)


class _CheckoutPackages:
    """``ipxescript.grammar`` and ``ipxescript.lsp`` from the top-level ``grammar/`` and ``lsp/`` of a
    source checkout. pyproject's ``package-dir`` puts them inside the package when it is built (or
    installed in editable mode); this finder makes the same names import from a checkout that is only
    on ``sys.path``, and makes them this checkout's own, not another installation's."""

    def __init__(self, folders: dict[str, str]) -> None:
        self.folders = folders

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        folder = self.folders.get(fullname)
        if folder is None:
            return None
        import importlib.util

        init = os.path.join(folder, "__init__.py")
        return importlib.util.spec_from_file_location(fullname, init, submodule_search_locations=[folder])


def _map_checkout_packages() -> None:
    here = os.path.dirname(os.path.abspath(__file__))
    checkout = os.path.dirname(here)
    if not os.path.isfile(os.path.join(checkout, "pyproject.toml")):
        return  # installed: the subpackages are inside this folder
    folders = {
        f"{__name__}.{name}": os.path.join(checkout, name)
        for name in ("grammar", "lsp")
        if not os.path.isdir(os.path.join(here, name))
        and os.path.isfile(os.path.join(checkout, name, "__init__.py"))
    }
    if folders and not any(isinstance(f, _CheckoutPackages) for f in sys.meta_path):
        sys.meta_path.insert(0, _CheckoutPackages(folders))


_map_checkout_packages()
