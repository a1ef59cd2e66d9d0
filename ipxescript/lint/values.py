"""Integer values for the rules: the core's parser (ipxescript.analysis.values), None when iPXE would
reject the text (``08``, ``5s``) instead of an exception."""

from __future__ import annotations

from ipxescript.analysis.values import ValueProblem, parse_integer


def parse_ipxe_integer(text: str) -> int | None:
    """strtoul base 0 consuming the whole text, as parse_integer does; None when it is invalid."""
    try:
        return parse_integer(text)
    except ValueProblem:
        return None
