"""URL not reachable (``--check-urls``)

With ``--check-urls`` every ``http``/``https`` URL the script loads is requested: a ``HEAD`` first,
then a ranged ``GET`` (``Range: bytes=0-0``) when the server refuses ``HEAD``. ``${...}`` references are
filled in from ``--set NAME=VALUE`` (and from the script's own literal ``set`` lines); URLs that still
contain an unknown reference are skipped. A connection error, a timeout or an HTTP status of 400 or
more is reported here; redirects are IPX605. Nothing is requested without ``--check-urls``.

Failing::

    #!ipxe
    chain http://127.0.0.1:9/missing.ipxe

Passing::

    #!ipxe
    chain ${base}/boot.ipxe
"""

from __future__ import annotations

from ipxescript.analysis.diagnostics import Diagnostic, Severity
from ipxescript.lint.context import LintContext

CODE = "IPX604"
NAME = "url-unreachable"
SEVERITY = Severity.ERROR
NEEDS_NETWORK = True


def check(ctx: LintContext) -> list[Diagnostic]:
    return []  # requests are made by ipxescript.lint.urlcheck when --check-urls is given
