"""ipxescript: a toolchain for the iPXE script language."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__", "parse"]


def parse(text: str | bytes, path: str | None = None):  # type: ignore[no-untyped-def]
    """Parse iPXE script text (or raw bytes) into a syntax tree; never raises on input."""
    from ipxescript.syntax.parser import parse as _parse

    return _parse(text, path)
